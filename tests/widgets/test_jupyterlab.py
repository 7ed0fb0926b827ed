"""The case notebook in a real JupyterLab, driven by Playwright as a reviewer would use it.

Starts ``jupyter lab`` on a free loopback port (random token, its own root, settings,
workspaces, config and runtime folders in ``tmp_path``), writes the knee sample's case
notebook there, opens it in headless Chromium, runs Run ▸ Run All Cells, then scrolls the
MR study's :class:`~workbench.SeriesViewer` with the keyboard (slider handle focused,
ArrowRight) and checks that the image on screen changes. Needs the Debian ``chromium``
package and JupyterLab; skipped without them unless ``CI`` is set (then it fails).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from browser_lab import (
    ROWS,
    TO_CLIENT,
    WINDOWED,
    JupyterLab,
    lab_page,
    open_notebook,
    run_all_cells,
)
from browser_lab import need as _need  # noqa: F401
from browser_lab import open_and_run as _open_and_run
from browser_lab import stored as _stored
from browser_lab import wait_stored as _wait_stored
from PIL import Image

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.slow


def test_viewer_scrolls_in_jupyterlab(lab: JupyterLab, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    import workbench
    from workbench.case import open_case
    from workbench.notebook.build import build_review_notebook, viewer_names

    # the notebook is written while the server starts
    case = open_case(workbench.samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    build_review_notebook(case, lab.notebooks / "review.ipynb")
    mr = case.studies.loc[case.studies["modality"] == "MR", "study_key"]
    assert len(mr) == 1
    name = viewer_names(case)[mr.iloc[0]]
    # the 2D MR is hung on its own (hanging rule one_study), in a LayoutViewer
    viewer_source = f"{name} = workbench.LayoutViewer(case, layout='1x1', panes=[({mr.iloc[0]!r},"
    lab.wait_ready()

    with lab_page(1400, 1400) as (page, _):
        run_all_cells(page, open_notebook(page, lab, "review.ipynb"))
        assert page.locator(".jupyter-widgets-error-widget").count() == 0

        cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=viewer_source)
        assert cell.count() == 1
        root = cell.locator(".wb-viewer")
        root.wait_for(state="visible")
        root.scroll_into_view_if_needed()
        handle = root.element_handle()
        page.wait_for_function("r => r.wbViewer && r.wbViewer.painted > 0", arg=handle)
        series = cell.locator("select").nth(1).evaluate("s => s.options[s.selectedIndex].text")
        assert "SAG PD FS" in series.replace("\xa0", " ")
        readout = cell.locator(".widget-hslider .widget-readout").first  # Slice
        start = page.evaluate("r => r.wbViewer.view.index", handle)
        assert int(readout.inner_text()) == start + 1  # the slider counts as the overlay
        canvas = root.locator("canvas.wb-canvas")
        before = canvas.screenshot(path=str(tmp_path / "viewer_before.png"))

        canvas.hover()  # one wheel notch over the image: one slice further
        page.mouse.wheel(0, 120)
        expect(readout).to_have_text(str(start + 2))
        page.wait_for_function(f"r => r.wbViewer.slice.meta.index === {start + 1}", arg=handle)
        page.wait_for_timeout(100)
        wheeled = canvas.screenshot(path=str(tmp_path / "viewer_wheel.png"))
        expect(root.locator(".wb-corner")).to_contain_text(f"{start + 2}/")

        cell.get_by_title("next slice").click()  # the ▶ button: the kernel moves the view
        expect(readout).to_have_text(str(start + 3))
        page.wait_for_function(f"r => r.wbViewer.slice.meta.index === {start + 2}", arg=handle)
        page.wait_for_timeout(100)
        last = canvas.screenshot(path=str(tmp_path / "viewer_next.png"))

    assert before != wheeled != last
    for shot in (before, wheeled, last):
        pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("L"))
        assert pixels.std() > 20  # an image, not a blank frame


# --- the reading room: point, click and drag on the image ------------------------------

READING_CELL = "v = workbench.SeriesViewer(case, name='v', size=512)\nv"


def _reading_case(root: Path) -> Path:
    """Five copies of pydicom's CT_small (0.661 mm pixels), one series."""
    import pydicom
    from pydicom.data import get_testdata_file

    folder = root / "ct"
    folder.mkdir(parents=True)
    for k in range(5):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.SOPInstanceUID = f"{ds.SeriesInstanceUID}.{k + 1}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.ImagePositionPatient = [-80.0, -80.0, 3.0 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.InstanceNumber = k + 1
        ds.PixelData = (ds.pixel_array + 30 * k).astype(ds.pixel_array.dtype).tobytes()
        ds.save_as(folder / f"IM{k}.dcm")
    return folder


