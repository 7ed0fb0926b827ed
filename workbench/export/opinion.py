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

import nbformat
from nbconvert import HTMLExporter

from workbench.case import open_case
from workbench.errors import ExportError, WorkbenchWarning
from workbench.export.audit import audit_notes, audit_page, forbidden_values
from workbench.export.freshness import refuse_newer_content, save_in_jupyterlab
from workbench.export.preprocess import select_cells
from workbench.export.refusals import check_ready, section_name
from workbench.i18n import label
from workbench.notebook.contract import CellTag, body_paragraphs, cell_meta, cell_tags
from workbench.observer import current_observer
from workbench.report.fhir import write_fhir_bundle
from workbench.report.objects import ReviewObjects, write_review_objects
from workbench.report.review import Review
from workbench.workspace import OUTPUTS, atomic_write

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGS = ("en", "zh", "en+zh")
PAGE_TITLE = {
    "en": "Second opinion",
    "zh": "第二诊疗意见",
    "en+zh": "Second opinion · 第二诊疗意见",
}
__all__ = ["export_opinion", "render_page", "select_cells"]

_MARKUP = re.compile(r"[*_`~]+")
DISCLAIMER_KEYS = ("export.disclaimer.1", "export.disclaimer.2")
COVER_LABELS = ("kind", "title", "case_id", "patient", "review_date", "reviewer",
                "disclaimer_title")  # fmt: skip


def _opinion_resources(
    meta: dict[str, Any], lang: str, patient_name: str | None, case: Any | None = None
) -> dict[str, Any]:
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


def _beside(notebook: Path, value: Any) -> Path | None:
    """A path of the notebook's metadata: relative to the notebook's folder, or absolute."""
    if not value:
        return None
    path = Path(str(value))
    return path if path.is_absolute() else (notebook.parent / path).resolve()


def _case_context(meta: dict[str, Any], notebook: Path) -> tuple[Any | None, list[str]]:
    """Re-open the case (if reachable) for identifiers, paths and side conflicts."""
    source = _beside(notebook, meta.get("case_source"))
    if source is None or not source.exists():
        return None, []
    case = open_case(source, workspace=_beside(notebook, meta.get("workspace")))
    return case, [str(k) for k in case.gaps.loc[case.gaps["code"] == "side_conflict",
                                                  "study_key"]]  # fmt: skip


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
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as exc:
        raise ExportError(f"Cannot read notebook '{path}': {exc}.") from exc
    meta = nb.metadata.get("workbench")
    if not isinstance(meta, dict):
        raise ExportError(
            f"'{path}' is not a case notebook (no 'workbench' metadata); build one with "
            "`workbench notebook SOURCE` and write the opinion there."
        )
    case, conflicts = _case_context(meta, path)
    reasons = check_ready(nb, conflicts)
    if reasons:
        raise ExportError(f"Not exported: in '{path.name}', " + "; ".join(reasons) + ".")
    patient_name = _patient_name(case) if include_name else None
    html = render_page(nb, _opinion_resources(meta, lang, patient_name, case))
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


def render_page(nb: Any, opinion: dict[str, Any]) -> str:
    """Render a case notebook with the package template (its preprocessor keeps the
    patient's cells; ``opinion`` carries ``lang`` and ``case`` to it)."""
    exporter = HTMLExporter(
        template_name="opinion",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
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
