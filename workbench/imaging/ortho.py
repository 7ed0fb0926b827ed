"""The orthopedic measurement kit: joint space, HKA, line angle, slip, CE angle, leg length.

Pure geometry first (points in mm, testable with plain tuples), then constructors that
return a :class:`~workbench.imaging.measure.Measurement` for one frame of a volume, with
its calibration source as every measurement records it (see
:mod:`workbench.imaging.measure`). Points are (row, col) full-resolution pixels.

>>> round(segment_distance(((0, 0), (0, 10)), ((3, 2), (3, 8)))[0], 3)
3.0
>>> round(slip_percent((10, 0), (10, 40), (0, 10)), 1)
25.0
>>> meyerding_grade(30.0)
'II'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.errors import MeasurementError
from workbench.imaging.measure import (
    NON_WEIGHT_BEARING,
    Calibration,
    Measurement,
    _calibration,
    joint_space_flags,
)
from workbench.imaging.windowing import orientation_labels

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

__all__ = [
    "center_edge",
    "hka",
    "joint_space",
    "leg_length",
    "line_angle",
    "meyerding",
    "meyerding_grade",
    "polyline_distance",
    "segment_distance",
    "slip_percent",
]

Point = tuple[float, float]
COMPARTMENTS = ("medial", "lateral", "")


# --- geometry (mm or pixels, whatever the points are in) --------------------------------


def _v(p: Sequence[float]) -> np.ndarray:
    return np.array([float(p[0]), float(p[1])])


def _closest_on_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = b - a
    n = float(d @ d)
    t = 0.0 if n == 0 else min(1.0, max(0.0, float((p - a) @ d) / n))
    return a + t * d


def segment_distance(
    s1: Sequence[Sequence[float]], s2: Sequence[Sequence[float]]
) -> tuple[float, Point, Point]:
    """Minimum distance between segments *s1* and *s2*, and the closest points."""
    a, b, c, d = (_v(p) for p in (*s1, *s2))
    if _segments_cross(a, b, c, d):
        x = _intersection(a, b, c, d)
        return 0.0, (float(x[0]), float(x[1])), (float(x[0]), float(x[1]))
    best: tuple[float, Point, Point] | None = None
    for p, (q0, q1), first in ((a, (c, d), True), (b, (c, d), True), (c, (a, b), False),
                               (d, (a, b), False)):  # fmt: skip
        q = _closest_on_segment(p, q0, q1)
        dist = float(np.linalg.norm(p - q))
        pair = (p, q) if first else (q, p)
        if best is None or dist < best[0]:
            best = (dist, (float(pair[0][0]), float(pair[0][1])), (float(pair[1][0]),
                    float(pair[1][1])))  # fmt: skip
    assert best is not None
    return best


def _cross(u: np.ndarray, v: np.ndarray) -> float:
    return float(u[0] * v[1] - u[1] * v[0])


def _segments_cross(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> bool:
    d1, d2 = _cross(b - a, c - a), _cross(b - a, d - a)
    d3, d4 = _cross(d - c, a - c), _cross(d - c, b - c)
    return d1 * d2 < 0 and d3 * d4 < 0


def _intersection(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    t = _cross(c - a, d - c) / _cross(b - a, d - c)
    return a + t * (b - a)


def polyline_distance(
    line1: Sequence[Sequence[float]], line2: Sequence[Sequence[float]]
) -> tuple[float, Point, Point]:
    """Minimum distance between two polylines (each at least two points) and where it is.

    >>> polyline_distance([(0, 0), (0, 5), (0, 10)], [(4, 0), (2, 5), (4, 10)])[0]
    2.0
    """
    if len(line1) < 2 or len(line2) < 2:
        raise MeasurementError("Each contour needs at least two points.")
    best: tuple[float, Point, Point] | None = None
    for i in range(len(line1) - 1):
        for j in range(len(line2) - 1):
            found = segment_distance(line1[i : i + 2], line2[j : j + 2])
            if best is None or found[0] < best[0]:
                best = found
    assert best is not None
    return best


def direction_angle(u: np.ndarray, v: np.ndarray) -> float:
    """Angle between two vectors in degrees (0-180)."""
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0 or nv == 0:
        raise MeasurementError("An angle needs two lines of non-zero length.")
    return math.degrees(math.acos(max(-1.0, min(1.0, float(u @ v) / (nu * nv)))))


def slip_percent(post: Sequence[float], ant: Sequence[float], slipped: Sequence[float]) -> float:
    """Meyerding slip: how far *slipped* lies along the endplate *post* → *ant*, in %.

    *post* and *ant* are the posterior and anterior corners of the superior endplate
    of the lower vertebra; *slipped* is the posterior-inferior corner of the vertebra
    above. Its projection on the endplate, from *post*, over the endplate length.
    """
    a, b, p = _v(post), _v(ant), _v(slipped)
    d = b - a
    n = float(d @ d)
    if n == 0:
        raise MeasurementError("The endplate has no length; pick two different corners.")
    return 100.0 * float((p - a) @ d) / n


def meyerding_grade(percent: float) -> str:
    """Meyerding grade: I < 25 %, II < 50 %, III < 75 %, IV ≤ 100 %, V (spondyloptosis)."""
    p = round(abs(float(percent)), 6)  # 25.0 computed in mm may come out as 24.9999999
    for limit, grade in ((25, "I"), (50, "II"), (75, "III"), (100, "IV")):
        if p < limit or (limit == 100 and p <= limit):
            return grade
    return "V"


# --- measurements on a frame ------------------------------------------------------------


def _mm(points: Sequence[Sequence[float]], spacing: tuple[float, float] | None) -> list[Point]:
    sr, sc = spacing or (1.0, 1.0)
    return [(float(p[0]) * sr, float(p[1]) * sc) for p in points]


def _points(points: Sequence[Sequence[float]], n: int, what: str) -> tuple[Point, ...]:
    if len(points) != n:
        raise MeasurementError(f"{what} needs {n} points, got {len(points)}.")
    return tuple((float(p[0]), float(p[1])) for p in points)


def _make(
    kind: str,
    volume: Volume,
    index: int,
    points: tuple[Point, ...],
    value: float,
    unit: str,
    calibrated: tuple[tuple[float, float] | None, str, str, tuple[str, ...]],
    *,
    details: dict[str, Any] | None = None,
    extra_flags: tuple[str, ...] = (),
    extra_note: str = "",
) -> Measurement:
    spacing, source, note, flags = calibrated
    if unit == "deg" or unit == "%":  # ratios and angles do not carry the magnification
        flags = tuple(f for f in flags if f != "detector_plane")
        if note.startswith("spacing at the detector"):
            note = ""
    sop_uid, frame = volume.sop_uids[index]
    return Measurement(
        kind=kind,
        points=points,
        sop_uid=sop_uid,
        frame=frame,
        value=float(value),
        unit=unit,
        calibration_source=source,
        note="; ".join(n for n in (note, extra_note) if n),
        flags=flags + extra_flags,
        spacing=spacing,
        series_key=volume.series_key,
        details=details or {},
    )


def joint_space(
    volume: Volume,
    index: int,
    contour1: Sequence[Sequence[float]],
    contour2: Sequence[Sequence[float]],
    *,
    compartment: str = "",
    calibration: Calibration | None = None,
    series: Mapping[str, Any] | pd.Series | None = None,
) -> Measurement:
    """Joint-space width: minimum distance between two bone contours (polylines).

    Parameters
    ----------
    contour1, contour2 : sequence of (row, col)
        E.g. the femoral condyle and the tibial plateau of one compartment.
    compartment : str
        ``"medial"``, ``"lateral"`` or ``""``; kept in ``details`` and the label.
    series : row of ``case.series``, optional
        A knee or hip radiograph not known to be weight-bearing is flagged
        ``non_weight_bearing_joint_space``.

    Points are ``contour1`` then ``contour2``; ``details`` holds ``n1`` (points of the
    first contour), ``compartment`` and ``closest`` (the two nearest points, pixels).
    """
    if compartment not in COMPARTMENTS:
        raise MeasurementError(f"Unknown compartment {compartment!r}; use medial or lateral.")
    calibrated = _calibration(volume, calibration)
    spacing = calibrated[0]
    c1, c2 = list(contour1), list(contour2)
    dist, q1, q2 = polyline_distance(_mm(c1, spacing), _mm(c2, spacing))
    sr, sc = spacing or (1.0, 1.0)
    closest = [[q1[0] / sr, q1[1] / sc], [q2[0] / sr, q2[1] / sc]]
    flags = joint_space_flags(series)
    note = "not known to be a weight-bearing film: joint space may be understated" if flags else ""
    points = tuple((float(p[0]), float(p[1])) for p in (*c1, *c2))
    m = _make(
        "joint_space", volume, index, points, dist, "mm" if spacing else "px", calibrated,
        details={"compartment": compartment, "n1": len(c1), "closest": closest},
        extra_flags=tuple(f for f in flags if f == NON_WEIGHT_BEARING), extra_note=note,
    )  # fmt: skip
    return _labelled(m, f"{compartment} joint space" if compartment else "")


def _labelled(m: Measurement, label: str) -> Measurement:
    from dataclasses import replace

    return replace(m, label=label) if label else m


def hka(
    volume: Volume,
    index: int,
    hip: Sequence[float],
    knee: Sequence[float],
    ankle: Sequence[float],
    *,
    side: str | None = None,
    calibration: Calibration | None = None,
) -> Measurement:
    """Hip-knee-ankle angle on a long-leg film (centres of femoral head, knee, talus).

    ``value`` is the angle hip-knee-ankle (180° is a straight mechanical axis);
    ``details["deviation"]`` is 180 - value, and ``details["direction"]`` is
    ``"varus"`` (knee lateral of the hip-ankle line) or ``"valgus"`` when the leg's
    *side* and the image's orientation ((0020,0020) *Patient Orientation*) say where
    the midline is, else ``"undetermined"``.
    """
    calibrated = _calibration(volume, calibration)
    h, k, a = (_v(p) for p in _mm((hip, knee, ankle), calibrated[0]))
    value = direction_angle(h - k, a - k)
    direction = "undetermined"
    medial = _medial_column_sign(volume, side)
    if medial is not None and value < 180.0 - 1e-9:
        # the knee's column offset from the hip-ankle line at the knee's row
        t = 0.0 if a[0] == h[0] else (k[0] - h[0]) / (a[0] - h[0])
        on_line = h[1] + t * (a[1] - h[1])
        offset = (k[1] - on_line) * medial
        direction = "valgus" if offset > 0 else "varus"
    details = {"deviation": 180.0 - value, "direction": direction}
    points = _points((hip, knee, ankle), 3, "An HKA angle")
    return _make("hka", volume, index, points, value, "deg", calibrated, details=details)


def _medial_column_sign(volume: Volume, side: str | None) -> int | None:
    """+1 when the patient's midline is towards larger columns for a leg of *side*."""
    labels = orientation_labels(volume.geometry)
    right_edge = labels.get("right", "")[:1]
    if side not in ("left", "right") or right_edge not in ("L", "R"):
        return None
    # the midline of a right leg is towards the patient's left, and vice versa
    towards = "L" if side == "right" else "R"
    return 1 if right_edge == towards else -1


