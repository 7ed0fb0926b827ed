"""Where the pixels sit in the patient: spacing, orientation, slice order, gaps and tilt.

Pure functions over header values, no pixel data. :func:`stack_order` sorts the
frames of a series by their position along the slice normal (never by file
name or (0020,0013) *Instance Number* alone); :func:`describe_stack` measures
the spacing between consecutive slices and names what would make a
reformatted view wrong (gaps, uneven spacing, repeated positions, a gantry
tilt); :func:`pixel_spacing` chooses the in-plane calibration and says where it
came from.

>>> import numpy as np
>>> positions = np.array([[0, 0, 0.0], [0, 0, 3.0], [0, 0, 6.0], [0, 0, 12.0]])
>>> spacing, uniform, issues = describe_stack(positions, (1, 0, 0, 0, 1, 0))
>>> spacing, uniform, issues
(3.0, False, ('gap of 6.0 mm between slices 3 and 4 (3.0 mm elsewhere)',))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Geometry",
    "as_floats",
    "describe_stack",
    "normal",
    "pixel_spacing",
    "stack_order",
]

#: Directions cosines closer than this are the same orientation.
ORIENTATION_TOLERANCE = 1e-3
#: A step this much larger than the median step is a gap.
GAP_FACTOR = 1.5
#: Steps may differ from the median by this fraction (plus 0.01 mm of rounding).
SPACING_TOLERANCE = 0.02
#: Angle (degrees) between the slice step and the normal above which the stack is tilted.
TILT_TOLERANCE_DEG = 0.5


@dataclass(frozen=True)
class Geometry:
    """Geometry of a series' frames in display order.

    Attributes
    ----------
    pixel_spacing : tuple of float or None
        (row, column) spacing in mm after any magnification correction, from
        (0028,0030) *Pixel Spacing* or (0018,1164) *Imager Pixel Spacing*; None
        when the header gives no calibration.
    spacing_source : str
        ``"PixelSpacing"``, ``"ImagerPixelSpacing"`` (at the detector: includes the
        geometric magnification), ``"ImagerPixelSpacing /
        EstimatedRadiographicMagnificationFactor"``, ``"UltrasoundRegion"`` (from the
        header's ultrasound regions, see :func:`ultrasound_spacing`) or ``"none"``.
    orientation : tuple of float or None
        (0020,0037) *Image Orientation (Patient)*: row then column direction cosines.
    positions : numpy.ndarray or None
        (n_frames, 3) (0020,0032) *Image Position (Patient)* in display order.
    slice_spacing : float or None
        Median distance between consecutive frames along the slice normal (mm).
    uniform : bool
        Parallel, evenly spaced slices without gaps or tilt: reformatting is allowed.
    issues : tuple of str
        What makes the stack non-uniform, in words (``"gap of 6.0 mm between slices 11
        and 12 (3.0 mm elsewhere)"``, ``"gantry tilt 12.0°"``).
    patient_orientation : tuple of str or None
        (0020,0020) *Patient Orientation* of projection images: the directions of
        the rows and of the columns (``("R", "F")``).
    frame_of_reference : str or None
        (0020,0052) *Frame of Reference UID*.
    """

    pixel_spacing: tuple[float, float] | None
    spacing_source: str
    orientation: tuple[float, ...] | None
    positions: np.ndarray | None
    slice_spacing: float | None
    uniform: bool
    issues: tuple[str, ...]
    patient_orientation: tuple[str, str] | None
    frame_of_reference: str | None

    @property
    def normal(self) -> np.ndarray | None:
        """Unit slice normal (row direction × column direction), or None."""
        return None if self.orientation is None else normal(self.orientation)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Geometry):
            return NotImplemented
        same_positions = (self.positions is None and other.positions is None) or (
            self.positions is not None
            and other.positions is not None
            and np.array_equal(self.positions, other.positions)
        )
        return same_positions and all(
            getattr(self, name) == getattr(other, name)
            for name in self.__dataclass_fields__
            if name != "positions"
        )

    __hash__ = None  # type: ignore[assignment]  # holds an array


def as_floats(value: Any, count: int | None = None) -> tuple[float, ...] | None:
    """A header value (list, array, backslash string or number) as floats; None if unusable.

    >>> as_floats("0.5\\\\0.5", 2)
    (0.5, 0.5)
    >>> as_floats(None) is None
    True
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split("\\")
    if isinstance(value, int | float):
        value = [value]
    try:
        items = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not items or any(math.isnan(v) for v in items):
        return None
    if count is not None and len(items) != count:
        return None
    return items


def normal(orientation: Sequence[float]) -> np.ndarray:
    """Unit normal of (0020,0037) *Image Orientation (Patient)* (row × column direction)."""
    row = np.asarray(orientation[:3], dtype=float)
    col = np.asarray(orientation[3:6], dtype=float)
    n = np.cross(row, col)
    length = float(np.linalg.norm(n))
    return n / length if length > 0 else n


def pixel_spacing(
    spacing: Any, imager_spacing: Any, magnification: Any
) -> tuple[tuple[float, float] | None, str]:
    """The in-plane calibration and its source.

    (0028,0030) *Pixel Spacing* is used when present. Otherwise (0018,1164)
    *Imager Pixel Spacing*, measured at the detector, is divided by (0018,1114)
    *Estimated Radiographic Magnification Factor* when the header gives one;
    without it the detector spacing is returned and labelled as such (lengths
    are then overstated by the geometric magnification, typically 10-20 %).

    >>> pixel_spacing(None, [0.2, 0.2], 1.25)
    ((0.16, 0.16), 'ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor')
    >>> pixel_spacing(None, None, None)
    (None, 'none')
    """
    ps = as_floats(spacing, 2)
    if ps is not None and min(ps) > 0:
        return (ps[0], ps[1]), "PixelSpacing"
    ips = as_floats(imager_spacing, 2)
    if ips is None or min(ips) <= 0:
        return None, "none"
    factor = as_floats(magnification, 1)
    if factor is not None and factor[0] > 0:
        m = factor[0]
        return (round(ips[0] / m, 9), round(ips[1] / m, 9)), (
            "ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor"
        )
    return (ips[0], ips[1]), "ImagerPixelSpacing"


#: (0018,6024) *Physical Units X Direction* code of centimetres.
_US_CM = 3
#: (0018,6012) *Region Spatial Format* codes of 2-D tissue or colour-flow regions.
_US_2D = (1, 2)


def ultrasound_spacing(regions: Any) -> tuple[float, float] | None:
    """(row, col) mm per pixel from (0018,6011) *Sequence of Ultrasound Regions*, or None.

    Uses the first region whose (0018,6012) *Region Spatial Format* is 2-D tissue or
    colour flow and whose (0018,6024)/(0018,6026) *Physical Units X/Y Direction* are
    centimetres (code 3): (0018,602E) *Physical Delta Y* and (0018,602C) *Physical
    Delta X*, times 10. Regions in other units (seconds, cm/s) do not calibrate length.

    >>> from pydicom.dataset import Dataset
    >>> item = Dataset()
    >>> item.RegionSpatialFormat, item.PhysicalUnitsXDirection = 1, 3
    >>> item.PhysicalUnitsYDirection = 3
    >>> item.PhysicalDeltaX, item.PhysicalDeltaY = 0.0308, 0.0308
    >>> ultrasound_spacing([item])
    (0.308, 0.308)
    """
    for item in regions or ():
        try:
            fmt = int(item.get("RegionSpatialFormat", 0) or 0)
            ux = int(item.get("PhysicalUnitsXDirection", 0) or 0)
            uy = int(item.get("PhysicalUnitsYDirection", 0) or 0)
            dx = abs(float(item.get("PhysicalDeltaX") or 0.0))
            dy = abs(float(item.get("PhysicalDeltaY") or 0.0))
        except (TypeError, ValueError, AttributeError):
            continue
        if fmt in _US_2D and ux == uy == _US_CM and dx > 0 and dy > 0:
            return (round(dy * 10.0, 9), round(dx * 10.0, 9))
    return None


def stack_order(
    positions: Sequence[tuple[float, ...] | None],
    orientations: Sequence[tuple[float, ...] | None],
    tie_keys: Sequence[tuple[Any, ...]],
) -> tuple[list[int], tuple[float, ...] | None, list[str]]:
    """Display order of frames: by distance along the slice normal when the geometry allows.

    Parameters
    ----------
    positions, orientations : sequences
        Per frame (0020,0032) *Image Position (Patient)* and (0020,0037) *Image
        Orientation (Patient)*, None where absent.
    tie_keys : sequence of tuples
        Per frame sort key used for ties and when positions cannot be used
        (instance number, frame number, path).

    Returns
    -------
    order : list of int
        Frame indices in display order.
    orientation : tuple of float or None
        The common orientation, None when absent or when frames disagree.
    issues : list of str
        Why positions were not used, if they were not.
    """
    n = len(tie_keys)
    by_keys = sorted(range(n), key=lambda i: tie_keys[i])
    known = [o for o in orientations if o is not None]
    if not known:
        return by_keys, None, []
    first = np.asarray(known[0])
    if len(known) < n or any(
        np.max(np.abs(np.asarray(o) - first)) > ORIENTATION_TOLERANCE for o in known
    ):
        return by_keys, None, ["orientation differs between images (mixed planes or a localizer)"]
    orientation = tuple(float(v) for v in known[0])
    if any(p is None for p in positions):
        missing = sum(p is None for p in positions)
        return by_keys, orientation, [f"{missing} of {n} frames have no ImagePositionPatient"]
    nrm = normal(orientation)
    distance = [float(np.dot(np.asarray(p), nrm)) for p in positions]
    return sorted(range(n), key=lambda i: (round(distance[i], 4), tie_keys[i])), orientation, []


def describe_stack(
    positions: np.ndarray, orientation: Sequence[float]
) -> tuple[float | None, bool, tuple[str, ...]]:
    """Slice spacing, uniformity and issues of positions already in display order.

    Parameters
    ----------
    positions : numpy.ndarray
        (n, 3) (0020,0032) *Image Position (Patient)*, sorted along the normal.
    orientation : sequence of float
        (0020,0037) *Image Orientation (Patient)* shared by all frames.

    Returns
    -------
    slice_spacing : float or None
        Median step along the normal (mm); None for fewer than two frames.
    uniform : bool
        True when a reformatted view would be geometrically right.
    issues : tuple of str
    """
    if len(positions) < 2:
        return None, False, ()
    nrm = normal(orientation)
    steps = np.diff(positions, axis=0)
    along = steps @ nrm
    median = float(np.median(along))
    issues: list[str] = []
    if median <= 1e-3:
        return None, False, (f"all {len(positions)} frames share one position",)
    repeated = np.nonzero(along < 1e-3)[0]
    if len(repeated):
        issues.append(
            f"{len(repeated)} frames repeat a position (several echoes, phases or time "
            f"points?), first at slice {repeated[0] + 2}"
        )
    for i in np.nonzero(along > GAP_FACTOR * median)[0]:
        issues.append(
            f"gap of {along[i]:.1f} mm between slices {i + 1} and {i + 2} "
            f"({median:.1f} mm elsewhere)"
        )
    tolerance = SPACING_TOLERANCE * median + 0.01
    regular = along[(along >= 1e-3) & (along <= GAP_FACTOR * median)]
    if len(regular) and np.max(np.abs(regular - median)) > tolerance:
        issues.append(f"slice spacing varies from {regular.min():.2f} to {regular.max():.2f} mm")
    lengths = np.linalg.norm(steps, axis=1)
    moving = lengths > 1e-3
    if moving.any():
        cosines = np.clip(np.abs(along[moving]) / lengths[moving], 0.0, 1.0)
        tilt = float(np.degrees(np.arccos(np.min(cosines))))
        if tilt > TILT_TOLERANCE_DEG:
            issues.append(f"gantry tilt {tilt:.1f}° (slices shifted sideways along the stack)")
    return median, not issues, tuple(issues)
