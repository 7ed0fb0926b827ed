"""What an export needs before the notebook's outputs exist, prepared while a kernel runs.

``workbench export --execute`` runs every cell in a fresh kernel, then exports. The
kernel's work (start-up, imports, the cells) takes seconds on one core; the export's
own preparation takes seconds too and does not depend on the outputs: importing
nbconvert, matplotlib, highdicom and fhir.resources, re-opening the case and finding
its side conflicts, compiling the page's Jinja templates, loading highdicom's table
of the standard's modules. :func:`prepare_export` does all of that (in a thread of
the command, on the other core, while the kernel works), and
:func:`~workbench.export.opinion.export_opinion` then takes the result as
``context=``. Nothing of the page is made here: the refusals, the render and the audit
all run on the executed notebook, as without a context.

A context belongs to one notebook's case: the export uses it only when the notebook's
``case_source`` and ``workspace`` still name the case it was prepared for, and opens
the case again otherwise.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from nbconvert import HTMLExporter
from nbformat.v4 import new_markdown_cell, new_notebook

from workbench.case import open_case
from workbench.i18n import label
from workbench.notebook.build import notebook_metadata
from workbench.observer import current_observer
from workbench.render.figures import DPI, _font, figure_png

__all__ = [
    "PAGE_TITLE",
    "TEMPLATES",
    "ExportContext",
    "case_context",
    "opinion_exporter",
    "opinion_resources",
    "prepare_export",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_TITLE = {
    "en": "Second opinion",
    "zh": "第二诊疗意见",
    "en+zh": "Second opinion · 第二诊疗意见",
}
DISCLAIMER_KEYS = ("export.disclaimer.1", "export.disclaimer.2")
COVER_LABELS = ("kind", "title", "case_id", "patient", "review_date", "reviewer",
                "disclaimer_title")  # fmt: skip


def opinion_resources(
    meta: dict[str, Any], lang: str, patient_name: str | None, case: Any | None = None
) -> dict[str, Any]:
    """What the page template reads besides the cells (``resources["opinion"]``)."""
    langs = ["en", "zh"] if lang == "en+zh" else [lang]
    labels = {k: " · ".join(label(f"export.{k}", x) for x in langs) for k in COVER_LABELS}
    return {
        "lang": lang,
        "case": case,
        "html_lang": "zh" if lang == "zh" else "en",
        "page_title": PAGE_TITLE[lang],
        "labels": labels,
        "case_id": str(meta.get("case_id") or "—"),
        "reviewer": str(meta.get("reviewer") or current_observer() or "—"),
        "review_date": str(meta.get("review_date") or date.today().isoformat()),
        "patient_name": patient_name,
        "disclaimer": [label(key, x) for x in langs for key in DISCLAIMER_KEYS],
    }


@dataclass
class ExportContext:
    """A notebook's case (or None), its side conflicts and a ready page exporter."""

    #: ``(case_source, workspace)`` of the notebook metadata it was prepared from.
    key: tuple[str, str]
    case: Any | None
    conflicts: list[str] = field(default_factory=list)
    exporter: HTMLExporter | None = None

    def matches(self, meta: dict[str, Any]) -> bool:
        """Whether *meta* (a notebook's ``workbench`` metadata) names the same case."""
        return self.key == _key(meta)


def _key(meta: dict[str, Any]) -> tuple[str, str]:
    return str(meta.get("case_source") or ""), str(meta.get("workspace") or "")


def _beside(notebook: Path, value: Any) -> Path | None:
    """A path of the notebook's metadata: relative to the notebook's folder, or absolute."""
    if not value:
        return None
    path = Path(str(value))
    return path if path.is_absolute() else (notebook.parent / path).resolve()


def case_context(meta: dict[str, Any], notebook: Path) -> tuple[Any | None, list[str]]:
    """Re-open the case (if reachable) for identifiers, paths and side conflicts."""
    source = _beside(notebook, meta.get("case_source"))
    if source is None or not source.exists():
        return None, []
    case = open_case(source, workspace=_beside(notebook, meta.get("workspace")))
    return case, [str(k) for k in case.gaps.loc[case.gaps["code"] == "side_conflict",
                                                  "study_key"]]  # fmt: skip


def opinion_exporter() -> HTMLExporter:
    """nbconvert's HTML exporter with the package's ``opinion`` template folder."""
    return HTMLExporter(
        template_name="opinion",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def prepare_export(notebook: str | Path) -> ExportContext:
    """Everything :func:`~workbench.export.opinion.export_opinion` can do before the
    notebook at *notebook* is executed (see the module docstring).

    Safe to run in a thread while the notebook runs: the notebook file is only read
    (its metadata), the case only opened (the workspace lock serialises it with the
    kernel's own ``open_case``).
    """
    path = Path(notebook)
    meta = notebook_metadata(path)
    case, conflicts = case_context(meta, path)
    exporter = opinion_exporter()
    _compile_templates(exporter, case)
    _warm_figures()
    _warm_outputs()
    return ExportContext(_key(meta), case, conflicts, exporter)


def _compile_templates(exporter: HTMLExporter, case: Any | None) -> None:
    """Render a one-cell notebook, so the exporter's Jinja environment has every template
    of the page compiled (half a second; the environment keeps them)."""
    nb = new_notebook(cells=[new_markdown_cell("")])
    nb.metadata["workbench"] = {}
    exporter.from_notebook_node(nb, resources={"opinion": opinion_resources({}, "en", None, case)})


def _warm_figures() -> None:
    """Draw one tiny figure the way the page's key images are drawn (an image, Latin and
    CJK text, PNG), so matplotlib's first-use costs (fonts found and loaded, axes and
    text machinery set up) are paid here rather than after the kernel."""
    fig = Figure(figsize=(64 / DPI, 64 / DPI), dpi=DPI, facecolor="white")
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.imshow(np.zeros((8, 8), dtype=np.uint8), cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    for text in ("RIGHT 1 cm", "右 膝关节"):
        ax.text(1, 1, text, fontsize=9, **_font(text))
    figure_png(fig)


def _warm_outputs() -> None:
    """Load what writing the DICOM objects and the FHIR bundle loads on first use.

    A warm-up only: whatever fails here fails again, and is reported, where the export
    really needs it.
    """
    with contextlib.suppress(Exception):  # highdicom's table of IOD modules (a second of JSON)
        from highdicom._standard_utils import get_module_attribute_map

        get_module_attribute_map()
    with warnings.catch_warnings(), contextlib.suppress(ImportError):
        warnings.simplefilter("ignore")
        for name in FHIR_MODELS:  # the optional extra `fhir` (heavy): built on first import
            importlib.import_module(name)


#: The FHIR models :mod:`workbench.report.fhir` uses.
FHIR_MODELS = tuple(
    f"fhir.resources.R4B.{m}"
    for m in ("bundle", "diagnosticreport", "imagingstudy", "observation", "patient")
)
