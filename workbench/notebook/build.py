"""The reviewer's case notebook, written with nbformat (notebook layer).

Cell tags and cell metadata are the contract with the export
(:mod:`workbench.notebook.contract`, :class:`~workbench.notebook.contract.CellTag`):
working cells are ``workbench-hide``; the patient reads the ``workbench-opinion``
markdown; ``workbench-answer`` cells answer the patient's questions; ``workbench-figure``
code cells hold the key images; a ``workbench-side-conflict`` cell must be acknowledged
(tag ``workbench-side-checked``, or its box ticked). Each opinion cell records the
fingerprints of the template's own text, so the export refuses while instructions are
left and shows the template's headings, gap bullets and notes in the page's language.

An existing notebook is overwritten only when nobody has edited it since it was
written (its cells still match the fingerprint in ``metadata.workbench.built``), or
with ``force=True``.
"""

from __future__ import annotations

import hashlib
import json
import keyword
import os
import re
import shlex
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbformat.v4 import new_notebook

from workbench.errors import NotebookExistsError, WorkspaceError
from workbench.i18n import label
from workbench.notebook import nbfile
from workbench.notebook.contract import CellTag, cell_tags, fingerprint
from workbench.observer import current_observer, reviewer_folder
from workbench.safe_text import markdown_text
from workbench.view.hanging import hang

if TYPE_CHECKING:
    from workbench.readiness.protocol import ReviewCase

ANSWER_PLACEHOLDER = "_Write your answer here._"
UNCHECKED = "- [ ] I have checked the side of this study against the images and the records."
#: Opinion sections in page order: key, and the template's instruction to the reviewer
#: (headings are ``notebook.section.<key>`` in :mod:`workbench.i18n`).
OPINION_SECTIONS: tuple[tuple[str, str], ...] = (
    ("images", "_Describe what the original images show._"),
    ("match", "_Say whether the images explain the symptoms described in the pain history._"),
    ("proposed", "_Is the proposed treatment supported by the images and the history? Is the "
     "timing right?_"),
    ("options", "_Which non-surgical options are reasonable?_"),
    ("missing", ""),
    ("limits", ""),
)  # fmt: skip


def _md(source: str, *tags: str, **meta: Any) -> Any:
    cell = nbfile.markdown_cell(source)
    cell.metadata["tags"] = [str(t) for t in tags]
    if meta:
        cell.metadata["workbench"] = meta
    return cell


def _code(source: str, *tags: str, **meta: Any) -> Any:
    cell = nbfile.code_cell(source)
    cell.metadata["tags"] = [str(t) for t in tags]
    if meta:
        cell.metadata["workbench"] = meta
    return cell


