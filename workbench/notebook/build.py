"""The reviewer's case notebook, written with nbformat (notebook layer).

Cell tags are the contract with the export (:mod:`workbench.export.opinion`):

``workbench-hide``
    Working cells (set-up, tables, viewers): never exported.
``workbench-opinion``
    Markdown the patient reads. ``lang-zh`` marks the reviewer's Chinese version of a
    section (``metadata.workbench.section`` pairs it with the English one).
``workbench-answer``
    The answer to one patient question (``metadata.workbench.question`` is its index);
    export refuses while the placeholder is still there.
``workbench-figure``
    A code cell whose image outputs (key images) are exported with their captions.
``workbench-side-conflict``
    A left/right conflict the reviewer must tick as checked before export.
"""

from __future__ import annotations

import json
import os
import shlex
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from workbench.errors import WorkspaceError
from workbench.observer import current_observer, reviewer_folder
from workbench.safe_text import markdown_text
from workbench.workspace import atomic_write

if TYPE_CHECKING:
    from workbench.readiness.protocol import ReviewCase

ANSWER_PLACEHOLDER = "_Write your answer here._"
UNCHECKED = "- [ ] I have checked the side of this study against the images and the records."
OPINION_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("images", "What the images show", "_Describe what the original images show._"),
    ("match", "Do the images match the symptoms?", "_Say whether the images explain the "
     "symptoms described in the pain history._"),
    ("proposed", "About the proposed treatment", "_Is the proposed treatment supported by the "
     "images and the history? Is the timing right?_"),
    ("options", "Options without surgery", "_Which non-surgical options are reasonable?_"),
    ("missing", "What is missing and would change this view", ""),
    ("limits", "Limits of this review", "This is a review of the records and images sent. It "
     "cannot replace an examination in person (range of motion, stability, strength, nerves), "
     "it cannot promise outcomes, and it does not decide for you: it is information for you "
     "and your treating doctors."),
)  # fmt: skip


def _md(source: str, *tags: str, **meta: Any) -> Any:
    cell = new_markdown_cell(source)
    cell.metadata["tags"] = list(tags)
    if meta:
        cell.metadata["workbench"] = meta
    return cell


def _code(source: str, *tags: str, **meta: Any) -> Any:
    cell = new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    if meta:
        cell.metadata["workbench"] = meta
    return cell


def build_review_notebook(case: ReviewCase, path: str | Path) -> Path:
    """Write the case notebook for *case* to *path* (outputs empty; run it in JupyterLab).

    The reviewer (``JUPYTERHUB_USER`` or ``WORKBENCH_OBSERVER``, see
    :mod:`workbench.observer`) is recorded in the notebook's metadata and shown on
    the exported page. A notebook another reviewer already started is never
    overwritten; each reviewer has their own (:func:`reviewer_notebook_path`).

    Returns
    -------
    Path
        The written notebook.

    Raises
    ------
    WorkspaceError
        *path* is another reviewer's notebook.
    """
    path = Path(path)
    reviewer = current_observer()
    owner = notebook_metadata(path).get("reviewer", "") if path.is_file() else ""
    if owner and owner != reviewer:
        mine = reviewer_notebook_path(case.workspace, reviewer) if reviewer else None
        raise WorkspaceError(
            f"'{path}' is {owner}'s review notebook and is not overwritten"
            + (f"; write yours to '{mine}'." if mine else "; give another output path.")
        )
    m = case.manifest
    case_id = m.case_id or case.source.name
    source, workspace = _relative(case.source, path), _relative(case.workspace, path)
    cells = [
        _md(f"# Case review: {markdown_text(case_id)}\n\nRun all cells (Run ▸ Run All Cells). "
            "Cells tagged `workbench-hide` are for you only; the patient's page is made from the "
            f"opinion cells below: save, then run `workbench.export_opinion({path.name!r})` in a "
            f"cell (or `workbench export {shlex.quote(path.name)}` in this folder).",
            "workbench-hide"),
        _code("%matplotlib inline\nimport workbench\n\n"
              "# paths relative to this notebook: move the folder and it still opens\n"
              f"case = workbench.open_case({source!r}, workspace={workspace!r})\ncase",
              "workbench-hide", "workbench-setup"),
        _md("## Summary", "workbench-hide"),
        _code("case.summary()", "workbench-hide"),
        _md("## Imaging", "workbench-hide"),
        _code('case.studies[["date", "modality", "body_part", "side", "weight_bearing", '
              '"n_images", "has_original_dicom", "has_report", "facility", "source"]]',
              "workbench-hide"),
        _md("## Timeline", "workbench-hide"),
        _code("workbench.plot_timeline(case)", "workbench-hide"),
        _md("## Gaps and triage", "workbench-hide"),
        _code("case.gaps", "workbench-hide"),
        _code("case.triage()", "workbench-hide"),
    ]  # fmt: skip
    cells += _side_conflict_cells(case)
    cells += _viewer_cells(case)
    cells += [
        _md("## Key images\n\nIn a viewer cell, choose the frame and window, then "
            "`viewer.snapshot(caption=\"...\")` in a cell tagged `workbench-figure`.",
            "workbench-hide"),
        _code("# key images: e.g. viewer.snapshot(caption='Standing AP, medial joint space')",
              "workbench-figure"),
    ]  # fmt: skip
    cells += _opinion_cells(case)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["workbench"] = {
        "version": 1,
        "case_id": case_id,
        "case_source": source,
        "workspace": workspace,
        "reviewer": reviewer,
        "review_date": date.today().isoformat(),
        "questions": list(m.questions),
    }
    nbformat.validate(nb)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
    return path


