"""The viewers, driven as a user would: setting traits and clicking buttons in Python."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom import dcmread
from pydicom.data import get_testdata_file

import workbench
from workbench.view.comparison import pick_comparison_pairs
from workbench.view.key_images import key_images
from workbench.view.overlay import SIDE_COLOURS
from workbench.widgets.compare import CompareViewer
from workbench.widgets.series_viewer import SeriesViewer


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


@pytest.fixture(scope="module")
def knee(tmp_path_factory):
    return workbench.open_case(
        workbench.samples.path("knee_oa_right"), workspace=tmp_path_factory.mktemp("knee")
    )


def _ct_series(
    folder: Path,
    *,
    study: str,
    series: str,
    frame_of_ref: str,
    date: str,
    z: list[float],
    side: str = "R",
) -> None:
    """Copies of CT_small stacked at positions *z* (mm) in one series."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, pos in enumerate(z):
        ds = dcmread(get_testdata_file("CT_small.dcm"))
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series
        ds.SOPInstanceUID = f"{series}.{k + 1}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.FrameOfReferenceUID = frame_of_ref
        ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = date
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [-80.0, -80.0, pos]
        ds.InstanceNumber = k + 1
        ds.SliceLocation = pos
        ds.Laterality = side
        ds.BodyPartExamined = "KNEE"
        ds.SeriesDescription = "KNEE AXIAL"
        ds.PixelData = (ds.pixel_array + 40 * k).astype(ds.pixel_array.dtype).tobytes()
        ds.save_as(folder / f"IM{k:03d}.dcm")


def _two_ct_case(tmp_path: Path, *, same_frame: bool) -> workbench.Case:
    root = tmp_path / "ct_case"
    _ct_series(
        root / "a",
        study="1.2.826.0.1.1",
        series="1.2.826.0.1.1.1",
        date="20230101",
        frame_of_ref="1.2.826.0.1.9",
        z=[0.0, 5.0, 10.0, 15.0, 20.0],
    )
    _ct_series(
        root / "b",
        study="1.2.826.0.1.2",
        series="1.2.826.0.1.2.1",
        date="20240101",
        frame_of_ref="1.2.826.0.1.9" if same_frame else "1.2.826.0.1.8",
        z=[12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0, 30.0],
    )
    return workbench.open_case(root, workspace=tmp_path / "ws")


def test_series_viewer_opens_with_badge_and_image(knee):
    viewer = SeriesViewer(knee, size=400)
    assert viewer.study.value == knee.studies.sort_values("date")["study_key"].iloc[-1]
    assert "RIGHT" in viewer.badge.value
    image = Image.open(io.BytesIO(viewer.image.value))
    assert image.format == "JPEG" and max(image.size) == 400
    corner = _pixels(viewer.current_png())[:25, :40].reshape(-1, 3)
    red = np.array(Image.new("RGB", (1, 1), SIDE_COLOURS["right"]).getpixel((0, 0)))
    assert (np.abs(corner - red).sum(axis=1) < 30).mean() > 0.3
    assert len(viewer.thumbnails.children) == len(viewer.series.options)


def test_select_study_series_and_scroll(knee):
    viewer = SeriesViewer(knee, size=320)
    mr = knee.studies.loc[knee.studies["modality"] == "MR", "study_key"].iloc[0]
    viewer.study.value = mr
    assert viewer.volume is not None and viewer.volume.modality == "MR"
    assert viewer.slider.max == viewer.volume.n_frames - 1
    before = viewer.image.value
    viewer.slider.value = 2
    assert viewer.view.index == 2 and viewer.image.value != before
    assert Image.open(io.BytesIO(viewer.image.value)).size[1] == 320
    viewer.next_button.click()
    assert viewer.view.index == 3 and viewer.slider.value == 3
    other = next(k for _, k in viewer.series.options if k != viewer.series.value)
    viewer.series.value = other
    assert viewer.view.series_key == other
    viewer.thumbnails.children[0].children[1].click()
    assert viewer.series.value == viewer.series.options[0][1]


