"""The linked crosshair: a point in one plane → the slices through it in the others.

Synthetic stacks (copies of CT_small written in tmp_path) with known spacing and
orientation: axial with 3 mm slices over 0.66 mm pixels (non-isotropic), sagittal and
coronal acquisitions, and a stack acquired in reverse order along its normal. Each
claim is checked against the patient coordinates written into the headers, not against
the code's own arithmetic.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from imaging_builders import CORONAL, SAGITTAL, ct_stack, only_series, open_folder

from workbench.imaging import mpr
from workbench.imaging.volume import Volume, load_series
from workbench.view.crosshair import Crosshair, centre, click, guide_dict, guides

PIXEL = 0.661468  # CT_small's PixelSpacing
REVERSED_AXIAL = (1.0, 0.0, 0.0, 0.0, -1.0, 0.0)  # columns run posterior → anterior
LPS = {"sagittal": 0, "coronal": 1, "axial": 2}  # the patient axis each plane fixes


def stack(tmp_path, workspace, **kwargs) -> Volume:
    ct_stack(tmp_path / "case", **kwargs)
    case = open_folder(tmp_path / "case", workspace)
    return load_series(case, only_series(case))


@pytest.fixture(
    params=[
        {"n": 10, "spacing": 3.0},
        {"n": 6, "spacing": 4.0, "orientation": SAGITTAL},
        {"n": 5, "spacing": 2.0, "orientation": CORONAL},
        {"n": 7, "spacing": 2.5, "orientation": REVERSED_AXIAL},
    ],
    ids=["axial-3mm", "sagittal-4mm", "coronal-2mm", "axial-flipped-rows"],
)
def volume(request, tmp_path, workspace) -> Volume:
    return stack(tmp_path, workspace, **request.param)


def _voxels(volume: Volume) -> list[tuple[int, int, int]]:
    s, r, c = volume.shape[:3]
    return list(itertools.product((0, s // 2, s - 1), (0, 37, r - 1), (0, 90, c - 1)))


def test_every_plane_through_a_voxel_holds_the_voxel(volume):
    """Slice *i* of plane P at (row, col) shows the voxel's own value: the same pixel."""
    data = volume.array()
    for voxel in _voxels(volume)[::3]:
        indices = mpr.plane_indices(volume, voxel)
        for plane in mpr.PLANES:
            image, _ = mpr.reformat(volume, plane, indices[plane])
            r, c = mpr.plane_point(volume, plane, voxel)
            assert image[r, c] == data[voxel]
            # and the click on that pixel comes back to the same voxel
            assert mpr.voxel_at(volume, plane, indices[plane], r + 0.4, c - 0.4) == voxel


def test_planes_through_a_voxel_share_its_patient_position(volume):
    """Each plane's slice through the voxel sits at the voxel's position along its normal."""
    for voxel in _voxels(volume)[::5]:
        here = np.array(mpr.patient_position(volume, voxel))
        indices = mpr.plane_indices(volume, voxel)
        for plane, index in indices.items():
            # another voxel of the same slice of *plane*: same coordinate on that axis
            other = list(voxel)
            fixed = next(a for a in range(3) if _index_axis(volume, plane, a))
            for axis in range(3):
                if axis != fixed:
                    other[axis] = 0
            there = np.array(mpr.patient_position(volume, tuple(other)))
            assert there[LPS[plane]] == pytest.approx(here[LPS[plane]], abs=1e-3)
            assert index == voxel[fixed]


def _index_axis(volume: Volume, plane: str, axis: int) -> bool:
    """Whether volume *axis* is the one *plane* fixes (read from plane_indices)."""
    base = (0, 0, 0)
    moved = tuple(1 if a == axis else 0 for a in range(3))
    return mpr.plane_indices(volume, base)[plane] != mpr.plane_indices(volume, moved)[plane]


def test_patient_position_is_the_header_position(tmp_path, workspace):
    """Voxel (k, 0, 0) is slice k's (0020,0032); steps follow orientation and spacing."""
    positions = ct_stack(tmp_path / "case", 6, spacing=4.0, orientation=SAGITTAL)
    case = open_folder(tmp_path / "case", workspace)
    volume = load_series(case, only_series(case))
    for k, position in enumerate(positions):
        assert mpr.patient_position(volume, (k, 0, 0)) == pytest.approx(position, abs=1e-3)
    x, y, z = positions[2]
    # SAGITTAL: columns run +y (posterior), rows run -z (toward the feet)
    assert mpr.patient_position(volume, (2, 10, 30)) == pytest.approx(
        (x, y + 30 * PIXEL, z - 10 * PIXEL), abs=1e-3
    )


