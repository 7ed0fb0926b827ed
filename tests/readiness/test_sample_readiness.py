"""Quality bar: on every sample case the gaps are exactly the ones it was built to contain."""

from __future__ import annotations

import pytest

from workbench import open_case, samples

EXPECTED = {
    # complete case: only the 2023 films lack a report; "intermittent swelling" in the
    # pain pattern and no lab results (DOMAIN.md: lab tests matter when there is swelling)
    "knee_oa_right": {("missing_report", "minor"), ("missing_labs", "minor")},
    # Chinese lumbar case: function not described, X-ray report and physio response missing
    "lumbar_spine_zh": {("no_function", "major"), ("missing_report", "minor"),
                        ("no_treatment_response", "minor")},
    # messy upload: left images vs a report saying right, a photo instead of DICOM,
    # no case.yaml, a truncated file, an undated photo, the CT without report
    "messy_upload": {("side_conflict", "blocker"), ("missing_dicom", "major"),
                     ("no_case_yaml", "major"), ("undated", "major"),
                     ("unreadable_file", "major"), ("missing_report", "minor")},
}  # fmt: skip
TRIAGE = {
    "knee_oa_right": "remote_now",
    "lumbar_spine_zh": "in_person",  # leg pain and numbness after lumbar surgery
    "messy_upload": "remote_after_records",
}


@pytest.fixture(scope="module", params=samples.names())
def sample(request, tmp_path_factory):
    name = request.param
    return name, open_case(samples.path(name), workspace=tmp_path_factory.mktemp(name))


def test_gaps_are_exactly_the_planted_ones(sample):
    name, case = sample
    assert set(zip(case.gaps["code"], case.gaps["severity"], strict=True)) == EXPECTED[name]


def test_triage(sample):
    name, case = sample
    assert case.triage().decision == TRIAGE[name]


def test_side_conflict_only_in_the_messy_case(sample):
    name, case = sample
    conflicts = case.gaps[case.gaps["code"] == "side_conflict"]
    if name != "messy_upload":
        assert conflicts.empty
        return
    (message,) = conflicts["message"]
    assert "right: report 'upload.zip/report_knee.pdf'" in message
    assert "DICOM Laterality of 'KNEE LT AP'" in message


def test_complete_case_is_ready_and_the_messy_one_is_not(sample):
    name, case = sample
    assert case.ready_for_review() == (name != "messy_upload")


def test_sample_tables(sample):
    name, case = sample
    if name == "knee_oa_right":
        dx = case.studies[case.studies["modality"] == "DX"]
        assert list(dx["side"]) == ["right", "right"] and dx["weight_bearing"].all()
        assert case.studies["has_report"].sum() == 2
    elif name == "lumbar_spine_zh":
        assert set(case.instances["PatientName"]) == {"Demo^Lumbar=演示^腰椎"}
        assert (case.documents["language"] == "zh").any()
        assert "operation_note" in set(case.documents["doc_type"])
    else:
        kinds = set(case.problems["kind"])
        assert {"truncated"} <= kinds
        assert (case.files["kind"] == "junk").sum() == 2
        assert (case.files["kind"] == "dicomdir").sum() == 1
