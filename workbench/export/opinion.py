"""Export the reviewer's notebook as the patient's opinion page (export layer).

``export_opinion(notebook)`` refuses while a section still holds the template's text,
a patient question has no answer or a left/right conflict is unacknowledged
(:mod:`workbench.export.refusals`), and while JupyterLab holds content newer than the
file (:mod:`workbench.export.freshness`; called in a kernel it asks JupyterLab to save
first). It renders the notebook with nbconvert's ``HTMLExporter`` and the package's
template folder (``templates/opinion``: ``conf.json`` registers the preprocessor that
keeps the patient's cells, :mod:`workbench.export.preprocess`; the style sheet is a
static file); audits the page (:mod:`workbench.export.audit`) and writes it
atomically. ``pdf=True`` prints the same page to PDF with headless Chromium.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from nbconvert import HTMLExporter

from workbench.errors import ExportError, WorkbenchWarning
from workbench.export.audit import audit_notes, audit_page, forbidden_values
from workbench.export.context import (
    PAGE_TITLE,
    TEMPLATES,
    ExportContext,
    case_context,
    opinion_exporter,
    opinion_resources,
    prepare_export,
)
from workbench.export.freshness import refuse_newer_content, save_in_jupyterlab
from workbench.export.preprocess import select_cells
from workbench.export.refusals import check_ready, section_name
from workbench.notebook.contract import CellTag, body_paragraphs, cell_meta, cell_tags
from workbench.notebook.nbfile import read_notebook
from workbench.observer import current_observer
from workbench.report.fhir import write_fhir_bundle
from workbench.report.objects import ReviewObjects, write_review_objects
from workbench.report.review import Review
from workbench.workspace import OUTPUTS, atomic_write

LANGS = ("en", "zh", "en+zh")
__all__ = [
    "PAGE_TITLE",
    "TEMPLATES",
    "ExportContext",
    "export_opinion",
    "prepare_export",
    "render_page",
    "select_cells",
]

_MARKUP = re.compile(r"[*_`~]+")
#: kept under their old names (tests and scripts use them)
_opinion_resources = opinion_resources
_case_context = case_context


def export_opinion(
    notebook: str | Path,
    output: str | Path | None = None,
    *,
    lang: str = "en",
    pdf: bool = False,
    include_name: bool = False,
    dicom: bool = True,
    force: bool = False,
    save: bool = True,
    context: ExportContext | None = None,
) -> Path:
    """Export *notebook* to a self-contained, static, audited HTML page (and PDF).

    Parameters
    ----------
    notebook : path
        A case notebook written by ``workbench notebook`` and filled in by the reviewer.
    output : path, optional
        The HTML file to write (default: ``opinion.html`` beside the notebook).
    lang : ``"en"``, ``"zh"`` or ``"en+zh"``
        Page language; the reviewer's Chinese cells are tagged ``lang-zh``.
    pdf : bool
        Also print the page to PDF (same name, ``.pdf``) with headless Chromium.
    include_name : bool
        Show the patient's name on the cover; otherwise no identifier appears.
    dicom : bool
        Also write the measurement report (SR), the key-object selection (KOS) and one
        presentation state (GSPS) per key image, with a copy of the page, to
        ``<workspace>/outputs`` (when the case can be opened).
    force : bool
        Export the file as it is on disk even when JupyterLab holds newer content
        (a newer checkpoint, or the notebook open in a running Jupyter server with
        kernel activity after the last save).
    save : bool
        Called in a Jupyter kernel: first ask JupyterLab to save the notebook and wait
        for the file to change (refused, naming Ctrl+S, when it does not).
    context : ExportContext, optional
        Made by :func:`prepare_export` for this notebook (while it was executed): the
        opened case, its side conflicts and a page exporter with its templates
        compiled. Used only when the notebook still names the same case.

    Raises
    ------
    ExportError
        Not a case notebook; a section still holding the template's text; an unanswered
        question; an unacknowledged side conflict; newer unsaved content; or an audit
        finding on the produced page.

    Warns
    -----
    WorkbenchWarning
        An identifier too short to search the page for safely (check the page by eye).
    """
    if lang not in LANGS:
        raise ExportError(f"--lang must be one of {', '.join(LANGS)}, not {lang!r}.")
    path = Path(notebook)
    saved = save and save_in_jupyterlab(path)
    if not force:
        refuse_newer_content(path, server=not saved)
    nb = read_notebook(path, hint="Open it in JupyterLab, save it, and export again.")
    meta = nb.metadata.get("workbench")
    if not isinstance(meta, dict):
        raise ExportError(
            f"'{path}' is not a case notebook (no 'workbench' metadata); build one with "
            "`workbench notebook SOURCE` and write the opinion there."
        )
    if context is not None and context.matches(meta):
        case, conflicts = context.case, list(context.conflicts)
    else:
        case, conflicts = case_context(meta, path)
    reasons = check_ready(nb, conflicts)
    if reasons:
        raise ExportError(f"Not exported: in '{path.name}', " + "; ".join(reasons) + ".")
    patient_name = _patient_name(case) if include_name else None
    exporter = context.exporter if context is not None else None
    html = render_page(nb, opinion_resources(meta, lang, patient_name, case), exporter=exporter)
    forbidden = forbidden_values(case, include_name=include_name, extra_paths=[str(path.parent)])
    findings = audit_page(html, forbidden=forbidden, title=PAGE_TITLE[lang])
    if findings:
        raise ExportError("Export refused by the audit: " + "; ".join(findings) + ".")
    for note in audit_notes(forbidden):
        warnings.warn(f"Audit of '{path.name}': {note}.", WorkbenchWarning, stacklevel=2)
    out = Path(output) if output else path.with_name("opinion.html")
    with atomic_write(out, "w", encoding="utf-8") as fh:
        fh.write(html)
    if pdf:
        print_pdf(out, out.with_suffix(".pdf"))
    if case is not None and dicom:
        write_outputs(case, meta, html, nb)
    return out


def review_of(meta: dict[str, Any]) -> Review:
    """The review a notebook's ``workbench`` metadata describes."""
    return Review(
        case_id=str(meta.get("case_id") or ""),
        reviewer=str(meta.get("reviewer") or current_observer()),
        review_date=str(meta.get("review_date") or date.today().isoformat()),
    )


