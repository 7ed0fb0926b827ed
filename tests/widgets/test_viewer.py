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
    image = Image.open(io.BytesIO(viewer.current_png()))
    assert image.format == "PNG" and max(image.size) == 400
    viewer._on_action({"type": "hello"})  # what the browser is sent once a view renders
    meta = viewer._slice_meta
    assert (meta["rows"], meta["cols"]) == viewer.volume.shape[1:3]
    assert max(meta["width"], meta["height"]) <= 1024  # a radiograph goes at display size
    corner = _pixels(viewer.current_png())[:25, :40].reshape(-1, 3)
    red = np.array(Image.new("RGB", (1, 1), SIDE_COLOURS["right"]).getpixel((0, 0)))
    assert (np.abs(corner - red).sum(axis=1) < 30).mean() > 0.3
    assert len(viewer.thumbnails.children) == len(viewer.series.options)


def test_select_study_series_and_scroll(knee):
    viewer = SeriesViewer(knee, size=320)
    mr = knee.studies.loc[knee.studies["modality"] == "MR", "study_key"].iloc[0]
    viewer.study.value = mr
    assert viewer.volume is not None and viewer.volume.modality == "MR"
    assert viewer.slider.max == viewer.volume.n_frames  # 1-based, as the overlay counts
    before = viewer.current_png()
    viewer.slider.value = 3
    assert viewer.view.index == 2 and viewer.current_png() != before
    assert Image.open(io.BytesIO(viewer.current_png())).size[1] == 320
    viewer.next_button.click()
    assert viewer.view.index == 3 and viewer.slider.value == 4
    other = next(k for _, k in viewer.series.options if k != viewer.series.value)
    viewer.series.value = other
    assert viewer.view.series_key == other
    viewer.thumbnails.children[0].children[1].click()
    assert viewer.series.value == viewer.series.options[0][1]


def test_window_presets_flip_rotate_invert_zoom(knee):
    viewer = SeriesViewer(knee, size=256, image_format="png")
    mr = knee.studies.loc[knee.studies["modality"] == "MR", "study_key"].iloc[0]
    viewer.study.value = mr
    base = _pixels(viewer.current_png())
    viewer.width.value = viewer.view.width / 4  # narrower window: more contrast
    narrow = _pixels(viewer.current_png())
    assert narrow[60:-60, 60:-60].std() > base[60:-60, 60:-60].std()
    viewer.preset_buttons[0].click()  # "auto" resets to the header / automatic window
    assert viewer.view.width == pytest.approx(viewer.reference_window[1])
    assert np.abs(_pixels(viewer.current_png()) - base).mean() < 1
    viewer.tool_buttons["flip_h"].click()
    flipped = _pixels(viewer.current_png())
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
    assert _pixels(viewer.current_png()).shape == base.shape


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
    before = _pixels(viewer.current_png())
    m = viewer.measure_length((200, 200), (800, 200))
    assert m.unit == "mm" and m.calibration_source.startswith("ImagerPixelSpacing")
    assert "mm" in viewer.measurements.value and m.calibration_source in viewer.measurements.value
    assert np.abs(_pixels(viewer.current_png()) - before).sum() > 0
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
    viewer.a.show_index(3)  # z = 15 mm -> B's slice at 14 or 16 mm
    assert viewer.b.volume.slice_position(viewer.b.view.index) in (14.0, 16.0)
    viewer.a.show_index(0)  # z = 0 mm -> B's nearest is its first slice (12 mm)
    assert viewer.b.view.index == 0
    viewer.b.show_index(9)  # z = 30 mm -> A's last slice (20 mm)
    assert viewer.a.view.index == 4
    viewer.a.set_window(100.0, 300.0)  # CT: windows link in Hounsfield units
    assert (viewer.b.view.center, viewer.b.view.width) == (100.0, 300.0)
    viewer.link.value = False
    viewer.a.show_index(2)
    assert viewer.b.view.index == 9


def test_compare_sync_by_relative_index_across_frames_of_reference(tmp_path):
    case = _two_ct_case(tmp_path, same_frame=False)
    a, b = case.studies.sort_values("date")["study_key"]
    viewer = CompareViewer(case, a, b, size=200)
    viewer.a.show_index(4)
    assert viewer.b.view.index == 9
    viewer.a.show_index(2)
    assert viewer.b.view.index == round(2 * 9 / 4)


def test_play_drives_the_slider(tmp_path):
    case = _two_ct_case(tmp_path, same_frame=True)
    viewer = SeriesViewer(case)
    assert viewer.play.max == viewer.volume.n_frames
    viewer.play.value = 2
    assert viewer.view.index == 1 and viewer.slider.value == 2


