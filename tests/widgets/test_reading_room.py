"""The reading room without a browser: defects seen by reviewers, the kernel side of the
browser viewer (slice codes, window parameters, actions) and the key-image button."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut

import workbench
from workbench.errors import MeasurementError
from workbench.imaging.windowing import window_to_uint8
from workbench.notebook.build import build_review_notebook, viewer_names
from workbench.view.browser import encode_slice, window_lut, window_params
from workbench.view.labels import measurement_table_html, study_label
from workbench.view.overlay import Text, layout
from workbench.view.slice_view import slice_image, view_layout, viewport_for
from workbench.widgets.series_viewer import SeriesViewer, _series_options


@pytest.fixture(scope="module")
def knee(tmp_path_factory):
    ws = tmp_path_factory.mktemp("ws")
    return workbench.open_case(workbench.samples.path("knee_oa_right"), workspace=ws)


def _ultrasound_case(root: Path, *, regions: bool = True) -> workbench.Case:
    """pydicom's RGB ultrasound frame, with a 0.0308 cm/pixel region when *regions*."""
    folder = root / "us"
    folder.mkdir(parents=True)
    ds = pydicom.dcmread(get_testdata_file("US1_UNCR.dcm"))
    if regions:
        item = Dataset()
        item.RegionSpatialFormat = 1
        item.RegionDataType = 1
        item.PhysicalUnitsXDirection = 3
        item.PhysicalUnitsYDirection = 3
        item.PhysicalDeltaX = 0.0308
        item.PhysicalDeltaY = 0.0308
        ds.SequenceOfUltrasoundRegions = [item]
    ds.save_as(folder / "us.dcm")
    return workbench.open_case(folder, workspace=root / "ws")


def _box(t: Text) -> tuple[float, float, float, float]:
    """A generous bounding box (x0, y0, x1, y1) of a text item from its anchor."""
    w, h = 0.62 * t.size * len(t.text), 1.2 * t.size
    x, y = t.xy
    h_anchor, v_anchor = t.anchor[0], t.anchor[1]
    x0 = {"l": x, "m": x - w / 2, "r": x - w}[h_anchor]
    y0 = {"a": y, "t": y, "m": y - h / 2, "b": y - h, "d": y - h, "s": y - h}[v_anchor]
    return x0, y0, x0 + w, y0 + h


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# --- observed defects -------------------------------------------------------------------


def test_buttons_do_not_share_one_layout(knee, tmp_path):
    stack = SeriesViewer(knee, study_key=knee.studies.loc[knee.studies["modality"] == "MR",
                                                            "study_key"].iloc[0])  # fmt: skip
    single = SeriesViewer(_ultrasound_case(tmp_path))
    assert stack.prev_button.layout is not single.prev_button.layout
    assert single.slice_row.layout.display == "none"  # one frame: no slice controls
    assert stack.slice_row.layout.display != "none"  # ... and that does not hide these


def test_slider_counts_as_the_overlay(knee):
    mr = knee.studies.loc[knee.studies["modality"] == "MR", "study_key"].iloc[0]
    viewer = SeriesViewer(knee, study_key=mr)
    viewer.show_index(8)
    n = viewer.volume.n_frames
    assert viewer.slider.value == 9 and viewer.slider.max == n
    assert viewer.canvas.overlay["n"] == n and viewer.canvas.view["index"] == 8  # JS: 9/n
    image = slice_image(viewer.volume, viewer.view)
    items = view_layout(viewer.volume, viewer.view, image, viewport_for(viewer.view, image, 400),
                        side="right")  # fmt: skip
    assert f"9/{n}" in [t.text for t in items if isinstance(t, Text)]


def test_orientation_letter_clear_of_calibration_text(tmp_path):
    from workbench.view.viewport import Viewport

    for shape in ((600, 800), (800, 300), (512, 512)):  # wide, narrow, square
        viewport = Viewport.fit(shape, 400)
        source = "ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor"
        letters = {"left": "R", "right": "L", "top": "H", "bottom": "F"}
        items = layout(viewport, side="left", labels=letters, pixel_spacing=(0.3, 0.3),
                       spacing_source=source)  # fmt: skip
        texts = [t for t in items if isinstance(t, Text)]
        letter = next(t for t in texts if t.text == "F")
        calibration = next(t for t in texts if t.text.startswith("calibrated"))
        assert not _overlap(_box(letter), _box(calibration)), shape


