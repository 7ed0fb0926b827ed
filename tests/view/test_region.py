"""The full-resolution region of a zoomed view, without a kernel: geometry and codes."""

from __future__ import annotations

import math

import numpy as np
import pydicom
import pytest
from conftest import dicom_file

from workbench.imaging.volume import load_files
from workbench.view.browser import DISPLAY_SIZE
from workbench.view.region import (
    MAX_REGION_SIDE,
    PixelBox,
    encode_region,
    needs_region,
    region_box,
)

SHAPE = (3000, 2500)


def test_a_view_rectangle_becomes_the_pixels_it_touches():
    # a pixel partly visible is sent: floor the top/left edges, ceil the bottom/right ones
    box = region_box((100.2, 50.9, 199.01, 150.5), SHAPE, margin=0.0)
    assert box == PixelBox(100, 50, 200, 151)
    assert box.shape == (100, 101) and box.as_list() == [100, 50, 200, 151]
    # whole-number edges (within float noise) do not take in a neighbour
    assert region_box((10 - 1e-9, 20 + 1e-9, 30 + 1e-9, 40 - 1e-9), SHAPE, margin=0) == PixelBox(
        10, 20, 30, 40
    )
    # the corners may come in any order (a flipped or rotated view)
    assert region_box((199.01, 150.5, 100.2, 50.9), SHAPE, margin=0.0) == box


def test_the_box_is_clipped_at_every_edge():
    assert region_box((-40.0, -3.5, 60.0, 20.0), SHAPE, margin=0.0) == PixelBox(0, 0, 60, 20)
    assert region_box((2990.5, 2400.5, 3100.0, 2600.0), SHAPE, margin=0.0) == PixelBox(
        2990, 2400, 3000, 2500
    )
    whole = region_box((-500.0, -500.0, 3500.0, 3000.0), SHAPE, margin=0.0, max_side=4000)
    assert whole == PixelBox(0, 0, 3000, 2500)


def test_views_off_the_image_or_not_finite_ask_for_nothing():
    assert region_box((3000.0, 0.0, 3100.0, 10.0), SHAPE, margin=0) is None  # below the last row
    assert region_box((0.0, -50.0, 10.0, 0.0), SHAPE, margin=0) is None  # left of column 0
    assert region_box((0.0, 0.0, math.nan, 10.0), SHAPE) is None
    assert region_box((0.0, 0.0, math.inf, 10.0), SHAPE) is None
    with pytest.raises(ValueError, match="top, left, bottom, right"):
        region_box((0.0, 0.0, 1.0), SHAPE)
    with pytest.raises(ValueError, match="must be positive"):
        region_box((0.0, 0.0, 1.0, 1.0), (0, 10))


def test_a_margin_keeps_small_pans_covered():
    box = region_box((1000.0, 1000.0, 1200.0, 1100.0), SHAPE, margin=0.25)
    assert box == PixelBox(950, 975, 1250, 1125)
    inner = region_box((1020.0, 1010.0, 1220.0, 1110.0), SHAPE, margin=0.0)  # panned a little
    assert box.covers(inner) and not inner.covers(box)
    # the margin is clipped like the rest
    assert region_box((0.0, 0.0, 100.0, 100.0), SHAPE, margin=0.5) == PixelBox(0, 0, 150, 150)


def test_a_thin_view_still_gets_its_pixel_and_a_huge_one_is_cut_around_its_centre():
    assert region_box((5.2, 7.3, 5.4, 7.6), SHAPE, margin=0.0) == PixelBox(5, 7, 6, 8)
    box = region_box((0.0, 0.0, 3000.0, 2500.0), SHAPE, margin=0.0, max_side=1000)
    assert box == PixelBox(1000, 750, 2000, 1750)  # centred on (1500, 1250)
    edge = region_box((2000.0, 0.0, 3000.0, 2500.0), SHAPE, margin=0.5, max_side=1000)
    assert edge.shape == (1000, 1000) and edge.row1 == 3000  # cut, then kept on the frame
    assert max(region_box((-1e6, -1e6, 1e6, 1e6), SHAPE).shape) <= MAX_REGION_SIDE


def test_full_resolution_is_needed_once_a_reduced_pixel_covers_more_than_a_device_pixel():
    sent = (1000, 833)  # 3000 x 2500 reduced by 3
    assert not needs_region(0.2, full_shape=SHAPE, sent_shape=sent)  # fitted: 0.6 px each
    assert not needs_region(1 / 3, full_shape=SHAPE, sent_shape=(1000, 834))  # exactly 1:1
    assert needs_region(0.5, full_shape=SHAPE, sent_shape=sent)  # 1.5 device px each
    assert not needs_region(4.0, full_shape=(512, 512), sent_shape=(512, 512))  # sent in full
    assert needs_region(0.3, full_shape=SHAPE, sent_shape=sent, aspect=2.0)  # tall rows


def test_the_region_of_a_reduced_jpeg2000_frame_is_decoded_at_full_resolution(full_decodes):
    path = dicom_file("RG3_J2KR.dcm")
    volume = load_files([path])
    reduced = volume.display_frame(0, DISPLAY_SIZE)  # the first view: reduced J2K decode
    assert full_decodes == [] and reduced.shape[0] < volume.shape[1]
    rows, cols = volume.shape[1:3]
    box = region_box((rows - 300.4, cols - 200.6, rows + 50.0, cols + 10.0), (rows, cols),
                     margin=0.0)  # fmt: skip
    assert box is not None and (box.row1, box.col1) == (rows, cols)
    codes, meta = encode_region(volume, 0, box)
    assert full_decodes == [0]  # the whole frame, decoded once at full resolution
    ds = pydicom.dcmread(path)
    expected = pydicom.pixels.apply_modality_lut(ds.pixel_array, ds)[
        box.row0 : box.row1, box.col0 : box.col1
    ]
    values = codes * meta["scale"] + meta["offset"]
    assert meta["exact"] and codes.shape == box.shape == (meta["height"], meta["width"])
    np.testing.assert_array_equal(values, expected)
    assert (meta["box"], meta["rows"], meta["cols"]) == (box.as_list(), rows, cols)
    # its own code range: the extremes an area reduction smooths away are kept
    assert meta["code_min"] == int(expected.min()) and meta["code_max"] == int(expected.max())
    with pytest.raises(ValueError, match="not inside"):
        encode_region(volume, 0, PixelBox(0, 0, rows + 1, 10))
