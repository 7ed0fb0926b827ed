"""The case notebook and the patient's opinion page: refusals, safety audit, Chromium, PDF."""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import nbformat
import pytest
from builders import knee_case_folder, write_pdf
from PIL import Image

from workbench.case import open_case
from workbench.cli.main import main
from workbench.errors import ExportError
from workbench.export.audit import audit_page
from workbench.export.opinion import chromium, export_opinion
from workbench.notebook.build import ANSWER_PLACEHOLDER, UNCHECKED, build_review_notebook

HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) "
    "![y](http://example.invalid/y.png) <iframe src='http://example.invalid'></iframe>"
)


def png_output(caption: str, size: tuple[int, int] = (320, 240)) -> dict:
    buf = io.BytesIO()
    Image.new("L", size, 90).save(buf, "PNG")
    return nbformat.v4.new_output(
        "display_data",
        data={"image/png": base64.b64encode(buf.getvalue()).decode(), "text/plain": caption},
        metadata={
            "workbench": {
                "caption": caption,
                "measurements": ["Medial joint space 2.1 mm (PixelSpacing)"],
            }
        },
    )


def fill(nb_path: Path, answer: str = "The images support it.", *, ack: bool = True) -> None:
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "workbench-answer" in tags:
            cell.source = cell.source.replace(ANSWER_PLACEHOLDER, answer)
        elif cell.metadata.get("workbench", {}).get("template"):
            heading = cell.source.split("\n", 1)[0]
            cell.source = f"{heading}\n\nThe reviewer's own words."
        if "workbench-figure" in tags:
            cell.outputs = [png_output("Standing AP, right knee"), png_output("Lateral")]
        if "workbench-side-conflict" in tags and ack:
            cell.source = cell.source.replace("- [ ]", "- [x]")
        if cell.cell_type == "code" and "workbench-hide" in tags:
            cell.outputs = [
                nbformat.v4.new_output(
                    "execute_result",
                    data={
                        "text/html": "<b>Patient Wang</b><script>x()</script>",
                        "text/plain": "/root/secret/path",
                    },
                )
            ]
    nb.metadata["workbench"]["reviewer"] = "Dr. Reviewer"
    nbformat.write(nb, nb_path)


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    case = open_case(knee_case_folder(tmp_path / "case"), workspace=tmp_path / "ws")
    return build_review_notebook(case, tmp_path / "review.ipynb")


def test_notebook_structure_and_tags(notebook):
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    sources = "\n".join(c.source for c in nb.cells)
    for heading in (
        "What the images show",
        "Do the images match the symptoms?",
        "About the proposed treatment",
        "Options without surgery",
        "What is missing and would change this view",
        "Limits of this review",
    ):
        assert f"## {heading}" in sources
    answers = [c for c in nb.cells if "workbench-answer" in c.metadata.get("tags", [])]
    assert [c.metadata["workbench"]["question"] for c in answers] == [0, 1, 2]
    setup = nb.cells[1]
    assert "workbench-hide" in setup.metadata["tags"] and "open_case" in setup.source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_export_refuses_unanswered_questions(notebook):
    with pytest.raises(ExportError, match=r"question '1\. Is replacement needed now\?' has no"):
        export_opinion(notebook)


def test_export_refuses_unacknowledged_side_conflict(tmp_path):
    root = knee_case_folder(tmp_path / "case")
    write_pdf(
        root / "xr_report.pdf", ["RADIOLOGY REPORT", "Exam date: 2024-03-10", "X-RAY LEFT KNEE"]
    )
    case = open_case(root, workspace=tmp_path / "ws")
    assert "side_conflict" in set(case.gaps["code"])
    nb_path = build_review_notebook(case, tmp_path / "review.ipynb")
    assert UNCHECKED in nb_path.read_text()
    fill(nb_path, ack=False)
    with pytest.raises(ExportError, match=r"side conflict of study st-.* not acknowledged"):
        export_opinion(nb_path)
    fill(nb_path, ack=True)
    assert export_opinion(nb_path).exists()


def test_not_a_case_notebook_is_refused(tmp_path):
    path = tmp_path / "other.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("hi")]), path)
    with pytest.raises(ExportError, match="not a case notebook"):
        export_opinion(path)