def _reading_notebook(path: Path, source: Path, workspace: Path, *extra: str) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    setup = (f"import workbench\ncase = workbench.open_case({str(source)!r}, "
             f"workspace={str(workspace)!r})")  # fmt: skip
    cells = [setup, READING_CELL, *extra]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_reading_room_point_click_drag(lab: JupyterLab, tmp_path: Path) -> None:
    """Measure, window, pan, zoom, delete and reopen on the browser canvas, as a reviewer."""
    import pydicom
    from playwright.sync_api import expect
    from pydicom.pixels import apply_modality_lut

    from workbench.imaging.windowing import window_to_uint8

    source = _reading_case(tmp_path)
    workspace = tmp_path / "ws"
    _reading_notebook(lab.notebooks / "reading.ipynb", source, workspace)
    spacing = 0.661468  # CT_small's (0028,0030) Pixel Spacing
    lab.wait_ready()
    missing: list[str] = []
    with lab_page(1300, 1300) as (page, problems):
        page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
        root = _open_and_run(page, lab, "reading.ipynb")
        root.scroll_into_view_if_needed()
        handle = root.element_handle()

        def click(rc: tuple[float, float], **kw: object) -> None:
            x, y = page.evaluate(TO_CLIENT, [handle, list(rc)])
            page.mouse.click(x, y, **kw)

        def tool(name: str) -> None:
            root.locator(f"button[data-tool='{name}']").click()

        # length: two clicks, 60 px apart along a row and 80 down a column
        tool("length")
        click((20, 30))
        click((100, 90))
        (length,) = _wait_stored(workspace, 1)
        expected = np.hypot(80 * spacing, 60 * spacing)
        assert length["unit"] == "mm" and length["calibration_source"] == "PixelSpacing"
        assert abs(length["value"] - expected) <= spacing / 2
        assert length["viewer"] == "v"
        # a point off the image is not taken; Esc cancels the one placed
        click((20, 30))
        x, y = page.evaluate(TO_CLIENT, [handle, [60, 200]])
        page.mouse.click(x, y)
        page.keyboard.press("Escape")
        page.wait_for_timeout(200)
        assert len(_stored(workspace)) == 1
        # angle: 90° at the vertex
        tool("angle")
        for rc in ((30, 64), (64, 64), (64, 110)):
            click(rc)
        angle = _wait_stored(workspace, 2)[-1]
        assert angle["kind"] == "angle" and abs(angle["value"] - 90.0) < 1.0
        # calibration on a known 50 mm line, then a length uses it
        root.locator("input[data-field='known_mm']").fill("50")
        tool("calibration")
        click((110, 14))
        click((110, 114))
        _wait_stored(workspace, 3)
        expect(root.locator(".wb-calibration")).to_contain_text("user calibration")
        tool("length")
        click((10, 14))
        click((10, 64))
        calibrated = _wait_stored(workspace, 4)[-1]
        assert calibrated["calibration_source"] == "user calibration"
        assert abs(calibrated["value"] - 25.0) <= 0.5 * 50 / 100
        page.wait_for_function(ROWS, arg=[handle, 4])

        # window drag (right button): the canvas is pydicom's windowing of this slice
        tool("pan")
        before = page.evaluate(WINDOWED, handle)
        x, y = page.evaluate(TO_CLIENT, [handle, [64, 64]])
        page.mouse.move(x, y)
        page.mouse.down(button="right")
        page.mouse.move(x + 60, y - 40, steps=6)
        page.mouse.up(button="right")
        page.wait_for_timeout(200)
        after = page.evaluate(WINDOWED, handle)
        assert (after["center"], after["width"]) != (before["center"], before["width"])
        ds = pydicom.dcmread(source / f"IM{after['index']}.dcm")
        hu = apply_modality_lut(ds.pixel_array, ds).astype(np.float32)
        want = window_to_uint8(hu, after["center"], after["width"])
        got = np.array(after["grey"], dtype=np.uint8).reshape(after["h"], after["w"])
        assert np.abs(got.astype(int) - want).max() <= 1
        assert np.abs(got.astype(int) - np.array(before["grey"]).reshape(got.shape)).max() > 0

        # ctrl-wheel zooms at the pointer, drag pans: the image on screen moves
        shot0 = root.locator("canvas.wb-canvas").screenshot()
        page.mouse.move(x, y)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -400)
        page.keyboard.up("Control")
        page.wait_for_timeout(300)
        zoomed = page.evaluate(WINDOWED, handle)
        assert zoomed["zoom"] > 1.2
        shot1 = root.locator("canvas.wb-canvas").screenshot()
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 80, y + 50, steps=5)
        page.mouse.up()
        page.wait_for_timeout(200)
        panned = page.evaluate(WINDOWED, handle)
        assert panned["pan"] != zoomed["pan"]
        shot2 = root.locator("canvas.wb-canvas").screenshot()
        assert shot0 != shot1 != shot2
        page.dblclick("canvas.wb-canvas")
        page.wait_for_function("r => r.wbViewer.view.zoom === 1", arg=handle)
        # and the kernel's answer to the reset is in: a late one would move the index back
        page.wait_for_function(
            "r => r.wbViewer.kernelView.zoom === 1"
            " && r.wbViewer.kernelView.index === r.wbViewer.view.index",
            arg=handle,
        )

        # the wheel scrolls to the next slice (prefetched: shown without the kernel)
        start = page.evaluate("r => r.wbViewer.view.index", handle)
        page.mouse.move(x, y)
        page.mouse.wheel(0, 120)
        page.wait_for_function(f"r => r.wbViewer.slice.meta.index === {start + 1}", arg=handle)
        page.mouse.wheel(0, -120)
        page.wait_for_function(f"r => r.wbViewer.slice.meta.index === {start}", arg=handle)
        page.wait_for_timeout(300)

        # delete from the list
        root.locator(".wb-list tr[data-id] .wb-delete").first.click()
        remaining = _wait_stored(workspace, 3)
        assert length["id"] not in {m["id"] for m in remaining}

        # close and reopen: the measurements come back in the list
        page.keyboard.press("Control+s")
        page.wait_for_timeout(500)
        page.goto("about:blank")
        lab.end_sessions()  # a new kernel: the measurements come from the workspace
        # the saved output's widget has no model until its cell runs again (ipywidgets
        # logs "widget model not found"; the output's PNG is what nbconvert shows)
        reopened = len(problems)
        root = _open_and_run(page, lab, "reading.ipynb")
        page.wait_for_function(ROWS, arg=[root.element_handle(), 3])
    # the server runs without jupyter_lsp, so JupyterLab's /lsp/status answers 404
    ours = [u for u in missing if "/lsp/status" not in u]
    load_errors = [p for p in problems if p.startswith("Failed to load resource")]
    assert len(load_errors) <= len(missing) and not ours, (problems, missing)
    stale = [p for p in problems[reopened:] if "widget model not found" in p]
    others = [p for p in problems if not p.startswith("Failed to load resource")]
    assert [p for p in others if p not in stale] == [], problems