def test_browser_actions_scroll_window_and_measure(tmp_path):
    """The browser's messages, driven as viewer.js sends them: index, view, measure, delete."""
    case = workbench.open_case(workbench.samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    mr = case.studies[case.studies["modality"] == "MR"]["study_key"].iloc[0]
    viewer = workbench.SeriesViewer(case, study_key=mr, name="mr")
    viewer._on_action({"type": "hello"})  # the view rendered: the slice and its neighbours go
    sent = []
    viewer.canvas.send = lambda content, buffers=None: sent.append((content, buffers))
    start = viewer.view.index
    viewer._on_action({"type": "index", "index": start + 1})
    assert viewer.view.index == start + 1 and viewer.slider.value == start + 2
    # the neighbour was prefetched: the kernel only says "show" it, no pixels again
    assert sent[0][0] == {"type": "show", "key": f"{viewer.volume.series_key}|acquired|{start + 1}"}
    viewer._on_action({"type": "index", "index": 0})  # not prefetched: pixels go
    assert any(c["type"] == "slice" and c["show"] for c, _ in sent)
    viewer._on_action({"type": "view", "view": {"center": 123.0, "width": 77.0, "zoom": 2,
                                                "pan": [0.1, -0.2]}})  # fmt: skip
    assert (viewer.view.center, viewer.view.width, viewer.view.zoom) == (123.0, 77.0, 2.0)
    assert viewer.canvas.window["center"] == 123.0 and viewer.view.pan == (0.1, -0.2)
    viewer._on_action({"type": "measure", "tool": "length", "points": [[10, 10], [10, 110]]})
    stored = [c for c, _ in sent if c["type"] == "stored"]
    assert stored and stored[-1]["id"] in {m["id"] for m in viewer.canvas.measurements}
    m = viewer.store.for_frame(*viewer.volume.sop_uids[viewer.view.index])[-1]
    assert m.viewer == "mr" and m.unit == "mm"
    viewer._on_action({"type": "measure", "tool": "length", "points": [[10, 10], [10, 9999]]})
    assert "outside the image" in viewer.canvas.status
    viewer._on_action({"type": "rename", "id": m.id, "label": "patellar tendon"})
    assert viewer.canvas.measurements[-1]["label"] == "patellar tendon"
    viewer._on_action({"type": "delete", "id": m.id})
    assert viewer.canvas.measurements == []


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
    through_lut = viewer.current_png()
    viewer.apply(lambda s: replace(s, voi_lut=False))  # same window, without the LUT
    assert viewer.current_png() != through_lut
    viewer.apply(lambda s: replace(s, voi_lut=True))
    viewer.center.value = viewer.center.value + 10  # the reviewer takes over the window
    assert viewer.view.voi_lut is False


def test_viewers_built_without_a_front_end_decode_nothing_until_a_view_asks(tmp_path, monkeypatch):
    """Executed headlessly (the export's run), nobody views: no decode, no slice sent."""
    from workbench.imaging import volume as volume_module
    from workbench.view.comparison import pick_comparison_pairs

    decoded: list[str] = []
    full, reduced = volume_module._decode, volume_module.Volume._reduced_decode

    def full_decode(*args):
        decoded.append("full")
        return full(*args)

    def reduced_decode(self, *args):
        decoded.append("reduced")
        return reduced(self, *args)

    monkeypatch.setattr(volume_module, "_decode", full_decode)
    monkeypatch.setattr(volume_module.Volume, "_reduced_decode", reduced_decode)
    case = workbench.open_case(workbench.samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    mr = case.studies[case.studies["modality"] == "MR"]["study_key"].iloc[0]
    stack = SeriesViewer(case, study_key=mr, name="mr")
    prior, current = pick_comparison_pairs(case)[0]
    pair = workbench.CompareViewer(case, prior, current)
    viewers = [stack, pair.a, pair.b]
    assert decoded == []
    assert all(v.canvas.sent_bytes == 0 and v._slice_meta is None for v in viewers)
    assert not any(box.children[0].value for box in stack.thumbnails.children)
    # the state is there all the same: what Python reads needs no pixels
    assert stack.view is not None and stack.canvas.overlay["n"] == stack.volume.n_frames
    assert stack.canvas.view["index"] == stack.view.index
    # the first view's hello: the slice on screen goes, then its neighbours and thumbnails
    sent: list[dict] = []
    send = stack.canvas.send
    stack.canvas.send = lambda content, buffers=None: (sent.append(content), send(content, buffers))
    stack.canvas._on_custom(None, {"type": "hello"}, [])
    slices = [m for m in sent if m["type"] == "slice"]
    assert slices[0]["show"] and slices[0]["key"] == stack._slice_key(stack.view)
    assert len(slices) > 1 and not any(m["show"] for m in slices[1:])  # neighbours, not shown
    assert decoded and all(box.children[0].value for box in stack.thumbnails.children)
    # the Level slider now spans the frame's values, not just its window
    values = stack.volume.display_frame(stack.view.index, max_size=256)
    assert stack.center.min <= float(values.min()) and stack.center.max >= float(values.max())
    assert pair.a.canvas.sent_bytes == 0  # the other viewers still wait for their views


def test_a_viewer_nobody_viewed_draws_the_same_static_images(knee):
    """The PNG beside the widget and the key image do not depend on a front end having
    asked: the page made from a notebook run headlessly is the one a lab session makes."""
    mr = knee.studies.loc[knee.studies["modality"] == "MR", "study_key"].iloc[0]
    headless, viewed = (SeriesViewer(knee, study_key=mr, size=320) for _ in range(2))
    viewed._on_action({"type": "hello"})
    assert not headless.canvas.viewed and viewed.canvas.viewed
    for viewer in (headless, viewed):
        viewer.show_index(3)
    assert headless.current_png() == viewed.current_png()
    shots = [v.snapshot("slice 4", save=False) for v in (headless, viewed)]
    assert shots[0].png == shots[1].png and shots[0].metadata == shots[1].metadata
    # Python drives the sliders of a viewer nobody has seen: its state moves, nothing is sent
    headless.slider.value = 6
    assert headless.view.index == 5 and headless.canvas.view["index"] == 5
    assert headless.canvas.sent_bytes == 0 and viewed.canvas.sent_bytes > 0
