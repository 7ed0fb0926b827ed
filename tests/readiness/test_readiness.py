"""Record gaps, the laterality cross-check, triage, the summary, the organized copy, `check`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from builders import COMPLETE_KNEE_YAML as COMPLETE_YAML
from builders import complete_knee_folder, dx_knee, knee_case_folder, write_pdf
from conftest import checksums

from workbench.case import open_case
from workbench.cli.main import EXIT_BLOCKERS, main
from workbench.errors import WorkspaceError
from workbench.readiness.rules import RULES


@pytest.fixture
def complete_case(tmp_path: Path) -> Path:
    report = [
        "RADIOLOGY REPORT",
        "Exam date: 2024-03-10",
        "X-RAY RIGHT KNEE STANDING",
        "Impression: osteoarthritis.",
    ]
    return complete_knee_folder(tmp_path / "case", report)


def codes(case) -> set[str]:
    return set(case.gaps["code"])


def test_rules_table_is_complete_and_stable():
    assert len({r.code for r in RULES}) == len(RULES)
    assert {r.severity for r in RULES} <= {"blocker", "major", "minor"}
    for rule in RULES:
        assert rule.message and rule.advice


def test_complete_case_has_no_gap_and_is_ready(complete_case, tmp_path):
    case = open_case(complete_case, workspace=tmp_path / "ws")
    assert codes(case) == set(), case.gaps.to_string()
    assert case.ready_for_review()
    assert case.triage().decision == "remote_now"
    assert list(case.gaps.columns) == [
        *["code", "severity", "message", "advice", "study_key"],
        *["message_zh", "advice_zh"],
    ]


def test_gaps_of_an_incomplete_case(tmp_path):
    case = open_case(knee_case_folder(tmp_path / "case"), workspace=tmp_path / "ws")
    assert codes(case) == {
        "missing_dicom",
        "no_function",
        "no_pain_timeline",
        "no_proposed_treatment",
        "no_treatment_response",
    }
    mri = case.gaps[case.gaps["code"] == "missing_dicom"].iloc[0]
    assert mri["study_key"].startswith("rp-") and mri["severity"] == "major"
    assert case.triage().decision == "remote_after_records"


def test_knee_replacement_without_standing_film_is_a_blocker(complete_case, tmp_path):
    dx_knee(complete_case / "knee.dcm", side="R", date="20240310", description="KNEE RT AP")
    case = open_case(complete_case, workspace=tmp_path / "ws")
    assert "missing_weight_bearing" in codes(case)
    assert not case.ready_for_review()


def test_side_conflict_names_every_source(complete_case, tmp_path):
    write_pdf(
        complete_case / "report.pdf",
        ["RADIOLOGY REPORT", "Exam date: 2024-03-10", "X-RAY LEFT KNEE STANDING"],
    )
    case = open_case(complete_case, workspace=tmp_path / "ws")
    conflict = case.gaps[case.gaps["code"] == "side_conflict"]
    assert len(conflict) == 1 and conflict.iloc[0]["severity"] == "blocker"
    message = conflict.iloc[0]["message"]
    left, right = message.split("left: ")[1].split("; right: ")
    assert "report 'report.pdf'" in left
    assert "DICOM Laterality of 'KNEE RT AP STANDING'" in right
    assert "complaint in case.yaml" in right


def test_bilateral_film_is_not_a_conflict(complete_case, tmp_path):
    dx_knee(
        complete_case / "knee.dcm",
        side="B",
        date="20240310",
        description="BILATERAL KNEES STANDING",
    )
    case = open_case(complete_case, workspace=tmp_path / "ws")
    assert "side_conflict" not in codes(case)


def test_missing_side_and_undated(complete_case, tmp_path):
    dx_knee(complete_case / "knee.dcm", side="", date="", description="KNEE AP STANDING")
    case = open_case(complete_case, workspace=tmp_path / "ws")
    assert {"missing_side", "undated"} <= codes(case)
    assert case.studies.loc[case.studies["source"] == "dicom", "date"].isna().all()


def test_post_surgery_concern_without_operation_note(complete_case, tmp_path):
    text = (
        COMPLETE_YAML + "surgeries:\n  - {date: 2024-06-01, procedure: arthroscopy, side: right}\n"
    )
    (complete_case / "case.yaml").write_text(text, encoding="utf-8")
    case = open_case(complete_case, workspace=tmp_path / "ws")
    assert {"missing_operation_note", "missing_postop_imaging"} <= codes(case)


def test_in_person_triage_cites_the_patient(complete_case, tmp_path):
    text = COMPLETE_YAML.replace("[pain after activity]", "[knee gives way on stairs, locking]")
    (complete_case / "case.yaml").write_text(text, encoding="utf-8")
    case = open_case(complete_case, workspace=tmp_path / "ws")
    t = case.triage()
    assert t.decision == "in_person"
    assert any("giving way" in r and "knee gives way on stairs" in r for r in t.reasons)


def test_question_count_and_missing_yaml(complete_case, tmp_path):
    (complete_case / "case.yaml").unlink()
    case = open_case(complete_case, workspace=tmp_path / "ws")
    assert codes(case) == {"no_case_yaml"}


def test_summary_html_escapes_and_speaks_chinese(complete_case, tmp_path):
    text = COMPLETE_YAML.replace("Right knee pain for three years", "<script>alert(1)</script>")
    (complete_case / "case.yaml").write_text(text, encoding="utf-8")
    case = open_case(complete_case, workspace=tmp_path / "ws")
    html = case.summary()._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    for label in (
        "Main concern",
        "Timeline",
        "Imaging",
        "Function",
        "Treatment tried",
        "Questions",
        "What is missing",
        "Triage",
    ):
        assert label in html
    zh = case.summary("zh")._repr_markdown_()
    assert "影像检查" in zh and "膝关节" in zh and "| 2024-03-10 | X线（DX）（站立位） |" in zh


def test_organize_copies_verified_and_idempotent(complete_case, tmp_path):
    before = checksums(complete_case)
    case = open_case(complete_case, workspace=tmp_path / "ws")
    dest = tmp_path / "organized"
    assert (
        main(["organize", str(complete_case), str(dest), "--workspace", str(tmp_path / "ws")]) == 0
    )
    manifest = pd.read_csv(dest / "MANIFEST.csv", encoding="utf-8-sig")
    assert set(manifest["copy"]) == {
        "2024-03-10_DX_knee_right/01_KNEE-RT-AP-STANDING/0001.dcm",
        "2024-03-10_DX_knee_right/report_report.pdf",
    }
    assert set(manifest["sha256"]) == set(
        case.files.set_index("path").loc[["knee.dcm", "report.pdf"], "sha256"]
    )
    assert (dest / "summary.html").read_text().count("<script") == 0
    first = checksums(dest)
    main(["organize", str(complete_case), str(dest), "--workspace", str(tmp_path / "ws")])
    assert checksums(dest) == first
    assert checksums(complete_case) == before
    with pytest.raises(WorkspaceError, match="inside the case source"):
        from workbench.organize import organize

        organize(case, complete_case / "out")


def test_check_exit_codes_and_json(complete_case, tmp_path, capsys):
    assert main(["check", str(complete_case), "--workspace", str(tmp_path / "ws")]) == 0
    assert "Status: ready for review" in capsys.readouterr().out
    dx_knee(complete_case / "knee.dcm", side="L", date="20240310", description="KNEE LT AP")
    rc = main(["check", str(complete_case), "--workspace", str(tmp_path / "ws"), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert rc == EXIT_BLOCKERS and payload["ready"] is False
    assert "side_conflict" in {g["code"] for g in payload["gaps"]}