def line_angle(
    volume: Volume,
    index: int,
    line1: Sequence[Sequence[float]],
    line2: Sequence[Sequence[float]],
    *,
    calibration: Calibration | None = None,
) -> Measurement:
    """The acute angle (0-90°) between two independent lines (e.g. shaft and joint line)."""
    calibrated = _calibration(volume, calibration)
    p = _mm((*line1, *line2), calibrated[0])
    u, v = _v(p[1]) - _v(p[0]), _v(p[3]) - _v(p[2])
    value = direction_angle(u, v)
    value = min(value, 180.0 - value)
    points = _points((*line1, *line2), 4, "An angle between two lines")
    return _make("line_angle", volume, index, points, value, "deg", calibrated)


def meyerding(
    volume: Volume,
    index: int,
    posterior: Sequence[float],
    anterior: Sequence[float],
    slipped: Sequence[float],
    *,
    calibration: Calibration | None = None,
) -> Measurement:
    """Meyerding slip percentage and grade (see :func:`slip_percent`); points in that order."""
    calibrated = _calibration(volume, calibration)
    a, b, c = _mm((posterior, anterior, slipped), calibrated[0])
    value = slip_percent(a, b, c)
    points = _points((posterior, anterior, slipped), 3, "A Meyerding slip")
    grade = meyerding_grade(value)
    return _make(
        "meyerding", volume, index, points, value, "%", calibrated, details={"grade": grade}
    )


