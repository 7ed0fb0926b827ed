"""What is drawn over a frame, as plain shapes in display pixels (render layer).

:func:`layout` turns the facts about a view (side, orientation letters, pixel spacing
and its source, corner text, measurements) into a list of :class:`Text`,
:class:`Polyline` and :class:`Ellipse` items placed on the display canvas of a
:class:`~workbench.view.viewport.Viewport`. Two painters draw the same list: Pillow for the
live viewer (:mod:`workbench.render.frame`) and matplotlib for key images and export
(:mod:`workbench.render.figures`), so what the reviewer sees is what the patient's page shows.

>>> from workbench.view.viewport import Viewport
>>> vp = Viewport.fit((512, 512), 512)
>>> items = layout(vp, side="right", pixel_spacing=(0.5, 0.5), spacing_source="PixelSpacing")
>>> [i.text for i in items if isinstance(i, Text)][-1]
'RIGHT'
>>> nice_scale_length(0.5, 512)
50.0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from workbench.view.viewport import Point, Viewport

SIDE_COLOURS: dict[str | None, str] = {
    "right": "#d62728",
    "left": "#1f77b4",
    "bilateral": "#9467bd",
    None: "#6b6b6b",
}
SIDE_TEXT: dict[str | None, str] = {
    "right": "RIGHT",
    "left": "LEFT",
    "bilateral": "BILATERAL",
    None: "SIDE ?",
}
TEXT_COLOUR = "#ffffff"
MEASURE_COLOUR = "#ffd400"
SCALE_COLOUR = "#ffffff"
_NICE_MM = (1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0)
#: short forms of calibration sources, for the few pixels under a scale bar
SHORT_SOURCE = {
    "ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor": (
        "ImagerPixelSpacing ÷ magnification"
    ),
    "ImagerPixelSpacing": "ImagerPixelSpacing (detector)",
}
#: spacing sources that mean "no usable calibration"
UNCALIBRATED = frozenset({"", "none", "unknown", None})


@dataclass(frozen=True)
class Text:
    """A line of text; *anchor* uses Pillow's two-letter codes (``"la"``, ``"rb"``, ``"mm"``)."""

    xy: Point
    text: str
    anchor: str = "la"
    size: float = 12.0
    color: str = TEXT_COLOUR
    background: str | None = None
    bold: bool = False


@dataclass(frozen=True)
class Polyline:
    """A line through *points* (closed back to the first point when *closed*)."""

    points: tuple[Point, ...]
    color: str = MEASURE_COLOUR
    width: float = 2.0
    closed: bool = False


@dataclass(frozen=True)
class Ellipse:
    """An axis-aligned ellipse inscribed in ``box = (x0, y0, x1, y1)``."""

    box: tuple[float, float, float, float]
    color: str = MEASURE_COLOUR
    width: float = 2.0


Item = Text | Polyline | Ellipse


@dataclass(frozen=True)
class Shape:
    """A measurement as drawn: kind, source-pixel points and its label.

    ``kind`` is ``"length"`` (two points), ``"angle"`` (three points, vertex in the
    middle), ``"cobb"`` (two lines, four points), ``"ellipse"`` or ``"rect"`` (two
    opposite corners) or ``"polygon"`` (any number of points).
    """

    kind: str
    points: tuple[Point, ...]
    label: str
    extra: dict[str, float] = field(default_factory=dict)


def font_size(viewport: Viewport) -> float:
    """The overlay font size in display pixels for a canvas."""
    return float(max(11, round(min(viewport.size) / 42)))


def side_badge_text(side: str | None) -> str:
    """``"RIGHT"``, ``"LEFT"``, ``"BILATERAL"`` or ``"SIDE ?"``."""
    return SIDE_TEXT.get(_side(side), SIDE_TEXT[None])


def side_badge_colour(side: str | None) -> str:
    """The badge colour of a side (red right, blue left, purple bilateral, grey unknown)."""
    return SIDE_COLOURS.get(_side(side), SIDE_COLOURS[None])


def _side(side: object) -> str | None:
    if not isinstance(side, str) or not side.strip():
        return None
    return side.strip().lower()


def nice_scale_length(mm_per_pixel: float, canvas_width: int, fraction: float = 0.25) -> float:
    """The longest round length in mm whose bar fits in *fraction* of the canvas width."""
    room = canvas_width * fraction * mm_per_pixel
    fitting = [mm for mm in _NICE_MM if mm <= room]
    return fitting[-1] if fitting else _NICE_MM[0]


def is_calibrated(pixel_spacing: Sequence[float] | None, spacing_source: str | None) -> bool:
    """True when a spacing is known and its source is not "none"."""
    if pixel_spacing is None or spacing_source in UNCALIBRATED:
        return False
    return all(float(v) > 0 for v in pixel_spacing)


def scale_bar(
    viewport: Viewport,
    pixel_spacing: Sequence[float] | None,
    spacing_source: str | None,
    *,
    size: float | None = None,
    technical: bool = True,
) -> list[Item]:
    """A scale bar in the bottom-right corner labelled with its length and calibration source.

    Without a usable spacing there is no bar, only the words "not calibrated".
    ``technical=False`` (the patient's page) leaves out the calibration words.
    """
    fs = size or font_size(viewport)
    w, h = viewport.size
    margin = fs * 0.8
    if not is_calibrated(pixel_spacing, spacing_source):
        return (
            [Text((w - margin, h - margin), "not calibrated", "rb", fs * 0.85)] if technical else []
        )
    assert pixel_spacing is not None
    mm_per_px = float(pixel_spacing[1]) / viewport.scale  # the viewport applies the aspect
    length_mm = nice_scale_length(mm_per_px, w)
    bar_px = length_mm / mm_per_px
    y = h - margin - fs * 1.4
    x1 = w - margin
    x0 = x1 - bar_px
    tick = fs * 0.4
    short = SHORT_SOURCE.get(str(spacing_source), str(spacing_source))
    items: list[Item] = [
        Polyline(((x0, y - tick), (x0, y), (x1, y), (x1, y - tick)), SCALE_COLOUR, 2.0),
        Text((x1, y - tick - 2), f"{length_mm:g} mm", "rb", fs),
    ]
    if technical:
        items.append(Text((x1, h - margin), f"calibrated: {short}", "rb", fs * 0.75))
    return items


