"""The live viewer's fast path: window a frame, fit it to the screen, draw, encode (Pillow).

No matplotlib figure per slider tick: the windowed uint8 frame is cut to the part the
screen shows, reduced to the display size, overlaid with the shapes of
:mod:`workbench.view.overlay` using Pillow's ``ImageDraw`` and encoded as JPEG or PNG bytes
for an ``ipywidgets.Image``. Key images and export draw the same overlay list with
matplotlib (:func:`workbench.render.figures.render_slice`).

>>> import numpy as np
>>> from workbench.view.viewport import Viewport
>>> frame = np.arange(64 * 32, dtype=np.float32).reshape(64, 32)
>>> image = view_image(frame, Viewport.fit(frame.shape, 128), lambda a: a.astype("uint8"))
>>> image.size
(64, 128)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from workbench.view.overlay import Ellipse, Item, Polyline, Shape, Text
from workbench.view.slice_view import DEFAULT_SIZE, slice_image, view_layout, viewport_for, windower
from workbench.view.viewport import Viewport

if TYPE_CHECKING:
    from workbench.imaging.measure import Measurement
    from workbench.imaging.volume import Volume
    from workbench.view.state import ViewState

Windower = Callable[[np.ndarray], np.ndarray]
ReducedSource = Callable[[int], np.ndarray]


@lru_cache(maxsize=32)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (as matplotlib draws it) at *size* pixels; Pillow's default otherwise."""
    try:
        import matplotlib  # the render layer's own font, so both painters look alike

        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts/ttf" / name), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)


def source_region(
    frame: np.ndarray, viewport: Viewport
) -> tuple[np.ndarray, tuple[int, int], tuple[int, int]]:
    """The part of *frame* the viewport shows, every ``stride``-th pixel (a view, no copy).

    Returns
    -------
    region : numpy.ndarray
        ``frame[y0:y1:sy, x0:x1:sx]``.
    origin : tuple of int
        ``(x0, y0)``.
    strides : tuple of int
        ``(sx, sy)``.
    """
    x0, y0, x1, y1 = viewport.visible_box()
    sx, sy = viewport.strides()
    # one extra pixel on each side gives bilinear sampling a neighbour at the border
    x0, y0 = max(x0 - sx, 0), max(y0 - sy, 0)
    x1, y1 = min(x1 + sx, frame.shape[1]), min(y1 + sy, frame.shape[0])
    return frame[y0:y1:sy, x0:x1:sx], (x0, y0), (sx, sy)


def view_image(
    frame: np.ndarray,
    viewport: Viewport,
    windower: Windower,
    *,
    invert: bool = False,
    reduced: ReducedSource | None = None,
) -> Image.Image:
    """The display canvas of *frame* under *viewport*, before overlays.

    Parameters
    ----------
    frame : numpy.ndarray
        Full-resolution frame (2-D values after the modality LUT, or ``H x W x 3`` uint8).
    viewport : Viewport
        The view.
    windower : callable
        Maps a (sub-)array of *frame* to uint8 (window/level, MONOCHROME1 inversion).
    invert : bool
        Show the negative (the reviewer's invert button).
    reduced : callable, optional
        ``reduced(factor)`` returns a copy of the frame area-reduced by a whole factor
        (at most *factor*), as :meth:`workbench.imaging.volume.Volume.display_frame` does; used
        instead of skipping pixels when the view shrinks the frame.

    Returns
    -------
    PIL.Image.Image
        Mode ``L`` or ``RGB``, of size ``viewport.size``.
    """
    shrunk = reduced_view(frame.shape, viewport, windower, invert=invert, reduced=reduced)
    if shrunk is not None:
        return shrunk
    region, origin, step = source_region(frame, viewport)
    if region.size == 0:
        return Image.new("RGB" if frame.ndim == 3 else "L", viewport.size, 0)
    pixels = region if region.ndim == 3 and region.dtype == np.uint8 else windower(region)
    if invert:
        pixels = 255 - pixels
    image = Image.fromarray(np.ascontiguousarray(pixels))
    coeffs = viewport.affine_from(origin, step)
    identity = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    if image.size == viewport.size and all(
        abs(c - i) < 1e-9 for c, i in zip(coeffs, identity, strict=True)
    ):
        return image
    fill = (0, 0, 0) if image.mode == "RGB" else 0
    a, b, c, d, e, f = coeffs
    if b == 0 and d == 0 and a > 0 and e > 0:  # unrotated, unmirrored: Pillow's resize is
        w, h = viewport.size  # separable and antialiased, several times faster than transform
        box = (c, f, c + a * w, f + e * h)
        if box[0] >= 0 and box[1] >= 0 and box[2] <= image.width and box[3] <= image.height:
            return image.resize(viewport.size, Image.Resampling.BILINEAR, box=box)
    # one display pixel per (reduced) source pixel: nothing to interpolate, and nearest
    # sampling is several times faster than bilinear on a 1000-pixel radiograph
    unit = all(abs(abs(coeffs[k]) + abs(coeffs[k + 1]) - 1.0) < 0.02 for k in (0, 3))
    resample = Image.Resampling.NEAREST if unit else Image.Resampling.BILINEAR
    return image.transform(viewport.size, Image.Transform.AFFINE, coeffs, resample, fillcolor=fill)


