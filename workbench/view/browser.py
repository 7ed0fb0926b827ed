"""What the browser viewer receives: a slice as integer codes, its window, its measurements.

The reading-room front end (:mod:`workbench.widgets.reading_canvas`) windows the real
values in JavaScript, so the kernel sends each slice once as a binary buffer and, on
every change of the view, only small parameters. This module builds both, without a
kernel or a widget library:

- :func:`encode_slice` turns a frame of modality values (float32 after the modality
  LUT, Hounsfield units on CT) into ``Int16`` / ``Uint16`` codes with
  ``value = code * scale + offset`` (exact for whole numbers in range; otherwise a
  16-bit quantisation whose step is reported), or RGB bytes for colour;
- :func:`window_params` gives the window the browser applies: centre, width,
  (0028,1056) *VOI LUT Function*, whether to invert (MONOCHROME1 and the reviewer's
  invert cancel each other), and for a (0028,3010) *VOI LUT Sequence* the table of
  display values over the slice's codes, computed by
  :func:`workbench.imaging.windowing.window_to_uint8` (pydicom's own VOI LUT);
- :func:`window_lut` is the same windowing done in Python over the codes, the
  reference the JavaScript look-up table is tested against.

>>> import numpy as np
>>> codes, meta = encode_slice(np.array([[-1000.0, 0.0], [40.0, 3000.0]], dtype=np.float32))
>>> meta["dtype"], meta["scale"], meta["offset"], codes.tolist()
('int16', 1.0, 0.0, [[-1000, 0], [40, 3000]])
>>> codes, meta = encode_slice(np.array([[0.0, 0.5], [1.0, 2.0]], dtype=np.float32))
>>> meta["dtype"], int(codes.max()), round(float(meta["scale"] * codes.max() + meta["offset"]), 3)
('uint16', 65535, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.imaging.windowing import window_to_uint8
from workbench.view.state import ViewState, pan_by, set_window, zoom_by

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

__all__ = ["encode_slice", "view_dict", "view_from_browser", "window_lut", "window_params"]

#: Largest side of a slice sent at first: large radiographs arrive at display resolution.
DISPLAY_SIZE = 1024


def encode_slice(values: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Integer codes for the browser and how to read them back as modality values.

    Parameters
    ----------
    values : numpy.ndarray
        ``rows × cols`` modality values, or ``rows × cols × 3`` uint8 RGB.

    Returns
    -------
    codes : numpy.ndarray
        C-contiguous ``int16``, ``uint16`` or (colour) ``uint8``.
    meta : dict
        ``dtype`` (``"int16"``, ``"uint16"``, ``"rgb8"``), ``width``, ``height``,
        ``scale``, ``offset`` (``value = code * scale + offset``), ``exact`` (no
        rounding was needed), ``code_min``, ``code_max``.
    """
    height, width = int(values.shape[0]), int(values.shape[1])
    meta: dict[str, Any] = {"width": width, "height": height, "scale": 1.0, "offset": 0.0}
    if values.ndim == 3:
        codes = np.ascontiguousarray(values[..., :3], dtype=np.uint8)
        return codes, {**meta, "dtype": "rgb8", "exact": True, "code_min": 0, "code_max": 255}
    finite = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 0.0
    whole = bool(np.all(finite == np.rint(finite)))
    if whole and lo >= -32768 and hi <= 32767:
        codes = finite.astype(np.int16)
        dtype, exact = "int16", True
    elif whole and lo >= 0 and hi <= 65535:
        codes = finite.astype(np.uint16)
        dtype, exact = "uint16", True
    else:  # 16-bit quantisation of the range (step reported as *scale*)
        scale = (hi - lo) / 65535.0 if hi > lo else 1.0
        codes = np.rint((finite - lo) / scale).astype(np.uint16)
        dtype, exact = "uint16", False
        meta.update(scale=scale, offset=lo)
    codes = np.ascontiguousarray(codes)
    return codes, {
        **meta,
        "dtype": dtype,
        "exact": exact,
        "code_min": int(codes.min()) if codes.size else 0,
        "code_max": int(codes.max()) if codes.size else 0,
    }