def build_review_notebook(case: ReviewCase, path: str | Path, *, force: bool = False) -> Path:
    """Write the case notebook for *case* to *path* (outputs empty; run it in JupyterLab).

    Parameters
    ----------
    case : ReviewCase
        The opened case.
    path : path
        The notebook to write.
    force : bool
        Overwrite *path* even when it holds a reviewer's edits or is another reviewer's.

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
    NotebookExistsError
        *path* exists and was edited (or is not a case notebook) and *force* is False.
    WorkspaceError
        *path* is another reviewer's notebook and *force* is False.
    """
    path = Path(path)
    reviewer = current_observer()
    owner = notebook_metadata(path).get("reviewer", "") if path.is_file() else ""
    if owner and owner != reviewer and not force:
        mine = reviewer_notebook_path(case.workspace, reviewer) if reviewer else None
        raise WorkspaceError(
            f"'{path}' is {owner}'s review notebook and is not overwritten"
            + (f"; write yours to '{mine}'." if mine else "; give another output path.")
        )
    if not force:
        refuse_edited(path)
    m = case.manifest
    case_id = m.case_id or case.source.name
    source, workspace = _relative(case.source, path), _relative(case.workspace, path)
    cells = [
        _md(f"# Case review: {markdown_text(case_id)}\n\nRun all cells (Run ▸ Run All Cells). "
            "Cells tagged `workbench-hide` are for you only; the patient's page is made from the "
            f"opinion cells below: save, then run `workbench.export_opinion({path.name!r})` in a "
            f"cell (or `workbench export {shlex.quote(path.name)}` in this folder).",
            CellTag.HIDE),
        _code("%matplotlib inline\nimport workbench\n\n"
              "# paths relative to this notebook: move the folder and it still opens\n"
              f"case = workbench.open_case({source!r}, workspace={workspace!r})\ncase",
              CellTag.HIDE, CellTag.SETUP),
        _md("## Summary", CellTag.HIDE),
        _code("case.summary()", CellTag.HIDE),
        _md("## Imaging", CellTag.HIDE),
        _code('case.studies[["date", "modality", "body_part", "side", "weight_bearing", '
              '"n_images", "has_original_dicom", "has_report", "facility", "source"]]',
              CellTag.HIDE),
        _md("## Timeline", CellTag.HIDE),
        _code("workbench.plot_timeline(case)", CellTag.HIDE),
        *([_md("## Pain map", CellTag.HIDE),
           _code("workbench.plot_pain_map(case)", CellTag.HIDE)]
          if case.manifest.pain_map else []),
        _md("## Gaps and triage", CellTag.HIDE),
        _code("case.gaps", CellTag.HIDE),
        _code("case.triage()", CellTag.HIDE),
    ]  # fmt: skip
    cells += _side_conflict_cells(case)
    cells += _viewer_cells(case)
    example = next(iter(viewer_names(case).values()), "viewer")
    if any(c.source.startswith("compare_1 =") for c in cells):
        example = "compare_1"
    cells += [
        _md("## Key images\n\nUse ★ key image in a viewer's toolbar (with a caption and the "
            "ticked measurements): it is saved where the export finds it. From code: "
            f"`{example}.snapshot(caption=\"...\")` in a cell tagged `workbench-figure`.",
            CellTag.HIDE),
        _code(f"# key images: e.g. {example}.snapshot(caption='Standing AP, medial joint space')",
              CellTag.FIGURE),
    ]  # fmt: skip
    cells += _opinion_cells(case)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["workbench"] = {
        "version": 2,
        "case_id": case_id,
        "case_source": source,
        "workspace": workspace,
        "reviewer": reviewer,
        "review_date": date.today().isoformat(),
        "questions": list(m.questions),
        "built": cells_fingerprint(nb.cells),
    }
    nbfile.write_notebook(nb, path)  # checked against the schema as a whole, then written
    return path


def _relative(target: Path, notebook: Path) -> str:
    """*target* relative to the notebook's folder (absolute when no relative path exists)."""
    try:
        return os.path.relpath(Path(target).resolve(), notebook.resolve().parent)
    except ValueError:  # another drive
        return str(Path(target).resolve())


def _side_conflict_cells(case: ReviewCase) -> list[Any]:
    conflicts = case.gaps[case.gaps["code"] == "side_conflict"]
    note = (f"Once checked, tick the box (or add the tag `{CellTag.SIDE_CHECKED}` to this cell): "
            "the export refuses until then.")  # fmt: skip
    return [
        _md(f"**Side conflict** ({markdown_text(row.study_key)}): {markdown_text(row.message)}"
            f"\n\n{UNCHECKED}\n\n{note}",
            CellTag.HIDE, CellTag.SIDE_CONFLICT, study_key=row.study_key)
        for row in conflicts.itertuples(index=False)
    ]  # fmt: skip