#: A busy kernel: answers to a reset or a slice change come 0.6 s late.
SLOW_KERNEL = """import time
_answer = v._answer
def _slow(kind, msg):
    if kind in ("reset", "index"):
        time.sleep(0.6)
    _answer(kind, msg)
v._answer = _slow"""
#: Every animation frame: (zoom, index of the view, index of the slice on screen).
SAMPLE = """r => { r.wbSamples = []; const f = () => { const w = r.wbViewer;
  r.wbSamples.push([w.view.zoom, w.view.index, w.slice.meta.index]);
  if (r.wbSamples.length < 100000) requestAnimationFrame(f); }; f(); }"""


def test_late_kernel_answers_never_take_back_a_newer_view(lab: JupyterLab, tmp_path: Path) -> None:
    """A reviewer zooms right after a double-click reset, and scrolls three slices while the
    kernel is busy: the kernel's late answers to the earlier actions must not move the page
    back (zoom to 1, slice back) even for a moment, and both ends agree afterwards."""

    source = _reading_case(tmp_path)
    _reading_notebook(lab.notebooks / "late.ipynb", source, tmp_path / "ws", SLOW_KERNEL)
    lab.wait_ready()
    with lab_page(1300, 1300) as (page, _):
        root = _open_and_run(page, lab, "late.ipynb")
        root.scroll_into_view_if_needed()
        handle = root.element_handle()
        x, y = page.evaluate(TO_CLIENT, [handle, [64, 64]])
        page.mouse.move(x, y)

        # double-click reset (answered 0.6 s late), then a zoom at once
        page.dblclick("canvas.wb-canvas")
        page.keyboard.down("Control")
        page.mouse.wheel(0, -400)
        page.keyboard.up("Control")
        page.wait_for_function("r => r.wbViewer.view.zoom > 1.5", arg=handle)
        page.evaluate(SAMPLE, handle)
        page.wait_for_function("r => r.wbViewer.kernelView.zoom > 1.5", arg=handle)
        page.wait_for_timeout(300)
        zooms = [z for z, _, _ in page.evaluate("r => r.wbSamples", handle)]
        assert min(zooms) > 1.5, "a late answer to the reset took the zoom back"
        kernel, mine = page.evaluate("r => [r.wbViewer.kernelView, r.wbViewer.view]", handle)
        assert kernel["zoom"] == pytest.approx(mine["zoom"]) and kernel["zoom"] > 1.5

        # two slices on while each answer takes 0.6 s: never back, then agreed
        page.dblclick("canvas.wb-canvas")
        page.wait_for_function("r => r.wbViewer.kernelView.zoom === 1", arg=handle)
        page.wait_for_timeout(300)
        start = page.evaluate("r => r.wbViewer.view.index", handle)
        step = 1 if start + 2 < 5 else -1  # five slices: room for two either way
        page.evaluate(SAMPLE, handle)
        for _ in range(2):
            page.mouse.wheel(0, 120 * step)
            page.wait_for_timeout(60)
        end = start + 2 * step
        page.wait_for_function(f"r => r.wbViewer.kernelView.index === {end}", arg=handle)
        page.wait_for_timeout(300)
        samples = page.evaluate("r => r.wbSamples", handle)
        for moved in ([i for _, i, _ in samples], [k for _, _, k in samples]):
            assert moved == sorted(moved, reverse=step < 0) and moved[-1] == end, moved
        # the kernel has carried out every numbered action the page sent
        assert page.evaluate("r => r.wbViewer.kernelView.seq === r.wbViewer.seq", handle)


