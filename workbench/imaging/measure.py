"""Measurements in mm with their calibration source, and the JSON sidecar that keeps them.

Every measurement records where its millimetres come from:

- ``PixelSpacing``: (0028,0030) *Pixel Spacing* (cross-sections; calibrated radiographs);
- ``ImagerPixelSpacing``: (0018,1164) *Imager Pixel Spacing* at the detector, not
  corrected for magnification (lengths overstated, typically by 10-20 %; flagged
  ``detector_plane``);
- ``ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor``: corrected by
  (0018,1114) *Estimated Radiographic Magnification Factor*;
- ``user calibration``: a line of known length drawn by the reviewer (:func:`calibrate`);
- ``none``: no calibration; the value is in pixels (unit ``px``), never in mm
  (flagged ``uncalibrated``).

- ``UltrasoundRegion``: (0018,602C) *Physical Delta X* / (0018,602E) *Physical Delta Y*
  of the (0018,6011) *Sequence of Ultrasound Regions* item with a 2-D spatial format
  (0018,6012) whose units (0018,6024/6026) are cm, converted to mm.

Points are (row, column) in full-resolution pixel coordinates of the frame; a point
outside the frame (beyond half a pixel from its edge) is refused with
:class:`~workbench.errors.MeasurementError` (:func:`check_points`).

The record (``measurements.json``, one object per measurement; readers such as the
DICOM SR/KOS export rely on these names, so fields are only ever added):

============  ==========================================================================
field         meaning
============  ==========================================================================
id            12 hex digits, stable
kind          ``length``, ``angle``, ``cobb``, ``roi`` (circle), ``roi_ellipse``,
              ``roi_rectangle``, ``calibration``, ``arrow`` (annotation: value 0, unit
              ``""``, its text in ``label``), and the orthopedic kit of
              :mod:`workbench.imaging.ortho`: ``joint_space``, ``hka``, ``line_angle``,
              ``meyerding``, ``center_edge``, ``leg_length``
points        list of [row, col] (full-resolution pixels; see each kind for the order)
sop_uid       (0008,0018) *SOP Instance UID* of the image
frame         1-based frame number in that file
value, unit   the number and ``mm``, ``px``, ``deg``, ``%``, ``HU``, ``a.u.`` or ``""``
calibration_source  as listed above
note, flags   what the reader should know; ``uncalibrated``, ``detector_plane``,
              ``non_weight_bearing_joint_space``
sd, area      ROI standard deviation and area (mm², px² uncalibrated)
spacing       [row, col] mm per pixel used, or null
series_key    the series of the image
created       ISO 8601 UTC
label         the reviewer's name for it (renamed in the viewer; the arrow's text)
viewer        name of the viewer it was made in (one image of one viewer)
details       kind-specific values (e.g. ``compartment``, ``closest`` points of a joint
              space, ``grade`` of a slip, ``deviation`` and ``direction`` of an HKA angle)
============  ==========================================================================

>>> from pydicom.data import get_testdata_file
>>> from workbench.imaging.volume import load_files
>>> volume = load_files([get_testdata_file("CT_small.dcm")])
>>> m = length(volume, 0, (10, 10), (10, 110))
>>> round(m.value, 2), m.unit, m.calibration_source
(66.15, 'mm', 'PixelSpacing')
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.errors import MeasurementError, PixelDataError, WorkspaceError
from workbench.observer import REVIEWERS_DIR, current_observer, reviewer_folder
from workbench.workspace import atomic_write, file_lock

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

__all__ = [
    "Calibration",
    "Measurement",
    "MeasurementStore",
    "angle",
    "arrow",
    "calibrate",
    "check_points",
    "cobb",
    "joint_space_flags",
    "length",
    "roi",
    "roi_box",
]

Point = tuple[float, float]
USER_CALIBRATION = "user calibration"
NON_WEIGHT_BEARING = "non_weight_bearing_joint_space"
#: Modalities of projection radiographs.
XRAY_MODALITIES = frozenset({"CR", "DX", "RG", "RF", "XR", "PX", "MG"})
#: Body parts whose joint space is read on standing films.
WEIGHT_BEARING_JOINTS = frozenset({"knee", "hip"})


@dataclass(frozen=True)
class Calibration:
    """Millimetres per pixel set by a line of known length.

    Attributes
    ----------
    mm_per_px : tuple of float
        (row, column) spacing in mm; keeps the header's pixel aspect when it has one.
    known_mm : float
        The length the reviewer gave the line.
    points : tuple of (row, col)
        The line's ends.
    sop_uid : str
    frame : int
        1-based frame number in the file.
    source : str
        ``"user calibration"``.
    """

    mm_per_px: tuple[float, float]
    known_mm: float
    points: tuple[Point, ...]
    sop_uid: str
    frame: int
    source: str = USER_CALIBRATION

    def as_measurement(self, series_key: str = "") -> Measurement:
        """The calibration as a ``kind="calibration"`` measurement for the sidecar."""
        return Measurement(
            kind="calibration",
            points=self.points,
            sop_uid=self.sop_uid,
            frame=self.frame,
            value=self.known_mm,
            unit="mm",
            calibration_source=self.source,
            note=f"{self.mm_per_px[0]:.4f} × {self.mm_per_px[1]:.4f} mm per pixel",
            spacing=self.mm_per_px,
            series_key=series_key,
        )


@dataclass(frozen=True)
class Measurement:
    """One measurement on one frame.

    Attributes
    ----------
    kind : str
        ``"length"``, ``"angle"``, ``"cobb"``, ``"roi"`` or ``"calibration"``.
    points : tuple of (row, col)
        Full-resolution pixel coordinates (ROI: centre, then a point on the circle).
    sop_uid : str
        (0008,0018) *SOP Instance UID* of the file.
    frame : int
        1-based frame number within the file.
    value : float
        Length, angle, ROI mean or calibration length.
    unit : str
        ``"mm"``, ``"px"``, ``"deg"``, ``"HU"`` or ``"a.u."`` (arbitrary units).
    calibration_source : str
        See the module docstring.
    note : str
        What the reader should know (magnification, pixels only ...).
    flags : tuple of str
        ``uncalibrated``, ``detector_plane``, ``non_weight_bearing_joint_space``.
    sd : float or None
        ROI standard deviation (sample, ddof=1).
    area : float or None
        ROI area in mm² (px² without calibration).
    spacing : tuple of float or None
        (row, column) mm per pixel used.
    series_key : str
    id : str
    created : str
        ISO 8601 time of creation (UTC).
    observer : str
        Who measured: the reviewer's hub user name (``JUPYTERHUB_USER``) or
        ``WORKBENCH_OBSERVER``; empty when unknown (see :mod:`workbench.observer`).
    label : str
        The reviewer's name for it (an arrow's text).
    viewer : str
        The viewer it was made in.
    details : dict
        Kind-specific values (JSON-ready).
    """

    kind: str
    points: tuple[Point, ...]
    sop_uid: str
    frame: int
    value: float
    unit: str
    calibration_source: str
    note: str = ""
    flags: tuple[str, ...] = ()
    sd: float | None = None
    area: float | None = None
    spacing: tuple[float, float] | None = None
    series_key: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )
    observer: str = ""
    label: str = ""
    viewer: str = ""
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        out["points"] = [list(p) for p in self.points]
        out["flags"] = list(self.flags)
        out["spacing"] = list(self.spacing) if self.spacing is not None else None
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Measurement:
        """Inverse of :meth:`to_json` (unknown keys ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["points"] = tuple((float(p[0]), float(p[1])) for p in known.get("points", ()))
        known["flags"] = tuple(known.get("flags") or ())
        spacing = known.get("spacing")
        known["spacing"] = (float(spacing[0]), float(spacing[1])) if spacing else None
        known["frame"] = int(known.get("frame", 1))
        known["details"] = dict(known.get("details") or {})
        known["label"] = str(known.get("label") or "")
        return cls(**known)


# --- calibration ------------------------------------------------------------------------


def _calibration(
    volume: Volume, calibration: Calibration | None
) -> tuple[tuple[float, float] | None, str, str, tuple[str, ...]]:
    """(spacing, source, note, flags) for a measurement on *volume*."""
    if calibration is not None:
        note = f"calibrated on a {calibration.known_mm:g} mm line"
        return calibration.mm_per_px, calibration.source, note, ()
    geometry = volume.geometry
    source = geometry.spacing_source
    if geometry.pixel_spacing is None:
        note = "no calibration in the header: pixels only; calibrate on an object of known size"
        return None, "none", note, ("uncalibrated",)
    if source == "ImagerPixelSpacing":
        note = (
            "spacing at the detector, not corrected for magnification: lengths are "
            "overstated (typically 10-20 %)"
        )
        return geometry.pixel_spacing, source, note, ("detector_plane",)
    if source == "UltrasoundRegion":
        note = "ultrasound region calibration (Physical Delta X/Y of the region)"
        return geometry.pixel_spacing, source, note, ()
    if source.startswith("ImagerPixelSpacing /"):
        note = "detector spacing corrected by the estimated radiographic magnification factor"
        return geometry.pixel_spacing, source, note, ()
    return geometry.pixel_spacing, source, "", ()


def calibrate(
    volume: Volume, index: int, p1: Sequence[float], p2: Sequence[float], known_mm: float
) -> Calibration:
    """Millimetres per pixel from a line of *known_mm* drawn from *p1* to *p2*.

    The header's pixel aspect (row/column spacing) is kept when it has one.

    Raises
    ------
    ValueError
        *known_mm* is not positive or the points coincide.
    """
    try:
        known = float(known_mm)
    except (TypeError, ValueError):
        known = math.nan
    if not known > 0 or not math.isfinite(known):
        raise MeasurementError(
            f"A calibration length must be a positive number of mm, got {known_mm!r}; "
            "type the known length (e.g. 25 for a 25 mm marker ball) first."
        )
    sop_uid, frame = volume.sop_uids[index]
    dr, dc = float(p2[0]) - float(p1[0]), float(p2[1]) - float(p1[1])
    aspect = volume.geometry.pixel_spacing or (1.0, 1.0)
    span = math.hypot(dr * aspect[0], dc * aspect[1])
    if span <= 0:
        raise MeasurementError("The calibration line has no length; pick two different points.")
    scale = float(known_mm) / span
    return Calibration(
        mm_per_px=(aspect[0] * scale, aspect[1] * scale),
        known_mm=float(known_mm),
        points=(_point(p1), _point(p2)),
        sop_uid=sop_uid,
        frame=frame,
    )


def joint_space_flags(series: Mapping[str, Any] | pd.Series | None) -> tuple[str, ...]:
    """``("non_weight_bearing_joint_space",)`` for a knee or hip radiograph not taken standing.

    *series* is a row of ``case.series`` (``Modality``, ``body_part``,
    ``weight_bearing``); joint space on a supine film understates narrowing.

    >>> joint_space_flags({"Modality": "DX", "body_part": "knee", "weight_bearing": None})
    ('non_weight_bearing_joint_space',)
    >>> joint_space_flags({"Modality": "DX", "body_part": "knee", "weight_bearing": True})
    ()
    """
    if series is None:
        return ()
    modality = str(series.get("Modality") or "")
    body_part = str(series.get("body_part") or "")
    standing = series.get("weight_bearing")
    standing_known = standing is not None and not pd.isna(standing) and bool(standing)
    if modality in XRAY_MODALITIES and body_part in WEIGHT_BEARING_JOINTS and not standing_known:
        return (NON_WEIGHT_BEARING,)
    return ()


# --- measurements -----------------------------------------------------------------------


def check_points(volume: Volume, index: int, points: Sequence[Sequence[float]]) -> None:
    """Refuse points outside frame *index* of *volume* (half a pixel of margin).

    Raises
    ------
    MeasurementError
        A point is not a finite (row, col) pair inside the frame; the message names it
        and the frame's size.

    >>> from pydicom.data import get_testdata_file
    >>> from workbench.imaging.volume import load_files
    >>> volume = load_files([get_testdata_file("CT_small.dcm")])
    >>> check_points(volume, 0, [(10, 10), (200, 10)])
    Traceback (most recent call last):
    ...
    workbench.errors.MeasurementError: Point (200, 10) is outside the image (128 rows × 128 ...
    """
    rows, cols = int(volume.shape[1]), int(volume.shape[2])
    for p in points:
        try:
            r, c = float(p[0]), float(p[1])
        except (TypeError, ValueError, IndexError):
            raise MeasurementError(f"Point {p!r} is not a (row, col) pair of numbers.") from None
        ok = math.isfinite(r) and math.isfinite(c)
        if not ok or not (-0.5 <= r <= rows - 0.5 and -0.5 <= c <= cols - 0.5):
            raise MeasurementError(
                f"Point ({p[0]:g}, {p[1]:g}) is outside the image ({rows} rows × {cols} columns; "
                f"rows 0-{rows - 1}, columns 0-{cols - 1}): place every point on the image."
            )


def _point(p: Sequence[float]) -> Point:
    return (float(p[0]), float(p[1]))


def _scaled(vector: Sequence[float], spacing: tuple[float, float] | None) -> np.ndarray:
    sr, sc = spacing or (1.0, 1.0)
    return np.array([float(vector[0]) * sr, float(vector[1]) * sc])


def length(
    volume: Volume,
    index: int,
    p1: Sequence[float],
    p2: Sequence[float],
    *,
    calibration: Calibration | None = None,
    series: Mapping[str, Any] | pd.Series | None = None,
) -> Measurement:
    """Distance from *p1* to *p2*: mm when calibrated, else pixels.

    Parameters
    ----------
    volume : Volume
    index : int
        Display frame.
    p1, p2 : (row, col)
    calibration : Calibration, optional
        A user calibration (overrides the header's spacing).
    series : row of ``case.series``, optional
        Adds the ``non_weight_bearing_joint_space`` flag on supine knee and hip films.
    """
    sop_uid, frame = volume.sop_uids[index]
    spacing, source, note, flags = _calibration(volume, calibration)
    delta = (float(p2[0]) - float(p1[0]), float(p2[1]) - float(p1[1]))
    value = float(np.linalg.norm(_scaled(delta, spacing)))
    extra = joint_space_flags(series)
    if extra:
        note = "; ".join(
            n
            for n in (note, "not known to be a weight-bearing film: joint space may be understated")
            if n
        )
    return Measurement(
        kind="length",
        points=(_point(p1), _point(p2)),
        sop_uid=sop_uid,
        frame=frame,
        value=value,
        unit="mm" if spacing is not None else "px",
        calibration_source=source,
        note=note,
        flags=flags + extra,
        spacing=spacing,
        series_key=volume.series_key,
    )


def angle(
    volume: Volume,
    index: int,
    a: Sequence[float],
    vertex: Sequence[float],
    b: Sequence[float],
    *,
    calibration: Calibration | None = None,
) -> Measurement:
    """The angle a-vertex-b in degrees (0-180), in physical space when the spacing is known."""
    calibrated = _calibration(volume, calibration)
    spacing = calibrated[0]
    u = _scaled((a[0] - vertex[0], a[1] - vertex[1]), spacing)
    v = _scaled((b[0] - vertex[0], b[1] - vertex[1]), spacing)
    points = (_point(a), _point(vertex), _point(b))
    return _angle_measurement("angle", points, _between(u, v), volume, index, calibrated)


def cobb(
    volume: Volume,
    index: int,
    line1: Sequence[Sequence[float]],
    line2: Sequence[Sequence[float]],
    *,
    calibration: Calibration | None = None,
) -> Measurement:
    """Cobb angle between two endplate lines, in degrees.

    Both lines are taken pointing to the same side of the image (left to right),
    so angles above 90° of severe curves are kept.
    """
    calibrated = _calibration(volume, calibration)
    spacing = calibrated[0]
    directions = []
    for p, q in (line1, line2):
        d = _scaled((q[0] - p[0], q[1] - p[1]), spacing)
        if d[1] < 0 or (d[1] == 0 and d[0] < 0):
            d = -d
        directions.append(d)
    points = tuple(_point(p) for p in (*line1, *line2))
    value = _between(directions[0], directions[1])
    return _angle_measurement("cobb", points, value, volume, index, calibrated)


def _angle_measurement(
    kind: str,
    points: tuple[tuple[float, float], ...],
    value: float,
    volume: Volume,
    index: int,
    calibrated: tuple[tuple[float, float] | None, str, str, tuple[str, ...]],
) -> Measurement:
    """An angle in degrees: no unit conversion, the detector-plane flag does not apply."""
    sop_uid, frame = volume.sop_uids[index]
    spacing, source, note, flags = calibrated
    return Measurement(
        kind=kind,
        points=points,
        sop_uid=sop_uid,
        frame=frame,
        value=value,
        unit="deg",
        calibration_source=source,
        note=_angle_note(spacing, note),
        flags=tuple(f for f in flags if f != "detector_plane"),
        spacing=spacing,
        series_key=volume.series_key,
    )


def roi(
    volume: Volume,
    index: int,
    center: Sequence[float],
    radius: float,
    *,
    calibration: Calibration | None = None,
) -> Measurement:
    """Mean and standard deviation inside a circle of *radius* pixels (HU on CT).

    Uses the full-resolution frame after the modality LUT.

    Raises
    ------
    PixelDataError
        Colour images (no single value per pixel).
    ValueError
        The circle holds no pixel.
    """
    if volume.is_color:
        raise PixelDataError(
            f"Series {volume.series_key} is colour; ROI statistics need grey values."
        )
    spacing, source, note, flags = _calibration(volume, calibration)
    values = volume.frame(index)
    rows, cols = values.shape
    cr, cc, rad = float(center[0]), float(center[1]), float(radius)
    r0, r1 = max(0, math.floor(cr - rad)), min(rows, math.ceil(cr + rad) + 1)
    c0, c1 = max(0, math.floor(cc - rad)), min(cols, math.ceil(cc + rad) + 1)
    rr, cc_grid = np.ogrid[r0:r1, c0:c1]
    mask = (rr - cr) ** 2 + (cc_grid - cc) ** 2 <= rad**2
    inside = values[r0:r1, c0:c1][mask].astype(np.float64)
    if inside.size == 0:
        raise ValueError(f"The ROI at {center} with radius {radius} px holds no pixel.")
    return _roi_statistics(volume, index, "roi", (_point(center), (cr, cc + rad)), inside,
                           (spacing, source, note, flags))  # fmt: skip


def roi_box(
    volume: Volume,
    index: int,
    p1: Sequence[float],
    p2: Sequence[float],
    *,
    shape: str = "ellipse",
    calibration: Calibration | None = None,
) -> Measurement:
    """Mean and SD inside the ellipse (or rectangle) whose bounding box has corners *p1*, *p2*.

    Pixels whose centres lie inside count; values after the modality LUT (HU on CT).

    Raises
    ------
    PixelDataError
        Colour images.
    MeasurementError
        The shape holds no pixel centre, or *shape* is unknown.
    """
    if shape not in ("ellipse", "rectangle"):
        raise MeasurementError(f"Unknown ROI shape {shape!r}; use 'ellipse' or 'rectangle'.")
    if volume.is_color:
        raise PixelDataError(
            f"Series {volume.series_key} is colour; ROI statistics need grey values."
        )
    spacing, source, note, flags = _calibration(volume, calibration)
    values = volume.frame(index)
    rows, cols = values.shape
    top, bottom = sorted((float(p1[0]), float(p2[0])))
    left, right = sorted((float(p1[1]), float(p2[1])))
    r0, r1 = max(0, math.ceil(top)), min(rows, math.floor(bottom) + 1)
    c0, c1 = max(0, math.ceil(left)), min(cols, math.floor(right) + 1)
    rr, cc = np.ogrid[r0:r1, c0:c1]
    if shape == "rectangle":
        mask = np.ones((max(r1 - r0, 0), max(c1 - c0, 0)), dtype=bool)
    else:
        cr, ccen = (top + bottom) / 2, (left + right) / 2
        ar, ac = max((bottom - top) / 2, 1e-9), max((right - left) / 2, 1e-9)
        mask = ((rr - cr) / ar) ** 2 + ((cc - ccen) / ac) ** 2 <= 1.0
    inside = values[r0:r1, c0:c1][mask].astype(np.float64) if mask.size else np.array([])
    if inside.size == 0:
        raise MeasurementError(
            f"The ROI from {tuple(p1)} to {tuple(p2)} holds no pixel; drag a larger box."
        )
    return _roi_statistics(volume, index, f"roi_{shape}", (_point(p1), _point(p2)), inside,
                           (spacing, source, note, flags))  # fmt: skip


def _roi_statistics(
    volume: Volume,
    index: int,
    kind: str,
    points: tuple[tuple[float, float], ...],
    inside: np.ndarray,
    calibrated: tuple[Any, str, str, tuple[str, ...]],
) -> Measurement:
    """The ROI measurement of the pixel values *inside*: mean, SD and area."""
    sop_uid, frame = volume.sop_uids[index]
    spacing, source, note, flags = calibrated
    pixel_area = spacing[0] * spacing[1] if spacing is not None else 1.0
    return Measurement(
        kind=kind,
        points=points,
        sop_uid=sop_uid,
        frame=frame,
        value=float(inside.mean()),
        unit="HU" if volume.modality == "CT" else "a.u.",
        calibration_source=source,
        note=f"{inside.size} pixels" + (f"; {note}" if note else ""),
        flags=tuple(f for f in flags if f != "detector_plane"),
        sd=float(inside.std(ddof=1)) if inside.size > 1 else 0.0,
        area=float(inside.size * pixel_area),
        spacing=spacing,
        series_key=volume.series_key,
    )


def arrow(
    volume: Volume, index: int, tail: Sequence[float], tip: Sequence[float], text: str
) -> Measurement:
    """An arrow from *tail* to *tip* with *text* (kept in ``label``; value 0, no unit)."""
    sop_uid, frame = volume.sop_uids[index]
    return Measurement(
        kind="arrow",
        points=(_point(tail), _point(tip)),
        sop_uid=sop_uid,
        frame=frame,
        value=0.0,
        unit="",
        calibration_source="none",
        label=str(text or ""),
        series_key=volume.series_key,
    )


def _between(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0 or nv == 0:
        raise ValueError("An angle needs two lines of non-zero length.")
    return math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(u, v)) / (nu * nv)))))


