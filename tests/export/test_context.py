"""The export prepared ahead (while a kernel runs) makes the page the plain export makes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from builders import knee_case_folder
from test_export import fill

from workbench.case import open_case
from workbench.errors import ExportError
from workbench.export.context import ExportContext, prepare_export
from workbench.export.opinion import export_opinion
from workbench.notebook.build import build_review_notebook


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    case = open_case(knee_case_folder(tmp_path / "case"), workspace=tmp_path / "ws")
    path = build_review_notebook(case, tmp_path / "review.ipynb")
    fill(path)
    return path


def test_prepared_export_gives_the_same_page(filled, tmp_path):
    context = prepare_export(filled)
    assert context.case is not None and context.exporter is not None
    plain = export_opinion(filled, tmp_path / "plain.html", dicom=False)
    prepared = export_opinion(filled, tmp_path / "prepared.html", dicom=False, context=context)
    assert prepared.read_bytes() == plain.read_bytes()
    # the exporter is reused, its compiled templates with it: a second page is the same
    again = export_opinion(filled, tmp_path / "again.html", dicom=False, context=context)
    assert again.read_bytes() == plain.read_bytes()


def test_the_prepared_case_and_conflicts_are_used_only_for_their_own_notebook(filled, tmp_path):
    context = prepare_export(filled)
    # a side conflict the notebook has no acknowledged cell for: refused when used ...
    doctored = replace(context, conflicts=["st-not-acknowledged"])
    with pytest.raises(ExportError, match="st-not-acknowledged"):
        export_opinion(filled, tmp_path / "a.html", dicom=False, context=doctored)
    # ... and ignored for a notebook naming another case: the export opens its own
    elsewhere = replace(doctored, key=("../other-case", "../other-ws"))
    assert not elsewhere.matches({"case_source": "case", "workspace": "ws"})
    assert export_opinion(filled, tmp_path / "b.html", dicom=False, context=elsewhere).exists()


def test_refusals_still_apply_with_a_context(tmp_path):
    case = open_case(knee_case_folder(tmp_path / "case"), workspace=tmp_path / "ws")
    path = build_review_notebook(case, tmp_path / "review.ipynb")  # questions unanswered
    with pytest.raises(ExportError, match="has no"):
        export_opinion(path, context=prepare_export(path))


def test_a_notebook_without_a_reachable_case_prepares_an_empty_context(tmp_path):
    import nbformat

    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    context = prepare_export(path)
    assert isinstance(context, ExportContext) and context.case is None
    assert context.conflicts == []