def reduced_view(
    shape: tuple[int, ...],
    viewport: Viewport,
    windower: Windower,
    *,
    invert: bool = False,
    reduced: ReducedSource | None = None,
) -> Image.Image | None:
    """:func:`view_image` from ``reduced(factor)`` when the view shrinks a frame of *shape*.

    None when the view does not shrink the frame (or no reduced copy fits): then the
    full-resolution frame is needed.
    """
    factor = min(viewport.strides())
    if reduced is None or factor <= 1:
        return None
    small = reduced(factor)
    got = shape[0] // small.shape[0] if small.shape[0] else 1
    if 1 < got <= factor and shape[1] // small.shape[1] == got:
        return view_image(small, viewport.reduced(got), windower, invert=invert)
    return None


@lru_cache(maxsize=1024)
def _sprite(
    text: str, size: int, bold: bool, color: str, background: str | None, anchor: str
) -> tuple[Image.Image, tuple[int, int]]:
    """A text item drawn once on a transparent tile, and the tile's offset from the anchor.

    Overlay text repeats from frame to frame (letters, badge, scale bar), so each
    distinct text is rasterised once and pasted after that.
    """
    font = _font(size, bold)
    stroke = 0 if background else max(1, round(size / 12))
    x0, y0, x1, y1 = (int(v) for v in font.getbbox(text, anchor=anchor, stroke_width=stroke))
    pad = max(2, round(size * 0.25)) if background else 1
    tile = Image.new("RGBA", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), background or (0, 0, 0, 0))
    ImageDraw.Draw(tile).text(
        (pad - x0, pad - y0),
        text,
        fill=color,
        font=font,
        anchor=anchor,
        stroke_width=stroke,
        stroke_fill="#000000",
    )
    return tile, (x0 - pad, y0 - pad)


def draw_items(image: Image.Image, items: Iterable[Item]) -> Image.Image:
    """Draw overlay items on an RGB copy of *image* (the input is not changed)."""
    canvas = image.convert("RGB") if image.mode != "RGB" else image.copy()
    draw = ImageDraw.Draw(canvas)
    for item in items:
        if isinstance(item, Polyline):
            pts = list(item.points)
            if item.closed:
                pts.append(pts[0])
            draw.line(pts, fill=item.color, width=max(1, round(item.width)), joint="curve")
        elif isinstance(item, Ellipse):
            draw.ellipse(item.box, outline=item.color, width=max(1, round(item.width)))
        elif isinstance(item, Text) and item.text:
            tile, (dx, dy) = _sprite(
                item.text,
                max(6, round(item.size)),
                item.bold,
                item.color,
                item.background,
                item.anchor,
            )
            canvas.paste(tile, (round(item.xy[0]) + dx, round(item.xy[1]) + dy), tile)
    return canvas


def encode(image: Image.Image, fmt: str = "jpeg", *, quality: int = 90) -> bytes:
    """*image* as JPEG or PNG bytes."""
    buf = io.BytesIO()
    if fmt.lower() in ("jpeg", "jpg"):
        image.save(buf, format="JPEG", quality=quality, subsampling=0 if quality >= 90 else 2)
    else:
        image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def compose(
    volume: Volume,
    state: ViewState,
    *,
    max_size: int = DEFAULT_SIZE,
    side: str | None = None,
    measurements: Iterable[Measurement | Shape] = (),
    title: Sequence[str] = (),
    overlays: bool = True,
    calibration: tuple[tuple[float, float], str] | None = None,
) -> tuple[Image.Image, Viewport]:
    """The live viewer's frame: windowed, fitted to *max_size*, overlays drawn (Pillow).

    Parameters
    ----------
    volume : Volume
    state : ViewState
        Slice, window, zoom, pan, rotation, mirrors, inversion, plane.
    max_size : int
        Longest side of the image in display pixels.
    side : str, optional
        Laterality for the side badge (always drawn; "SIDE ?" when unknown).
    measurements : iterable
        :class:`~workbench.imaging.measure.Measurement` (or overlay shapes) of this frame.
    title : sequence of str
        First lines of the top-right text.
    overlays : bool
        Draw the overlays (False: the bare windowed view).
    calibration : ((row, col) mm, source), optional
        A user calibration shown instead of the header's.
    """
    image = slice_image(volume, state)
    viewport = viewport_for(state, image, max_size)
    window = windower(volume, state)
    # a view that shrinks the frame is drawn from the volume's reduced copy (a reduced
    # JPEG 2000 decode on first view); the full frame is decoded only when needed
    base = reduced_view(image.shape, viewport, window, invert=state.invert, reduced=image.reduced)
    if base is None:
        base = view_image(image.pixels, viewport, window, invert=state.invert, reduced=None)
    if not overlays:
        return base, viewport
    items = view_layout(
        volume,
        state,
        image,
        viewport,
        side=side,
        measurements=measurements,
        title=title,
        calibration=calibration,
    )
    return draw_items(base, items), viewport


def thumbnail(volume: Volume, *, size: int = 96, quality: int = 80) -> bytes:
    """A small JPEG of the middle frame with its automatic window, for series pickers."""
    from workbench.view.state import initial_state

    state = initial_state(volume)
    image, _ = compose(volume, state, max_size=size, overlays=False)
    return encode(image.convert("RGB"), "jpeg", quality=quality)
