"""Every English/Chinese label of the workbench, in one table.

A label has a stable key and its text in each language; code asks for ``label(key, lang)``
and never carries a Chinese string of its own. Numbers, units and dates are never
translated, only formatted; the reviewer's own text is never machine-translated.

The table is grouped by the layer that shows the label (glossary, readiness, summary,
export ...); keep a group's keys together so a clinician can review a group at once.

>>> label("side.left", "zh")
'左'
>>> label("side.left", "en+zh")
'left / 左'
"""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    """The languages a page or summary can be written in."""

    EN = "en"
    ZH = "zh"
    EN_ZH = "en+zh"


#: Clinical glossary: vocabulary values and terms (DOMAIN.md "Language").
GLOSSARY: dict[str, str] = {
    "left": "左",
    "right": "右",
    "bilateral": "双侧",
    "knee": "膝关节",
    "hip": "髋关节",
    "shoulder": "肩关节",
    "ankle": "踝关节",
    "foot": "足",
    "elbow": "肘关节",
    "wrist": "腕关节",
    "hand": "手",
    "lumbar_spine": "腰椎",
    "cervical_spine": "颈椎",
    "thoracic_spine": "胸椎",
    "pelvis": "骨盆",
    "femur": "股骨",
    "tibia": "胫骨",
    "humerus": "肱骨",
    "forearm": "前臂",
    "chest": "胸部",
    "head": "头部",
    "other": "其他",
    "weight-bearing": "负重",
    "standing": "站立位",
    "meniscus": "半月板",
    "anterior cruciate ligament": "前交叉韧带",
    "osteoarthritis": "骨关节炎",
    "fracture": "骨折",
    "operation note": "手术记录",
    "discharge summary": "出院小结",
    "imaging report": "影像报告",
    "outpatient note": "门诊记录",
    "X-ray": "X线",
    "CT": "CT",
    "MRI": "磁共振",
    "ultrasound": "超声",
}


#: key -> (English, Chinese). Groups: side, body part, modality, ... then one group per layer.
LABELS: dict[str, tuple[str, str]] = {
    # --- sides -----------------------------------------------------------------------
    "side.left": ("left", "左"),
    "side.right": ("right", "右"),
    "side.bilateral": ("bilateral", "双侧"),
    "side.unknown": ("side unknown", "侧别不明"),
    # --- readiness (gaps, triage, summary) --------------------------------------------
    # --- export (the patient's page) ---------------------------------------------------
    "export.kind": ("Orthopedic second opinion", "骨科第二诊疗意见"),
    "export.title": ("Second opinion", "第二诊疗意见"),
    "export.case_id": ("Case", "病例编号"),
    "export.patient": ("Patient", "患者"),
    "export.review_date": ("Date of review", "审阅日期"),
    "export.reviewer": ("Reviewer", "审阅医生"),
    "export.disclaimer_title": ("Please note", "请注意"),
    "export.measure.length": ("Length", "长度"),
    "export.measure.angle": ("Angle", "角度"),
    "export.measure.cobb": ("Cobb angle", "Cobb角"),
    "export.measure.roi": ("Mean value", "平均值"),
    "export.measure.other": ("Measurement", "测量值"),
    "export.film.standing": ("standing X-ray", "站立位X线片"),
    "export.film.xray": ("X-ray", "X线片"),
    "export.film.mri": ("MRI", "磁共振"),
    "export.film.ct": ("CT scan", "CT"),
    "export.film.ultrasound": ("ultrasound", "超声"),
    "export.film.image": ("image", "影像"),
    "export.not_calibrated": ("not calibrated", "未校准"),
    # --- notebook ----------------------------------------------------------------------
    # --- case board (coordinators) ------------------------------------------------------
    "board.waiting_for_records": ("waiting for records", "等待资料"),
    "board.ready_for_review": ("ready for review", "可以审阅"),
    "board.in_review": ("in review", "审阅中"),
    "board.opinion_exported": ("opinion exported", "意见已导出"),
    "board.in_archive": ("in the PACS, not opened yet", "已在影像库，尚未打开"),
}


def label(key: str, lang: str = "en") -> str:
    """The text of *key* in *lang* (``en``, ``zh`` or ``en+zh``, which joins both with " / ").

    An unknown key is a programming error: it raises ``KeyError`` naming the key.
    """
    try:
        en, zh = LABELS[key]
    except KeyError:
        raise KeyError(f"no label {key!r} in workbench.i18n.LABELS; add it there") from None
    if lang == Lang.ZH:
        return zh
    if lang == Lang.EN_ZH:
        return en if en == zh else f"{en} / {zh}"
    return en


def glossary(term: str, lang: str = "en") -> str:
    """A glossary term in *lang*; English terms are returned as given."""
    if lang == Lang.ZH:
        return GLOSSARY.get(term, term)
    if lang == Lang.EN_ZH and term in GLOSSARY:
        return f"{term} / {GLOSSARY[term]}"
    return term