def test_export_in_the_kernel_saves_the_notebook_first(lab: JupyterLab) -> None:
    """An edit not yet saved reaches the file: the kernel's save request runs JupyterLab's
    save (workbench.export.freshness.save_in_jupyterlab) before the export reads it."""
    import nbformat

    path = lab.notebooks / "save.ipynb"
    note = nbformat.v4.new_markdown_cell("Old text.")
    run = nbformat.v4.new_code_cell(
        "from pathlib import Path\nfrom workbench.export.freshness import save_in_jupyterlab\n"
        "print('saved:', save_in_jupyterlab(Path('save.ipynb').resolve(), timeout=30))"
    )
    nb = nbformat.v4.new_notebook(cells=[note, run])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, path)
    lab.wait_ready()
    with lab_page(1200, 900) as (page, _):
        open_notebook(page, lab, "save.ipynb")
        markdown = page.locator(".jp-Notebook .jp-MarkdownCell").first
        markdown.dblclick()
        editor = markdown.locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+End")
        page.keyboard.type(" Unsaved edit.")
        code = page.locator(".jp-Notebook .jp-CodeCell").first
        code.click()
        page.keyboard.press("Shift+Enter")
        page.locator(".jp-OutputArea-output").filter(has_text="saved:").wait_for(timeout=60_000)
        printed = page.locator(".jp-OutputArea-output").filter(has_text="saved:").inner_text()
    assert "saved: True" in printed
    assert "Unsaved edit." in path.read_text(encoding="utf-8")


