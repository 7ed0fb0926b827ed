"""Multiplanar reformatting: axial, coronal and sagittal views of a CT or MR stack.

The volume's three axes (slice, row, column) are matched to the patient's
axes (left-right, front-back, head-foot) by their direction cosines; a plane is
a slice across the axis nearest its normal, shown in the radiological
convention: axial with the patient's right on the left of the screen and
anterior at the top, coronal with right on the left and head at the top,
sagittal with anterior on the left and head at the top. Oblique stacks are
reformatted along their nearest axes (no resampling). Only stacks whose
:attr:`~workbench.imaging.geometry.Geometry.uniform` is True are reformatted: a gap,
uneven spacing or a gantry tilt would draw anatomy at the wrong place.

The index of a reformatted plane counts along the volume axis it cuts, in the
volume's own order; for the acquired plane it is the display frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from workbench.errors import PixelDataError

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

__all__ = [
    "PLANES",
    "acquired_plane",
    "cut_positions",
    "patient_position",
    "plane_count",
    "plane_indices",
    "plane_labels",
    "plane_point",
    "reference_lines",
    "reformat",
    "voxel_at",
]

PLANES = ("axial", "coronal", "sagittal")
#: Patient axis (LPS: 0 = x right→left, 1 = y anterior→posterior, 2 = z foot→head) of each
#: plane's normal.
_NORMAL_AXIS = {"sagittal": 0, "coronal": 1, "axial": 2}
#: Displayed (row direction, column direction) of each plane as (patient axis, sign).
_DISPLAY = {
    "axial": ((1, 1), (0, 1)),  # rows anterior→posterior, columns right→left
    "coronal": ((2, -1), (0, 1)),  # rows head→foot, columns right→left
    "sagittal": ((2, -1), (1, 1)),  # rows head→foot, columns anterior→posterior
}
_LABELS = {
    "axial": {"left": "R", "right": "L", "top": "A", "bottom": "P"},
    "coronal": {"left": "R", "right": "L", "top": "H", "bottom": "F"},
    "sagittal": {"left": "A", "right": "P", "top": "H", "bottom": "F"},
}


@dataclass(frozen=True)
class _Layout:
    directions: np.ndarray  # (3 volume axes, 3 patient components)
    axis_of: dict[int, int]  # patient axis -> volume axis
    spacing: tuple[float, float, float]  # along volume axes (slice, row, column)
    sizes: tuple[int, int, int]


def _layout(volume: Volume) -> _Layout:
    geometry = volume.geometry
    if volume.is_color or volume.n_frames < 2:
        raise PixelDataError(
            f"Series {volume.series_key} cannot be reformatted: it is "
            f"{'colour' if volume.is_color else 'a single image'}; view it as acquired."
        )
    if (
        not geometry.uniform
        or geometry.orientation is None
        or geometry.slice_spacing is None
        or geometry.pixel_spacing is None
    ):
        why = "; ".join(geometry.issues) or "no slice positions or spacing in the header"
        raise PixelDataError(
            f"Series {volume.series_key} cannot be reformatted ({why}); MPR needs evenly "
            "spaced parallel slices. View it in its acquired plane."
        )
    row = np.asarray(geometry.orientation[:3], dtype=float)
    col = np.asarray(geometry.orientation[3:6], dtype=float)
    nrm = np.cross(row, col)
    directions = np.stack([nrm, col, row])  # slice axis, row index axis, column index axis
    dominant = [int(np.argmax(np.abs(d))) for d in directions]
    if sorted(dominant) != [0, 1, 2]:
        raise PixelDataError(
            f"Series {volume.series_key} is too oblique to reformat along the patient's axes "
            f"(orientation {geometry.orientation}); view it in its acquired plane."
        )
    spacing = (geometry.slice_spacing, *geometry.pixel_spacing)
    return _Layout(
        directions=directions,
        axis_of={p: a for a, p in enumerate(dominant)},
        spacing=(float(spacing[0]), float(spacing[1]), float(spacing[2])),
        sizes=(volume.shape[0], volume.shape[1], volume.shape[2]),
    )


def _check_plane(plane: str) -> None:
    if plane not in PLANES:
        raise ValueError(f"Unknown plane {plane!r}; use one of {', '.join(PLANES)}.")


def _arrangement(layout: _Layout, plane: str) -> tuple[int, int, int, bool, bool]:
    """(fixed axis, row axis, column axis, flip rows, flip columns) of *plane*."""
    fixed = layout.axis_of[_NORMAL_AXIS[plane]]
    (row_patient, row_sign), (col_patient, col_sign) = _DISPLAY[plane]
    row_axis, col_axis = layout.axis_of[row_patient], layout.axis_of[col_patient]
    flip_rows = np.sign(layout.directions[row_axis][row_patient]) != row_sign
    flip_cols = np.sign(layout.directions[col_axis][col_patient]) != col_sign
    return fixed, row_axis, col_axis, bool(flip_rows), bool(flip_cols)


def acquired_plane(volume: Volume) -> str:
    """The plane the slices were acquired in (nearest of axial, coronal, sagittal)."""
    layout = _layout(volume)
    patient = int(np.argmax(np.abs(layout.directions[0])))
    return {v: k for k, v in _NORMAL_AXIS.items()}[patient]


def plane_count(volume: Volume, plane: str) -> int:
    """Number of slices of *plane*."""
    _check_plane(plane)
    layout = _layout(volume)
    return layout.sizes[layout.axis_of[_NORMAL_AXIS[plane]]]


def plane_labels(plane: str) -> dict[str, str]:
    """Orientation letters of the edges of a reformatted *plane* (radiological convention)."""
    _check_plane(plane)
    return dict(_LABELS[plane])


def reformat(volume: Volume, plane: str, index: int) -> tuple[np.ndarray, float]:
    """Slice *index* of *plane*, and its display aspect (row spacing / column spacing).

    Decodes the whole volume on first use (:meth:`Volume.array`).

    Parameters
    ----------
    volume : Volume
        A CT or MR stack with uniform geometry.
    plane : str
        ``"axial"``, ``"coronal"`` or ``"sagittal"``.
    index : int
        0 .. ``plane_count(volume, plane) - 1``.

    Returns
    -------
    image : numpy.ndarray
        float32 modality values, rows × columns in the plane's display convention.
    aspect : float
        Height of a pixel over its width: pass to ``imshow(aspect=...)`` or stretch
        the rows by it.

    Raises
    ------
    PixelDataError
        The geometry is not uniform (gaps, uneven spacing, tilt) or missing.
    IndexError
        *index* outside the plane.
    """
    _check_plane(plane)
    layout = _layout(volume)
    fixed, row_axis, col_axis, flip_rows, flip_cols = _arrangement(layout, plane)
    count = layout.sizes[fixed]
    if not 0 <= index < count:
        raise IndexError(f"Slice {index} is outside the {plane} plane (0 .. {count - 1}).")
    image = np.take(volume.array(), int(index), axis=fixed)
    remaining = [a for a in (0, 1, 2) if a != fixed]
    if remaining.index(row_axis) != 0:
        image = image.T
    if flip_rows:
        image = image[::-1]
    if flip_cols:
        image = image[:, ::-1]
    aspect = layout.spacing[row_axis] / layout.spacing[col_axis]
    return np.ascontiguousarray(image), aspect


def reference_lines(volume: Volume, plane: str, index: int) -> dict[str, tuple[str, float]]:
    """Where slice *index* of *plane* cuts the other planes' images.

    Returns
    -------
    dict
        For each other plane: (``"row"`` or ``"col"``, fraction). ``"row"`` means a
        horizontal line at that fraction of the image height (0 top, 1 bottom),
        ``"col"`` a vertical line at that fraction of the width; the fraction is
        the centre of the cut pixel row or column, ``(k + 0.5) / size``.
    """
    _check_plane(plane)
    layout = _layout(volume)
    fixed = layout.axis_of[_NORMAL_AXIS[plane]]
    count = layout.sizes[fixed]
    if not 0 <= index < count:
        raise IndexError(f"Slice {index} is outside the {plane} plane (0 .. {count - 1}).")
    lines: dict[str, tuple[str, float]] = {}
    for other in PLANES:
        if other == plane:
            continue
        _, row_axis, _, flip_rows, flip_cols = _arrangement(layout, other)
        along_rows = row_axis == fixed
        flipped = flip_rows if along_rows else flip_cols
        position = count - 1 - index if flipped else index
        lines[other] = ("row" if along_rows else "col", (position + 0.5) / count)
    return lines


def cut_positions(volume: Volume, plane: str, index: int) -> dict[str, float]:
    """Fractions (0..1) where slice *index* of *plane* sits in the other planes' images.

    The fraction is along the other image's height or width, whichever the cut
    runs across (see :func:`reference_lines`, which also says which).
    """
    return {
        other: fraction for other, (_, fraction) in reference_lines(volume, plane, index).items()
    }


# --- the linked crosshair: a point in one plane, the slices through it in the others ---


def voxel_at(
    volume: Volume, plane: str, index: int, row: float, col: float
) -> tuple[int, int, int]:
    """The voxel (slice, row, column of the volume) under pixel (*row*, *col*) of a plane.

    *row* and *col* count the displayed image of slice *index* of *plane* (as
    :func:`reformat` returns it; pixel centres at whole numbers, so a click anywhere
    inside a pixel rounds to it). Points outside the image are refused.

    Raises
    ------
    IndexError
        *index*, *row* or *col* outside the plane's image.
    """
    _check_plane(plane)
    layout = _layout(volume)
    fixed, row_axis, col_axis, flip_rows, flip_cols = _arrangement(layout, plane)
    n_rows, n_cols = layout.sizes[row_axis], layout.sizes[col_axis]
    if not 0 <= index < layout.sizes[fixed]:
        raise IndexError(
            f"Slice {index} is outside the {plane} plane (0 .. {layout.sizes[fixed] - 1})."
        )
    r, c = int(np.floor(float(row) + 0.5)), int(np.floor(float(col) + 0.5))
    if not (0 <= r < n_rows and 0 <= c < n_cols):
        raise IndexError(
            f"Point ({row:g}, {col:g}) is outside the {plane} image ({n_rows} × {n_cols} "
            "pixels); click on the image."
        )
    voxel = [0, 0, 0]
    voxel[fixed] = int(index)
    voxel[row_axis] = n_rows - 1 - r if flip_rows else r
    voxel[col_axis] = n_cols - 1 - c if flip_cols else c
    return voxel[0], voxel[1], voxel[2]


def _check_voxel(layout: _Layout, voxel: tuple[int, int, int]) -> tuple[int, int, int]:
    v = tuple(int(x) for x in voxel)
    if len(v) != 3 or not all(0 <= x < n for x, n in zip(v, layout.sizes, strict=True)):
        raise IndexError(f"Voxel {tuple(voxel)} is outside the volume {layout.sizes}.")
    return v[0], v[1], v[2]


def plane_indices(volume: Volume, voxel: tuple[int, int, int]) -> dict[str, int]:
    """The slice of each plane through *voxel* (slice, row, column of the volume)."""
    layout = _layout(volume)
    v = _check_voxel(layout, voxel)
    return {plane: v[layout.axis_of[_NORMAL_AXIS[plane]]] for plane in PLANES}


def plane_point(volume: Volume, plane: str, voxel: tuple[int, int, int]) -> tuple[int, int]:
    """Where *voxel* is drawn in *plane*'s image through it: (row, column) of the display."""
    _check_plane(plane)
    layout = _layout(volume)
    v = _check_voxel(layout, voxel)
    _, row_axis, col_axis, flip_rows, flip_cols = _arrangement(layout, plane)
    r, c = v[row_axis], v[col_axis]
    if flip_rows:
        r = layout.sizes[row_axis] - 1 - r
    if flip_cols:
        c = layout.sizes[col_axis] - 1 - c
    return r, c


def patient_position(volume: Volume, voxel: tuple[int, int, int]) -> tuple[float, float, float]:
    """The centre of *voxel* in patient coordinates (LPS, mm), from the slice positions.

    (0020,0032) *Image Position Patient* of the voxel's slice plus the column and row
    steps along (0020,0037) *Image Orientation Patient* times (0028,0030) *Pixel Spacing*.
    """
    layout = _layout(volume)
    s, r, c = _check_voxel(layout, voxel)
    geometry = volume.geometry
    assert geometry.positions is not None and geometry.pixel_spacing is not None
    origin = np.asarray(geometry.positions[s], dtype=float)
    row_step, col_step = geometry.pixel_spacing  # between rows, between columns
    point = origin + c * col_step * layout.directions[2] + r * row_step * layout.directions[1]
    return float(point[0]), float(point[1]), float(point[2])
