"""Viewer state as plain data: a frozen :class:`ViewState` and pure transitions.

Widgets bind their sliders and buttons to these functions and show
``apply_view(window_to_uint8(...), state)``; nothing here needs a kernel.

The displayed image is the frame rotated clockwise by ``rotate`` degrees, then
mirrored (``flip_h`` left-right, ``flip_v`` top-bottom), then cropped to the
zoomed view: ``zoom`` 2 shows half the rows and columns, centred ``pan`` (a
fraction of the displayed height and width) away from the middle.

>>> state = ViewState("se-1", index=0, center=40.0, width=400.0)
>>> state = scroll(state, 5, n_frames=3)
>>> state.index
2
>>> apply_preset(state, "ct_bone").center
500.0
>>> import numpy as np
>>> apply_view(np.arange(6, dtype=np.uint8).reshape(2, 3), rotate_by(state, 1))
array([[3, 0],
       [4, 1],
       [5, 2]], dtype=uint8)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from workbench.imaging.windowing import PRESETS, auto_window

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

__all__ = [
    "ViewState",
    "apply_preset",
    "apply_view",
    "crop_box",
    "display_to_image",
    "flip",
    "initial_state",
    "orient",
    "pan_by",
    "reset",
    "rotate_by",
    "scroll",
    "set_index",
    "set_plane",
    "set_window",
    "toggle_invert",
    "view_box",
    "view_labels",
    "zoom_by",
]

MIN_ZOOM = 1.0
MAX_ZOOM = 32.0
PLANES = ("acquired", "axial", "coronal", "sagittal")


@dataclass(frozen=True)
class ViewState:
    """What one viewport shows.

    Attributes
    ----------
    series_key : str
    index : int
        Display frame (or reformatted slice when *plane* is not ``"acquired"``).
    center, width : float
        Window in modality units (Hounsfield units on CT).
    zoom : float
        1 shows the whole image; 2 half its rows and columns.
    pan : tuple of float
        Centre of the view relative to the image centre, as fractions of the
        displayed (height, width).
    flip_h, flip_v : bool
        Mirror left-right, top-bottom (after rotation).
    rotate : int
        Clockwise rotation in degrees: 0, 90, 180 or 270.
    invert : bool
        Show grey levels inverted (on top of MONOCHROME1 handling).
    voi_lut : bool
        Show the header's (0028,3010) *VOI LUT Sequence* instead of *center*/*width*
        (the default for images that carry a LUT and no window; any window change ends it).
    plane : str
        ``"acquired"``, ``"axial"``, ``"coronal"`` or ``"sagittal"``.
    """

    series_key: str
    index: int
    center: float
    width: float
    zoom: float = 1.0
    pan: tuple[float, float] = (0.0, 0.0)
    flip_h: bool = False
    flip_v: bool = False
    rotate: int = 0
    invert: bool = False
    plane: str = "acquired"
    voi_lut: bool = False


# --- transitions ------------------------------------------------------------------------


def initial_state(volume: Volume, *, index: int | None = None) -> ViewState:
    """A fresh view: middle slice of a stack (first image otherwise), header or auto window."""
    if index is None:
        index = volume.n_frames // 2 if volume.geometry.positions is not None else 0
    index = min(max(int(index), 0), volume.n_frames - 1)
    center, width = auto_window(volume, index)
    return ViewState(volume.series_key, index, center, width, voi_lut=header_lut(volume, index))


def header_lut(volume: Volume, index: int) -> bool:
    """Whether frame *index* should be shown through its VOI LUT Sequence by default.

    True when the header has a (0028,3010) *VOI LUT Sequence* and no (0028,1050)
    *Window Center*: the LUT is then the window the modality meant.
    """
    if volume.is_color or volume.header_window(index) is not None:
        return False
    return volume.voi_lut(index) is not None


def scroll(state: ViewState, delta: int, n_frames: int) -> ViewState:
    """Move *delta* frames, staying within ``0 .. n_frames - 1``."""
    return set_index(state, state.index + int(delta), n_frames)


def set_index(state: ViewState, index: int, n_frames: int) -> ViewState:
    """Go to frame *index* (clamped to the series)."""
    return replace(state, index=min(max(int(index), 0), max(n_frames - 1, 0)))


def set_window(state: ViewState, center: float, width: float) -> ViewState:
    """Set the window; widths below 1 become 1 (a VOI LUT in use gives way to it)."""
    return replace(state, center=float(center), width=max(float(width), 1.0), voi_lut=False)


def apply_preset(state: ViewState, name: str, volume: Volume | None = None) -> ViewState:
    """Apply a :data:`~workbench.imaging.windowing.PRESETS` window, or ``"auto"`` (needs *volume*).

    Raises
    ------
    KeyError
        Unknown preset name (the message lists the known ones).
    """
    if name == "auto":
        if volume is None:
            raise ValueError(
                "The 'auto' preset needs the volume: apply_preset(state, 'auto', vol)."
            )
        # a reformatted plane's index counts another axis: take the window of a frame
        frame = state.index if state.plane == "acquired" else volume.n_frames // 2
        auto = set_window(state, *auto_window(volume, frame))
        lut = state.plane == "acquired" and header_lut(volume, state.index)
        return replace(auto, voi_lut=lut)
    try:
        center, width = PRESETS[name]
    except KeyError:
        known = ", ".join([*PRESETS, "auto"])
        raise KeyError(f"Unknown window preset {name!r}; known: {known}.") from None
    return set_window(state, center, width)


def zoom_by(state: ViewState, factor: float) -> ViewState:
    """Multiply the zoom by *factor* (kept within 1-32); the pan is kept inside the image."""
    zoom = min(max(state.zoom * float(factor), MIN_ZOOM), MAX_ZOOM)
    return replace(state, zoom=zoom, pan=_clamp_pan(state.pan, zoom))


def pan_by(state: ViewState, d_row: float, d_col: float) -> ViewState:
    """Shift the view centre by fractions of the displayed height and width."""
    pan = (state.pan[0] + float(d_row), state.pan[1] + float(d_col))
    return replace(state, pan=_clamp_pan(pan, state.zoom))


def rotate_by(state: ViewState, quarter_turns: int) -> ViewState:
    """Rotate clockwise by *quarter_turns* × 90° (negative: anticlockwise)."""
    return replace(state, rotate=(state.rotate + 90 * int(quarter_turns)) % 360)


def flip(state: ViewState, *, horizontal: bool = True) -> ViewState:
    """Toggle the left-right (default) or top-bottom mirror."""
    if horizontal:
        return replace(state, flip_h=not state.flip_h)
    return replace(state, flip_v=not state.flip_v)


def toggle_invert(state: ViewState) -> ViewState:
    """Toggle grey-level inversion."""
    return replace(state, invert=not state.invert)


def set_plane(state: ViewState, plane: str, index: int = 0) -> ViewState:
    """Show *plane* (``"acquired"``, ``"axial"``, ``"coronal"``, ``"sagittal"``) at *index*."""
    if plane not in PLANES:
        raise ValueError(f"Unknown plane {plane!r}; use one of {', '.join(PLANES)}.")
    return replace(state, plane=plane, index=max(int(index), 0), zoom=1.0, pan=(0.0, 0.0))


def reset(state: ViewState, volume: Volume) -> ViewState:
    """Back to the whole image, unrotated, with the header (or automatic) window."""
    index = state.index
    if state.plane == "acquired":
        index = min(max(index, 0), volume.n_frames - 1)
    center, width = auto_window(
        volume, index if state.plane == "acquired" else volume.n_frames // 2
    )
    lut = state.plane == "acquired" and header_lut(volume, index)
    return ViewState(state.series_key, index, center, width, plane=state.plane, voi_lut=lut)


def _clamp_pan(pan: tuple[float, float], zoom: float) -> tuple[float, float]:
    limit = 0.5 - 0.5 / zoom
    return (min(max(pan[0], -limit), limit), min(max(pan[1], -limit), limit))


# --- applying the state to pixels -------------------------------------------------------


def orient(pixels: np.ndarray, state: ViewState) -> np.ndarray:
    """Rotate, mirror and invert *pixels* (uint8, grey or RGB) as *state* says; no crop."""
    out = np.rot90(pixels, k=-(state.rotate // 90) % 4, axes=(0, 1))
    if state.flip_h:
        out = out[:, ::-1]
    if state.flip_v:
        out = out[::-1]
    if state.invert:
        out = 255 - out if out.dtype == np.uint8 else out.max() + out.min() - out
    return out


def _display_shape(shape: tuple[int, ...], state: ViewState) -> tuple[int, int]:
    h, w = int(shape[0]), int(shape[1])
    return (w, h) if state.rotate in (90, 270) else (h, w)


def view_box(state: ViewState, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the view in the oriented image of an image of *shape*."""
    height, width = _display_shape(shape, state)
    if state.zoom <= 1.0:
        return (0, height, 0, width)
    boxes = []
    for size, offset in ((height, state.pan[0]), (width, state.pan[1])):
        extent = max(1, round(size / state.zoom))
        start = math.floor(size * (0.5 + offset) - extent / 2 + 0.5)
        start = min(max(start, 0), size - extent)
        boxes.append((start, start + extent))
    return (*boxes[0], *boxes[1])