# --- layouts: 1×2 panes, the toolbar switch, the three-pane MPR with a linked crosshair ----

LAYOUT_CELLS = (
    "films = workbench.LayoutViewer(case, layout='1x2', panes={films!r}, name='films')\nfilms",
    "ct = workbench.LayoutViewer(case, layout='mpr', panes=[{ct!r}], name='ct')\nct",
)
#: Index on screen, slice drawn and painted count of each viewer in a cell.
PANES_STATE = """cell => [...cell.querySelectorAll('.wb-viewer')].filter(r => r.offsetParent)
  .map(r => ({index: r.wbViewer.view.index, shown: r.wbViewer.slice && r.wbViewer.slice.meta.index,
              painted: r.wbViewer.painted}))"""


def _layout_case(root: Path) -> tuple[Path, list[str], str]:
    """A 10-slice axial CT (3 mm over 0.66 mm pixels) and two standing films of one study."""
    import pydicom
    from imaging_builders import ct_stack, projection

    folder = root / "layouts"
    ct_stack(folder / "ct", 10, spacing=3.0, marker=False)
    study = pydicom.uid.generate_uid()
    for k, (view, desc) in enumerate(
        (("AP", "KNEE RT AP STANDING"), ("LL", "KNEE RT LAT STANDING"))
    ):
        path = projection(
            folder / "dx" / f"film{k}.dcm", pixel_spacing=(0.2, 0.2), description=desc
        )
        ds = pydicom.dcmread(path)
        ds.StudyInstanceUID, ds.ViewPosition, ds.Laterality = study, view, "R"
        ds.StudyDate = "20240903"
        ds.save_as(path)
    return folder


