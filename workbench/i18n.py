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
    "export.disclaimer.1": (
        "This opinion is information for you and your treating doctors, not a decision. It is "
        "based only on the records and images you sent and cannot replace an examination in "
        "person.",
        "本意见仅供您和您的主治医生参考，并非治疗决定。本意见仅基于您提供的病历和影像，不能替代面诊查体。",
    ),
    "export.disclaimer.2": (
        "It cannot promise outcomes. If your symptoms change, or new imaging is taken, the view "
        "may change.",
        "本意见不能保证治疗结果。如症状变化或有新的影像检查，意见可能随之改变。",
    ),
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
    "export.nothing_missing": ("Nothing essential is missing.", "没有缺少关键资料。"),
    "export.limits": (
        "This is a review of the records and images sent. It cannot replace an examination "
        "in person (range of motion, stability, strength, nerves), it cannot promise "
        "outcomes, and it does not decide for you: it is information for you and your "
        "treating doctors.",
        "本审阅仅基于您提供的病历和影像，不能替代面诊查体（关节活动度、稳定性、肌力、神经检查），"
        "不能保证治疗结果，也不替您做决定：它是供您和您的主治医生参考的信息。",
    ),
    # gap bullets under "What is missing", by gap code ({study}: the study, in Chinese;
    # {detail}: a number). English is the case's own message.
    "export.gap.missing_dicom": (
        "Original images not sent",
        "{study}仅见于报告或照片，未提供原始影像（DICOM）。",
    ),
    "export.gap.missing_report": ("No report", "{study}没有对应的影像报告。"),
    "export.gap.undated": ("No date", "有一项检查或资料没有日期。"),
    "export.gap.missing_side": ("No side", "{study}未注明左侧或右侧。"),
    "export.gap.side_conflict": ("Side conflict", "{study}：各资料记录的侧别不一致。"),
    "export.gap.missing_core_imaging": ("Core imaging missing", "缺少本类问题所需的核心影像检查。"),
    "export.gap.missing_weight_bearing": (
        "No standing X-ray",
        "原始影像中没有负重（站立位）X线片。",
    ),
    "export.gap.missing_operation_note": (
        "No operation note",
        "症状出现在手术之后，但未提供手术记录。",
    ),
    "export.gap.missing_postop_imaging": ("No imaging after surgery", "手术后没有影像检查。"),
    "export.gap.missing_implant_details": ("Implants unknown", "手术所用内植物未记录。"),
    "export.gap.no_case_yaml": (
        "No case form",
        "没有病例信息表：缺少疼痛经过、治疗经过和患者的问题。",
    ),
    "export.gap.no_pain_timeline": ("No pain timeline", "疼痛经过没有起病时间或部位。"),
    "export.gap.no_treatment_history": ("No treatment history", "没有记录已尝试过的治疗。"),
    "export.gap.no_treatment_response": ("No treatment response", "有一项治疗的效果未记录。"),
    "export.gap.no_function": (
        "No function",
        "未描述目前的功能（行走、上下楼梯、工作、运动、睡眠）。",
    ),
    "export.gap.too_few_questions": ("Too few questions", "给审阅医生的问题只有{detail}个。"),
    "export.gap.too_many_questions": ("Too many questions", "给审阅医生的问题有{detail}个。"),
    "export.gap.no_proposed_treatment": (
        "No proposed treatment",
        "问题涉及手术，但未说明建议的治疗方案。",
    ),
    "export.gap.lossy_compression": ("Lossy compression", "{study}采用了有损压缩。"),
    "export.gap.screenshot_not_original": (
        "Screenshots",
        "{study}是截图或翻拍图像，而非原始影像。",
    ),
    "export.gap.missing_pixel_spacing": (
        "No pixel spacing",
        "{study}没有像素间距，无法以毫米测量长度。",
    ),
    "export.gap.multiple_patients": ("Several patients", "上传资料中包含不止一位患者的影像。"),
    "export.gap.stale_imaging": ("Old imaging", "最近的影像检查远早于目前的症状。"),
    "export.gap.unreadable_file": ("Unreadable file", "有文件无法使用。"),
    "export.gap.other": ("Missing record", "资料不完整。"),
    "export.study": ("a study", "一项检查"),
    # --- notebook ----------------------------------------------------------------------
    "notebook.section.title": ("Second opinion", "第二诊疗意见"),
    "notebook.section.questions": ("Your questions", "您的问题"),
    "notebook.section.images": ("What the images show", "影像所见"),
    "notebook.section.match": ("Do the images match the symptoms?", "影像与症状是否相符？"),
    "notebook.section.proposed": ("About the proposed treatment", "关于建议的治疗"),
    "notebook.section.options": ("Options without surgery", "非手术治疗选择"),
    "notebook.section.missing": (
        "What is missing and would change this view",
        "缺少的资料及其可能带来的改变",
    ),
    "notebook.section.limits": ("Limits of this review", "本审阅的局限"),
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
