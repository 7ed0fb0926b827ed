"""Readiness rules the seeds imply, and a summary that says what is known, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import COMPLETE_KNEE_YAML, complete_knee_folder, write_pdf

from workbench.case import open_case

BASE = COMPLETE_KNEE_YAML
REPORT = ["RADIOLOGY REPORT", "Exam date: 2024-03-10", "X-RAY RIGHT KNEE STANDING", "OA."]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return complete_knee_folder(tmp_path / "case", REPORT)


def _open(root: Path, tmp_path: Path, yaml_text: str | None = None):
    if yaml_text is not None:
        (root / "case.yaml").write_text(yaml_text, encoding="utf-8")
    return open_case(root, workspace=tmp_path / "ws")


def _gap(case, code: str):
    rows = case.gaps[case.gaps["code"] == code]
    assert len(rows) == 1, case.gaps[["code", "message"]].to_string()
    return rows.iloc[0]


def test_the_base_case_has_no_gap(folder, tmp_path):
    assert _open(folder, tmp_path).gaps.empty


@pytest.mark.parametrize(
    ("pattern", "gap"),
    [
        ("swelling after walking", True),
        ("fevers at night", True),
        ("膝关节肿胀", True),
        ("no swelling", False),
        ("swelling has settled", False),
    ],
)
def test_swelling_or_fever_without_labs_is_a_gap(folder, tmp_path, pattern, gap):
    case = _open(folder, tmp_path, BASE.replace("[pain after activity]", f'["{pattern}"]'))
    assert ("missing_labs" in set(case.gaps["code"])) is gap
    if gap:
        row = _gap(case, "missing_labs")
        assert row["severity"] == "minor" and "化验" in row["message_zh"]


def test_lab_results_close_the_labs_gap(folder, tmp_path):
    write_pdf(folder / "bloods.pdf", ["LABORATORY REPORT", "Collection date: 2024-03-01", "CRP 4"])
    case = _open(folder, tmp_path, BASE.replace("[pain after activity]", "[swelling]"))
    assert "missing_labs" not in set(case.gaps["code"])


def test_a_report_the_reviewer_cannot_read_needs_a_summary(folder, tmp_path):
    write_pdf(folder / "report.pdf", ["Radiology report", "Exam date: 2024-03-10"])
    zh = folder / "mri_zh.txt"
    zh.write_text(
        "磁共振检查报告\n检查日期：2024年3月12日\n右膝关节MRI\n印象：半月板撕裂。\n", "utf-8"
    )
    case = _open(folder, tmp_path, "reviewer_language: en\n" + BASE)
    row = _gap(case, "untranslated_document")
    assert "mri_zh.txt" in row["message"] and "Chinese" in row["message"]
    assert "中文" in row["message_zh"]
    (folder / "mri_en.txt").write_text(
        "MRI REPORT (translation)\nExam date: 2024-03-12\nRIGHT KNEE MRI\nImpression: tear.\n",
        "utf-8",
    )
    case = open_case(folder, workspace=tmp_path / "ws2")
    assert "untranslated_document" not in set(case.gaps["code"])


def test_imaging_of_another_region_is_a_gap(folder, tmp_path):
    text = BASE.replace("{body_part: knee, side: right}", "{body_part: hip, side: right}")
    row = _gap(_open(folder, tmp_path, text), "imaging_wrong_region")
    assert "hip" in row["message"] and "knee" in row["message"]
    assert "髋关节" in row["message_zh"] and "膝关节" in row["message_zh"]


def test_a_painful_knee_replacement_needs_its_implants(folder, tmp_path):
    text = BASE.replace("onset_kind: gradual", "onset_kind: after_surgery") + (
        "surgeries:\n  - {date: 2021-02, procedure: right total knee replacement}\n"
    )
    case = _open(folder, tmp_path, text)
    assert "right total knee replacement" in _gap(case, "missing_implant_details")["message"]
    no_entry = BASE.replace("onset_kind: gradual", "onset_kind: after_surgery")
    case = _open(folder, tmp_path, no_entry)
    assert "missing_implant_details" in set(case.gaps["code"])


def test_an_unreadable_report_is_not_called_missing(folder, tmp_path):
    (folder / "report.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    case = _open(folder, tmp_path)
    codes = set(case.gaps["code"])
    assert "unreadable_file" in codes and "missing_report" not in codes


def test_stale_imaging_names_what_changed_after_it(folder, tmp_path):
    text = BASE + (
        "events:\n  - {date: 2026-01, kind: symptom, label: sudden worsening after a fall}\n"
    )
    row = _gap(_open(folder, tmp_path, text), "stale_imaging")
    assert "2024-03-10" in row["message"] and "sudden worsening after a fall" in row["message"]
    assert "(2026-01)" in row["message"] and "before the symptoms began" not in row["message"]
    assert "此后" in row["message_zh"]


def test_a_month_date_keeps_its_precision_and_its_place(folder, tmp_path):
    text = (
        BASE.replace(
            "  - {kind: injection, date: 2023-06-01, response: six weeks relief}",
            "  - {kind: injection, date: 2023-03, response: six weeks relief}",
        )
        + "events:\n  - {date: 2023-03-15, kind: visit, label: clinic visit, injection advised}\n"
    )
    case = _open(folder, tmp_path, text)
    tl = case.timeline
    kinds = list(tl[tl["date"].dt.year == 2023]["kind"])
    assert kinds == ["visit", "treatment"]
    md = str(case.summary())
    assert "2023-03 · injection" in md and "2023-03-01" not in md
    assert "2022-05 · Onset" in md
    zh = str(case.summary("zh"))
    assert "2023-03 · 注射治疗" in zh and "2022-05 · 起病" in zh


def test_chinese_summary_is_chinese(folder, tmp_path):
    case = _open(folder, tmp_path, BASE.replace("[pain after activity]", "[swelling]"))
    zh = str(case.summary("zh"))
    for english in ("Onset", "Imaging report", "injection", "The account", "Remote review"):
        assert english not in zh, english
    assert "右膝关节 X线（DX）（站立位）" in zh and "影像报告" in zh and "次要" in zh


def test_a_disputed_side_is_shown_as_disputed(folder, tmp_path):
    write_pdf(folder / "report.pdf", ["RADIOLOGY REPORT", "Exam date: 2024-03-10", "LEFT KNEE"])
    case = _open(folder, tmp_path)
    md = str(case.summary())
    assert "RIGHT? report says LEFT" in md
    assert "右？报告为左" in str(case.summary("zh"))
    assert "nan" not in md.lower().replace("nance", "")
