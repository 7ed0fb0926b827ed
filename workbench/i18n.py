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
    "triage.remote_now": (
        "Remote review can answer the question now",
        "现有资料可进行远程阅片评估",
    ),
    "triage.remote_after_records": (
        "Remote review after the listed records arrive",
        "补齐所列资料后可进行远程评估",
    ),
    "triage.in_person": ("In-person examination advised", "建议面诊查体"),
    "triage.urgent": (
        "Urgent in-person care advised, not a remote review",
        "建议尽快线下就医（急诊），不宜等待远程评估",
    ),
    "triage.reason.sign": (
        "{sign}: {source} says \u201c{quote}\u201d.",
        "{sign}：{source}写道\u201c{quote}\u201d。",
    ),
    "triage.reason.combination": (
        "{sign}: {sources}.",
        "{sign}：{sources}。",
    ),
    "triage.reason.exam": (
        "These need range of motion, stability, strength and nerve tests by hand.",
        "这些情况需要面对面检查关节活动度、稳定性、肌力和神经功能。",
    ),
    "triage.reason.urgent": (
        "Seek urgent medical care now; a remote review cannot wait for these signs.",
        "请立即就医；出现这些情况不能等待远程评估。",
    ),
    "triage.reason.gap": ("[{code}] {message}", "[{code}] {message}"),
    "triage.reason.dicom": (
        "{n} imaging stud{plural} with original DICOM, dated and labelled with side.",
        "{n} 项影像检查有原始 DICOM，日期和侧别齐全。",
    ),
    "triage.reason.questions": ("{n} specific questions to answer.", "有 {n} 个具体问题待解答。"),
    "triage.reason.no_sign": (
        "No sign in the patient's account calls for a hands-on examination.",
        "患者陈述中没有需要面诊查体的表现。",
    ),
    "treatment.physiotherapy": ("physiotherapy", "康复理疗"),
    "treatment.injection": ("injection", "注射治疗"),
    "treatment.medication": ("medication", "药物治疗"),
    "treatment.bracing": ("bracing", "支具"),
    "treatment.acupuncture": ("acupuncture", "针灸"),
    "treatment.surgery": ("surgery", "手术"),
    "treatment.rest": ("rest", "休息"),
    "treatment.other": ("other treatment", "其他治疗"),
    "treatment.treatment": ("treatment", "治疗"),
    "doc.imaging_report": ("imaging report", "影像报告"),
    "doc.operation_note": ("operation note", "手术记录"),
    "doc.discharge_summary": ("discharge summary", "出院小结"),
    "doc.outpatient_note": ("outpatient note", "门诊记录"),
    "doc.lab": ("lab result", "化验单"),
    "doc.treatment_record": ("treatment record", "治疗记录"),
    "doc.other": ("document", "文件"),
    "modality.MR": ("MR", "磁共振"),
    "modality.CT": ("CT", "CT"),
    "modality.DX": ("DX", "X线（DX）"),
    "modality.CR": ("CR", "X线（CR）"),
    "modality.US": ("US", "超声"),
    "modality.NM": ("NM", "核医学"),
    "modality.XA": ("XA", "血管造影"),
    "modality.imaging": ("Imaging", "影像"),
    "lang.en": ("English", "英文"),
    "lang.zh": ("Chinese", "中文"),
    "lang.mixed": ("mixed languages", "中英文混合"),
    "onset.sudden_injury": ("sudden injury", "急性外伤"),
    "onset.gradual": ("gradual", "逐渐起病"),
    "onset.after_surgery": ("after surgery", "术后"),
    "onset.training_change": ("training change", "训练改变后"),
    "onset.other": ("other", "其他"),
    "timeline.onset": ("Onset", "起病"),
    "timeline.pain": ("pain", "疼痛"),
    "timeline.surgery": ("surgery", "手术"),
    "timeline.implants": ("implants", "植入物"),
    "timeline.standing": ("standing", "站立位"),
    "timeline.report_only": ("(report only, images not sent)", "（仅有报告，未提供影像）"),
    "timeline.photo_only": ("(photo only, images not sent)", "（仅有照片，未提供原始影像）"),
    "timeline.lane.symptom": ("Symptoms", "症状"),
    "timeline.lane.treatment": ("Treatment", "治疗"),
    "timeline.lane.surgery": ("Surgery", "手术"),
    "timeline.lane.imaging": ("Imaging", "影像"),
    "timeline.lane.documents": ("Reports & visits", "报告与就诊"),
    "timeline.no_dated": ("No dated events", "无日期事件"),
    "timeline.undated_list": ("Undated (not placed):", "无日期（未标注在时间轴上）："),
    "date.undated": ("undated", "无日期"),
    "date.unknown": ("unknown date", "日期不明"),
    "gap.source.report": ("report", "报告"),
    "gap.source.photo": ("photo of the film or screen", "胶片或屏幕照片"),
    "gap.the_document": ("The {kind} '{path}'", "{kind}“{path}”"),
    "gap.an_operation": ("an earlier operation", "既往手术"),
    "gap.a_treatment": ("a treatment", "某项治疗"),
    "gap.joint_replacement": ("the joint replacement", "关节置换"),
    "gap.stale_after": (
        "{imaging}; after it: {event} ({date})",
        "{imaging}；此后：{event}（{date}）",
    ),
    "gap.stale_old": (
        "{imaging}, over a year before {event} ({date})",
        "{imaging}，早于{event}（{date}）一年以上",
    ),
    "gap.paren": ("{what} ({when})", "{what}（{when}）"),
    "gap.list_sep": (", ", "、"),
    "summary.title": ("Case summary", "病例摘要"),
    "summary.concern": ("Main concern", "主要问题"),
    "summary.timeline": ("Timeline", "时间线"),
    "summary.imaging": ("Imaging", "影像检查"),
    "summary.symptoms": ("Current symptoms", "目前症状"),
    "summary.function": ("Function", "功能状况"),
    "summary.treatment": ("Treatment tried", "已尝试的治疗"),
    "summary.questions": ("Questions", "咨询问题"),
    "summary.gaps": ("What is missing", "缺少的资料"),
    "summary.triage": ("Triage", "分诊建议"),
    "summary.date": ("Date", "日期"),
    "summary.type": ("Type", "类型"),
    "summary.body_part": ("Body part", "部位"),
    "summary.side": ("Side", "侧别"),
    "summary.facility": ("Facility", "医院"),
    "summary.dicom": ("Original images", "原始影像"),
    "summary.report": ("Report", "报告"),
    "summary.yes": ("yes", "有"),
    "summary.no": ("no", "无"),
    "summary.none": ("none recorded", "未记录"),
    "summary.standing": ("standing", "站立位"),
    "summary.proposed": ("Proposed treatment", "建议的治疗"),
    "summary.event": ("Event", "事件"),
    "summary.severity.blocker": ("Blocker", "关键"),
    "summary.severity.major": ("Major", "重要"),
    "summary.severity.minor": ("Minor", "次要"),
    "summary.side_disputed": ("{side}? {others}", "{side}？{others}"),
    "summary.side_says": ("{source} says {side}", "{source}为{side}"),
    "signal.image_marker": ("film marker", "胶片标记"),
    "signal.dicom": ("DICOM", "DICOM"),
    "signal.description": ("description", "描述"),
    "signal.report": ("report", "报告"),
    "signal.photo": ("photo", "照片"),
    "signal.complaint": ("complaint", "主诉"),
    "signal.other": ("other record", "其他记录"),
    "imaging.need.knee_replacement": ("weight-bearing X-rays of the knee", "膝关节负重位X线片"),
    "imaging.need.hip_replacement": ("weight-bearing X-rays of the hip", "髋关节负重位X线片"),
    "imaging.need.spine": ("an MRI and X-rays of the spine", "脊柱磁共振和X线片"),
    "imaging.need.acl_meniscus": ("an MRI of the knee", "膝关节磁共振"),
    "imaging.need.shoulder": ("an MRI of the shoulder", "肩关节磁共振"),
    "imaging.need.fracture_revision": ("X-rays or a CT", "X线片或CT"),
    "source.main_concern": ("the main concern", "主要问题"),
    "source.pain_pattern": ("the pain pattern", "疼痛特点"),
    "source.trigger": ("a trigger", "诱发因素"),
    "source.pain_location": ("the pain location", "疼痛部位"),
    "source.function": ("the function", "功能状况"),
    "source.treatment_response": ("the response to {kind}", "{kind}的治疗反应"),
    "source.treatment_detail": ("the {kind} record", "{kind}记录"),
    "source.question": ("question {n}", "问题 {n}"),
    "source.event": ("the event of {date}", "{date} 的事件"),
    "source.surgery": ("the operation of {date}", "{date} 的手术"),
    "source.document": ("the document '{path}'", "文件“{path}”"),
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
    "export.gap.imaging_wrong_region": (
        "Imaging of another region",
        "现有影像检查的部位与主诉部位不同。",
    ),
    "export.gap.missing_labs": ("No lab results", "有肿胀、发热或全身症状，但没有化验结果。"),
    "export.gap.untranslated_document": (
        "Document not in the reviewer's language",
        "有关键资料不是审阅医生使用的语言，且没有译文摘要。",
    ),
    "export.gap.stale_score": (
        "Score older than the symptoms",
        "最近一次结局评分早于最近一次症状变化。",
    ),
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
