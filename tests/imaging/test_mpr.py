"""Reformatting: planes, aspect, reference lines, and refusal on non-uniform stacks."""

from __future__ import annotations

import numpy as np
import pytest
from imaging_builders import CORONAL, SAGITTAL, ct_stack, only_series, open_folder

from workbench.errors import PixelDataError
from workbench.imaging.mpr import (
    acquired_plane,
    cut_positions,
    plane_count,
    plane_labels,
    reference_lines,
    reformat,
)
from workbench.imaging.volume import Volume, load_series

PIXEL = 0.661468  # CT_small's PixelSpacing


@pytest.fixture
def axial(tmp_path, workspace) -> Volume:
    ct_stack(tmp_path / "case", 10, spacing=3.0)
    case = open_folder(tmp_path / "case", workspace)
    return load_series(case, only_series(case))


def stack(tmp_path, workspace, **kwargs) -> Volume:
    ct_stack(tmp_path / "case", **kwargs)
    case = open_folder(tmp_path / "case", workspace)
    return load_series(case, only_series(case))


def test_counts_and_shapes(axial):
    assert acquired_plane(axial) == "axial"
    assert plane_count(axial, "axial") == 10
    assert plane_count(axial, "coronal") == 128
    assert plane_count(axial, "sagittal") == 128
    image, aspect = reformat(axial, "axial", 4)
    assert image.shape == (128, 128) and aspect == pytest.approx(1.0)
    image, aspect = reformat(axial, "coronal", 64)
    assert image.shape == (10, 128) and aspect == pytest.approx(3.0 / PIXEL)
    image, aspect = reformat(axial, "sagittal", 64)
    assert image.shape == (10, 128) and aspect == pytest.approx(3.0 / PIXEL)


def test_acquired_plane_is_the_frame(axial):
    image, _ = reformat(axial, "axial", 7)
    np.testing.assert_array_equal(image, axial.frame(7))


def test_coronal_has_the_head_at_the_top(axial):
    image, _ = reformat(axial, "coronal", 100)
    # slice k holds 10 k - 24 HU; z grows with k, so the top row is the last slice
    np.testing.assert_array_equal(image[:, 64], [10 * k - 24 for k in range(9, -1, -1)])
    # the 8 × 8 zero block sits at the first rows (anterior) and columns (patient right)
    front, _ = reformat(axial, "coronal", 0)
    assert (front[:, :8] == -1024).all() and (front[:, 8:] != -1024).all()


def test_sagittal_has_anterior_on_the_left(axial):
    image, _ = reformat(axial, "sagittal", 0)  # the patient's right-most column
    assert (image[:, :8] == -1024).all() and (image[:, 8:] != -1024).all()


def test_reference_lines_and_cut_positions(axial):
    lines = reference_lines(axial, "axial", 2)
    # axial slice 2 of 10 (counted from the feet) is a horizontal line low in the image
    assert lines == {"coronal": ("row", (7 + 0.5) / 10), "sagittal": ("row", (7 + 0.5) / 10)}
    assert cut_positions(axial, "axial", 2) == {"coronal": 0.75, "sagittal": 0.75}
    lines = reference_lines(axial, "sagittal", 32)
    assert lines == {"axial": ("col", 32.5 / 128), "coronal": ("col", 32.5 / 128)}
    lines = reference_lines(axial, "coronal", 16)
    assert lines == {"axial": ("row", 16.5 / 128), "sagittal": ("col", 16.5 / 128)}


def test_sagittal_acquisition(tmp_path, workspace):
    volume = stack(tmp_path, workspace, n=6, spacing=4.0, orientation=SAGITTAL)
    assert acquired_plane(volume) == "sagittal"
    assert plane_count(volume, "sagittal") == 6
    image, aspect = reformat(volume, "axial", 10)
    assert image.shape == (128, 6) and aspect == pytest.approx(PIXEL / 4.0)
    image, _ = reformat(volume, "sagittal", 3)
    np.testing.assert_array_equal(image, volume.frame(3))


def test_coronal_acquisition(tmp_path, workspace):
    volume = stack(tmp_path, workspace, n=5, spacing=2.0, orientation=CORONAL)
    assert acquired_plane(volume) == "coronal"
    image, aspect = reformat(volume, "sagittal", 0)
    assert image.shape == (128, 5) and aspect == pytest.approx(PIXEL / 2.0)


def test_gap_refuses_with_the_reason(tmp_path, workspace):
    volume = stack(tmp_path, workspace, n=8, skip=[5])
    with pytest.raises(PixelDataError, match=r"cannot be reformatted \(gap of 6.0 mm"):
        reformat(volume, "coronal", 0)
    with pytest.raises(PixelDataError, match="acquired plane"):
        plane_count(volume, "axial")


def test_tilt_refuses(tmp_path, workspace):
    volume = stack(tmp_path, workspace, n=5, shift=(0.0, 1.0, 0.0))
    with pytest.raises(PixelDataError, match="gantry tilt"):
        reformat(volume, "sagittal", 0)


def test_single_image_and_projection_refuse(make_case, workspace):
    case = open_folder(make_case("CT_small.dcm"), workspace)
    volume = load_series(case, only_series(case))
    with pytest.raises(PixelDataError, match="a single image"):
        reformat(volume, "axial", 0)


def test_bad_plane_and_index(axial):
    with pytest.raises(ValueError, match="Unknown plane 'oblique'"):
        reformat(axial, "oblique", 0)
    with pytest.raises(IndexError, match="outside the axial plane"):
        reformat(axial, "axial", 10)


def test_plane_labels():
    assert plane_labels("axial") == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert plane_labels("coronal")["top"] == "H"
    assert plane_labels("sagittal")["left"] == "A"