def orientation_items(
    viewport: Viewport, labels: dict[str, str] | None, *, size: float | None = None
) -> list[Item]:
    """Orientation letters at the middle of each edge.

    *labels* are those of the displayed (rotated, mirrored) image, e.g.
    ``view_labels(orientation_labels(geometry), state)``.
    """
    if not labels:
        return []
    fs = (size or font_size(viewport)) * 1.2
    w, h = viewport.size
    m = fs * 0.5
    placed = {k: labels.get(k, "") for k in ("left", "right", "top", "bottom")}
    spots = {
        "left": ((m, h / 2), "lm"),
        "right": ((w - m, h / 2), "rm"),
        "top": ((w / 2, m), "ma"),
        "bottom": ((w / 2, h - m), "md"),
    }
    return [
        Text(spots[edge][0], letters, spots[edge][1], fs, bold=True)
        for edge, letters in placed.items()
        if letters
    ]


def shape_items(
    viewport: Viewport, shapes: Iterable[Shape], *, size: float | None = None
) -> list[Item]:
    """Measurement shapes mapped to the display, each with its label."""
    fs = (size or font_size(viewport)) * 0.9
    items: list[Item] = []
    for shape in shapes:
        pts = tuple(viewport.to_display(shape.points))
        if not pts:
            continue
        if shape.kind == "cobb" and len(pts) >= 4:
            items.append(Polyline(pts[:2]))
            items.append(Polyline(pts[2:4]))
        elif shape.kind in ("ellipse", "rect") and len(pts) >= 2:
            x0, y0 = min(pts[0][0], pts[1][0]), min(pts[0][1], pts[1][1])
            x1, y1 = max(pts[0][0], pts[1][0]), max(pts[0][1], pts[1][1])
            if shape.kind == "ellipse":
                items.append(Ellipse((x0, y0, x1, y1)))
            else:
                items.append(Polyline(((x0, y0), (x1, y0), (x1, y1), (x0, y1)), closed=True))
        else:
            items.append(Polyline(pts, closed=shape.kind == "polygon"))
        if shape.kind == "length" and len(pts) == 2:
            items.extend(_end_ticks(pts[0], pts[1], fs * 0.4))
        anchor_pt = max(pts, key=lambda p: (p[0], -p[1]))
        items.append(
            Text(
                (anchor_pt[0] + fs * 0.4, anchor_pt[1]),
                shape.label,
                "lm",
                fs,
                MEASURE_COLOUR,
                background="#000000",
            )
        )
    return items


def _end_ticks(p: Point, q: Point, half: float) -> list[Item]:
    dx, dy = q[0] - p[0], q[1] - p[1]
    norm = (dx * dx + dy * dy) ** 0.5 or 1.0
    nx, ny = -dy / norm * half, dx / norm * half
    return [
        Polyline(((p[0] - nx, p[1] - ny), (p[0] + nx, p[1] + ny))),
        Polyline(((q[0] - nx, q[1] - ny), (q[0] + nx, q[1] + ny))),
    ]


def layout(
    viewport: Viewport,
    *,
    side: str | None = None,
    labels: dict[str, str] | None = None,
    pixel_spacing: Sequence[float] | None = None,
    spacing_source: str | None = None,
    corner_lines: Sequence[str] = (),
    shapes: Iterable[Shape] = (),
    technical: bool = True,
) -> list[Item]:
    """Everything drawn over one view, in display pixels, in drawing order.

    Parameters
    ----------
    viewport : Viewport
        The view the items are placed on.
    side : str, optional
        ``"left"``, ``"right"``, ``"bilateral"``; missing shows "SIDE ?" (the badge is
        always drawn).
    labels : dict, optional
        Orientation letters of the displayed edges (``left``, ``right``, ``top``,
        ``bottom``), after the view's rotation and mirrors.
    pixel_spacing : sequence of float, optional
        ``(row, column)`` spacing in mm; no scale bar when missing.
    spacing_source : str, optional
        Where the spacing comes from (``"PixelSpacing"``, ``"ImagerPixelSpacing"`` ...),
        written under the scale bar.
    corner_lines : sequence of str
        Lines shown top right (series, date, image number, window).
    shapes : iterable of Shape
        Measurements in source pixels.
    technical : bool
        False for the patient's page: no corner lines (window, image number) and no
        calibration words; they stay in the reviewer's views.
    """
    fs = font_size(viewport)
    corner_lines = corner_lines if technical else ()
    w, _ = viewport.size
    m = fs * 0.6
    items: list[Item] = []
    items.extend(shape_items(viewport, shapes, size=fs))
    items.extend(orientation_items(viewport, labels, size=fs))
    items.extend(scale_bar(viewport, pixel_spacing, spacing_source, size=fs, technical=technical))
    for k, line in enumerate(corner_lines):
        items.append(Text((w - m, m + k * fs * 1.25), line, "ra", fs * 0.85))
    items.append(
        Text(
            (m, m),
            side_badge_text(side),
            "la",
            fs * 1.2,
            TEXT_COLOUR,
            side_badge_colour(side),
            True,
        )
    )
    return items
