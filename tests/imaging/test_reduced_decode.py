"""First view of JPEG 2000 images at display size: a reduced-resolution decode (pydicom-data)."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from conftest import dicom_file
from PIL import Image

from workbench.errors import PixelDataError
from workbench.imaging import volume as imaging
from workbench.imaging.reduced import decode_reduced, levels_for
from workbench.imaging.volume import area_reduce, load_files, reduction_factor
from workbench.render.frame import compose, thumbnail
from workbench.view.state import initial_state


@pytest.fixture
def full_decodes(monkeypatch):
    """Counts the volume's full-frame decodes (every full pixel read goes through _decode)."""
    calls: list[int] = []
    original = imaging._decode

    def counting(source, index):
        calls.append(index)
        return original(source, index)

    monkeypatch.setattr(imaging, "_decode", counting)
    return calls


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


def test_deep_reduction_of_an_odd_sized_radiograph_falls_back_to_fewer_levels(full_decodes):
    # RG1 is 1955 x 1841: Pillow cannot reduce it by 4 or more; one halving is used
    volume = load_files([dicom_file("RG1_J2KI.dcm")])
    small = volume.display_frame(0, max_size=96)
    assert full_decodes == []
    assert small.shape == (1955 // 21, 1841 // 21)
    assert_close_to_downsample(small, volume.frame(0), 21)


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
