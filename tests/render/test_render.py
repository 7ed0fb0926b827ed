"""Render layer without a kernel: viewport mapping, overlays, render_slice, key images."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from workbench.imaging.volume import area_reduce, load_files
from workbench.render.figures import figure_png, key_image_figure, render_slice
from workbench.render.frame import compose, draw_items, encode, view_image
from workbench.view.coalesce import LatestWins
from workbench.view.comparison import comparison_pairs, map_window, relative_index
from workbench.view.key_images import KeyImage, read_key_images, save_key_image
from workbench.view.labels import header_html, header_rows
from workbench.view.overlay import SIDE_COLOURS, Polyline, Text, layout, scale_bar
from workbench.view.state import ViewState, apply_view, initial_state, orient
from workbench.view.viewport import Viewport


def _as_uint8(a: np.ndarray) -> np.ndarray:
    return np.clip(a, 0, 255).astype(np.uint8)


@pytest.fixture
def ct():
    return load_files([get_testdata_file("CT_small.dcm")])


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"flip_h": True},
        {"flip_v": True},
        {"rotate": 90},
        {"rotate": 180},
        {"rotate": 270},
        {"rotate": 90, "flip_h": True},
        {"rotate": 270, "flip_h": True, "flip_v": True},
    ],
)
def test_view_image_orients_like_the_core(kw):
    frame = (np.arange(40 * 60).reshape(40, 60) % 251).astype(np.float32)
    out = view_image(frame, Viewport.fit(frame.shape, 60, **kw), _as_uint8)
    assert np.array_equal(np.asarray(out), orient(_as_uint8(frame), ViewState("s", 0, 0, 1, **kw)))


@pytest.mark.parametrize(
    "kw", [{"zoom": 2, "pan": (0.1, -0.2)}, {"zoom": 4, "pan": (-0.3, 0.3), "rotate": 90}]
)
def test_zoom_and_pan_match_the_core_crop(kw):
    rows, cols = np.mgrid[0:400, 0:600].astype(np.float32)
    frame = cols * 0.2 + rows * 0.3  # smooth, so resampling differs by rounding only
    state = ViewState("s", 0, 0, 1, **kw)
    expected = np.clip(apply_view(frame, state), 0, 255)
    vp = Viewport.for_state(state, frame.shape, max(expected.shape))
    out = np.asarray(view_image(frame, vp, _as_uint8)).astype(float)
    assert out.shape == expected.shape
    assert np.abs(out - expected).mean() < 1.0


def test_points_round_trip_and_reduced_copy_is_used():
    vp = Viewport.fit((300, 200), 100, zoom=3, pan=(0.2, -0.1), rotate=90, flip_v=True)
    pts = [(10.0, 20.0), (150.5, 280.25)]
    back = vp.to_source(vp.to_display(pts))
    assert np.allclose(back, pts)
    frame = np.random.default_rng(0).normal(100, 20, (900, 600)).astype(np.float32)
    asked = []

    def reduced(k):
        asked.append(k)
        return area_reduce(frame, k)

    out = view_image(frame, Viewport.fit(frame.shape, 300), _as_uint8, reduced=reduced)
    assert asked == [3] and out.size == (200, 300)


def test_layout_has_badge_letters_and_scale_bar_only_when_calibrated():
    vp = Viewport.fit((512, 512), 512)
    labels = {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    items = layout(
        vp, side="left", labels=labels, pixel_spacing=(0.5, 0.5), spacing_source="PixelSpacing"
    )
    texts = [i.text for i in items if isinstance(i, Text)]
    assert "LEFT" in texts and {"R", "L", "A", "P"} <= set(texts)
    assert "50 mm" in texts and "calibrated: PixelSpacing" in texts
    assert any(isinstance(i, Polyline) for i in items)
    bar = next(i for i in scale_bar(vp, (0.5, 0.5), "PixelSpacing") if isinstance(i, Polyline))
    assert bar.points[2][0] - bar.points[1][0] == pytest.approx(100)  # 50 mm / 0.5 mm per px
    none = scale_bar(vp, None, "none")
    assert [i.text for i in none if isinstance(i, Text)] == ["not calibrated"]
    assert not any(isinstance(i, Polyline) for i in none)
    unknown = layout(vp, side=None)
    assert "SIDE ?" in [i.text for i in unknown if isinstance(i, Text)]


def test_compose_draws_the_side_badge_in_its_colour(ct):
    image, vp = compose(ct, initial_state(ct), max_size=256, side="right")
    assert image.size == (256, 256) == vp.size
    corner = np.asarray(image)[:25, :40].reshape(-1, 3)
    expected = np.array(Image.new("RGB", (1, 1), SIDE_COLOURS["right"]).getpixel((0, 0)))
    assert (np.abs(corner.astype(int) - expected).sum(axis=1) < 30).mean() > 0.3


def test_render_slice_scale_bar_only_with_spacing(ct):
    fig = render_slice(ct, 0, window=(40, 400), side="left", size=256)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "LEFT" in texts and "calibrated: PixelSpacing" in texts
    assert any(t.endswith(" mm") for t in texts)
    ct.geometry = type(ct.geometry)(
        **{**ct.geometry.__dict__, "pixel_spacing": None, "spacing_source": "none"}
    )
    fig = render_slice(ct, 0, size=256)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "not calibrated" in texts and not any(t.endswith(" mm") for t in texts)
    assert "SIDE ?" in texts


def test_key_image_figure_lists_values_with_calibration(ct):
    from workbench.imaging import measure

    m = measure.length(ct, 0, (10, 10), (10, 110))
    fig = key_image_figure(ct, 0, caption="Axial", measurements=[m], side="right", size=200)
    caption = "\n".join(t.get_text() for t in fig.texts)
    assert "Axial" in caption and "66.1 mm" in caption and "PixelSpacing" in caption
    png = figure_png(fig)
    assert Image.open(io.BytesIO(png)).format == "PNG"


def test_key_image_store_and_mimebundle(tmp_path):
    png = encode(Image.new("RGB", (30, 20), "red"), "png")
    first = save_key_image(tmp_path, png, {"caption": "one", "series_key": "se/1", "index": 2})
    second = save_key_image(tmp_path, png, {"caption": "二", "series_key": "se-2", "index": 0})
    assert first.path.name == "001_se-1_2.png" and second.path.name == "002_se-2_0.png"
    assert first.path.read_bytes() == png
    table = read_key_images(tmp_path)
    assert list(table["caption"]) == ["one", "二"] and list(table["file"]) == [
        "001_se-1_2.png",
        "002_se-2_0.png",
    ]
    data, meta = KeyImage(png, "cap", {"caption": "cap"})._repr_mimebundle_()
    assert data["text/plain"] == "cap" and meta["workbench"]["caption"] == "cap"
    assert meta["image/png"] == {"width": 30, "height": 20}


def test_draw_items_keeps_input_and_encodes_jpeg():
    base = Image.new("L", (64, 64), 0)
    out = draw_items(base, [Text((2, 2), "R", background="#ff0000")])
    assert base.getextrema() == (0, 0) and out.mode == "RGB"
    assert Image.open(io.BytesIO(encode(out))).format == "JPEG"


def test_latest_wins_renders_newest_only():
    seen: list[int] = []
    latest: LatestWins[int] = LatestWins(seen.append)

    def render(n: int) -> None:
        seen.append(n)
        if n == 1:  # a render that triggers two more requests: only the newest runs
            latest.submit(2)
            latest.submit(3)

    latest._render = render
    latest.submit(1)
    assert seen == [1, 3] and latest.skipped == 1


def test_comparison_helpers():
    import pandas as pd

    studies = pd.DataFrame(
        {
            "study_key": ["a", "b", "c", "d"],
            "date": pd.to_datetime(["2023-06-12", "2024-03-10", "2024-09-03", "2024-10-01"]),
            "modality": ["DX", "MR", "CR", "DX"],
            "body_part": ["knee"] * 4,
            "side": ["right", "right", "right", "left"],
            "has_original_dicom": [True] * 4,
            "source": ["dicom"] * 4,
        }
    )
    assert comparison_pairs(studies) == [("a", "c")]
    assert relative_index(0, 10, 5) == 0 and relative_index(9, 10, 5) == 4
    assert map_window((40, 400), (40, 400), (100, 800), absolute=True) == (40.0, 400.0)
    assert map_window((140, 400), (40, 400), (100, 800), absolute=False, opposite=True) == (
        -100.0,
        800.0,
    )


def test_header_panel_escapes_values(ct):
    ds = ct.dataset(0)
    ds.SeriesDescription = "<script>alert(1)</script>"
    text = header_html(header_rows(ds))
    assert "<script>" not in text and "&lt;script&gt;" in text and "PatientName" not in text


def test_two_processes_saving_key_images_at_once_lose_none(tmp_path):
    """Two kernels of one case (two notebooks, two reviewers) press ★ at the same moment."""
    from conftest import at_once

    png = encode(Image.new("RGB", (8, 8), "red"), "png")

    def save_many(tag: str) -> None:
        for i in range(25):
            save_key_image(tmp_path, png, {"caption": f"{tag}{i}", "series_key": tag, "index": i})

    at_once(save_many, ("a",), ("b",))
    table = read_key_images(tmp_path)
    assert sorted(table["caption"]) == sorted(f"{t}{i}" for t in "ab" for i in range(25))
    assert table["number"].is_unique and len(set(table["file"])) == 50
    assert all((tmp_path / "key_images" / name).is_file() for name in table["file"])