def test_window_presets_flip_rotate_invert_zoom(knee):
    viewer = SeriesViewer(knee, size=256, image_format="png")
    mr = knee.studies.loc[knee.studies["modality"] == "MR", "study_key"].iloc[0]
    viewer.study.value = mr
    base = _pixels(viewer.image.value)
    viewer.width.value = viewer.view.width / 4  # narrower window: more contrast
    narrow = _pixels(viewer.image.value)
    assert narrow[60:-60, 60:-60].std() > base[60:-60, 60:-60].std()
    viewer.preset_buttons[0].click()  # "auto" resets to the header / automatic window
    assert viewer.view.width == pytest.approx(viewer.reference_window[1])
    assert np.abs(_pixels(viewer.image.value) - base).mean() < 1
    viewer.tool_buttons["flip_h"].click()
    flipped = _pixels(viewer.image.value)
    inner = slice(40, -40)  # the overlays are not mirrored; compare the anatomy
    assert viewer.view.flip_h
    assert np.abs(flipped[inner, inner] - base[:, ::-1][inner, inner]).mean() < 3
    viewer.tool_buttons["flip_h"].click()
    viewer.tool_buttons["rotate"].click()
    assert viewer.view.rotate == 90
    viewer.tool_buttons["invert"].click()
    assert viewer.view.invert
    viewer.tool_buttons["reset"].click()
    viewer.tool_buttons["zoom_in"].click()
    viewer.tool_buttons["pan_left"].click()
    assert viewer.view.zoom == pytest.approx(1.25) and viewer.view.pan[1] < 0
    assert _pixels(viewer.image.value).shape == base.shape


def test_ct_presets_and_header_panel(tmp_path):
    case = _two_ct_case(tmp_path, same_frame=True)
    viewer = SeriesViewer(case)
    names = [b.preset for b in viewer.preset_buttons]
    assert "ct_bone" in names
    viewer.preset_buttons[names.index("ct_bone")].click()
    assert (viewer.view.center, viewer.view.width) == (500.0, 2000.0)
    assert (viewer.center.value, viewer.width.value) == (500.0, 2000.0)
    viewer.header_box.selected_index = 0
    assert "KNEE AXIAL" in viewer.header.value and "PatientName" not in viewer.header.value
    assert "calibration" in viewer.header.value


def test_measurements_are_stored_drawn_and_listed(knee):
    viewer = SeriesViewer(knee, size=300, image_format="png")
    before = _pixels(viewer.image.value)
    m = viewer.measure_length((200, 200), (800, 200))
    assert m.unit == "mm" and m.calibration_source.startswith("ImagerPixelSpacing")
    assert "mm" in viewer.measurements.value and m.calibration_source in viewer.measurements.value
    assert np.abs(_pixels(viewer.image.value) - before).sum() > 0
    a = viewer.measure_angle((100, 100), (500, 400), (100, 700))
    assert a.unit == "deg"
    c = viewer.measure_cobb(((100, 100), (120, 700)), ((800, 100), (700, 700)))
    assert 0 < c.value < 90
    r = viewer.measure_roi((600, 450), 40)
    assert r.kind == "roi" and r.sd is not None
    stored = json.loads((knee.workspace / "measurements.json").read_text())
    assert len([x for f in stored["measurements"].values() for v in f.values() for x in v]) >= 4


def test_snapshot_and_mimebundle(knee):
    viewer = SeriesViewer(knee, size=300)
    viewer.measure_length((300, 300), (300, 600))
    shot = viewer.snapshot(caption="Standing AP 2024: medial joint space")
    data, meta = shot._repr_mimebundle_()
    png = base64.b64decode(data["image/png"])
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert data["text/plain"] == "Standing AP 2024: medial joint space"
    info = meta["workbench"]
    assert info["caption"] == "Standing AP 2024: medial joint space"
    assert info["series_key"] == viewer.volume.series_key and info["study_key"] == viewer.study_key
    assert info["measurements"][0]["calibration_source"].startswith("ImagerPixelSpacing")
    assert shot.path.parent == knee.workspace / "key_images" and shot.path.read_bytes() == png
    listed = json.loads((knee.workspace / "key_images" / "key_images.json").read_text())
    assert shot.path.name in [item["file"] for item in listed["key_images"]]
    table = key_images(knee)
    assert "Standing AP 2024: medial joint space" in list(table["caption"])
    bundle = viewer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert Image.open(io.BytesIO(base64.b64decode(bundle["image/png"]))).format == "PNG"


def test_compare_viewer_on_the_knee_sample(knee):
    prior, current = pick_comparison_pairs(knee)[0]
    viewer = CompareViewer(knee, prior, current, size=300)
    assert "2023-06-12" in viewer.labels[0].value and "2024-09-03" in viewer.labels[1].value
    assert all(
        "RIGHT" in label.value and "weight-bearing" in label.value for label in viewer.labels
    )
    assert "AP" in str(viewer.b.series_row["SeriesDescription"])
    viewer.a.tool_buttons["zoom_in"].click()
    assert viewer.b.view.zoom == viewer.a.view.zoom
    before = viewer.b.view.width
    viewer.a.set_window(viewer.a.view.center, viewer.a.view.width / 2)
    assert viewer.b.view.width == pytest.approx(before / 2)
    assert "image/png" in viewer._repr_mimebundle_()
    shot = viewer.snapshot(caption="Prior vs current")
    assert shot._repr_mimebundle_()[1]["workbench"]["caption"] == "Prior vs current"


