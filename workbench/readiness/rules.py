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


class Rule(NamedTuple):
    code: str
    severity: str
    message: str
    advice: str


RULES: tuple[Rule, ...] = (
    # --- imaging ---------------------------------------------------------------------
    Rule(
        "missing_dicom",
        "major",
        "{study} is known only from a {source}; the original images were not sent.",
        "Ask the hospital for the original DICOM images of this study (a CD or download "
        "link), not photos or screenshots.",
    ),
    Rule(
        "missing_report",
        "minor",
        "{study} has no matching radiologist's report.",
        "Send the written report of this study if there is one.",
    ),
    Rule(
        "undated",
        "major",
        "{what} has no date.",
        "Add the date of the examination; findings change after injury, surgery or "
        "treatment, so order matters.",
    ),
    Rule(
        "missing_side",
        "major",
        "{study} does not say which side (left or right) was imaged.",
        "Confirm the side with the hospital or the patient; left/right errors are dangerous "
        "in surgical planning.",
    ),
    Rule(
        "side_conflict",
        "blocker",
        "{study}: the records disagree about the side: {detail}.",
        "Resolve which side is meant before the review (ask the hospital to check the "
        "images and the report). The reviewer must acknowledge this in the notebook.",
    ),
    Rule(
        "missing_core_imaging",
        "blocker",
        "For a {case_type} question the reviewer needs {detail}, which is not among the "
        "original images.",
        "Ask for these images (original DICOM); without them a firm view is not possible.",
    ),
    Rule(
        "missing_weight_bearing",
        "blocker",
        "No weight-bearing (standing) X-ray of the {body_part} among the original images.",
        "Ask for standing X-rays of the {body_part}: joint space narrows under load, so lying "
        "films underestimate wear.",
    ),
    Rule(
        "missing_operation_note",
        "major",
        "The concern follows surgery ({detail}) but no operation note was sent.",
        "Send the operation record: procedure, implants and plan are unknown without it.",
    ),
    Rule(
        "missing_postop_imaging",
        "major",
        "No imaging after the operation of {detail}.",
        "Send the most recent imaging taken after the operation.",
    ),
    Rule(
        "missing_implant_details",
        "major",
        "The implants used in the operation of {detail} are not recorded.",
        "Add the implant details (make, model, size) from the operation note or implant card.",
    ),
    # --- clinical record -------------------------------------------------------------
    Rule(
        "no_case_yaml",
        "major",
        "There is no case.yaml: the pain history, treatments and the patient's questions "
        "are missing.",
        "Fill in the intake form (workbench new-case, or IntakeForm in the notebook).",
    ),
    Rule(
        "no_pain_timeline",
        "major",
        "The pain history has no onset date or location.",
        "Describe where it hurts, since when, and how it started (injury, gradual, after surgery).",
    ),
    Rule(
        "no_treatment_history",
        "major",
        "No treatment tried is recorded.",
        "List what was tried (physiotherapy, injections, bracing, medication) with dates.",
    ),
    Rule(
        "no_treatment_response",
        "minor",
        "The response to {detail} is not recorded.",
        "Say for each treatment whether it helped, for how long, and what did not.",
    ),
    Rule(
        "no_function",
        "major",
        "Current function (walking, stairs, work, sport, sleep) is not described.",
        "Describe what the patient can and cannot do today.",
    ),
    Rule(
        "too_few_questions",
        "major",
        "Only {detail} question(s) for the reviewer.",
        "Write three to five specific questions (e.g. 'Can the replacement wait a year?').",
    ),
    Rule(
        "too_many_questions",
        "minor",
        "{detail} questions for the reviewer.",
        "Keep the three to five questions that matter most.",
    ),
    Rule(
        "no_proposed_treatment",
        "major",
        "The question is about surgery but the proposed treatment is not stated.",
        "Write down what the treating surgeon proposed, in their words.",
    ),
    # --- media quality ---------------------------------------------------------------
    Rule(
        "lossy_compression",
        "minor",
        "{study} was sent with lossy compression.",
        "If possible, ask for an uncompressed (original quality) export.",
    ),
    Rule(
        "screenshot_not_original",
        "major",
        "{study} holds secondary-capture or screenshot images instead of the original "
        "modality images.",
        "Ask for the original images from the scanner (DICOM), not screen captures.",
    ),
    Rule(
        "missing_pixel_spacing",
        "minor",
        "{study} has no pixel spacing: lengths cannot be measured in mm.",
        "Ask for the original export from the X-ray system, which carries the calibration.",
    ),
    Rule(
        "multiple_patients",
        "blocker",
        "The upload holds images of more than one patient: {detail}.",
        "Confirm which images belong to this patient and remove the others.",
    ),
    Rule(
        "stale_imaging",
        "major",
        "The latest imaging ({detail}) is much older than the current symptoms.",
        "Updated imaging may be needed; ask the treating doctor.",
    ),
    Rule(
        "unreadable_file",
        "major",
        "{detail} cannot be used: {what}.",
        "Ask the sender for this file again.",
    ),
)

RULE_BY_CODE = {rule.code: rule for rule in RULES}

#: What each case type needs: a list of alternatives, each a set of requirements.
#: ``XR`` is a radiograph (CR/DX), ``XR_WB`` a weight-bearing radiograph.
REQUIRED_IMAGING: dict[str, dict[str, object]] = {
    "knee_replacement": {"needs": [{"XR_WB"}], "text": "weight-bearing X-rays of the knee"},
    "hip_replacement": {"needs": [{"XR_WB"}], "text": "weight-bearing X-rays of the hip"},
    "spine": {"needs": [{"MR", "XR"}], "text": "an MRI and X-rays of the spine"},
    "acl_meniscus": {"needs": [{"MR"}], "text": "an MRI of the knee"},
    "shoulder": {"needs": [{"MR"}], "text": "an MRI of the shoulder"},
    "fracture_revision": {"needs": [{"XR"}, {"CT"}], "text": "X-rays or a CT"},
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