def center_edge(
    volume: Volume,
    index: int,
    head_center: Sequence[float],
    lateral_edge: Sequence[float],
    other_head_center: Sequence[float],
    *,
    calibration: Calibration | None = None,
) -> Measurement:
    """Wiberg's centre-edge angle of one hip, in degrees.

    The angle between the perpendicular to the line joining both femoral-head centres
    (through *head_center*) and the line from *head_center* to the *lateral_edge* of
    the acetabulum; positive when the edge lies lateral of the perpendicular.
    """
    calibrated = _calibration(volume, calibration)
    c, e, o = (_v(p) for p in _mm((head_center, lateral_edge, other_head_center), calibrated[0]))
    medial = o - c
    if float(np.linalg.norm(medial)) == 0:
        raise MeasurementError("The two femoral-head centres coincide; pick the other hip.")
    medial = medial / np.linalg.norm(medial)
    up = np.array([-medial[1], medial[0]])
    edge = e - c
    if float(up @ edge) < 0:
        up = -up
    lateral = -medial
    value = math.degrees(math.atan2(float(lateral @ edge), float(up @ edge)))
    points = _points((head_center, lateral_edge, other_head_center), 3, "A centre-edge angle")
    return _make("center_edge", volume, index, points, value, "deg", calibrated)


