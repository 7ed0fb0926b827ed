"""The readiness rules, as a table a clinician can read and correct.

Each rule has a stable ``code``, a ``severity`` (``blocker``: the review cannot
give a firm view; ``major``: the review is weaker without it; ``minor``: worth
fixing), the message shown to the coordinator and the advice for the patient.
Messages are templates filled from the case (``{study}``, ``{detail}``). The
checks that decide *when* a rule fires live in :mod:`workbench.readiness.checks`,
one small function per code, named after it.

``REQUIRED_IMAGING`` says which imaging each case type needs (DOMAIN.md,
"Records by case type").
"""

from __future__ import annotations

from typing import NamedTuple

from workbench.model import Severity


class Rule(NamedTuple):
    """One readiness rule: its code, severity, and its message and advice in English and Chinese."""

    code: str
    severity: Severity
    message: str
    advice: str
    message_zh: str
    advice_zh: str

    def text(self, lang: str = "en") -> tuple[str, str]:
        """The (message, advice) templates in *lang*."""
        return (self.message_zh, self.advice_zh) if lang == "zh" else (self.message, self.advice)


RULES: tuple[Rule, ...] = (
    # --- imaging ---------------------------------------------------------------------
    Rule(
        "missing_dicom",
        Severity.MAJOR,
        "{study} is known only from a {source}; the original images were not sent.",
        "Ask the hospital for the original DICOM images of this study (a CD or download "
        "link), not photos or screenshots.",
        "{study}只有{source}，未提供原始影像。",
        "请向医院索取该检查的原始DICOM影像（光盘或下载链接），不要照片或截图。",
    ),
    Rule(
        "missing_report",
        Severity.MINOR,
        "{study} has no matching radiologist's report.",
        "Send the written report of this study if there is one.",
        "{study}没有对应的影像报告。",
        "如有该检查的书面报告，请一并提供。",
    ),
    Rule(
        "undated",
        Severity.MAJOR,
        "{what} has no date.",
        "Add the date of the examination; findings change after injury, surgery or "
        "treatment, so order matters.",
        "{what}没有日期。",
        "请补充检查日期；受伤、手术或治疗后表现会变化，先后顺序很重要。",
    ),
    Rule(
        "missing_side",
        Severity.MAJOR,
        "{study} does not say which side (left or right) was imaged.",
        "Confirm the side with the hospital or the patient; left/right errors are dangerous "
        "in surgical planning.",
        "{study}未注明检查的是哪一侧（左或右）。",
        "请与医院或患者确认侧别；左右搞错在手术计划中十分危险。",
    ),
    Rule(
        "side_conflict",
        Severity.BLOCKER,
        "{study}: the records disagree about the side: {detail}.",
        "Resolve which side is meant before the review (ask the hospital to check the "
        "images and the report). The reviewer must acknowledge this in the notebook.",
        "{study}：各资料记录的侧别不一致：{detail}。",
        "评估前请先确认是哪一侧（请医院核对影像和报告）。阅片医生须在笔记本中确认此问题。",
    ),
    Rule(
        "missing_core_imaging",
        Severity.BLOCKER,
        "For a {case_type} question the reviewer needs {detail}, which is not among the "
        "original images.",
        "Ask for these images (original DICOM); without them a firm view is not possible.",
        "对于{case_type}问题，阅片医生需要{detail}，原始影像中没有。",
        "请补充这些影像（原始DICOM）；缺少它们无法给出明确意见。",
    ),
    Rule(
        "missing_weight_bearing",
        Severity.BLOCKER,
        "No weight-bearing (standing) X-ray of the {body_part} among the original images.",
        "Ask for standing X-rays of the {body_part}: joint space narrows under load, so lying "
        "films underestimate wear.",
        "原始影像中没有{body_part}的负重（站立位）X线片。",
        "请补拍{body_part}站立位X线片：负重时关节间隙变窄，卧位片会低估磨损程度。",
    ),
    Rule(
        "missing_operation_note",
        Severity.MAJOR,
        "The concern follows surgery ({detail}) but no operation note was sent.",
        "Send the operation record: procedure, implants and plan are unknown without it.",
        "问题发生在手术（{detail}）之后，但未提供手术记录。",
        "请提供手术记录：没有它就无法了解术式、植入物和治疗计划。",
    ),
    Rule(
        "missing_postop_imaging",
        Severity.MAJOR,
        "No imaging after the operation of {detail}.",
        "Send the most recent imaging taken after the operation.",
        "{detail}手术后没有影像检查。",
        "请提供术后最近一次的影像检查。",
    ),
    Rule(
        "missing_implant_details",
        Severity.MAJOR,
        "The implants used in the operation of {detail} are not recorded.",
        "Add the implant details (make, model, size) from the operation note or implant card.",
        "{detail}手术所用的植入物未记录。",
        "请从手术记录或植入物卡片补充植入物信息（厂家、型号、尺寸）。",
    ),
    Rule(
        "imaging_wrong_region",
        Severity.MAJOR,
        "The complaint is about the {body_part}, but the imaging sent covers {detail}.",
        "Send the imaging of the {body_part} itself; imaging of another region cannot show "
        "what causes this complaint.",
        "主诉部位是{body_part}，但提供的影像检查的是{detail}。",
        "请提供{body_part}本身的影像；其他部位的影像无法说明这次症状的原因。",
    ),
    # --- clinical record -------------------------------------------------------------
    Rule(
        "no_case_yaml",
        Severity.MAJOR,
        "There is no case.yaml: the pain history, treatments and the patient's questions "
        "are missing.",
        "Fill in the intake form (workbench new-case, or IntakeForm in the notebook).",
        "没有 case.yaml：缺少疼痛病史、治疗经过和患者的问题。",
        "请填写病例登记表（workbench new-case，或在笔记本中使用 IntakeForm）。",
    ),
    Rule(
        "no_pain_timeline",
        Severity.MAJOR,
        "The pain history has no onset date or location.",
        "Describe where it hurts, since when, and how it started (injury, gradual, after surgery).",
        "疼痛病史缺少起病日期或部位。",
        "请描述疼痛部位、开始时间及起病方式（外伤、逐渐、术后）。",
    ),
    Rule(
        "no_treatment_history",
        Severity.MAJOR,
        "No treatment tried is recorded.",
        "List what was tried (physiotherapy, injections, bracing, medication) with dates.",
        "未记录已尝试的治疗。",
        "请列出已尝试的治疗（理疗、注射、支具、药物）及日期。",
    ),
    Rule(
        "no_treatment_response",
        Severity.MINOR,
        "The response to {detail} is not recorded.",
        "Say for each treatment whether it helped, for how long, and what did not.",
        "未记录{detail}的治疗效果。",
        "请说明每项治疗是否有效、持续多久、哪些无效。",
    ),
    Rule(
        "no_function",
        Severity.MAJOR,
        "Current function (walking, stairs, work, sport, sleep) is not described, "
        "and no outcome score (pain 0-10, KOOS, HOOS) is recorded.",
        "Describe what the patient can and cannot do today (walking distance, stairs, sleep, "
        "work, sport), or record an outcome score.",
        "未描述目前的功能状况（行走、上下楼、工作、运动、睡眠），也没有记录结局评分"
        "（疼痛 0-10 分、KOOS、HOOS）。",
        "请描述患者目前能做和不能做的事（步行距离、上下楼、睡眠、工作、运动），或记录结局评分。",
    ),
    Rule(
        "stale_score",
        Severity.MINOR,
        "The latest outcome score ({detail}) is older than the latest change of symptoms "
        "({since}).",
        "Ask the patient to fill in the questionnaire again, so the score describes today.",
        "最近一次结局评分（{detail}）早于最近一次症状变化（{since}）。",
        "请患者重新填写问卷，使评分反映目前的状况。",
    ),
    Rule(
        "too_few_questions",
        Severity.MAJOR,
        "Only {detail} question(s) for the reviewer.",
        "Write three to five specific questions (e.g. 'Can the replacement wait a year?').",
        "给阅片医生的问题只有{detail}个。",
        "请写出三到五个具体问题（例如“置换手术能否再等一年？”）。",
    ),
    Rule(
        "too_many_questions",
        Severity.MINOR,
        "{detail} questions for the reviewer.",
        "Keep the three to five questions that matter most.",
        "给阅片医生的问题有{detail}个。",
        "请保留最重要的三到五个问题。",
    ),
    Rule(
        "no_proposed_treatment",
        Severity.MAJOR,
        "The question is about surgery but the proposed treatment is not stated.",
        "Write down what the treating surgeon proposed, in their words.",
        "问题涉及手术，但未写明建议的治疗方案。",
        "请用主治医生的原话写下其建议的治疗。",
    ),
    Rule(
        "missing_labs",
        Severity.MINOR,
        "The account mentions {detail} but no lab results were sent.",
        "Send recent blood tests (blood count, CRP, ESR; uric acid or rheumatoid factor if "
        "asked): swelling, fever or systemic symptoms call for them.",
        "病史提到{detail}，但未提供化验结果。",
        "请提供近期的化验结果（血常规、C反应蛋白、血沉，必要时尿酸或类风湿因子）："
        "有肿胀、发热或全身症状时需要这些检查。",
    ),
    Rule(
        "untranslated_document",
        Severity.MAJOR,
        "The {kind} '{path}' is in {doc_lang}, which the reviewer ({reviewer_lang}) does not "
        "read, and no summary in {reviewer_lang} was sent.",
        "Send a translation or a summary of this document in {reviewer_lang}.",
        "{kind}“{path}”是{doc_lang}，阅片医生（{reviewer_lang}）看不懂，且未提供{reviewer_lang}摘要。",
        "请提供该文件的{reviewer_lang}翻译或摘要。",
    ),
    # --- media quality ---------------------------------------------------------------
    Rule(
        "lossy_compression",
        Severity.MINOR,
        "{study} was sent with lossy compression.",
        "If possible, ask for an uncompressed (original quality) export.",
        "{study}以有损压缩方式提供。",
        "如可能，请索取未压缩（原始质量）的导出影像。",
    ),
    Rule(
        "screenshot_not_original",
        Severity.MAJOR,
        "{study} holds secondary-capture or screenshot images instead of the original "
        "modality images.",
        "Ask for the original images from the scanner (DICOM), not screen captures.",
        "{study}是二次采集或截图图像，而非原始设备影像。",
        "请索取设备原始影像（DICOM），不要屏幕截图。",
    ),
    Rule(
        "missing_pixel_spacing",
        Severity.MINOR,
        "{study} has no pixel spacing: lengths cannot be measured in mm.",
        "Ask for the original export from the X-ray system, which carries the calibration.",
        "{study}没有像素间距：无法以毫米测量长度。",
        "请向X线设备索取带有校准信息的原始导出。",
    ),
    Rule(
        "multiple_patients",
        Severity.BLOCKER,
        "The upload holds images of more than one patient: {detail}.",
        "Confirm which images belong to this patient and remove the others.",
        "上传资料包含不止一位患者的影像：{detail}。",
        "请确认哪些影像属于该患者，并删除其他影像。",
    ),
    Rule(
        "stale_imaging",
        Severity.MAJOR,
        "The latest imaging ({detail}) is much older than the current symptoms.",
        "Updated imaging may be needed; ask the treating doctor.",
        "最近的影像（{detail}）明显早于目前的症状。",
        "可能需要更新影像检查；请咨询主治医生。",
    ),
    Rule(
        "unreadable_file",
        Severity.MAJOR,
        "{detail} cannot be used: {what}.",
        "Ask the sender for this file again.",
        "{detail}无法使用：{what}。",
        "请让发送者重新提供该文件。",
    ),
)