def apply_view(pixels: np.ndarray, state: ViewState) -> np.ndarray:
    """Rotate, mirror, invert, then crop *pixels* to the zoomed view.

    For zoomed radiographs crop the full-resolution frame with :func:`crop_box`
    first and call :func:`orient` on the result: the same image, sharper.
    """
    r0, r1, c0, c1 = view_box(state, pixels.shape)
    return np.ascontiguousarray(orient(pixels, state)[r0:r1, c0:c1])


def display_to_image(
    point: tuple[float, float], state: ViewState, shape: tuple[int, ...]
) -> tuple[float, float]:
    """A (row, col) in the output of ``apply_view(image, state)`` → (row, col) in the image.

    *shape* is the image's shape before the view; use it to place measurement
    points clicked on the view.
    """
    r0, _, c0, _ = view_box(state, shape)
    r, c = point[0] + r0, point[1] + c0
    height, width = _display_shape(shape, state)
    if state.flip_v:
        r = height - 1 - r
    if state.flip_h:
        c = width - 1 - c
    h0, w0 = int(shape[0]), int(shape[1])
    turns = (state.rotate // 90) % 4
    if turns == 1:  # displayed[r, c] = image[h0 - 1 - c, r]
        return (h0 - 1 - c, r)
    if turns == 2:
        return (h0 - 1 - r, w0 - 1 - c)
    if turns == 3:  # displayed[r, c] = image[c, w0 - 1 - r]
        return (c, w0 - 1 - r)
    return (r, c)


def crop_box(state: ViewState, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the image that the zoomed view shows.

    ``orient(image[row0:row1, col0:col1], state)`` equals ``apply_view(image, state)``.
    """
    r0, r1, c0, c1 = view_box(state, shape)
    shifted = replace(state, zoom=1.0, pan=(0.0, 0.0))
    corners = [display_to_image((r, c), shifted, shape) for r in (r0, r1 - 1) for c in (c0, c1 - 1)]
    rows = [round(p[0]) for p in corners]
    cols = [round(p[1]) for p in corners]
    return (min(rows), max(rows) + 1, min(cols), max(cols) + 1)


def view_labels(labels: dict[str, str], state: ViewState) -> dict[str, str]:
    """Orientation labels of the image edges after the view's rotation and mirrors.

    >>> axial = {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    >>> view_labels(axial, ViewState("s", 0, 0.0, 1.0, flip_h=True))["left"]
    'L'
    """
    out = dict(labels)
    for _ in range((state.rotate // 90) % 4):  # clockwise: the old left edge goes to the top
        out = {
            "top": out["left"],
            "right": out["top"],
            "bottom": out["right"],
            "left": out["bottom"],
        }
    if state.flip_h:
        out["left"], out["right"] = out["right"], out["left"]
    if state.flip_v:
        out["top"], out["bottom"] = out["bottom"], out["top"]
    return out
