"""How a measurement's points are drawn in DICOM: one or more graphic pieces, in order.

The SR's SCOORDs (:mod:`workbench.report.sr`) and the presentation state's graphic
objects (:mod:`workbench.report.key_objects`) draw the same pieces. Two independent
lines (joint-space contours, the angle between two lines, the leg-length pelvic line)
are two polylines, never one polyline joining them; landmarks that are not a line
(Meyerding corners, centre-edge points, the leg-length trochanters) are a multipoint;
the circle ROI is a circle, the ROI ellipse an ELLIPSE (major, then minor axis ends) and
the ROI rectangle a closed POLYLINE, both from the two corners of their box; everything else
is one polyline through its points. Concatenating the pieces' points gives the
measurement's points back, in order (:func:`points_back`: the box's corners for the ROI
ellipse and rectangle).

>>> [(kind, len(points)) for kind, points in pieces("joint_space", [(0, 0), (0, 9), (5, 0),
...                                                                  (5, 9)])]
[('POLYLINE', 2), ('POLYLINE', 2)]
>>> [kind for kind, _ in pieces("leg_length", [(0, 0), (0, 9), (5, 1), (6, 8)])]
['POLYLINE', 'MULTIPOINT']
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["pieces", "points_back"]

Point = tuple[float, float]
_TWO_LINES = frozenset({"joint_space", "line_angle"})
_LANDMARKS = frozenset({"meyerding", "center_edge"})


def pieces(kind: str, points: Sequence[Sequence[float]]) -> list[tuple[str, list[Point]]]:
    """``(graphic type, points)`` pieces of a measurement of *kind* (DICOM graphic types:
    ``POLYLINE``, ``MULTIPOINT``, ``CIRCLE``, ``ELLIPSE``)."""
    pts = [(float(p[0]), float(p[1])) for p in points]
    if kind == "roi":
        return [("CIRCLE", pts)]
    if kind in ("roi_ellipse", "roi_rectangle") and len(pts) == 2:
        (a, b), (c, d) = pts
        r0, r1, c0, c1 = min(a, c), max(a, c), min(b, d), max(b, d)
        if kind == "roi_rectangle":
            # closed: the last point repeats the first (DICOM's 2-D SCOORD has no POLYGON)
            return [("POLYLINE", [(r0, c0), (r0, c1), (r1, c1), (r1, c0), (r0, c0)])]
        rm, cm = (r0 + r1) / 2, (c0 + c1) / 2
        across, down = [(rm, c0), (rm, c1)], [(r0, cm), (r1, cm)]
        return [("ELLIPSE", across + down if c1 - c0 >= r1 - r0 else down + across)]
    if kind in _TWO_LINES and len(pts) == 4:
        return [("POLYLINE", pts[:2]), ("POLYLINE", pts[2:])]
    if kind == "leg_length" and len(pts) == 4:
        return [("POLYLINE", pts[:2]), ("MULTIPOINT", pts[2:])]
    if kind in _LANDMARKS:
        return [("MULTIPOINT", pts)]
    return [("POLYLINE", pts)]


def points_back(kind: str, points: Sequence[Sequence[float]]) -> list[list[float]]:
    """The measurement's points from the concatenated points of its :func:`pieces`.

    >>> points_back("roi_ellipse", [p for _, ps in pieces("roi_ellipse", [(9, 2), (1, 8)])
    ...                              for p in ps])
    [[1.0, 2.0], [9.0, 8.0]]
    """
    pts = [[float(p[0]), float(p[1])] for p in points]
    if kind in ("roi_ellipse", "roi_rectangle") and pts:
        rows, cols = [p[0] for p in pts], [p[1] for p in pts]
        return [[min(rows), min(cols)], [max(rows), max(cols)]]
    return pts