def window_params(
    volume: Volume, state: ViewState, meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The window of *state* as the browser applies it.

    Parameters
    ----------
    volume : Volume
    state : ViewState
    meta : dict, optional
        The :func:`encode_slice` metadata of the slice shown; needed for a VOI LUT
        Sequence (its table covers ``code_min .. code_max``).

    Returns
    -------
    dict
        ``center``, ``width`` (at least 1), ``function`` (``LINEAR``,
        ``LINEAR_EXACT`` or ``SIGMOID``), ``invert`` (bool), ``colour`` (bool) and
        ``voi_table`` (a uint8 array over the slice's codes, or None).
    """
    function = "LINEAR"
    lut = None
    if not volume.is_color and state.plane == "acquired":
        try:
            ds = volume.dataset(state.index)
            name = str(ds.get("VOILUTFunction") or "LINEAR").upper()
            function = name if name in ("LINEAR", "LINEAR_EXACT", "SIGMOID") else "LINEAR"
            lut = volume.voi_lut(state.index) if state.voi_lut else None
        except Exception:
            lut = None
    table = None
    if lut is not None and meta is not None and meta.get("dtype") in ("int16", "uint16"):
        codes = np.arange(int(meta["code_min"]), int(meta["code_max"]) + 1, dtype=np.float64)
        values = codes * float(meta["scale"]) + float(meta["offset"])
        table = window_to_uint8(values[None, :], state.center, state.width, voi_lut=lut)[0]
    invert = (volume.photometric == "MONOCHROME1") != bool(state.invert)
    return {
        "center": float(state.center),
        "width": max(float(state.width), 1.0),
        "function": function,
        "invert": bool(invert),
        "colour": bool(volume.is_color),
        "voi_table": table,
    }


def window_lut(codes: np.ndarray, meta: dict[str, Any], params: dict[str, Any]) -> np.ndarray:
    """Display values (uint8) of *codes* under *params*: the browser's result, in numpy.

    Uses :func:`~workbench.imaging.windowing.window_to_uint8` (pydicom's windowing) on
    the decoded values, then the inversion, exactly as the front end's table does.
    """
    if params.get("voi_table") is not None:
        out = np.asarray(params["voi_table"])[codes.astype(np.int64) - int(meta["code_min"])]
    else:
        values = codes.astype(np.float64) * float(meta["scale"]) + float(meta["offset"])
        out = window_to_uint8(
            values, params["center"], params["width"], function=params.get("function", "LINEAR")
        )
    if params.get("invert"):
        out = 255 - out
    return out.astype(np.uint8)


def view_from_browser(state: ViewState, data: Mapping[str, Any]) -> ViewState:
    """*state* with the window, zoom and pan the browser reports (validated, clamped).

    Only ``center``, ``width``, ``zoom``, ``pan`` and ``voi_lut`` are taken; the slice,
    series and plane stay the kernel's. Non-numbers are ignored.

    >>> from workbench.view.state import ViewState
    >>> s = view_from_browser(ViewState("s", 0, 40.0, 400.0), {"center": 50, "zoom": 99,
    ...                       "pan": [0.9, -0.1], "width": "x"})
    >>> s.center, s.width, s.zoom, s.pan
    (50.0, 400.0, 32.0, (0.484375, -0.1))
    """

    def number(name: str, default: float) -> float:
        value = data.get(name, default)
        try:
            out = float(value)
        except (TypeError, ValueError):
            return default
        return out if math.isfinite(out) else default

    out = state
    center, width = number("center", state.center), number("width", state.width)
    if (center, width) != (state.center, state.width):
        out = set_window(out, center, width)
    elif data.get("voi_lut") is False and state.voi_lut:
        out = replace(out, voi_lut=False)
    zoom = number("zoom", state.zoom)
    if zoom != state.zoom:
        out = zoom_by(out, zoom / out.zoom)
    pan = data.get("pan")
    if isinstance(pan, (list, tuple)) and len(pan) == 2:
        try:
            target = (float(pan[0]), float(pan[1]))
        except (TypeError, ValueError):
            target = out.pan
        if all(map(math.isfinite, target)):
            out = pan_by(out, target[0] - out.pan[0], target[1] - out.pan[1])
    return out


def view_dict(state: ViewState) -> dict[str, Any]:
    """*state* as the JSON the browser keeps (``pan`` as a list)."""
    out = asdict(state)
    out["pan"] = [float(state.pan[0]), float(state.pan[1])]
    return out
