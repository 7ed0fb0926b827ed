"""The pain map in the laterality cross-check; function, scores and the summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import dx_knee

from workbench.case import open_case

BASE = """\
case_type: knee_replacement
main_concern: Knee pain
pain_history: {onset: 2024-01, onset_kind: gradual}
"""


@pytest.fixture
def knee(tmp_path: Path) -> Path:
    root = tmp_path / "case"
    root.mkdir()
    dx_knee(root / "knee.dcm", side="R", date="20240310", description="KNEE AP STANDING")
    return root


def open_with(root: Path, yaml_text: str, tmp_path: Path):
    (root / "case.yaml").write_text(yaml_text, encoding="utf-8")
    return open_case(root, workspace=tmp_path / "ws")


def test_pain_map_side_reaches_the_cross_check(knee, tmp_path):
    text = BASE + "pain_map:\n  - {region: knee_medial, side: left, kind: pain}\n"
    case = open_with(knee, text, tmp_path)
    conflict = case.gaps[case.gaps["code"] == "side_conflict"]
    assert len(conflict) == 1
    message = conflict.iloc[0]["message"]
    assert "left: pain map in case.yaml: left knee" in message
    assert "right: DICOM Laterality" in message


def test_pain_map_on_another_body_part_or_both_sides_is_no_conflict(knee, tmp_path):
    hip = BASE + "pain_map:\n  - {region: hip_groin, side: left}\n"
    assert "side_conflict" not in set(open_with(knee, hip, tmp_path).gaps["code"])
    both = BASE + (
        "pain_map:\n  - {region: knee_medial, side: left}\n"
        "  - {region: anterior_knee, side: right}\n"
    )
    assert "side_conflict" not in set(open_with(knee, both, tmp_path / "b").gaps["code"])
    agree = BASE + "pain_map:\n  - {region: knee_lateral, side: right}\n"
    assert "side_conflict" not in set(open_with(knee, agree, tmp_path / "c").gaps["code"])


def test_no_function_unless_text_numbers_or_score(knee, tmp_path):
    case = open_with(knee, BASE, tmp_path)
    gap = case.gaps[case.gaps["code"] == "no_function"]
    assert len(gap) == 1 and "no outcome score" in gap.iloc[0]["message"]
    numbers = BASE + "function: {walking_distance_m: 300}\n"
    assert "no_function" not in set(open_with(knee, numbers, tmp_path / "n").gaps["code"])
    score = BASE + "scores:\n  - {instrument: pain_nrs, date: 2024-02, answers: {nrs: 6}}\n"
    assert "no_function" not in set(open_with(knee, score, tmp_path / "s").gaps["code"])


def test_score_older_than_the_latest_symptom_change_is_noted(knee, tmp_path):
    text = BASE + (
        "events:\n  - {date: 2024-06-01, kind: symptom, label: new swelling}\n"
        "scores:\n  - {instrument: pain_nrs, date: 2024-02, answers: {nrs: 6}}\n"
    )
    case = open_with(knee, text, tmp_path)
    stale = case.gaps[case.gaps["code"] == "stale_score"]
    assert len(stale) == 1 and "pain_nrs 2024-02" in stale.iloc[0]["message"]
    assert "2024-06-01" in stale.iloc[0]["message"]
    fresh = text.replace("date: 2024-02,", "date: 2024-07,")
    assert "stale_score" not in set(open_with(knee, fresh, tmp_path / "f").gaps["code"])


def test_summary_shows_the_story_in_both_languages(knee, tmp_path):
    text = BASE + (
        "function: {walking_distance_m: 300, stairs: one_at_a_time}\n"
        "medications:\n"
        "  - {name: celecoxib, dose: 200 mg, since: 2024-02, side_effects: [nausea]}\n"
        "labs:\n  - {test: CRP, value: '3', unit: mg/L, reference_range: '<5', date: 2024-03-01}\n"
        "pain_map:\n  - {region: knee_medial, side: right, kind: pain}\n"
        "scores:\n  - {instrument: pain_nrs, date: 2024-02, answers: {nrs: 6}}\n"
    )
    case = open_with(knee, text, tmp_path)
    en = str(case.summary()).replace("\\", "")  # Markdown escapes (\:) removed
    assert "### Medications" in en and "celecoxib · 200 mg · since 2024-02" in en
    assert "side effects: nausea" in en
    assert "CRP · 3 mg/L · reference <5 · 2024-03-01" in en
    assert "right inner knee · pain" in en and "Walking distance (m): 300" in en
    assert "2024-02 · pain_nrs: pain 6" in en
    zh = str(case.summary(lang="zh")).replace("\\", "")
    assert "### 用药" in zh and "右 膝内侧 · 疼痛" in zh and "一步一级上下楼" in zh
    html = case.summary()._repr_html_()
    assert "<h3>Pain map</h3>" in html


def test_review_notebook_draws_the_pain_map_only_when_there_is_one(knee, tmp_path):
    import nbformat

    from workbench.notebook.build import build_review_notebook

    def sources(case, name):
        path = build_review_notebook(case, tmp_path / name)
        return [c.source for c in nbformat.read(path, as_version=4).cells]

    marked = open_with(knee, BASE + "pain_map:\n  - {region: knee_medial, side: right}\n", tmp_path)
    assert "workbench.plot_pain_map(case)" in sources(marked, "a.ipynb")
    plain = open_with(knee, BASE, tmp_path / "p")
    assert "workbench.plot_pain_map(case)" not in sources(plain, "b.ipynb")


def test_lab_document_table_reaches_the_summary(knee, tmp_path):
    from builders import write_pdf

    write_pdf(
        knee / "lab.pdf",
        [
            "LABORATORY REPORT",
            "Date: 2024-04-02",
            "Test Result Unit Reference range",
            "CRP 12.5 mg/L 0-5",
            "ESR 30 mm/h 0-20",
            "Comment: repeat in four weeks",
        ],
    )
    case = open_with(knee, BASE, tmp_path)
    assert "lab" in set(case.documents["doc_type"])
    text = str(case.summary()).replace("\\", "")
    assert "CRP · 12.5 mg/L · reference 0-5 · 2024-04-02 · (lab.pdf)" in text
    assert "ESR · 30 mm/h · reference 0-20" in text