def _angle_note(spacing: tuple[float, float] | None, note: str) -> str:
    if spacing is None:
        return "angle on the pixel grid (no spacing in the header; square pixels assumed)"
    return "" if note.startswith("spacing at the detector") else note


# --- the sidecar ------------------------------------------------------------------------


class MeasurementStore:
    """Measurements of a case in ``<workspace>/measurements.json``, keyed by SOP UID and frame.

    Every change is written at once, atomically (temporary file, then rename), to the file
    as it is then: a change re-reads the file first, under a lock file, so that every
    store of the same file (the viewers of one notebook, two kernels of one case) adds to
    what the others wrote instead of writing over it; reads see the others' changes too
    (the file is read again when it changed on disk).

    With an observer (``observer=``, else ``JUPYTERHUB_USER`` or ``WORKBENCH_OBSERVER``)
    the store is that reviewer's own,
    ``<workspace>/reviewers/<observer>/measurements.json``, and every measurement added
    is stamped with the observer: two reviewers of one case never overwrite each other.
    :meth:`all_observers` reads every reviewer's measurements of a case together.

    >>> store = MeasurementStore(getfixture("tmp_path"))
    >>> _ = store.add(Measurement("length", ((0, 0), (0, 10)), "1.2.3", 1, 5.0, "mm",
    ...                           "PixelSpacing"))
    >>> [m.value for m in MeasurementStore(store.path.parent).for_frame("1.2.3", 1)]
    [5.0]
    """

    FILENAME = "measurements.json"
    VERSION = 1

    def __init__(self, workspace: str | Path, *, observer: str | None = None) -> None:
        self.observer = current_observer() if observer is None else observer.strip()
        folder = reviewer_folder(workspace, self.observer) if self.observer else Path(workspace)
        self.path = folder / self.FILENAME
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None  # the file as last read or written
        self._items: dict[str, dict[str, list[Measurement]]] = {}
        with self._lock:
            self._refresh()

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WorkspaceError(f"Cannot read '{self.path}' ({exc.strerror}).") from exc
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self) -> None:
        """Read the file again if another store changed it (call with ``_lock`` held)."""
        stamp = self._stamp()
        if stamp != self._seen or stamp is None:
            self._items = self._read(self.path)
            self._seen = stamp

    def _change(self, apply: Callable[[], bool]) -> bool:
        """Run *apply* on the file's latest contents, holding both locks; save when it says
        it changed something. A failed save leaves the file to be read again next time."""
        with self._lock, file_lock(self.path.with_name(".measurements.lock")):
            self._refresh()
            try:
                changed = apply()
                if changed:
                    self._save()
            except BaseException:
                self._seen = None  # memory may now differ from the file: read it next time
                raise
            if changed:
                self._seen = self._stamp()
            return changed

    def _current(self) -> dict[str, dict[str, list[Measurement]]]:
        with self._lock:
            self._refresh()
            return self._items

    @staticmethod
    def _read(path: Path) -> dict[str, dict[str, list[Measurement]]]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise WorkspaceError(f"Cannot read '{path}' ({exc.strerror}).") from exc
        try:
            data = json.loads(text)
            return {
                sop: {
                    str(frame): [Measurement.from_json(m) for m in items]
                    for frame, items in frames.items()
                }
                for sop, frames in data.get("measurements", {}).items()
            }
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise WorkspaceError(
                f"'{path}' is not a valid measurement file ({type(exc).__name__}: {exc}); "
                "it is left untouched. Move it aside to start a new one."
            ) from exc

    def _save(self) -> None:
        data = {
            "version": self.VERSION,
            "measurements": {
                sop: {frame: [m.to_json() for m in items] for frame, items in frames.items()}
                for sop, frames in self._items.items()
            },
        }
        with atomic_write(self.path, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)

    def add(self, measurement: Measurement | Calibration) -> Measurement:
        """Store *measurement* (a :class:`Calibration` is stored as one) and save."""
        if isinstance(measurement, Calibration):
            measurement = measurement.as_measurement()
        if self.observer and not measurement.observer:
            measurement = replace(measurement, observer=self.observer)

        def append() -> bool:
            frames = self._items.setdefault(measurement.sop_uid, {})
            frames.setdefault(str(measurement.frame), []).append(measurement)
            return True

        self._change(append)
        return measurement

    def remove(self, measurement_id: str) -> bool:
        """Delete the measurement with this id; False when there is none."""
        return self._change(lambda: self._replace(measurement_id, None))

    def update(self, measurement: Measurement) -> None:
        """Replace the stored measurement with the same id (e.g. a new note)."""
        if not self._change(lambda: self._replace(measurement.id, measurement)):
            raise KeyError(f"No measurement with id {measurement.id!r} in {self.path}.")

    def _replace(self, measurement_id: str, new: Measurement | None) -> bool:
        """Put *new* (None: nothing) where the measurement *measurement_id* is; whether found."""
        for frames in self._items.values():
            for items in frames.values():
                for i, m in enumerate(items):
                    if m.id == measurement_id:
                        if new is None:
                            del items[i]
                        else:
                            items[i] = new
                        return True
        return False

    def for_frame(self, sop_uid: str, frame: int) -> list[Measurement]:
        """Measurements of one frame (1-based frame number), oldest first."""
        return list(self._current().get(sop_uid, {}).get(str(int(frame)), []))

    def calibration_for(self, sop_uid: str, frame: int) -> Calibration | None:
        """The latest user calibration of a frame, or None."""
        for m in reversed(self.for_frame(sop_uid, frame)):
            if m.kind == "calibration" and m.spacing is not None:
                return Calibration(m.spacing, m.value, m.points, m.sop_uid, m.frame)
        return None

    def __iter__(self) -> Iterator[Measurement]:
        items = self._current()
        yield from [m for frames in items.values() for found in frames.values() for m in found]

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def frame(self) -> pd.DataFrame:
        """All measurements, one row each, in creation order."""
        return _frame(self)

    @classmethod
    def all_observers(cls, workspace: str | Path) -> pd.DataFrame:
        """Every reviewer's measurements of the case in *workspace* (and the shared store).

        The ``observer`` column says whose each row is.

        Raises
        ------
        WorkspaceError
            A store cannot be read; the message names the file.
        """
        root = Path(workspace)
        paths = [root / cls.FILENAME, *sorted(root.glob(f"{REVIEWERS_DIR}/*/{cls.FILENAME}"))]
        return _frame(
            m
            for path in paths
            for frames in cls._read(path).values()
            for items in frames.values()
            for m in items
        )


def _frame(measurements: Iterable[Measurement]) -> pd.DataFrame:
    columns = [
        "id", "series_key", "sop_uid", "frame", "kind", "value", "unit", "sd", "area",
        "calibration_source", "spacing", "flags", "note", "points", "created", "observer",
    ]  # fmt: skip
    rows = [
        {
            **{k: getattr(m, k) for k in columns if k not in {"flags", "points", "spacing"}},
            "flags": ", ".join(m.flags),
            "points": [list(p) for p in m.points],
            "spacing": list(m.spacing) if m.spacing else None,
        }
        for m in measurements
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("created", kind="stable").reset_index(drop=True)
