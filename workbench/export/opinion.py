"""Export the reviewer's notebook as the patient's opinion page (export layer).

``export_opinion(notebook)`` refuses while a patient question has no answer or a
left/right conflict is unacknowledged; cleans the notebook
(:mod:`workbench.export.clean`); renders it with nbconvert's ``HTMLExporter``
and the package's own template folder (``templates/opinion``, inheriting from
``lab``); audits the page (:mod:`workbench.export.audit`) and writes it
atomically. ``pdf=True`` prints the same page to PDF with headless Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter

from workbench.case import open_case
from workbench.errors import ExportError
from workbench.export.audit import audit_page, forbidden_values
from workbench.export.clean import figures_of, sanitize_markdown
from workbench.export.patient_images import patient_figures
from workbench.notebook.build import ANSWER_PLACEHOLDER, UNCHECKED
from workbench.observer import current_observer
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
LABELS = {
    "en": {"kind": "Orthopedic second opinion", "title": "Second opinion", "case_id": "ReviewCase",
           "patient": "Patient", "review_date": "Date of review", "reviewer": "Reviewer",
           "disclaimer_title": "Please note"},
    "zh": {"kind": "骨科第二诊疗意见", "title": "第二诊疗意见", "case_id": "病例编号",
           "patient": "患者", "review_date": "审阅日期", "reviewer": "审阅医生",
           "disclaimer_title": "请注意"},
}  # fmt: skip
DISCLAIMER = {
    "en": [
        "This opinion is information for you and your treating doctors, not a decision. It is "
        "based only on the records and images you sent and cannot replace an examination in "
        "person.",
        "It cannot promise outcomes. If your symptoms change, or new imaging is taken, the view "
        "may change.",
    ],
    "zh": [
        "本意见仅供您和您的主治医生参考，并非治疗决定。本意见仅基于您提供的病历和影像，不能替代面诊查体。",
        "本意见不能保证治疗结果。如症状变化或有新的影像检查，意见可能随之改变。",
    ],
}
CSS = """
body{font-family:"Noto Sans","WenQuanYi Micro Hei","PingFang SC","Microsoft YaHei",sans-serif;
color:#1a1a1a;line-height:1.5;margin:0;background:#fff}
main.opinion{max-width:46em;margin:0 auto;padding:1.5em}
.cover{border-bottom:2px solid #2a5d84;margin-bottom:1.5em}
.cover .kind{color:#2a5d84;text-transform:uppercase;letter-spacing:.08em;font-size:.85em;margin:0}
.cover h1{margin:.2em 0 .5em}
.cover dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0 0 1em}
.cover dt{color:#555}.cover dd{margin:0}
h2{color:#2a5d84;border-bottom:1px solid #dde5ec;padding-bottom:.2em;margin-top:1.6em}
figure.key-image{margin:1.2em 0;page-break-inside:avoid;break-inside:avoid}
figure.key-image img{max-width:100%;height:auto;border:1px solid #ccc;background:#000}
figcaption{font-size:.9em;color:#333;margin-top:.3em}.measure{color:#2a5d84}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}
.disclaimer{margin-top:2.5em;border-top:1px solid #ccc;font-size:.9em;color:#444}
@page{size:A4;margin:18mm 16mm}
@media print{main.opinion{max-width:none;padding:0}h2{break-after:avoid}
a{color:inherit;text-decoration:none}}
"""


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def check_ready(nb: Any, name: str) -> list[str]:
    """Why the notebook cannot be exported yet (empty when it can)."""
    reasons = []
    for cell in nb.cells:
        tags = _tags(cell)
        if "workbench-answer" in tags and ANSWER_PLACEHOLDER in cell.source:
            heading = cell.source.strip().splitlines()[0].lstrip("# ")
            reasons.append(f"question '{heading}' has no answer written")
        if "workbench-side-conflict" in tags and UNCHECKED.split("]")[0] in cell.source:
            key = cell.get("metadata", {}).get("workbench", {}).get("study_key", "?")
            reasons.append(f"the side conflict of study {key} is not acknowledged "
                           "(tick '- [x] I have checked the side ...')")  # fmt: skip
    return reasons


def select_cells(nb: Any, lang: str, case: Any | None = None) -> list[Any]:
    """Opinion and figure cells for *lang*, cleaned; everything else dropped.

    With the *case* at hand, key images are drawn again for the patient
    (:mod:`workbench.export.patient_images`); otherwise the notebook's PNGs are used.
    """
    zh_sections = {
        c.get("metadata", {}).get("workbench", {}).get("section")
        for c in nb.cells
        if "lang-zh" in _tags(c)
    }
    keep: list[Any] = []
    figures: list[Any] = []
    figure_cells: list[Any] = []
    images_at: int | None = None
    for cell in nb.cells:
        tags = _tags(cell)
        if "workbench-hide" in tags:
            continue
        if cell.cell_type == "markdown" and "workbench-opinion" in tags:
            section = cell.get("metadata", {}).get("workbench", {}).get("section")
            is_zh = "lang-zh" in tags
            if section == "title":
                continue  # the cover carries the title
            if lang == "en" and is_zh:
                continue
            if lang == "zh" and not is_zh and section in zh_sections:
                continue
            new = nbformat.v4.new_markdown_cell("")
            new.metadata["workbench_html"] = sanitize_markdown(cell.source)
            new.metadata["workbench_lang"] = "zh" if is_zh else "en"
            keep.append(new)
            if section == "images":
                images_at = len(keep)
        elif cell.cell_type == "code" and "workbench-figure" in tags:
            figure_cells.append(cell)
    if case is not None and figure_cells:
        found = patient_figures(figure_cells, case, lang)
    else:
        found = [f for cell in figure_cells for f in figures_of(cell, lang)]
    if found:
        new = nbformat.v4.new_code_cell("")
        new.metadata["workbench_figures"] = found
        figures.append(new)
    # key images go with "What the images show" (or at the end)
    at = len(keep) if images_at is None else images_at
    return keep[:at] + figures + keep[at:]


def _opinion_resources(meta: dict[str, Any], lang: str, patient_name: str | None) -> dict[str, Any]:
    langs = ["en", "zh"] if lang == "en+zh" else [lang]
    labels = {k: " · ".join(LABELS[x][k] for x in langs) for k in LABELS["en"]}
    return {
        "html_lang": "zh" if lang == "zh" else "en",
        "page_title": PAGE_TITLE[lang],
        "labels": labels,
        "case_id": str(meta.get("case_id") or "—"),
        "reviewer": str(meta.get("reviewer") or current_observer() or "—"),
        "review_date": str(meta.get("review_date") or date.today().isoformat()),
        "patient_name": patient_name,
        "disclaimer": [line for x in langs for line in DISCLAIMER[x]],
        "css": CSS,
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

    Raises
    ------
    ExportError
        Not a case notebook, an unanswered question, an unacknowledged side conflict,
        or an audit finding on the produced page.
    """
    if lang not in LANGS:
        raise ExportError(f"--lang must be one of {', '.join(LANGS)}, not {lang!r}.")
    path = Path(notebook)
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
    reasons = check_ready(nb, path.name)
    case, conflicts = _case_context(meta, path)
    acknowledged = {
        c.get("metadata", {}).get("workbench", {}).get("study_key")
        for c in nb.cells
        if "workbench-side-conflict" in _tags(c) and UNCHECKED.split("]")[0] not in c.source
    }
    for key in conflicts:
        if key not in acknowledged and not any(key in r for r in reasons):
            reasons.append(f"the side conflict of study {key} is not acknowledged in the notebook")
    if reasons:
        raise ExportError(f"Not exported: in '{path.name}', " + "; ".join(reasons) + ".")
    patient_name = _patient_name(case) if include_name else None
    clean = nbformat.v4.new_notebook(cells=select_cells(nb, lang, case))
    html = render_page(clean, _opinion_resources(meta, lang, patient_name))
    forbidden = forbidden_values(case, include_name=include_name, extra_paths=[str(path.parent)])
    findings = audit_page(html, forbidden=forbidden, title=PAGE_TITLE[lang])
    if findings:
        raise ExportError("Export refused by the audit: " + "; ".join(findings) + ".")
    out = Path(output) if output else path.with_name("opinion.html")
    with atomic_write(out, "w", encoding="utf-8") as fh:
        fh.write(html)
    if pdf:
        print_pdf(out, out.with_suffix(".pdf"))
    if case is not None and dicom:
        write_outputs(case, meta, html)
    return out


def review_of(meta: dict[str, Any]) -> Review:
    """The review a notebook's ``workbench`` metadata describes."""
    return Review(
        case_id=str(meta.get("case_id") or ""),
        reviewer=str(meta.get("reviewer") or current_observer()),
        review_date=str(meta.get("review_date") or date.today().isoformat()),
    )


def write_outputs(case: Any, meta: dict[str, Any], html: str) -> ReviewObjects:
    """The page and the review's DICOM objects in ``<workspace>/outputs`` (for the hospital)."""
    objects = write_review_objects(case, review_of(meta))
    folder = Path(case.workspace) / OUTPUTS
    with atomic_write(folder / "opinion.html", "w", encoding="utf-8") as fh:
        fh.write(html)
    return objects


def _patient_name(case: Any) -> str | None:
    if case is None:
        return None
    if case.manifest.patient and case.manifest.patient.name:
        return str(case.manifest.patient.name)
    names = case.instances["PatientName"].dropna()
    return str(names.iloc[0]).replace("^", " ") if len(names) else None


def render_page(nb: Any, opinion: dict[str, Any]) -> str:
    """Render a cleaned notebook with the package template."""
    exporter = HTMLExporter(
        template_name="opinion",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"opinion": opinion})
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