def viewer_names(case: ReviewCase) -> dict[str, str]:
    """A distinct Python name for the viewer of each DICOM study: ``dx_knee_20240903``.

    Every viewer cell assigns its own name (one shared ``viewer`` made a measurement
    typed under one viewer land on another), and the name is stored with each
    measurement made in that viewer.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for st in case.studies.itertuples(index=False):
        if st.source != "dicom":
            continue
        parts = [getattr(st, "modality", None), getattr(st, "body_part", None)]
        date = getattr(st, "date", None)
        stamp = "" if date is None or date != date else str(date)[:10].replace("-", "")
        words = [str(p) for p in parts if isinstance(p, str) and p] + ([stamp] if stamp else [])
        base = re.sub(r"\W+", "_", "_".join(words).lower()).strip("_") or "study"
        if not base[0].isalpha():
            base = f"study_{base}"
        name, k = base, 2
        while name in taken or keyword.iskeyword(name):
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        names[str(st.study_key)] = name
    return names


def _viewer_cells(case: ReviewCase) -> list[Any]:
    """One viewer cell per hanging (:func:`workbench.view.hanging.hang`), in its layout."""
    cells = [_md("## Images\n\nEach study is hung in the layout its rule chose (the rule is "
                 "named in the cell; switch layout with the buttons above each viewer). Each "
                 "viewer has its own name. Pick a tool in the image's toolbar and click on the "
                 "image to measure; in MPR the ✛ crosshair tool moves the other planes to the "
                 "point clicked. ★ key image saves the view with the ticked measurements for "
                 "the patient's page.", CellTag.HIDE)]  # fmt: skip
    names = viewer_names(case)
    compared = 0
    for hanging in hang(case.studies, case.series):
        if hanging.linked:
            compared += 1
            a, b = hanging.study_keys[:2]
            cells.append(_code(f"compare_{compared} = workbench.CompareViewer(case, {a!r}, {b!r})"
                               f"  # hanging: {hanging.rule}\ncompare_{compared}",
                               CellTag.HIDE, hanging=hanging.rule))  # fmt: skip
            continue
        name = names[hanging.study_keys[0]]
        panes = list(dict.fromkeys((p.study_key, p.series_key) for p in hanging.panes))
        cells.append(_code(f"{name} = workbench.LayoutViewer(case, layout={str(hanging.layout)!r}, "
                           f"panes={panes!r}, name={name!r})  # hanging: {hanging.rule}\n{name}",
                           CellTag.HIDE, hanging=hanging.rule))  # fmt: skip
    return cells


def _opinion_cells(case: ReviewCase) -> list[Any]:
    title = f"# {label('notebook.section.title')}"
    cells = [_md(title, CellTag.OPINION, section="title", heading=fingerprint(title))]
    questions = case.manifest.questions
    if questions:
        heading = f"## {label('notebook.section.questions')}"
        cells.append(_md(heading, CellTag.OPINION, section="questions",
                         heading=fingerprint(heading)))  # fmt: skip
    for i, question in enumerate(questions):
        cells.append(_md(f"### {i + 1}. {markdown_text(question)}\n\n{ANSWER_PLACEHOLDER}",
                         CellTag.OPINION,
                         CellTag.ANSWER, section=f"q{i + 1}", question=i,
                         template=[fingerprint(ANSWER_PLACEHOLDER)]))  # fmt: skip
    for section, instruction in OPINION_SECTIONS:
        heading = f"## {label(f'notebook.section.{section}')}"
        meta: dict[str, Any] = {"section": section, "heading": fingerprint(heading)}
        body = instruction
        if instruction:
            meta["template"] = [fingerprint(instruction)]
        if section == "missing":
            generated = _gap_lines(case)
            body = "\n".join(f"- {text}" for text, _ in generated)
            meta["generated"] = [record for _, record in generated]
            if not generated:
                body = label("export.nothing_missing")
                meta["generated"] = [{"fp": fingerprint(body), "label": "export.nothing_missing"}]
        elif section == "limits":
            body = label("export.limits")
            meta["generated"] = [{"fp": fingerprint(body), "label": "export.limits"}]
        cells.append(_md(f"{heading}\n\n{body}", CellTag.OPINION, **meta))
    return cells


def _gap_lines(case: ReviewCase) -> list[tuple[str, dict[str, Any]]]:
    """One bullet per gap, with the record that lets the export show it in Chinese."""
    out = []
    for gap in case.gaps.itertuples(index=False):
        text = markdown_text(" ".join(str(gap.message).split()))
        key = gap.study_key if isinstance(gap.study_key, str) and gap.study_key else None
        record = {"fp": fingerprint(text), "gap": str(gap.code), "study_key": key,
                  "message": text}  # fmt: skip
        zh = getattr(gap, "message_zh", None)
        if isinstance(zh, str) and zh.strip():  # the rule's own Chinese text, filled in
            record["message_zh"] = markdown_text(" ".join(zh.split()))
        out.append((text, record))
    return out


def cells_fingerprint(cells: list[Any]) -> str:
    """SHA-256 of what a reviewer changes in cells: kind, source, tags and outputs."""
    payload = [
        [c.get("cell_type"), c.get("source", ""), sorted(cell_tags(c)), c.get("outputs", [])]
        for c in cells
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def refuse_edited(path: Path) -> None:
    """Raise unless *path* is absent or a case notebook nobody has edited since it was built."""
    if not path.exists():
        return
    try:
        nb = nbfile.read_notebook(path)
        built = nb.metadata.get("workbench", {}).get("built")
    except Exception:  # unreadable or not a notebook: never overwrite what we cannot judge
        built = None
        nb = None
    if built and nb is not None and cells_fingerprint(nb.cells) == built:
        return
    what = "has been edited since it was written" if built else "is not an unedited case notebook"
    raise NotebookExistsError(
        f"'{path}' already exists and {what}; not overwritten. Write the new notebook "
        "elsewhere (-o OTHER.ipynb) or pass --force (force=True) to replace it."
    )


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
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):  # not a notebook: no case metadata
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("metadata"), dict):
        return {}
    meta = data["metadata"].get("workbench", {})
    return meta if isinstance(meta, dict) else {}