def test_layouts_and_linked_mpr_in_jupyterlab(lab: JupyterLab, tmp_path: Path) -> None:
    """1×2 shows two labelled panes; the toolbar switches layout; a click in the axial pane
    moves the coronal and sagittal panes to the slices the core predicts."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    from playwright.sync_api import expect

    from workbench.case import open_case
    from workbench.imaging.volume import load_series
    from workbench.view.crosshair import click as crosshair_click

    source = _layout_case(tmp_path)
    case = open_case(source, workspace=tmp_path / "ws-test")
    films = [(str(r.study_key), str(r.series_key)) for r in case.series.itertuples()
             if r.Modality == "DX"]  # fmt: skip
    ct = str(case.series.loc[case.series["Modality"] == "CT", "series_key"].iloc[0])
    assert len(films) == 2 and films[0][0] == films[1][0]
    volume = load_series(case, ct)
    start = volume.n_frames // 2
    target = crosshair_click(volume, "axial", start, 40, 100)  # what the kernel should do
    setup = (f"import workbench\ncase = workbench.open_case({str(source)!r}, "
             f"workspace={str(tmp_path / 'ws')!r})")  # fmt: skip
    cells = [setup, LAYOUT_CELLS[0].format(films=films), LAYOUT_CELLS[1].format(ct=ct)]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, lab.notebooks / "layouts.ipynb")
    lab.wait_ready()
    with lab_page(1400, 1300) as (page, problems):
        _open_and_run(page, lab, "layouts.ipynb")
        film_cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text="films = ")
        ct_cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text="ct = ")

        # 1×2: two viewers side by side, each labelled with date, side, weight-bearing
        film_cell.scroll_into_view_if_needed()
        page.wait_for_function(
            "c => [...c.querySelectorAll('.wb-viewer')].filter(r => r.wbViewer && "
            "r.wbViewer.painted > 0 && r.wbViewer.slice).length === 2",
            arg=film_cell.element_handle())  # fmt: skip
        labels = film_cell.locator(".wb-pane-label")
        expect(labels).to_have_count(2)
        for k in range(2):
            text = labels.nth(k).inner_text()
            assert "2024-09-03" in text and "RIGHT" in text and "weight-bearing" in text
        boxes = [film_cell.locator(".wb-viewer").nth(k).bounding_box() for k in range(2)]
        assert boxes[1]["x"] >= boxes[0]["x"] + boxes[0]["width"] - 1  # side by side

        # the layout's ★ button: one key image of both films, its chip, its × taking it back
        from workbench.view.key_images import toolbar_outputs

        film_cell.locator(".wb-panes-key").locator("xpath=..").locator("input").fill("Both films")
        film_cell.locator(".wb-panes-key").click()
        chip = film_cell.locator(".wb-panes-keyimg")
        expect(chip).to_have_count(1)
        expect(chip).to_contain_text("Both films")
        (made,) = toolbar_outputs(tmp_path / "ws")
        assert len(made["metadata"]["workbench"]["panes"]) == 2
        chip.locator(".wb-panes-keydel").click()
        expect(chip).to_have_count(0)
        assert toolbar_outputs(tmp_path / "ws") == []

        # the toolbar switches layout: 1×1, then 2×2; the kernel answers with the panes
        film_cell.locator(".wb-layout-switch button", has_text="1×1").click()
        page.wait_for_function(f"c => ({PANES_STATE})(c).length === 1",
                               arg=film_cell.element_handle())  # fmt: skip
        film_cell.locator(".wb-layout-switch button", has_text="2×2").click()
        page.wait_for_function(f"c => ({PANES_STATE})(c).length === 4",
                               arg=film_cell.element_handle())  # fmt: skip
        expect(film_cell.locator(".wb-pane-label")).to_have_count(4)

        # MPR: three panes; a real click in the axial pane moves the other two
        ct_cell.scroll_into_view_if_needed()
        handle = ct_cell.element_handle()
        page.wait_for_function(
            f"c => {{ const s = ({PANES_STATE})(c); return s.length === 3 && "
            "s.every(p => p.painted > 0 && p.shown !== null); }", arg=handle)  # fmt: skip
        panes = ct_cell.locator(".wb-viewer")
        axial, coronal, sagittal = (panes.nth(k) for k in range(3))
        before = page.evaluate(PANES_STATE, handle)
        assert before[0]["index"] == start
        shots = [pane.locator("canvas.wb-canvas").screenshot() for pane in (coronal, sagittal)]
        x, y = page.evaluate(TO_CLIENT, [axial.element_handle(), [40, 100]])
        page.mouse.click(x, y)
        want = [start, target.voxel[1], target.voxel[2]]
        page.wait_for_function(
            f"c => {{ const s = ({PANES_STATE})(c); return s.map(p => p.index).join() === "
            f"'{','.join(map(str, want))}' && s.map(p => p.shown).join() === "
            f"'{','.join(map(str, want))}'; }}", arg=handle)  # fmt: skip
        assert want[1:] == [40, 100] and want[1:] != [before[1]["index"], before[2]["index"]]
        expect(coronal.locator(".wb-corner")).to_contain_text("coronal 41/128")
        expect(sagittal.locator(".wb-corner")).to_contain_text("sagittal 101/128")
        page.wait_for_timeout(200)
        after = [pane.locator("canvas.wb-canvas").screenshot() for pane in (coronal, sagittal)]
        assert after[0] != shots[0] and after[1] != shots[1]
    errors = [p for p in problems if not p.startswith("Failed to load resource")]
    assert errors == [], problems