def conclusion_of(nb: Any) -> str:
    """The reviewer's opinion as plain text (English cells; FHIR ``conclusion``)."""
    parts = []
    for cell in nb.cells:
        tags = cell_tags(cell)
        if cell.cell_type != "markdown" or CellTag.OPINION not in tags or CellTag.LANG_ZH in tags:
            continue
        if cell_meta(cell).get("section") in ("title", "questions", "missing", "limits"):
            continue
        name = section_name(cell)
        body = " ".join(_MARKUP.sub("", p) for p in body_paragraphs(cell.source))
        if body.strip():
            parts.append(f"{name}: {body.strip()}")
    return "\n\n".join(parts)


def write_outputs(case: Any, meta: dict[str, Any], html: str, nb: Any = None) -> ReviewObjects:
    """The page, the review's DICOM objects and (with the extra ``fhir``) the FHIR bundle in
    ``<workspace>/outputs`` (for the hospital)."""
    review = review_of(meta)
    objects = write_review_objects(case, review)
    folder = Path(case.workspace) / OUTPUTS
    with atomic_write(folder / "opinion.html", "w", encoding="utf-8") as fh:
        fh.write(html)
    conclusion = conclusion_of(nb) if nb is not None else ""
    try:
        objects.paths.append(write_fhir_bundle(case, replace(review, conclusion=conclusion)))
    except ImportError as exc:
        objects.skipped.append(str(exc))
        warnings.warn(f"No FHIR bundle in '{folder}': {exc}", WorkbenchWarning, stacklevel=2)
    return objects


def _patient_name(case: Any) -> str | None:
    if case is None:
        return None
    if case.manifest.patient and case.manifest.patient.name:
        return str(case.manifest.patient.name)
    names = case.instances["PatientName"].dropna()
    return str(names.iloc[0]).replace("^", " ") if len(names) else None


def render_page(nb: Any, opinion: dict[str, Any], *, exporter: HTMLExporter | None = None) -> str:
    """Render a case notebook with the package template (its preprocessor keeps the
    patient's cells; ``opinion`` carries ``lang`` and ``case`` to it). *exporter*: one
    made by :func:`~workbench.export.context.opinion_exporter`, reused (its compiled
    templates with it); a new one by default."""
    exporter = exporter if exporter is not None else opinion_exporter()
    body, _ = exporter.from_notebook_node(copy.deepcopy(nb), resources={"opinion": opinion})
    return str(body)


#: Names :func:`chromium` looks for on ``PATH``, and what to say when none is there.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_MISSING = (
    f"Chromium is not installed (no {', '.join(CHROMIUM_NAMES)} on PATH); "
    "run `apt-get install chromium` (Debian, as root)"
)


def chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip


def print_pdf(html: Path, pdf: Path) -> Path:
    """Print *html* to *pdf* with headless Chromium (A4, from the page's print CSS)."""
    binary = chromium()
    if binary is None:
        raise ExportError(f"No PDF of '{html}': {CHROMIUM_MISSING}, then export again.")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf}", html.resolve().as_uri()]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "HOME": profile})  # fmt: skip
    if result.returncode != 0 or not pdf.exists():
        raise ExportError(f"Chromium could not print '{html}' to PDF: {result.stderr[-400:]}")
    return pdf