def leg_length(
    volume: Volume,
    index: int,
    pelvic1: Sequence[float],
    pelvic2: Sequence[float],
    landmark1: Sequence[float],
    landmark2: Sequence[float],
    *,
    calibration: Calibration | None = None,
) -> Measurement:
    """Leg-length difference: how much farther one landmark lies from a pelvic line.

    *pelvic1*, *pelvic2*: a pelvic reference line (teardrops or ischial
    tuberosities); *landmark1*, *landmark2*: the same point on each femur (top of the
    lesser trochanter). ``value`` is the absolute difference of their perpendicular
    distances from the line; ``details["longer"]`` is 1 or 2, the landmark farther
    from the line (the longer leg), or 0 when equal.
    """
    calibrated = _calibration(volume, calibration)
    p1, p2, l1, l2 = (_v(p) for p in _mm((pelvic1, pelvic2, landmark1, landmark2), calibrated[0]))
    d = p2 - p1
    n = float(np.linalg.norm(d))
    if n == 0:
        raise MeasurementError("The pelvic line has no length; pick two different points.")
    dist1 = abs(_cross(d, l1 - p1)) / n
    dist2 = abs(_cross(d, l2 - p1)) / n
    longer = 0 if math.isclose(dist1, dist2, abs_tol=1e-9) else (1 if dist1 > dist2 else 2)
    points = _points((pelvic1, pelvic2, landmark1, landmark2), 4, "A leg-length difference")
    details = {"distances": [dist1, dist2], "longer": longer}
    unit = "mm" if calibrated[0] else "px"
    return _make(
        "leg_length", volume, index, points, abs(dist1 - dist2), unit, calibrated, details=details
    )
