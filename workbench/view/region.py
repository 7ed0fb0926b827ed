"""The full-resolution region of a zoomed view: which source pixels the browser needs.

A large radiograph reaches the browser at display resolution (about 1,000 px, see
:data:`workbench.view.browser.DISPLAY_SIZE`). Once the reviewer zooms in so far that
one reduced pixel covers more than one device pixel, the reduced image no longer
shows what the detector recorded, and the browser asks for the visible part at the
frame's own resolution (custom message ``need_region``). This module turns that
request into a box of source pixels, without a kernel or an image library:

- :func:`needs_region` says whether a view scale asks for it (the browser applies the
  same test before it asks);
- :func:`region_box` turns the view rectangle (full-resolution pixel edges, as the
  browser's inverse view transform gives them) into a :class:`PixelBox`: grown by a
  margin so that small pans stay covered, rounded outwards to whole pixels, clipped
  to the frame, and kept within a maximum size around the rectangle's centre.

Coordinates are those of the measurement tools: row ``r`` spans ``r <= y < r + 1``,
column ``c`` spans ``c <= x < c + 1``; a point at the centre of pixel ``(r, c)`` is
``(r + 0.5, c + 0.5)`` in edge coordinates, ``(r, c)`` as a measurement point.

>>> region_box((100.2, 50.0, 199.6, 150.0), (3000, 2500), margin=0.0)
PixelBox(row0=100, col0=50, row1=200, col1=150)
>>> region_box((-40.0, 2400.5, 60.0, 2600.0), (3000, 2500), margin=0.0)
PixelBox(row0=0, col0=2400, row1=60, col1=2500)
>>> region_box((3100.0, 0.0, 3200.0, 10.0), (3000, 2500)) is None  # off the image
True
>>> needs_region(1.2, full_shape=(3000, 2500), sent_shape=(1000, 833))  # 3.6 px per pixel
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.view.browser import encode_slice

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

__all__ = [
    "MAX_REGION_SIDE",
    "REGION_MARGIN",
    "PixelBox",
    "encode_region",
    "needs_region",
    "region_box",
]

#: Largest side of a region, in source pixels (a 2,048² region is 8 MB of int16 codes).
MAX_REGION_SIDE = 2048
#: Fraction of the visible rectangle's size added on each side, so a pan stays covered.
REGION_MARGIN = 0.25
#: Edge coordinates closer than this to a whole number count as that number (float noise).
_EPS = 1e-6


@dataclass(frozen=True)
class PixelBox:
    """Rows ``row0 .. row1 - 1`` and columns ``col0 .. col1 - 1`` of a frame (half-open)."""

    row0: int
    col0: int
    row1: int
    col1: int

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the box."""
        return self.row1 - self.row0, self.col1 - self.col0

    def as_list(self) -> list[int]:
        """``[row0, col0, row1, col1]``, as the browser receives it."""
        return [self.row0, self.col0, self.row1, self.col1]

    def covers(self, other: PixelBox) -> bool:
        """Whether every pixel of *other* is inside this box."""
        return (
            self.row0 <= other.row0
            and self.col0 <= other.col0
            and self.row1 >= other.row1
            and self.col1 >= other.col1
        )


def needs_region(
    device_px_per_source_px: float,
    *,
    full_shape: Sequence[int],
    sent_shape: Sequence[int],
    aspect: float = 1.0,
) -> bool:
    """Whether a view drawn at *device_px_per_source_px* needs the full-resolution region.

    Parameters
    ----------
    device_px_per_source_px : float
        Device pixels on screen per full-resolution pixel (fit × zoom × devicePixelRatio).
    full_shape : sequence of int
        ``(rows, cols)`` of the frame.
    sent_shape : sequence of int
        ``(height, width)`` of the image the browser holds (reduced or not).
    aspect : float
        Row spacing over column spacing (a row is drawn *aspect* times as tall as a
        column is wide).

    Returns
    -------
    bool
        True when the image held is reduced and one of its pixels would cover more
        than one device pixel.
    """
    rows, cols = int(full_shape[0]), int(full_shape[1])
    height, width = int(sent_shape[0]), int(sent_shape[1])
    if height <= 0 or width <= 0 or (height >= rows and width >= cols):
        return False
    per_col = device_px_per_source_px * cols / width
    per_row = device_px_per_source_px * float(aspect) * rows / height
    return max(per_col, per_row) > 1.0 + _EPS