def test_exported_page_is_static_sanitized_and_anonymous(notebook):
    fill(notebook, answer=HOSTILE)
    out = export_opinion(notebook)
    html = out.read_text(encoding="utf-8")
    lowered = html.lower()
    # the reviewer's raw HTML is shown as text, never as markup
    assert "<script" not in lowered and "<iframe" not in lowered and "<img src=x" not in lowered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'src="http' not in lowered and 'href="javascript' not in lowered
    assert 'http-equiv="content-security-policy"' in lowered
    assert "<title>Second opinion</title>" in html
    assert "/root/secret/path" not in html and "Patient Wang" not in html
    assert html.count("data:image/png;base64,") == 2
    assert "Standing AP, right knee" in html and "(PixelSpacing)" in html
    assert "Dr. Reviewer" in html and "T-1" in html
    for label in ("What the images show", "Limits of this review", "Please note"):
        assert label in html
    assert audit_page(html, forbidden=[], title="Second opinion") == []
    # key images sit with "What the images show"
    assert html.index("What the images show") < html.index("Standing AP, right knee")
    assert html.index("Standing AP, right knee") < html.index("Do the images match")


def test_patient_identifiers_only_with_include_name(tmp_path):
    root = knee_case_folder(tmp_path / "case")
    text = (root / "case.yaml").read_text()
    text = text.replace("case_id: T-1\n", "case_id: T-1\npatient: {name: Zhang Wei}\n")
    (root / "case.yaml").write_text(text)
    case = open_case(root, workspace=tmp_path / "ws")
    nb_path = build_review_notebook(case, tmp_path / "review.ipynb")
    fill(nb_path)
    html = export_opinion(nb_path).read_text()
    assert "Zhang Wei" not in html and "Zhang" not in html
    named = export_opinion(nb_path, tmp_path / "named.html", include_name=True).read_text()
    assert "Zhang Wei" in named
    nb = nbformat.read(nb_path, as_version=4)
    answer = next(c for c in nb.cells if "workbench-answer" in c.metadata.get("tags", []))
    answer.source += "\n\nMr Zhang should rest."
    nbformat.write(nb, nb_path)
    with pytest.raises(ExportError, match=r"audit.*'Zhang'"):
        export_opinion(nb_path)


def test_bilingual_page(notebook):
    fill(notebook)
    nb = nbformat.read(notebook, as_version=4)
    zh = nbformat.v4.new_markdown_cell("## 影像所见\n\n负重位X线显示内侧关节间隙变窄。")
    zh.metadata["tags"] = ["workbench-opinion", "lang-zh"]
    zh.metadata["workbench"] = {"section": "images"}
    index = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("workbench", {}).get("section") == "images"
    )
    nb.cells.insert(index + 1, zh)
    nbformat.write(nb, notebook)
    both = export_opinion(notebook, notebook.with_name("both.html"), lang="en+zh").read_text()
    assert "What the images show" in both and "影像所见" in both and "请注意" in both
    only_zh = export_opinion(notebook, notebook.with_name("zh.html"), lang="zh").read_text()
    assert "影像所见" in only_zh and "What the images show" not in only_zh
    assert '<html lang="zh">' in only_zh
    only_en = export_opinion(notebook, notebook.with_name("en.html"), lang="en").read_text()
    assert "影像所见" not in only_en


needs_chromium = pytest.mark.skipif(chromium() is None, reason="Debian chromium not installed")


@needs_chromium
@pytest.mark.slow
def test_page_in_headless_chromium(notebook, tmp_path):
    from playwright.sync_api import sync_playwright

    fill(notebook)
    out = export_opinion(notebook)
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(out.resolve().as_uri())
        widths = page.eval_on_selector_all(
            "figure.key-image img", "els => els.map(e => e.naturalWidth)"
        )
        page.screenshot(path=str(tmp_path / "opinion.png"), full_page=True)
        browser.close()
    assert widths and all(w > 0 for w in widths)
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert errors == []
    assert (tmp_path / "opinion.png").stat().st_size > 20_000


@needs_chromium
@pytest.mark.slow
def test_cli_export_with_pdf(notebook, tmp_path):
    fill(notebook)
    out = tmp_path / "page.html"
    assert main(["export", str(notebook), "-o", str(out), "--pdf", "--lang", "en+zh"]) == 0
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        import subprocess

        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "Second opinion" in text
