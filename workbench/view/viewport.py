"""Where a frame lands on the screen: zoom, pan, rotation and mirrors as one mapping.

A :class:`Viewport` maps continuous source-pixel coordinates ``(x, y)`` (``x`` = column,
``y`` = row; pixel ``(r, c)`` covers ``[c, c+1) x [r, r+1)``) to display pixels and
back, following the conventions of :class:`workbench.view.state.ViewState`: the frame
is turned clockwise by ``rotate``, then mirrored, then cut to the zoomed view centred
``pan`` away from the middle. Non-square pixels (a reformatted plane, an odd detector)
are stretched by ``aspect`` = row spacing / column spacing. The live viewer,
:func:`workbench.render.figures.render_slice` and the overlays all use it, so a measurement
drawn on a zoomed, flipped, rotated view sits on the same anatomy as in the key image.

>>> vp = Viewport.fit((100, 200), 400)
>>> vp.size
(400, 200)
>>> vp.to_display([(200.0, 100.0)])
[(400.0, 200.0)]
>>> Viewport.fit((100, 200), 400, rotate=90).size
(200, 400)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.view.state import ViewState

Point = tuple[float, float]


def orientation_matrix(
    *, flip_h: bool = False, flip_v: bool = False, rotate: int = 0
) -> tuple[int, int, int, int]:
    """The 2x2 matrix ``(a, b, c, d)`` taking a source vector to the screen.

    The image is turned clockwise by *rotate* degrees (a multiple of 90), then mirrored
    on the screen (``flip_h`` left-right, ``flip_v`` top-bottom), as
    :func:`workbench.view.state.orient` does.

    >>> orientation_matrix(rotate=90)
    (0, -1, 1, 0)
    """
    a, b, c, d = 1, 0, 0, 1
    for _ in range((int(rotate) // 90) % 4):  # clockwise quarter turn, y down: (x, y) -> (-y, x)
        a, b, c, d = -c, -d, a, b
    if flip_h:
        a, b = -a, -b
    if flip_v:
        c, d = -c, -d
    return a, b, c, d


@dataclass(frozen=True)
class Viewport:
    """A similarity transform (up to the pixel aspect) from source pixels to a display canvas.

    Attributes
    ----------
    source_shape : tuple of int
        ``(rows, columns)`` of the frame.
    size : tuple of int
        ``(width, height)`` of the display canvas in pixels.
    scale : float
        Display pixels per source column (pixel width).
    center : tuple of float
        The source point shown at the middle of the canvas.
    matrix : tuple of int
        :func:`orientation_matrix` of the view.
    aspect : float
        Pixel height over pixel width (row spacing / column spacing).
    """

    source_shape: tuple[int, int]
    size: tuple[int, int]
    scale: float
    center: Point
    matrix: tuple[int, int, int, int]
    aspect: float = 1.0

    @classmethod
    def fit(
        cls,
        source_shape: tuple[int, ...],
        max_size: int,
        *,
        zoom: float = 1.0,
        pan: tuple[float, float] = (0.0, 0.0),
        flip_h: bool = False,
        flip_v: bool = False,
        rotate: int = 0,
        aspect: float = 1.0,
        upscale: bool = True,
    ) -> Viewport:
        """The canvas that shows the whole frame within ``max_size`` at zoom 1.

        Parameters
        ----------
        source_shape : tuple of int
            ``(rows, columns, ...)`` of the frame.
        max_size : int
            Longest side of the canvas in display pixels (the size the screen shows).
        zoom : float
            Magnification over the fitted view (1 shows the whole frame).
        pan : tuple of float
            Centre of the view relative to the middle, as fractions of the displayed
            (height, width), as in :class:`~workbench.view.state.ViewState`.
        flip_h, flip_v, rotate
            See :func:`orientation_matrix`.
        aspect : float
            Pixel height over pixel width.
        upscale : bool
            Let a frame smaller than ``max_size`` grow to fill it.
        """
        rows, cols = int(source_shape[0]), int(source_shape[1])
        aspect = float(aspect) if aspect and aspect > 0 else 1.0
        m = orientation_matrix(flip_h=flip_h, flip_v=flip_v, rotate=rotate)
        phys_w, phys_h = float(cols), rows * aspect
        width, height = (phys_w, phys_h) if m[1] == 0 else (phys_h, phys_w)
        fit = max_size / max(width, height)
        if not upscale:
            fit = min(fit, 1.0)
        size = (max(1, round(width * fit)), max(1, round(height * fit)))
        # pan is measured on the screen; take it back to the frame through M^T
        off_x, off_y = pan[1] * width, pan[0] * height
        a, b, c, d = m
        dx, dy = a * off_x + c * off_y, b * off_x + d * off_y
        center = (cols / 2.0 + dx, rows / 2.0 + dy / aspect)
        return cls((rows, cols), size, fit * max(float(zoom), 1e-6), center, m, aspect)

    @classmethod
    def for_state(
        cls, state: ViewState, source_shape: tuple[int, ...], max_size: int, *, aspect: float = 1.0
    ) -> Viewport:
        """The viewport of a :class:`~workbench.view.state.ViewState`."""
        return cls.fit(
            source_shape,
            max_size,
            zoom=state.zoom,
            pan=state.pan,
            flip_h=state.flip_h,
            flip_v=state.flip_v,
            rotate=state.rotate,
            aspect=aspect,
        )

    # -- mapping ---------------------------------------------------------------------
    def to_display(self, points: Iterable[Point]) -> list[Point]:
        """Source ``(x, y)`` points to display ``(x, y)`` points."""
        a, b, c, d = self.matrix
        s = self.scale
        ox, oy = self.size[0] / 2.0, self.size[1] / 2.0
        cx, cy = self.center
        out = []
        for x, y in points:
            dx, dy = x - cx, (y - cy) * self.aspect
            out.append((ox + s * (a * dx + b * dy), oy + s * (c * dx + d * dy)))
        return out

    def to_source(self, points: Iterable[Point]) -> list[Point]:
        """Display ``(x, y)`` points back to source ``(x, y)`` points."""
        a, b, c, d = self.matrix  # orthogonal: the inverse is the transpose
        s = self.scale
        ox, oy = self.size[0] / 2.0, self.size[1] / 2.0
        cx, cy = self.center
        out = []
        for x, y in points:
            dx, dy = (x - ox) / s, (y - oy) / s
            out.append((cx + a * dx + c * dy, cy + (b * dx + d * dy) / self.aspect))
        return out

    def visible_box(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)``: the integer source box the canvas shows, clipped to the frame."""
        w, h = self.size
        xs, ys = zip(*self.to_source([(0, 0), (w, 0), (0, h), (w, h)]), strict=True)
        rows, cols = self.source_shape
        x0 = min(max(math.floor(min(xs)), 0), cols)
        x1 = min(max(math.ceil(max(xs)), 0), cols)
        y0 = min(max(math.floor(min(ys)), 0), rows)
        y1 = min(max(math.ceil(max(ys)), 0), rows)
        return x0, y0, x1, y1

    def strides(self) -> tuple[int, int]:
        """Source columns and rows per display pixel, rounded down (1 when magnifying)."""
        return (
            max(1, math.floor(1.0 / self.scale)),
            max(1, math.floor(1.0 / (self.scale * self.aspect))),
        )

    def affine_from(
        self, origin: tuple[int, int], step: tuple[int, int] = (1, 1)
    ) -> tuple[float, ...]:
        """Coefficients for :meth:`PIL.Image.Image.transform` (``Image.AFFINE``).

        The transformed image is the sub-array of the frame that starts at source
        ``origin = (x0, y0)`` and keeps every ``step = (sx, sy)``-th column and row.
        """
        sx, sy = step
        a, b, c, d = self.matrix
        s, k = self.scale, self.aspect
        ox, oy = self.size[0] / 2.0, self.size[1] / 2.0
        cx, cy = self.center
        x0, y0 = origin
        # x = cx + (a(X-ox) + c(Y-oy))/s, y = cy + (b(X-ox) + d(Y-oy))/(s k);
        # sub-array u = (x - x0 - 0.5)/sx + 0.5 (same for v); Pillow evaluates at X + 0.5.
        ax, bx = a / s / sx, c / s / sx
        cx0 = (cx - x0 - 0.5 - (a * ox + c * oy) / s) / sx + 0.5
        ay, by = b / (s * k) / sy, d / (s * k) / sy
        cy0 = (cy - y0 - 0.5 - (b * ox + d * oy) / (s * k)) / sy + 0.5
        return (ax, bx, cx0, ay, by, cy0)

    def reduced(self, factor: int) -> Viewport:
        """The same view of a copy of the frame reduced *factor* times (area reduction)."""
        rows, cols = self.source_shape
        return Viewport(
            (rows // factor, cols // factor),
            self.size,
            self.scale * factor,
            (self.center[0] / factor, self.center[1] / factor),
            self.matrix,
            self.aspect,
        )

    def mm_per_pixel(self, pixel_spacing: tuple[float, float] | None) -> float | None:
        """Millimetres per display pixel (the same across and down once the aspect is applied)."""
        if pixel_spacing is None:
            return None
        return float(pixel_spacing[1]) / self.scale