def region_box(
    rect: Sequence[float],
    shape: Sequence[int],
    *,
    margin: float = REGION_MARGIN,
    max_side: int = MAX_REGION_SIDE,
) -> PixelBox | None:
    """The source pixels to send for the view rectangle *rect*.

    Parameters
    ----------
    rect : sequence of float
        ``(top, left, bottom, right)`` in full-resolution pixel edges (row, column);
        the order of the two corners does not matter. Values off the frame are allowed
        (a zoomed view can show the black beyond an edge).
    shape : sequence of int
        ``(rows, cols)`` of the frame.
    margin : float
        Fraction of the rectangle's height (width) added above and below (left and
        right) before clipping.
    max_side : int
        Largest side of the box; a larger box is cut to *max_side* around the centre
        of the rectangle.

    Returns
    -------
    PixelBox or None
        The box, rounded outwards (a pixel partly visible is included), clipped to the
        frame; None when the rectangle does not meet the frame or is not finite.

    Raises
    ------
    ValueError
        *rect* has not four values, or *shape* / *max_side* is not positive.
    """
    if len(rect) != 4:
        raise ValueError(f"A view rectangle is (top, left, bottom, right), got {list(rect)!r}.")
    rows, cols = int(shape[0]), int(shape[1])
    if rows <= 0 or cols <= 0 or max_side <= 0:
        raise ValueError(f"Frame shape {tuple(shape)} and max_side {max_side} must be positive.")
    values = [float(v) for v in rect]
    if not all(math.isfinite(v) for v in values):
        return None
    top, bottom = sorted((values[0], values[2]))
    left, right = sorted((values[1], values[3]))
    grow = max(float(margin), 0.0)
    dy, dx = (bottom - top) * grow, (right - left) * grow
    row0, row1 = _span(top - dy, bottom + dy, (top + bottom) / 2, rows, max_side)
    col0, col1 = _span(left - dx, right + dx, (left + right) / 2, cols, max_side)
    if row1 <= row0 or col1 <= col0:
        return None
    return PixelBox(row0, col0, row1, col1)


def _span(lo: float, hi: float, centre: float, size: int, max_side: int) -> tuple[int, int]:
    """Whole pixels ``[a, b)`` covering ``[lo, hi]``, clipped to ``[0, size)``, at most
    *max_side* long (cut around *centre*, kept on the frame)."""
    a = math.floor(lo + _EPS)
    b = math.ceil(hi - _EPS)
    if b <= a:  # a rectangle thinner than a pixel still shows that pixel
        b = a + 1
    if b - a > max_side:  # cut around the centre, shifted back inside the frame
        a = math.floor(centre - max_side / 2 + _EPS)
        a = min(max(a, 0), max(size - max_side, 0))
        b = a + max_side
    return max(a, 0), min(b, size)


def encode_region(volume: Volume, index: int, box: PixelBox) -> tuple[np.ndarray, dict[str, Any]]:
    """The codes of *box* of frame *index* at full resolution, and how to read them.

    The frame is decoded in full by :meth:`Volume.frame
    <workbench.imaging.volume.Volume.frame>` (never the reduced JPEG 2000 decode of
    :meth:`~workbench.imaging.volume.Volume.display_frame`), so every code is the
    modality value of one source pixel. The region has its own code range (an area
    reduction smooths the extremes away, the region keeps them), hence its own
    metadata from :func:`~workbench.view.browser.encode_slice`, plus ``box``
    (``[row0, col0, row1, col1]``), ``rows``/``cols`` of the frame and ``index``.
    """
    frame = volume.frame(index)
    rows, cols = int(frame.shape[0]), int(frame.shape[1])
    if not (0 <= box.row0 < box.row1 <= rows and 0 <= box.col0 < box.col1 <= cols):
        raise ValueError(f"Region {box.as_list()} is not inside the {rows} x {cols} frame.")
    codes, meta = encode_slice(frame[box.row0 : box.row1, box.col0 : box.col1])
    meta.update(box=box.as_list(), rows=rows, cols=cols, index=int(index))
    return codes, meta
