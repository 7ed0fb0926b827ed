"""The nbconvert preprocessor that turns a case notebook into the patient's cells.

Registered in the template's ``conf.json`` (``templates/opinion``), so the export is
configuration: ``HTMLExporter(template_name="opinion")`` runs it before the template.
It keeps only the opinion markdown for the page's language (the template's own words
shown in that language, :mod:`workbench.export.localize`), sanitized
(:mod:`workbench.export.clean`), and the key images, which go with "What the images
show": those of ``workbench-figure`` cells and, when the case is known, those made with
a viewer's ★ key-image button (listed in the workspace,
:func:`workbench.view.key_images.toolbar_outputs`). What it reads from the export
comes in ``resources["opinion"]``: ``lang`` and, when the case could be opened,
``case`` (key images are then drawn again for the patient,
:mod:`workbench.export.patient_images`).
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor

from workbench.export.clean import figures_of, sanitize_markdown
from workbench.export.localize import localize_source
from workbench.export.patient_images import patient_figures
from workbench.notebook.contract import CellTag, cell_meta, cell_tags
from workbench.notebook.nbfile import code_cell, markdown_cell
from workbench.view.key_images import toolbar_outputs

__all__ = ["OpinionPreprocessor", "select_cells"]


def _studies(case: Any | None) -> dict[str, dict[str, Any]]:
    if case is None:
        return {}
    return {str(row["study_key"]): dict(row) for _, row in case.studies.iterrows()}


def select_cells(nb: Any, lang: str, case: Any | None = None) -> list[Any]:
    """Opinion and figure cells for *lang*, cleaned; everything else dropped."""
    zh_sections = {cell_meta(c).get("section") for c in nb.cells if CellTag.LANG_ZH in cell_tags(c)}
    studies = _studies(case)
    keep: list[Any] = []
    figure_cells: list[Any] = []
    images_at: int | None = None
    for cell in nb.cells:
        tags = cell_tags(cell)
        if CellTag.HIDE in tags:
            continue
        if cell.cell_type == "markdown" and CellTag.OPINION in tags:
            meta = cell_meta(cell)
            section = meta.get("section")
            is_zh = CellTag.LANG_ZH in tags
            if section == "title":
                continue  # the cover carries the title
            if lang == "en" and is_zh:
                continue
            if lang == "zh" and not is_zh and section in zh_sections:
                continue
            source = cell.source if is_zh else localize_source(cell.source, meta, lang, studies)
            new = markdown_cell("")
            new.metadata["workbench_html"] = sanitize_markdown(source)
            new.metadata["workbench_lang"] = "zh" if is_zh else "en"
            keep.append(new)
            if section == "images":
                images_at = len(keep)
        elif cell.cell_type == "code" and CellTag.FIGURE in tags:
            figure_cells.append(cell)
    workspace = getattr(case, "workspace", None)
    if workspace is not None:  # the viewers' ★ key-image button: listed in the workspace only
        # this reviewer's (as their measurements are): two reviewers of one workspace never
        # export each other's
        made = toolbar_outputs(workspace)
        figure_cells = ([{"outputs": made}] if made else []) + figure_cells
    if case is not None and figure_cells:
        found = patient_figures(figure_cells, case, lang)
    else:
        found = [f for cell in figure_cells for f in figures_of(cell, lang)]
    figures: list[Any] = []
    if found:
        new = code_cell("")
        new.metadata["workbench_figures"] = found
        figures.append(new)
    at = len(keep) if images_at is None else images_at
    return keep[:at] + figures + keep[at:]


class OpinionPreprocessor(Preprocessor):
    """Replace the notebook's cells with the patient's (see the module docstring)."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        opinion = resources.get("opinion") or {}
        lang = str(opinion.get("lang") or "en")
        nb.cells = select_cells(nb, lang, opinion.get("case"))
        nb.metadata = {}
        return nb, resources
