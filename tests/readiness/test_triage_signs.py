"""Triage from the clinical lexicon: everyday phrasing, negation, urgent red flags, hardware."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pytest

from workbench.readiness.checks import GAP_COLUMNS
from workbench.readiness.triage import IN_PERSON, REMOTE_NOW, URGENT, triage
from workbench.record.manifest import Manifest, parse_manifest


def _studies() -> pd.DataFrame:
    return pd.DataFrame({"source": ["dicom"], "study_key": ["s1"]})


@dataclass
class FakeCase:
    """Just what triage reads: case.yaml, documents and studies."""

    manifest: Manifest
    documents: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["path", "doc_type", "text"])
    )
    studies: pd.DataFrame = field(default_factory=_studies)


NO_GAPS = pd.DataFrame(columns=GAP_COLUMNS)


def _triage(yaml_text: str, documents: pd.DataFrame | None = None):
    case = FakeCase(parse_manifest(yaml_text))
    if documents is not None:
        case.documents = documents
    return triage(case, NO_GAPS)  # type: ignore[arg-type]


ACL = """\
case_type: acl_meniscus
main_concern: Left knee injury playing football
pain_history:
  location: left knee
  pattern: [knee gave way twice on stairs]
treatments:
  - {kind: physiotherapy, start: 2024-01, response: still feels unstable}
questions: ["Do I need a reconstruction?"]
"""


def test_acl_case_that_gives_way_goes_in_person_and_quotes_the_patient():
    t = _triage(ACL)
    assert t.decision == IN_PERSON
    assert t.signs == ("instability",)
    assert "knee gave way twice on stairs" in t.reasons[0]
    zh = t.reasons_in("zh")
    assert zh[0].startswith("关节不稳或打软腿") and "疼痛特点" in zh[0]
    assert t.label("zh") == "建议面诊查体"


def test_the_treatment_response_alone_is_read():
    t = _triage(ACL.replace("[knee gave way twice on stairs]", "[pain on stairs]"))
    assert t.decision == IN_PERSON
    assert "the response to physiotherapy says" in t.reasons[0]
    assert "康复理疗的治疗反应" in t.reasons_in("zh")[0]


@pytest.mark.parametrize(
    "pattern",
    ["no giving way, no locking", "numbness has resolved", "used to give way before the brace"],
)
def test_negated_or_past_signs_leave_a_remote_review(pattern):
    t = _triage(
        ACL.replace("[knee gave way twice on stairs]", f"[{pattern}]").replace(
            "still feels unstable", "much better"
        )
    )
    assert t.decision == REMOTE_NOW, t.reasons


PLATEAU = """\
case_type: fracture_revision
main_concern: Right tibial plateau fracture, operated in 2023, slow to recover
surgeries:
  - {date: 2023-05, procedure: ORIF of the tibial plateau, implants: [lateral locking plate]}
questions: ["Is the template of my rehab right?"]
"""


def test_tibial_plateau_is_not_hardware_but_a_loose_plate_is():
    assert _triage(PLATEAU).decision == REMOTE_NOW
    loose = _triage(PLATEAU.replace("slow to recover", "the plate feels loose"))
    assert loose.decision == IN_PERSON and loose.signs == ("hardware",)


def test_hardware_words_need_an_operation():
    text = "case_type: knee_replacement\nmain_concern: Will an implant last 20 years?\n"
    assert _triage(text).decision == REMOTE_NOW


@pytest.mark.parametrize(
    ("pattern", "sign"),
    [
        ("new loss of bladder control since Monday", "cauda_equina"),
        ("numbness in the saddle area", "cauda_equina"),
        ("近三天排尿困难", "cauda_equina"),
        ("sudden weakness of the right leg yesterday", "sudden_weakness"),
    ],
)
def test_red_flags_are_urgent(pattern, sign):
    t = _triage(f'main_concern: Low back pain\npain_history:\n  pattern: ["{pattern}"]\n')
    assert t.decision == URGENT and sign in t.signs
    assert t.label("zh").startswith("建议尽快线下就医")


def test_combinations_need_both_parts():
    one = "main_concern: Knee pain\npain_history:\n  pattern: [{}]\n"
    assert _triage(one.format("fever last week")).decision == REMOTE_NOW
    t = _triage(one.format("fever last week, knee hot and swollen"))
    assert t.decision == URGENT and "infection" in t.signs
    t = _triage(one.format("pain at night; lost 8 kg since spring"))
    assert t.decision == URGENT and "night_pain_weight_loss" in t.signs
    assert _triage(one.format("pain at night; no weight loss")).decision == REMOTE_NOW


def test_signs_in_a_clinic_note_count_but_not_in_an_imaging_report():
    docs = pd.DataFrame(
        {
            "path": ["clinic.txt", "mri.txt"],
            "doc_type": ["outpatient_note", "imaging_report"],
            "text": ["Assessment: the knee locks when squatting.", "No instability signs."],
        }
    )
    t = _triage("main_concern: Knee pain\n", docs)
    assert t.decision == IN_PERSON and "clinic.txt" in t.reasons[0]
    docs["doc_type"] = ["imaging_report", "imaging_report"]
    assert _triage("main_concern: Knee pain\n", docs).decision == REMOTE_NOW