def test_no_side_badge_over_burned_in_ultrasound_text(tmp_path):
    case = _ultrasound_case(tmp_path)
    viewer = SeriesViewer(case)
    image = slice_image(viewer.volume, viewer.view)
    items = view_layout(viewer.volume, viewer.view, image, viewport_for(viewer.view, image, 400),
                        side=None)  # fmt: skip
    assert not [t for t in items if isinstance(t, Text) and t.text in ("SIDE ?", "RIGHT")]
    assert "SIDE ?" in viewer.badge.value  # shown above the image instead


def test_series_labels_never_read_nan():
    series = pd.DataFrame({"series_key": ["a"], "study_key": ["s"], "SeriesNumber": [np.nan],
                           "SeriesDescription": [np.nan], "Modality": [np.nan],
                           "n_images": [np.nan]})  # fmt: skip
    options = _series_options(SimpleNamespace(series=series), "s")
    assert "nan" not in options[0][0].lower() and "(no description)" in options[0][0]


def test_calibration_text_follows_calibrate(knee):
    viewer = SeriesViewer(knee)
    assert "ImagerPixelSpacing" in viewer.canvas.overlay["calibration"]
    viewer.calibrate((100, 100), (100, 300), 50.0)
    assert viewer.canvas.overlay["calibration"] == "calibrated: user calibration (50 mm line)"
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(viewer.current_png())).format == "PNG"
    cal = viewer.store.calibration_for(*viewer.volume.sop_uids[viewer.view.index])
    image = slice_image(viewer.volume, viewer.view)
    items = view_layout(viewer.volume, viewer.view, image, viewport_for(viewer.view, image, 400),
                        side="right", calibration=(cal.mm_per_px, cal.source))  # fmt: skip
    texts = [t.text for t in items if isinstance(t, Text)]
    assert "calibrated: user calibration" in texts
    assert not [t for t in texts if "ImagerPixelSpacing" in t]


def test_measurement_hint_names_no_missing_variable():
    hint = measurement_table_html([])
    assert "viewer." not in hint and "toolbar" in hint


def test_colour_images_have_no_window_controls_nor_weight_bearing(tmp_path):
    case = _ultrasound_case(tmp_path)
    viewer = SeriesViewer(case)
    assert viewer.volume.is_color
    assert viewer.window_box.layout.display == "none" and viewer.presets.children == ()
    assert viewer.canvas.window["colour"] is True and viewer.canvas.presets == []
    label = study_label({"date": "2024-01-02", "modality": "US", "body_part": None,
                         "weight_bearing": None})  # fmt: skip
    assert "weight-bearing" not in label
    xray = study_label({"date": "2024-01-02", "modality": "DX", "body_part": "knee",
                        "weight_bearing": None})  # fmt: skip
    assert "weight-bearing unknown" in xray


def test_ultrasound_region_calibration_gives_mm(tmp_path):
    case = _ultrasound_case(tmp_path)
    viewer = SeriesViewer(case)
    assert viewer.volume.geometry.spacing_source == "UltrasoundRegion"
    m = viewer.measure_length((100, 100), (100, 200))
    assert m.unit == "mm" and m.calibration_source == "UltrasoundRegion"
    assert m.value == pytest.approx(100 * 0.308)
    bare = SeriesViewer(_ultrasound_case(tmp_path / "bare", regions=False))
    assert bare.measure_length((100, 100), (100, 200)).unit == "px"


def test_points_outside_the_image_are_refused(tmp_path):
    case = _ultrasound_case(tmp_path)  # 480 rows × 640 columns
    viewer = SeriesViewer(case)
    with pytest.raises(MeasurementError, match=r"\(300, 880\) is outside the image \(480 rows"):
        viewer.measure_length((300, 880), (1500, 880))
    with pytest.raises(MeasurementError, match="outside"):
        viewer.measure_angle((10, 10), (20, 20), (-5, 30))
    assert len(viewer.store) == 0


def test_notebook_gives_every_viewer_its_own_name(knee, tmp_path):
    path = build_review_notebook(knee, tmp_path / "review.ipynb")
    nb = nbformat.read(path, as_version=4)
    assigned = [c.source.split(" = ", 1)[0] for c in nb.cells
                if c.cell_type == "code" and "Viewer(case" in c.source]  # fmt: skip
    assert assigned and len(set(assigned)) == len(assigned) and "viewer" not in assigned
    for name in viewer_names(knee).values():
        sources = [c.source for c in nb.cells if c.source.startswith(f"{name} =")]
        assert all(f"name={name!r}" in s for s in sources)
    text = "\n".join(c.source for c in nb.cells)
    assert "viewer.snapshot" not in text and "viewer.measure_length" not in text


