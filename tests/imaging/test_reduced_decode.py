"""First view of JPEG 2000 images at display size: a reduced-resolution decode (pydicom-data)."""

from __future__ import annotations

import io
import os

import numpy as np
import pydicom
import pytest
from conftest import dicom_file
from PIL import Image

from workbench.errors import PixelDataError
from workbench.imaging import reduced
from workbench.imaging.reduced import decode_reduced, levels_for, reduced_size
from workbench.imaging.volume import area_reduce, load_files, reduction_factor
from workbench.render.frame import compose, thumbnail
from workbench.view.state import initial_state


def assert_close_to_downsample(reduced: np.ndarray, full: np.ndarray, factor: int) -> None:
    """The reduced decode equals the area mean of the full decode within the filter's error."""
    expected = area_reduce(full, factor)
    assert reduced.shape == expected.shape
    assert reduced.dtype == np.float32
    value_range = float(full.max() - full.min())
    diff = np.abs(reduced.astype(np.float64) - expected)
    assert diff.mean() < 0.02 * value_range, diff.mean() / value_range
    assert np.corrcoef(reduced.ravel(), expected.ravel())[0, 1] > 0.99


@pytest.mark.parametrize(
    ("name", "max_size"),
    [("MR2_J2KR.dcm", 512), ("RG3_J2KR.dcm", 600), ("RG3_J2KR.dcm", 256), ("RG1_J2KI.dcm", 1000)],
)
def test_display_frame_decodes_reduced_and_matches_a_downsample(name, max_size, full_decodes):
    volume = load_files([dicom_file(name)])
    reduced = volume.display_frame(0, max_size)
    assert full_decodes == [], "the first view decoded the full frame"
    assert max(reduced.shape) <= max_size
    assert volume.is_integral(0) is None  # the full frame is still not decoded
    full = volume.frame(0)  # zooming in: full resolution
    assert full_decodes == [0]
    assert full.shape == volume.shape[1:]
    ds = pydicom.dcmread(dicom_file(name))
    expected = pydicom.pixels.apply_modality_lut(ds.pixel_array, ds)
    np.testing.assert_allclose(full, expected, rtol=1e-6)
    assert_close_to_downsample(reduced, full, reduction_factor(full.shape, max_size))
    if volume.is_integral(0):  # whole numbers stay whole, as in the area-reduced copy
        np.testing.assert_array_equal(reduced, np.rint(reduced))


def test_after_a_full_decode_the_display_copy_is_the_exact_area_mean(full_decodes):
    volume = load_files([dicom_file("MR2_J2KR.dcm")])
    full = volume.frame(0)
    exact = area_reduce(full, 4, round_values=bool(volume.is_integral(0)))
    np.testing.assert_array_equal(volume.display_frame(0, max_size=256), exact)
    assert full_decodes == [0]


@pytest.fixture
def pillow_levels(monkeypatch):
    """The halvings each reduced decode asked OpenJPEG for, and whether it gave them."""
    asked: list[tuple[int, bool]] = []
    original = reduced._pillow_reduced

    def recording(codestream, levels):
        try:
            out = original(codestream, levels)
        except Exception:
            asked.append((levels, False))
            raise
        asked.append((levels, out is not None))
        return out

    monkeypatch.setattr(reduced, "_pillow_reduced", recording)
    return asked


