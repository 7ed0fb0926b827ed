"""The patient's page made from real key images of the knee sample (SeriesViewer snapshots).

Key images are drawn again for the patient (no window or calibration text), one per image
even when the snapshot was retaken, with the chosen measurements as sentences; the
export also writes the DICOM objects to ``<workspace>/outputs``; the notebook still
exports after its folder is moved.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from workbench import samples
from workbench.case import open_case
from workbench.export.opinion import chromium, export_opinion
from workbench.notebook.build import ANSWER_PLACEHOLDER, build_review_notebook
from workbench.widgets.series_viewer import SeriesViewer


def _output(image) -> dict:
    data, meta = image._repr_mimebundle_()
    return nbformat.v4.new_output("display_data", data=data, metadata=meta)


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("page")
    shutil.copytree(samples.path("knee_oa_right"), root / "folder" / "case")
    case = open_case(root / "folder" / "case", workspace=root / "folder" / "ws")
    dx = case.studies[(case.studies["modality"] == "DX")].sort_values("date")
    viewer = SeriesViewer(case, study_key=str(dx["study_key"].iloc[-1]))
    joint = viewer.measure_length((200, 120), (212.5, 121))
    viewer.measure_angle((50, 60), (150, 100), (260, 90))  # measured, not chosen below
    first = viewer.snapshot(caption="Standing AP, latest film")
    first.metadata["measurements"] = [m for m in first.metadata["measurements"]
                                      if m["id"] == joint.id]  # fmt: skip
    again = viewer.snapshot(caption="Standing AP, latest film")
    again.metadata["measurements"] = first.metadata["measurements"]
    path = build_review_notebook(case, root / "folder" / "review.ipynb")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "workbench-answer" in tags:
            cell.source = cell.source.replace(ANSWER_PLACEHOLDER, "The wear is on the inner side.")
        elif cell.metadata.get("workbench", {}).get("template"):
            cell.source = cell.source.split("\n", 1)[0] + "\n\nThe reviewer's own words."
        if "workbench-figure" in tags:
            cell.outputs = [_output(first), _output(again)]  # the cell was run twice
    nb.metadata["workbench"]["reviewer"] = "Sample Reviewer"
    nbformat.write(nb, path)
    return path


def test_page_shows_each_key_image_once_with_sentences(reviewed: Path) -> None:
    out = export_opinion(reviewed)
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 1
    assert len(re.findall(r"Standing AP, latest film", html)) == 2  # alt text and caption
    assert re.search(r"Length: \d+\.\d mm, measured on the standing X-ray of \d+ \w+ \d{4}", html)
    assert "Angle:" not in html  # measured but not chosen for the key image
    assert (
        "{'" not in html and "calibration_source" not in html and "ImagerPixelSpacing" not in html
    )
    outputs = reviewed.parent / "ws" / "outputs"
    assert {
        "measurement_report.dcm",
        "key_images.dcm",
        "presentation_state_01.dcm",
        "opinion.html",
        "opinion.fhir.json",
    } <= {p.name for p in outputs.iterdir()}
    fhir = (outputs / "opinion.fhir.json").read_text(encoding="utf-8")
    assert "The wear is on the inner side." in fhir  # the conclusion is the reviewer's text


def test_notebook_moved_with_its_case_still_exports(reviewed: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(reviewed.parent, moved)
    meta = nbformat.read(moved / "review.ipynb", as_version=4).metadata["workbench"]
    assert not Path(meta["case_source"]).is_absolute()
    out = export_opinion(moved / "review.ipynb")
    assert "Length:" in out.read_text(encoding="utf-8")
    assert (moved / "ws" / "outputs" / "measurement_report.dcm").exists()


@pytest.mark.skipif(chromium() is None, reason="chromium not installed")
@pytest.mark.slow
def test_patient_page_in_headless_chromium(reviewed: Path) -> None:
    from playwright.sync_api import sync_playwright

    out = export_opinion(reviewed)
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(),
                                    args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(out.resolve().as_uri())
        widths = page.eval_on_selector_all("figure.key-image img",
                                           "els => els.map(e => e.naturalWidth)")  # fmt: skip
        text = page.inner_text("body")
        browser.close()
    assert widths and all(w > 0 for w in widths)
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert errors == []
    assert "{'" not in text and ANSWER_PLACEHOLDER not in text