RULE_BY_CODE = {rule.code: rule for rule in RULES}

#: What each case type needs: a list of alternatives, each a set of requirements.
#: ``XR`` is a radiograph (CR/DX), ``XR_WB`` a weight-bearing radiograph. The words for
#: each are the labels ``imaging.need.<case type>`` of :mod:`workbench.i18n`.
REQUIRED_IMAGING: dict[str, dict[str, object]] = {
    "knee_replacement": {"needs": [{"XR_WB"}]},
    "hip_replacement": {"needs": [{"XR_WB"}]},
    "spine": {"needs": [{"MR", "XR"}]},
    "acl_meniscus": {"needs": [{"MR"}]},
    "shoulder": {"needs": [{"MR"}]},
    "fracture_revision": {"needs": [{"XR"}, {"CT"}]},
}

#: Case types whose question is about an operation.
SURGICAL_CASE_TYPES = frozenset(
    {
        "knee_replacement",
        "hip_replacement",
        "spine",
        "acl_meniscus",
        "shoulder",
        "fracture_revision",
    }
)

#: Imaging older than this before the latest clinical event is "stale".
STALE_IMAGING_DAYS = 365

#: Problem kinds that make a file unusable for the reviewer.
UNUSABLE_PROBLEMS = frozenset(
    {
        "truncated",
        "absurd_length",
        "too_deep",
        "invalid_sequence",
        "invalid_length",
        "unreadable_dicom",
        "reader_failed",
        "pixel_size_mismatch",
        "pixel_decode_failed",
        "unknown_transfer_syntax",
        "no_decoder",
        "not_dicom",
        "empty_file",
        "pdf_unreadable",
        "pdf_encrypted",
        "no_text_layer",
        "image_unreadable",
        "zip_corrupt",
        "docx_invalid",
        "binary_text",
    }
)