def test_compare_sync_by_position_in_one_frame_of_reference(tmp_path):
    case = _two_ct_case(tmp_path, same_frame=True)
    a, b = case.studies.sort_values("date")["study_key"]
    viewer = CompareViewer(case, a, b, size=200)
    viewer.a.slider.value = 3  # z = 15 mm -> B's slice at 14 or 16 mm
    assert viewer.b.volume.slice_position(viewer.b.view.index) in (14.0, 16.0)
    viewer.a.slider.value = 0  # z = 0 mm -> B's nearest is its first slice (12 mm)
    assert viewer.b.view.index == 0
    viewer.b.slider.value = 9  # z = 30 mm -> A's last slice (20 mm)
    assert viewer.a.view.index == 4
    viewer.a.set_window(100.0, 300.0)  # CT: windows link in Hounsfield units
    assert (viewer.b.view.center, viewer.b.view.width) == (100.0, 300.0)
    viewer.link.value = False
    viewer.a.slider.value = 2
    assert viewer.b.view.index == 9


def test_compare_sync_by_relative_index_across_frames_of_reference(tmp_path):
    case = _two_ct_case(tmp_path, same_frame=False)
    a, b = case.studies.sort_values("date")["study_key"]
    viewer = CompareViewer(case, a, b, size=200)
    viewer.a.slider.value = 4
    assert viewer.b.view.index == 9
    viewer.a.slider.value = 2
    assert viewer.b.view.index == round(2 * 9 / 4)


def test_play_drives_the_slider(tmp_path):
    case = _two_ct_case(tmp_path, same_frame=True)
    viewer = SeriesViewer(case)
    assert viewer.play.max == viewer.volume.n_frames - 1
    viewer.play.value = 1
    assert viewer.view.index == 1 and viewer.slider.value == 1


def test_mouse_wheel_scrolls_slices(tmp_path):
    """The wheel handler is what the browser calls (ipyevents); drive it as the frontend does."""
    import workbench
    from workbench.widgets.series_viewer import wheel_steps

    case = workbench.open_case(workbench.samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    mr = case.studies[case.studies["modality"] == "MR"]["study_key"].iloc[0]
    viewer = workbench.SeriesViewer(case, study_key=mr)
    start = viewer.slider.value
    viewer._on_wheel({"type": "wheel", "deltaY": 120, "deltaMode": 0})
    assert viewer.slider.value == start + 1
    viewer._on_wheel({"type": "wheel", "deltaY": -360, "deltaMode": 0})
    assert viewer.slider.value == start - 2
    assert viewer.wheel.watched_events == ["wheel"] and viewer.wheel.source is viewer.image
    assert wheel_steps({"deltaY": 3, "deltaMode": 1}) == 1


def test_voi_lut_sequence_is_the_default_display(tmp_path):
    """An image with a (0028,3010) VOI LUT Sequence and no window is shown through the LUT."""
    import shutil
    from dataclasses import replace

    import numpy as np
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_voi_lut

    import workbench
    from workbench.imaging.windowing import window_to_uint8

    root = tmp_path / "case"
    root.mkdir()
    shutil.copy(get_testdata_file("vlut_04.dcm"), root / "vlut.dcm")
    case = workbench.open_case(root, workspace=tmp_path / "ws")
    viewer = workbench.SeriesViewer(case)
    assert viewer.view.voi_lut is True
    volume = viewer.volume
    shown = window_to_uint8(volume.frame(0), 0, 1, voi_lut=volume.voi_lut(0))
    ds = pydicom.dcmread(root / "vlut.dcm")
    reference = apply_voi_lut(ds.pixel_array.astype(float), ds)
    assert np.corrcoef(shown.ravel(), reference.ravel())[0, 1] > 0.999
    through_lut = viewer.image.value
    viewer.apply(lambda s: replace(s, voi_lut=False))  # same window, without the LUT
    assert viewer.image.value != through_lut
    viewer.apply(lambda s: replace(s, voi_lut=True))
    viewer.center.value = viewer.center.value + 10  # the reviewer takes over the window
    assert viewer.view.voi_lut is False
