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


#: The pain map's closed region vocabulary: key -> (view, body part, paired, English, Chinese).
#: ``view`` is the outline the region is drawn on (front or back); ``body_part`` is the
#: :class:`workbench.vocab.BodyPart` value used by the laterality cross-check; ``paired``
#: regions take a side (left/right), midline ones (neck, lower back) do not need one.
BODY_REGIONS: dict[str, tuple[str, str, bool, str, str]] = {
    # front
    "neck": ("front", "cervical_spine", False, "neck", "颈部"),
    "shoulder": ("front", "shoulder", True, "shoulder", "肩部"),
    "upper_arm": ("front", "humerus", True, "upper arm", "上臂"),
    "elbow": ("front", "elbow", True, "elbow", "肘部"),
    "forearm": ("front", "forearm", True, "forearm", "前臂"),
    "wrist_hand": ("front", "hand", True, "wrist and hand", "腕部和手"),
    "chest": ("front", "chest", False, "chest", "胸部"),
    "hip_groin": ("front", "hip", True, "groin / front of hip", "腹股沟/髋前部"),
    "lateral_hip": ("front", "hip", True, "outer hip", "髋外侧"),
    "anterior_thigh": ("front", "femur", True, "front of thigh", "大腿前侧"),
    "anterior_knee": ("front", "knee", True, "front of knee", "膝前部"),
    "knee_medial": ("front", "knee", True, "inner knee", "膝内侧"),
    "knee_lateral": ("front", "knee", True, "outer knee", "膝外侧"),
    "shin": ("front", "tibia", True, "shin", "小腿前侧"),
    "ankle": ("front", "ankle", True, "ankle", "踝部"),
    "foot_dorsum": ("front", "foot", True, "top of foot", "足背"),
    "toes": ("front", "foot", True, "toes", "足趾"),
    # back
    "upper_back": ("back", "thoracic_spine", False, "upper back", "上背部"),
    "lower_back": ("back", "lumbar_spine", False, "lower back", "下背部/腰部"),
    "buttock": ("back", "pelvis", True, "buttock", "臀部"),
    "posterior_thigh": ("back", "femur", True, "back of thigh", "大腿后侧"),
    "posterior_knee": ("back", "knee", True, "back of knee", "膝后部（腘窝）"),
    "calf": ("back", "tibia", True, "calf", "小腿后侧"),
    "heel": ("back", "foot", True, "heel", "足跟"),
    "sole": ("back", "foot", True, "sole of foot", "足底"),
}


#: key -> (English, Chinese). Groups: side, body part, modality, ... then one group per layer.
LABELS: dict[str, tuple[str, str]] = {
    # --- sides -----------------------------------------------------------------------
    "side.left": ("left", "左"),
    "side.right": ("right", "右"),
    "side.bilateral": ("bilateral", "双侧"),
    "side.unknown": ("side unknown", "侧别不明"),
    # --- record: case.yaml sections, the intake form and its messages ------------------
    "pain_kind.pain": ("pain", "疼痛"),
    "pain_kind.numbness": ("numbness", "麻木"),
    "pain_kind.tingling": ("tingling", "刺痛/针刺感"),
    "pain_kind.weakness": ("weakness", "无力"),
    "stairs.normal": ("stairs normally", "上下楼正常"),
    "stairs.with_rail": ("stairs with a rail", "需扶栏杆上下楼"),
    "stairs.one_at_a_time": ("stairs one step at a time", "一步一级上下楼"),
    "stairs.unable": ("cannot use stairs", "无法上下楼"),
    "sleep.undisturbed": ("sleep undisturbed", "睡眠不受影响"),
    "sleep.wakes_with_pain": ("wakes with pain", "因疼痛夜醒"),
    "sleep.cannot_sleep": ("cannot sleep for pain", "因疼痛无法入睡"),
    "work.full": ("working fully", "正常工作"),
    "work.modified": ("modified duties", "调整工作"),
    "work.off_work": ("off work", "无法工作"),
    "work.not_working": ("not in work (retired, studying ...)", "未工作（退休、上学等）"),
    "sport.as_before": ("sport as before", "运动如常"),
    "sport.reduced": ("sport reduced", "运动减少"),
    "sport.stopped": ("sport stopped", "已停止运动"),
    "sport.none": ("no sport before", "平时不运动"),
    "intake.title": ("Case intake", "病例登记"),
    "intake.case_id": ("Case id", "病例编号"),
    "intake.case_type": ("Case type", "病例类型"),
    "intake.languages": ("Languages", "意见书语言"),
    "intake.main_concern": ("Main concern", "主要问题"),
    "intake.body_part": ("Body part", "部位"),
    "intake.side": ("Side", "侧别"),
    "intake.pain_history": ("Pain history", "疼痛病史"),
    "intake.location": ("Pain location", "疼痛位置"),
    "intake.onset": ("Onset (YYYY-MM-DD)", "开始时间（年-月-日）"),
    "intake.onset_kind": ("Onset kind", "起病方式"),
    "intake.triggers": ("Triggers", "诱因"),
    "intake.pattern": ("Pattern", "疼痛特点"),
    "intake.function": ("Function (free text)", "功能（文字描述）"),
    "intake.function_numbers": ("Function", "功能状况"),
    "intake.walking_distance_m": ("Walking distance (m)", "步行距离（米）"),
    "intake.standing_time_min": ("Standing time (min)", "站立时间（分钟）"),
    "intake.stairs": ("Stairs", "上下楼"),
    "intake.sleep": ("Sleep", "睡眠"),
    "intake.work": ("Work", "工作"),
    "intake.sport": ("Sport", "运动"),
    "intake.treatments": (
        "Treatments tried (kind, date, detail, response)",
        "已尝试的治疗（类型、日期、内容、效果）",
    ),
    "intake.medications": (
        "Medications (name, dose, frequency, since, stopped, response, side effects)",
        "用药（药名、剂量、频次、开始、停用、效果、副作用）",
    ),
    "intake.labs": (
        "Lab results (test, value, unit, reference range, date)",
        "化验结果（项目、数值、单位、参考范围、日期）",
    ),
    "intake.pain_map": (
        "Pain map: click a region, choose kind and side",
        "疼痛图：点击部位，选择性质和侧别",
    ),
    "intake.pain_kind": ("Kind", "性质"),
    "intake.proposed_treatment": ("Proposed treatment", "建议的治疗"),
    "intake.questions": ("Your questions (3 to 5, specific)", "您的问题（3-5 个，具体）"),
    "intake.question": ("Question", "问题"),
    "intake.save": ("Save case.yaml", "保存 case.yaml"),
    "intake.saved": ("Saved", "已保存"),
    "intake.not_saved": ("Not saved", "未保存"),
    "intake.language": ("Form language", "表单语言"),
    "manifest.line": ("line", "第 {line} 行"),
    "manifest.unknown_key": ("unknown key", "未知的键"),
    "manifest.bad_value": ("invalid value", "取值无效"),
    "manifest.duplicate_key": ("key written twice", "键重复"),
    "manifest.syntax": ("YAML syntax error", "YAML 语法错误"),
    "summary.medications": ("Medications", "用药"),
    "summary.labs": ("Lab results", "化验结果"),
    "summary.scores": ("Outcome scores", "评分"),
    "summary.pain_map": ("Pain map", "疼痛图"),
    "summary.since": ("since", "开始于"),
    "summary.stopped": ("stopped", "停用于"),
    "summary.side_effects": ("side effects", "副作用"),
    "summary.reference": ("reference", "参考范围"),
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