def test_deep_reduction_of_an_odd_sized_radiograph_uses_the_deep_level(full_decodes, pillow_levels):
    # RG1 is 1955 x 1841: at a quarter and below Pillow's rounding (460) and OpenJPEG's
    # (461 columns) differ; the thumbnail-size view is still decoded at a sixteenth
    volume = load_files([dicom_file("RG1_J2KI.dcm")])
    small = volume.display_frame(0, max_size=96)
    assert full_decodes == []
    assert pillow_levels == [(4, True)]
    assert small.shape == (1955 // 21, 1841 // 21)
    assert_close_to_downsample(small, volume.frame(0), 21)


@pytest.mark.parametrize("levels", [1, 2, 3, 4, 5])
def test_every_level_of_an_odd_sized_codestream_has_openjpegs_size(levels):
    ds = pydicom.dcmread(dicom_file("RG1_J2KR.dcm"))
    out = decode_reduced(ds, 0, levels)
    assert out is not None
    assert out.shape == (-(-1955 // 2**levels), -(-1841 // 2**levels))
    assert reduced_size((1841, 1955), levels) == out.shape[::-1]
    full = pydicom.pixels.apply_modality_lut(ds.pixel_array, ds)
    k = 2**levels
    crop = out[: 1955 // k, : 1841 // k].astype(np.float64)
    expected = area_reduce(full.astype(np.float32), k)
    # the wavelet's low-pass band, not a box mean: close, and closer at shallow levels
    diff = np.abs(crop - expected).mean() / float(full.max() - full.min())
    assert diff < 0.01 * levels, diff
    assert np.corrcoef(crop.ravel(), expected.ravel())[0, 1] > 1 - 0.01 * levels


@pytest.mark.parametrize(
    ("name", "max_size", "levels"),
    [
        ("MR2_J2KR.dcm", 512, 1),  # 1024 rows shown at 512: one halving
        ("MR2_J2KR.dcm", 256, 2),
        ("RG3_J2KR.dcm", 1000, 1),  # 1760 rows at 1000: factor 2
        ("RG3_J2KR.dcm", 96, 4),  # factor 19: four halvings, the rest by area
        ("RG1_J2KR.dcm", 1000, 1),
    ],
)
def test_the_level_chosen_follows_the_display_size(name, max_size, levels, pillow_levels):
    volume = load_files([dicom_file(name)])
    shown = volume.display_frame(0, max_size)
    assert pillow_levels == [(levels, True)]
    assert max(shown.shape) <= max_size
    assert max(shown.shape) > max_size // 2  # not a level too deep, blown up again


def test_openjpeg_is_given_every_core_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv(reduced.OPJ_THREADS, raising=False)
    reduced.use_all_cores()
    assert int(os.environ[reduced.OPJ_THREADS]) >= 1
    monkeypatch.setenv(reduced.OPJ_THREADS, "1")
    reduced.use_all_cores()
    assert os.environ[reduced.OPJ_THREADS] == "1"


@pytest.mark.parametrize("name", ["US1_J2KR.dcm", "JPEG2000.dcm", "CT_small.dcm"])
def test_colour_signed_and_uncompressed_frames_take_the_full_decode(name, full_decodes):
    volume = load_files([dicom_file(name)])
    rows, cols = volume.shape[1:3]
    size = max(rows, cols) // 2
    reduced = volume.display_frame(0, size)
    assert full_decodes == [0]
    factor = reduction_factor((rows, cols), size)
    exact = area_reduce(volume.frame(0), factor, round_values=bool(volume.is_integral(0)))
    np.testing.assert_array_equal(reduced, exact)


def test_decode_reduced_refuses_what_it_cannot_reproduce():
    colour = pydicom.dcmread(dicom_file("US1_J2KR.dcm"))
    signed = pydicom.dcmread(dicom_file("JPEG2000.dcm"))
    plain = pydicom.dcmread(dicom_file("CT_small.dcm"))
    assert decode_reduced(colour, 0, 1) is None
    assert decode_reduced(signed, 0, 1) is None
    assert decode_reduced(plain, 0, 1) is None
    grey = pydicom.dcmread(dicom_file("RG3_J2KR.dcm"))
    assert decode_reduced(grey, 0, 0) is None
    half = decode_reduced(grey, 0, 1)
    assert half is not None and half.shape == (880, 880) and half.dtype == np.uint16
    assert int(half.max()) < 2**10  # 10 bits stored: Pillow's 16-bit scaling undone
    assert [levels_for(k) for k in (1, 2, 3, 4, 8, 9)] == [0, 1, 1, 2, 3, 3]


def test_thumbnail_and_first_view_of_a_radiograph_never_decode_the_full_frame(full_decodes):
    volume = load_files([dicom_file("RG3_J2KR.dcm")])
    jpeg = thumbnail(volume, size=96)
    with Image.open(io.BytesIO(jpeg)) as im:
        assert im.format == "JPEG" and max(im.size) == 96
    state = initial_state(volume)
    image, _ = compose(volume, state, max_size=640, overlays=False)
    assert max(image.size) == 640
    assert full_decodes == []
    zoomed = state.__class__(**{**state.__dict__, "zoom": 4.0})
    compose(volume, zoomed, max_size=640, overlays=False)  # zoomed in: full resolution
    assert full_decodes == [0]


def test_a_codestream_that_contradicts_its_header_is_not_shown_resampled(tmp_path):
    ds = pydicom.dcmread(dicom_file("MR2_J2KR.dcm"))
    ds.Rows = 1000  # the codestream holds 1024 rows
    path = tmp_path / "lying.dcm"
    ds.save_as(path)
    volume = load_files([path])
    with pytest.raises(PixelDataError):
        volume.display_frame(0, 256)