def test_axial_click_moves_coronal_and_sagittal_non_isotropic(tmp_path, workspace):
    """Known answer on the 3 mm axial stack: a click at (row 40, col 100) of axial slice 7."""
    volume = stack(tmp_path, workspace, n=10, spacing=3.0)
    cross = click(volume, "axial", 7, 40.2, 99.7)
    assert cross.voxel == (7, 40, 100)
    g = guides(volume, cross)
    assert (g["axial"].index, g["coronal"].index, g["sagittal"].index) == (7, 40, 100)
    # coronal and sagittal show head at the top: slice 7 of 10 is row 2 from the top
    assert g["coronal"].point == (2, 100) and g["sagittal"].point == (2, 40)
    assert g["axial"].point == (40, 100)
    # reference lines through the point, at pixel centres
    lines = {(other, axis): at for other, axis, at in g["axial"].lines}
    assert lines == {("coronal", "row"): 40.5 / 128, ("sagittal", "col"): 100.5 / 128}
    lines = {(other, axis): at for other, axis, at in g["coronal"].lines}
    assert lines == {("axial", "row"): 2.5 / 10, ("sagittal", "col"): 100.5 / 128}
    # the coronal slice's aspect stretches the 3 mm rows: the line is at 2.5 rows of 10
    _, aspect = mpr.reformat(volume, "coronal", 40)
    assert aspect == pytest.approx(3.0 / PIXEL)


def test_reference_lines_cross_at_the_crosshair_point(volume):
    cross = centre(volume)
    for plane, guide in guides(volume, cross).items():
        image, _ = mpr.reformat(volume, plane, guide.index)
        rows, cols = image.shape
        for _, axis, at in guide.lines:
            if axis == "row":
                assert at == pytest.approx((guide.point[0] + 0.5) / rows)
            else:
                assert at == pytest.approx((guide.point[1] + 0.5) / cols)
        assert {axis for _, axis, _ in guide.lines} == {"row", "col"}


def test_click_outside_the_image_is_refused(volume):
    index = mpr.plane_count(volume, "coronal") // 2
    image, _ = mpr.reformat(volume, "coronal", index)
    with pytest.raises(IndexError, match="outside the coronal image"):
        click(volume, "coronal", index, image.shape[0] + 0.6, 3)
    with pytest.raises(IndexError, match="outside the coronal image"):
        click(volume, "coronal", index, 0, -0.6)
    with pytest.raises(IndexError, match="outside the volume"):
        guides(volume, Crosshair(volume.series_key, (volume.shape[0], 0, 0)))


def test_guide_dict_is_plain_data(volume):
    g = guide_dict(guides(volume, centre(volume))["sagittal"])
    assert g["plane"] == "sagittal" and len(g["lines"]) == 2
    assert {line["plane"] for line in g["lines"]} == {"axial", "coronal"}
    assert all(isinstance(line["at"], float) and 0 < line["at"] < 1 for line in g["lines"])


def test_oblique_stack_links_along_its_nearest_axes(tmp_path, workspace):
    """An axial stack turned 15° about the head-foot axis: no resampling, so the planes are
    the volume's own; the crosshair still lands on the clicked voxel in every pane."""
    c, s = np.cos(np.radians(15)), np.sin(np.radians(15))
    volume = stack(tmp_path, workspace, n=6, spacing=2.0, orientation=(c, s, 0.0, -s, c, 0.0))
    assert mpr.acquired_plane(volume) == "axial"
    data = volume.array()
    cross = click(volume, "sagittal", 70, 1, 33)
    for plane, guide in guides(volume, cross).items():
        image, _ = mpr.reformat(volume, plane, guide.index)
        assert image[guide.point] == data[cross.voxel]
    # its patient position follows the tilted rows and columns
    x0, y0, _ = mpr.patient_position(volume, (0, 0, 0))
    x1, y1, _ = mpr.patient_position(volume, (0, 0, 10))
    assert (x1 - x0, y1 - y0) == pytest.approx((10 * PIXEL * c, 10 * PIXEL * s), abs=1e-3)
