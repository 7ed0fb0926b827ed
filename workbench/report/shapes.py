"""How a measurement's points are drawn in DICOM: one or more graphic pieces, in order.

The SR's SCOORDs (:mod:`workbench.report.sr`) and the presentation state's graphic
objects (:mod:`workbench.report.key_objects`) draw the same pieces. Two independent
lines (joint-space contours, the angle between two lines, the leg-length pelvic line)
are two polylines, never one polyline joining them; landmarks that are not a line
(Meyerding corners, centre-edge points, the leg-length trochanters) are a multipoint;
the circle ROI is a circle; everything else is one polyline through its points.
Concatenating the pieces' points gives the measurement's points back, in order.

>>> [(kind, len(points)) for kind, points in pieces("joint_space", [(0, 0), (0, 9), (5, 0),
...                                                                  (5, 9)])]
[('POLYLINE', 2), ('POLYLINE', 2)]
>>> [kind for kind, _ in pieces("leg_length", [(0, 0), (0, 9), (5, 1), (6, 8)])]
['POLYLINE', 'MULTIPOINT']
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["pieces"]

Point = tuple[float, float]
_TWO_LINES = frozenset({"joint_space", "line_angle"})
_LANDMARKS = frozenset({"meyerding", "center_edge"})


def pieces(kind: str, points: Sequence[Sequence[float]]) -> list[tuple[str, list[Point]]]:
    """``(graphic type, points)`` pieces of a measurement of *kind* (DICOM graphic types:
    ``POLYLINE``, ``MULTIPOINT``, ``CIRCLE``)."""
    pts = [(float(p[0]), float(p[1])) for p in points]
    if kind == "roi":
        return [("CIRCLE", pts[:2])]
    if kind in _TWO_LINES and len(pts) == 4:
        return [("POLYLINE", pts[:2]), ("POLYLINE", pts[2:])]
    if kind == "leg_length" and len(pts) == 4:
        return [("POLYLINE", pts[:2]), ("MULTIPOINT", pts[2:])]
    if kind in _LANDMARKS:
        return [("MULTIPOINT", pts)]
    return [("POLYLINE", pts)]