def _relative(target: Path, notebook: Path) -> str:
    """*target* relative to the notebook's folder (absolute when no relative path exists)."""
    try:
        return os.path.relpath(Path(target).resolve(), notebook.resolve().parent)
    except ValueError:  # another drive
        return str(Path(target).resolve())


def _side_conflict_cells(case: ReviewCase) -> list[Any]:
    conflicts = case.gaps[case.gaps["code"] == "side_conflict"]
    return [
        _md(f"**Side conflict** ({markdown_text(row.study_key)}): {markdown_text(row.message)}"
            f"\n\n{UNCHECKED}",
            "workbench-hide", "workbench-side-conflict", study_key=row.study_key)
        for row in conflicts.itertuples(index=False)
    ]  # fmt: skip


def _viewer_cells(case: ReviewCase) -> list[Any]:
    from workbench.view.comparison import pick_comparison_pairs

    cells = [_md("## Images", "workbench-hide")]
    paired: set[str] = set()
    for a, b in pick_comparison_pairs(case):
        paired |= {a, b}
        cells.append(_code(f"workbench.CompareViewer(case, {a!r}, {b!r})", "workbench-hide"))
    for st in case.studies.itertuples(index=False):
        if st.source == "dicom" and st.study_key not in paired:
            cells.append(_code(f"viewer = workbench.SeriesViewer(case, study_key={st.study_key!r})"
                               "\nviewer", "workbench-hide"))  # fmt: skip
    return cells


def _opinion_cells(case: ReviewCase) -> list[Any]:
    cells = [_md("# Second opinion", "workbench-opinion", section="title")]
    questions = case.manifest.questions
    if questions:
        cells.append(_md("## Your questions", "workbench-opinion", section="questions"))
    for i, question in enumerate(questions):
        cells.append(_md(f"### {i + 1}. {markdown_text(question)}\n\n{ANSWER_PLACEHOLDER}",
                         "workbench-opinion",
                         "workbench-answer", section=f"q{i + 1}", question=i))  # fmt: skip
    for section, heading, text in OPINION_SECTIONS:
        body = text
        if section == "missing":
            body = "\n".join(
                f"- {markdown_text(g.message)}" for g in case.gaps.itertuples(index=False)
            ) or ("Nothing essential is missing.")
        cells.append(_md(f"## {heading}\n\n{body}", "workbench-opinion", section=section))
    return cells


def reviewer_notebook_path(workspace: str | Path, reviewer: str | None = None) -> Path:
    """Where *reviewer*'s case notebook goes: ``<workspace>/reviewers/<slug>/review.ipynb``.

    Without a reviewer (``None``: the current observer, and none is known) it is
    ``<workspace>/review.ipynb``, as for one reader on one laptop.
    """
    who = current_observer() if reviewer is None else reviewer
    folder = reviewer_folder(workspace, who) if who else Path(workspace)
    return folder / "review.ipynb"


def notebook_metadata(path: str | Path) -> dict[str, Any]:
    """The ``workbench`` metadata of a notebook file (empty when it is not a case notebook)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    meta = data.get("metadata", {}).get("workbench", {})
    return meta if isinstance(meta, dict) else {}
