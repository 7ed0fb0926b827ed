"""The linked crosshair of the three-pane MPR: one point, three planes through it (core).

A :class:`Crosshair` is a voxel of one volume. Each pane of the MPR layout (axial,
coronal, sagittal) shows the slice of its plane through that voxel, the crosshair
where the voxel is drawn, and two reference lines: where the other two panes' slices
cut its image. Clicking pane *P* at (row, col) of slice *i* moves the crosshair to
:func:`~workbench.imaging.mpr.voxel_at` of that point; the other two panes then move
to the slices through it. The geometry is :mod:`workbench.imaging.mpr`'s (planes along
the volume axes nearest the patient's axes; any acquired plane, any spacing).

>>> from workbench.view.crosshair import guide_dict, PaneGuide
>>> guide_dict(PaneGuide("axial", 4, (10, 20), (("coronal", "row", 0.25),)))["point"]
[10, 20]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.imaging import mpr

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

__all__ = [
    "LINE_COLOURS",
    "Crosshair",
    "PaneGuide",
    "centre",
    "click",
    "guide_dict",
    "guides",
]

#: Colour of each plane's reference line (the same colour marks that plane's pane).
LINE_COLOURS = {"axial": "#ff5252", "coronal": "#40c4ff", "sagittal": "#69f0ae"}


@dataclass(frozen=True)
class Crosshair:
    """A voxel (slice, row, column of the volume, in its display order) of one series."""

    series_key: str
    voxel: tuple[int, int, int]


@dataclass(frozen=True)
class PaneGuide:
    """What one MPR pane shows of the crosshair.

    Attributes
    ----------
    plane : str
    index : int
        The slice of *plane* through the crosshair.
    point : tuple of int
        (row, col) of the crosshair in that slice's displayed image.
    lines : tuple
        ``(other plane, "row" or "col", fraction)``: a horizontal (``"row"``) or
        vertical (``"col"``) line at that fraction of the image's height or width,
        where the other plane's slice cuts this image.
    """

    plane: str
    index: int
    point: tuple[int, int]
    lines: tuple[tuple[str, str, float], ...]


def centre(volume: Volume, series_key: str | None = None) -> Crosshair:
    """The crosshair at the middle voxel of *volume*."""
    shape = volume.shape
    voxel = (int(shape[0]) // 2, int(shape[1]) // 2, int(shape[2]) // 2)
    return Crosshair(series_key or volume.series_key, voxel)


def click(volume: Volume, plane: str, index: int, row: float, col: float) -> Crosshair:
    """The crosshair after a click at (*row*, *col*) on slice *index* of *plane*.

    Raises
    ------
    IndexError
        The point is outside the image (it is refused, the crosshair stays).
    """
    return Crosshair(volume.series_key, mpr.voxel_at(volume, plane, index, row, col))


def guides(volume: Volume, crosshair: Crosshair) -> dict[str, PaneGuide]:
    """Slice, crosshair point and reference lines of each of the three planes."""
    indices = mpr.plane_indices(volume, crosshair.voxel)
    out = {}
    for plane in mpr.PLANES:
        lines = tuple(
            (other, *mpr.reference_lines(volume, other, indices[other])[plane])
            for other in mpr.PLANES
            if other != plane
        )
        out[plane] = PaneGuide(
            plane=plane,
            index=indices[plane],
            point=mpr.plane_point(volume, plane, crosshair.voxel),
            lines=lines,
        )
    return out


def guide_dict(guide: PaneGuide) -> dict[str, Any]:
    """A pane's guide as the browser draws it (the canvas's ``guides`` trait)."""
    return {
        "plane": guide.plane,
        "colour": LINE_COLOURS.get(guide.plane, "#ffffff"),
        "point": [int(guide.point[0]), int(guide.point[1])],
        "lines": [
            {
                "plane": other,
                "axis": axis,
                "at": float(at),
                "colour": LINE_COLOURS.get(other, "#ffffff"),
            }
            for other, axis, at in guide.lines
        ],
    }
