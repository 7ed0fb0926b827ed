"""Bilingual through and through, on the Chinese lumbar sample: the template's headings,
gap bullets and notes in Chinese; the reviewer's own text never translated."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from workbench import samples
from workbench.case import open_case
from workbench.export.localize import gap_text
from workbench.export.opinion import export_opinion
from workbench.i18n import LABELS, label
from workbench.notebook.build import ANSWER_PLACEHOLDER, build_review_notebook
from workbench.notebook.contract import CellTag, cell_meta, cell_tags
from workbench.readiness.rules import RULES

OWN = "The reviewer's own English words stay as written."


@pytest.fixture(scope="module")
def lumbar(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("lumbar")
    case = open_case(samples.path("lumbar_spine_zh"), workspace=root / "ws")
    path = build_review_notebook(case, root / "review.ipynb")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if CellTag.ANSWER in cell_tags(cell):
            cell.source = cell.source.replace(ANSWER_PLACEHOLDER, OWN)
        elif cell_meta(cell).get("template"):
            cell.source = cell.source.split("\n", 1)[0] + f"\n\n{OWN}"
    nbformat.write(nb, path)
    return path, case


def test_every_gap_code_has_chinese_text() -> None:
    assert {r.code for r in RULES} <= {k.removeprefix("export.gap.") for k in LABELS}


def test_zh_page_headings_gaps_and_notes_in_chinese(lumbar) -> None:
    path, case = lumbar
    html = export_opinion(path, path.with_name("zh.html"), lang="zh", dicom=False).read_text()
    for key in ("notebook.section.questions", "notebook.section.images",
                "notebook.section.missing", "notebook.section.limits", "export.disclaimer_title",
                "export.limits"):  # fmt: skip
        assert label(key, "zh") in html, key
    assert "What the images show" not in html and "Limits of this review" not in html
    assert len(case.gaps)
    for gap in case.gaps.itertuples(index=False):
        assert str(gap.message) not in html  # the English bullet is replaced
    zh_gap = gap_text({"gap": case.gaps["code"].iloc[0], "message": "x",
                       "study_key": case.gaps["study_key"].iloc[0]}, "zh", {})  # fmt: skip
    assert zh_gap.split("：")[-1][:4] in html
    assert OWN in html  # the reviewer's text is never machine-translated
    assert "这次复发是否一定要做融合手术" in html  # the patient's own question, as asked


def test_en_zh_page_has_both(lumbar) -> None:
    path, case = lumbar
    html = export_opinion(path, path.with_name("both.html"), lang="en+zh", dicom=False).read_text()
    assert "What the images show / 影像所见" in html
    assert "Limits of this review / 本审阅的局限" in html
    first = str(case.gaps["message"].iloc[0])
    assert first.split(":")[0] in html  # English message with its Chinese beside it
    assert OWN in html


def test_an_edited_gap_bullet_is_the_reviewers_and_stays(lumbar, tmp_path: Path) -> None:
    path, case = lumbar
    nb = nbformat.read(path, as_version=4)
    missing = next(c for c in nb.cells if cell_meta(c).get("section") == "missing")
    first = str(case.gaps["message"].iloc[0])
    missing.source = missing.source.replace(first, first + " Please send it.")
    edited = tmp_path / "review.ipynb"
    nb.metadata["workbench"]["case_source"] = str(case.source)
    nb.metadata["workbench"]["workspace"] = str(case.workspace)
    nbformat.write(nb, edited)
    html = export_opinion(edited, lang="zh", dicom=False).read_text()
    assert "Please send it." in html


def test_study_in_a_gap_bullet_is_named_in_chinese_with_its_date() -> None:
    study = {"modality": "MR", "date": "2024-05-06", "body_part": "lumbar_spine", "side": None}
    text = gap_text({"gap": "missing_report", "study_key": "s", "message": "MR ..."}, "zh",
                    {"s": study})  # fmt: skip
    assert text == "2024年5月6日的腰椎磁共振没有对应的影像报告。"
