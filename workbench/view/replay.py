"""A key image's view, rebuilt from its record for the patient's page.

A key image records what its viewport showed (``index``, ``plane``, ``window`` and, since
this module, ``view``: zoom, pan, rotation, mirrors, inversion, VOI LUT). The page draws
the image again from that record, so the patient sees the region the reviewer framed, on
the plane the reviewer chose, not the whole acquired frame.

The record comes from notebook metadata, which anyone with the file can edit: every value
is checked and clamped here (unknown planes fall back to the acquired image, indices to
the series, zoom to 1-32, pan inside the image, rotation to quarter turns). Records
written before ``view`` existed show the whole image, as they did.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from workbench.errors import PixelDataError
from workbench.view.slice_view import slice_count
from workbench.view.state import (
    PLANES,
    ViewState,
    header_lut,
    initial_state,
    pan_by,
    set_window,
    zoom_by,
)

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

__all__ = ["record_view", "view_from_record"]


def record_view(state: ViewState) -> dict[str, Any]:
    """The part of *state* a key-image record keeps under ``view`` (JSON-ready)."""
    return {
        "zoom": float(state.zoom),
        "pan": [float(state.pan[0]), float(state.pan[1])],
        "rotate": int(state.rotate),
        "flip_h": bool(state.flip_h),
        "flip_v": bool(state.flip_v),
        "invert": bool(state.invert),
        "voi_lut": bool(state.voi_lut),
    }


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _plane_count(volume: Volume, plane: str) -> int:
    try:
        return slice_count(volume, plane)
    except PixelDataError:  # not a regular stack (a radiograph, a gapped series)
        return 0


def view_from_record(volume: Volume, record: Mapping[str, Any]) -> ViewState:
    """The :class:`ViewState` a key-image *record* of *volume* showed (validated).

    Indices are clamped to the plane's slices, the zoom to 1-32, the pan inside the
    image, the rotation to quarter turns; what is not a number is ignored.
    """
    plane = record.get("plane")
    plane = plane if isinstance(plane, str) and plane in PLANES else "acquired"
    if plane != "acquired" and _plane_count(volume, plane) < 1:
        plane = "acquired"  # a record that names a plane this series cannot be cut in
    index = _number(record.get("index"))
    count = slice_count(volume, plane)
    at = min(max(int(index or 0), 0), max(count - 1, 0))
    window = record.get("window")
    center = width = None
    if isinstance(window, (list, tuple)) and len(window) == 2:
        center, width = _number(window[0]), _number(window[1])
    if center is not None and width is not None:
        # the recorded window: no automatic window to work out (that decodes the frame)
        state = set_window(ViewState(volume.series_key, at, 0.0, 1.0, plane=plane), center, width)
    elif plane == "acquired":
        state = initial_state(volume, index=at)
    else:
        state = replace(initial_state(volume, index=0), plane=plane, index=at, voi_lut=False)
    view = record.get("view")
    if not isinstance(view, Mapping):
        return state
    zoom = _number(view.get("zoom"))
    if zoom is not None and zoom > 0:
        state = zoom_by(state, zoom / state.zoom)
    pan = view.get("pan")
    if isinstance(pan, (list, tuple)) and len(pan) == 2:
        d_row, d_col = _number(pan[0]), _number(pan[1])
        if d_row is not None and d_col is not None:
            state = pan_by(state, d_row, d_col)
    rotate = _number(view.get("rotate"))
    if rotate is not None:
        state = replace(state, rotate=round(rotate / 90.0) * 90 % 360)
    flags = {k: view[k] for k in ("flip_h", "flip_v", "invert") if isinstance(view.get(k), bool)}
    state = replace(state, **flags)
    if view.get("voi_lut") is True and plane == "acquired":
        state = replace(state, voi_lut=header_lut(volume, at))  # only if the header has one
    return state