# --- what the browser receives ----------------------------------------------------------


def test_browser_window_matches_pydicom_on_ct():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    hu = apply_modality_lut(ds.pixel_array, ds).astype(np.float32)
    codes, meta = encode_slice(hu)
    assert meta["dtype"] == "int16" and meta["exact"]
    params = {"center": 40.0, "width": 400.0, "function": "LINEAR", "invert": False}
    assert np.array_equal(window_lut(codes, meta, params), window_to_uint8(hu, 40.0, 400.0))
    params["invert"] = True
    assert np.array_equal(window_lut(codes, meta, params), 255 - window_to_uint8(hu, 40, 400))


def test_non_integral_values_are_quantised_with_their_step():
    values = np.linspace(-1.5, 2.5, 1000, dtype=np.float32).reshape(20, 50)
    codes, meta = encode_slice(values)
    back = codes * meta["scale"] + meta["offset"]
    assert not meta["exact"] and np.abs(back - values).max() <= meta["scale"]


def test_monochrome1_and_voi_lut_sequence_parameters(tmp_path):
    root = tmp_path / "case"
    root.mkdir()
    shutil.copy(get_testdata_file("vlut_04.dcm"), root / "vlut.dcm")
    case = workbench.open_case(root, workspace=tmp_path / "ws")
    viewer = SeriesViewer(case)
    volume, state = viewer.volume, viewer.view
    codes, meta = encode_slice(volume.frame(0))
    params = window_params(volume, state, meta)
    assert params["voi_table"] is not None
    expected = window_to_uint8(volume.frame(0), 0, 1, voi_lut=volume.voi_lut(0))
    if params["invert"]:
        expected = 255 - expected
    assert np.array_equal(window_lut(codes, meta, params), expected)
    mono1 = SimpleNamespace(**{**volume.__dict__, "photometric": "MONOCHROME1"})
    mono1.is_color, mono1.dataset, mono1.voi_lut = False, volume.dataset, volume.voi_lut
    assert window_params(mono1, state, meta)["invert"] is True


# --- key images from the toolbar --------------------------------------------------------


def test_key_image_button_keeps_the_chosen_measurements(tmp_path):
    case = workbench.open_case(workbench.samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    viewer = SeriesViewer(case, name="dx")
    a = viewer.measure_length((300, 300), (300, 600))
    viewer.measure_angle((100, 100), (500, 400), (100, 700))
    viewer._on_action({"type": "key_image", "caption": "Medial joint space", "ids": [a.id]})
    listed = json.loads((case.workspace / "key_images" / "key_images.json").read_text())
    (item,) = listed["key_images"]
    assert item["caption"] == "Medial joint space" and item["viewer"] == "dx"
    assert [m["id"] for m in item["measurements"]] == [a.id]
    assert viewer.last_key_image is not None and viewer.last_key_image.path.exists()
    shot = viewer.snapshot("all")  # code keeps working: every measurement of the image
    assert len(shot.metadata["measurements"]) == 2


def test_measurement_records_stay_backward_compatible(tmp_path):
    from workbench.imaging.measure import MeasurementStore

    old = {"kind": "length", "points": [[0, 0], [0, 10]], "sop_uid": "1.2", "frame": 1,
           "value": 5.0, "unit": "mm", "calibration_source": "PixelSpacing",
           "id": "abc"}  # fmt: skip
    (tmp_path / "measurements.json").write_text(
        json.dumps({"version": 1, "measurements": {"1.2": {"1": [old]}}})
    )
    store = MeasurementStore(tmp_path)
    (m,) = store.for_frame("1.2", 1)
    assert (m.label, m.viewer, m.details) == ("", "", {})
    record = m.to_json()
    assert set(old) <= set(record) and {"label", "viewer", "details"} <= set(record)


def test_moving_a_handle_recomputes_the_measurement(tmp_path):
    case = _ultrasound_case(tmp_path)
    viewer = SeriesViewer(case, name="us")
    m = viewer.measure_length((100, 100), (100, 200))
    viewer.rename_measurement(m.id, "tendon")
    viewer._on_action({"type": "move", "id": m.id, "points": [[100, 100], [100, 300]]})
    (moved,) = viewer.store
    assert moved.id == m.id and moved.label == "tendon" and moved.viewer == "us"
    assert moved.value == pytest.approx(200 * 0.308)
    viewer._on_action({"type": "move", "id": m.id, "points": [[100, 100], [100, 900]]})
    assert "outside the image" in viewer.canvas.status
    assert next(iter(viewer.store)).value == pytest.approx(200 * 0.308)
