"""Window/level to uint8 through pydicom's own functions, presets, and orientation labels.

:func:`window_to_uint8` maps modality values (Hounsfield units on CT) to 0-255
with :func:`pydicom.pixels.apply_windowing` on a small cached dataset whose
(0028,0101) *Bits Stored* is 8, so pydicom's own output range is the display
range; (0028,3010) *VOI LUT Sequence* goes through
:func:`pydicom.pixels.apply_voi`. MONOCHROME1 is inverted afterwards; colour passes
through. For whole-number input (CT, MR and X-ray after an integral rescale, and
the rounded display copies of :meth:`~workbench.imaging.volume.Volume.display_frame`)
pydicom is evaluated once per window on the integers the window spans and the
frame is looked up in that table: the same values, about ten times faster.

>>> import numpy as np
>>> hu = np.array([[-1000.0, 0.0, 40.0, 240.0, 3000.0]], dtype=np.float32)
>>> window_to_uint8(hu, 40, 400, photometric="MONOCHROME2")
array([[  0, 102, 128, 255, 255]], dtype=uint8)
>>> window_to_uint8(hu, 40, 400, photometric="MONOCHROME1")
array([[255, 153, 127,   0,   0]], dtype=uint8)
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_voi, apply_windowing

from workbench.imaging.geometry import Geometry

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

__all__ = [
    "PRESETS",
    "auto_window",
    "orientation_labels",
    "window_to_uint8",
]

#: Common CT windows as (center, width) in Hounsfield units.
PRESETS: dict[str, tuple[float, float]] = {
    "ct_bone": (500.0, 2000.0),
    "ct_soft_tissue": (40.0, 400.0),
    "ct_lung": (-600.0, 1500.0),
    "ct_brain": (40.0, 80.0),
    "ct_metal": (1000.0, 5000.0),
}

#: Windows spanning more integers than this are computed directly, without a table.
_MAX_TABLE = 1 << 20
_COLOUR = frozenset({"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "PALETTE COLOR"})
_TABLES: OrderedDict[tuple[float, float, str], tuple[int, np.ndarray]] = OrderedDict()
_TABLES_LOCK = threading.Lock()


def window_to_uint8(
    frame: np.ndarray,
    center: float,
    width: float,
    *,
    photometric: str = "MONOCHROME2",
    voi_lut: Dataset | None = None,
    function: str = "LINEAR",
) -> np.ndarray:
    """Window modality values to a uint8 display image.

    Parameters
    ----------
    frame : numpy.ndarray
        Values after the modality LUT (``Volume.frame`` or ``display_frame``);
        colour (``rows × cols × 3``) is returned as uint8 unchanged.
    center, width : float
        (0028,1050) *Window Center* and (0028,1051) *Window Width* in modality
        units; a width below 1 is taken as 1.
    photometric : str
        (0028,0004) *Photometric Interpretation*; ``MONOCHROME1`` is inverted.
    voi_lut : pydicom.dataset.Dataset, optional
        A dataset (or a sequence item) holding (0028,3010) *VOI LUT Sequence*;
        when given it is applied instead of *center*/*width*, its output scaled to
        0-255 (from the bits its data actually uses).
    function : str
        (0028,1056) *VOI LUT Function*: ``LINEAR`` (default), ``LINEAR_EXACT`` or
        ``SIGMOID``.

    Returns
    -------
    numpy.ndarray
        uint8 image of the same rows × columns.
    """
    if photometric in _COLOUR or (frame.ndim == 3 and frame.shape[-1] in (3, 4)):
        return _colour_uint8(frame)
    if voi_lut is not None:
        out = _voi_sequence(frame, voi_lut)
    else:
        out = _windowed(frame, float(center), max(float(width), 1.0), function.upper())
    if photometric == "MONOCHROME1":
        np.subtract(255, out, out=out)
    return out


def _windowed(frame: np.ndarray, center: float, width: float, function: str) -> np.ndarray:
    """pydicom's windowing, through a lookup table when the input is whole numbers."""
    if function in ("LINEAR", "LINEAR_EXACT"):
        # Outside [center - width/2, center + width/2] the output is constant (PS3.3
        # C.11.2.1.2), so values are clipped to the integers just beyond that range.
        lo = math.floor(center - width / 2) - 1
        hi = math.ceil(center + width / 2) + 1
        if hi - lo <= _MAX_TABLE:
            if np.issubdtype(frame.dtype, np.integer):
                frame = frame.astype(np.int64)
            clipped = np.clip(frame, lo, hi)
            index = clipped.astype(np.intp)  # take() is several times slower with int32
            if np.issubdtype(frame.dtype, np.integer) or (index == clipped).all():
                index -= lo
                return _table(center, width, function, lo, hi).take(index)
    return _to_uint8(apply_windowing(frame, _window_dataset(center, width, function)))


def _table(center: float, width: float, function: str, lo: int, hi: int) -> np.ndarray:
    key = (center, width, function)
    with _TABLES_LOCK:
        found = _TABLES.get(key)
        if found is not None and found[0] == lo:
            _TABLES.move_to_end(key)
            return found[1]
    domain = np.arange(lo, hi + 1, dtype=np.float64)
    table = _to_uint8(apply_windowing(domain, _window_dataset(center, width, function)))
    with _TABLES_LOCK:
        _TABLES[key] = (lo, table)
        while len(_TABLES) > 64:
            _TABLES.popitem(last=False)
    return table


def _window_dataset(center: float, width: float, function: str) -> Dataset:
    """The minimal VOI LUT module pydicom needs; 8 bits stored makes its output 0-255."""
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = 8
    ds.PixelRepresentation = 0
    ds.WindowCenter = center
    ds.WindowWidth = width
    ds.VOILUTFunction = function
    return ds


def _to_uint8(values: np.ndarray) -> np.ndarray:
    out = np.rint(values)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def _voi_sequence(frame: np.ndarray, voi_lut: Dataset) -> np.ndarray:
    """(0028,3010) *VOI LUT Sequence* through pydicom, scaled to 0-255."""
    if "VOILUTSequence" in voi_lut:
        holder = voi_lut
        item = voi_lut.VOILUTSequence[0]
    else:
        item = voi_lut
        holder = Dataset()
        holder.VOILUTSequence = [item]
        holder.set_original_encoding(False, True)
    entries, first, bits = (int(v) for v in item.LUTDescriptor)
    entries = entries or 65536
    stored = np.clip(np.rint(frame), first, first + entries - 1).astype(np.int64)
    looked_up = apply_voi(stored, holder)
    top = int(np.max(looked_up)) if looked_up.size else 0
    # Many LUTs declare 16 bits but use fewer; scale by the bits the data reaches.
    used = min(bits, max(8, top.bit_length()))
    return _to_uint8(looked_up.astype(np.float32) * np.float32(255.0 / (2**used - 1)))


def _colour_uint8(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    if np.issubdtype(frame.dtype, np.integer):
        return (frame >> 8).astype(np.uint8) if frame.max() > 255 else frame.astype(np.uint8)
    return _to_uint8(frame)


def auto_window(volume: Volume, index: int) -> tuple[float, float]:
    """The header's window of frame *index*, else the 1st-99th percentile of its values.

    Parameters
    ----------
    volume : Volume
    index : int
        Display frame.

    Returns
    -------
    tuple of float
        (center, width) in modality units; (127.5, 256) for colour.
    """
    if volume.is_color:
        return (127.5, 256.0)
    header = volume.header_window(index)
    if header is not None and header[1] > 0:
        return header
    values = volume.display_frame(index, max_size=512)
    low, high = (float(v) for v in np.percentile(values[::2, ::2], [1.0, 99.0]))
    if high <= low:
        low, high = float(values.min()), float(values.max())
    return ((low + high) / 2, max(high - low, 1.0))


# --- orientation labels -----------------------------------------------------------------

_AXIS_LETTERS = (("R", "L"), ("A", "P"), ("F", "H"))  # patient -x/+x, -y/+y, -z/+z (LPS)
_OPPOSITE = {"R": "L", "L": "R", "A": "P", "P": "A", "H": "F", "F": "H"}
#: A direction cosine above this (about 15°) adds its letter to an oblique label.
OBLIQUE_THRESHOLD = 0.26


def direction_letters(vector: Any) -> str:
    """Patient-direction letters of a unit vector (LPS), strongest first: ``"L"``, ``"RA"``.

    >>> direction_letters((0.707, -0.707, 0.0))
    'LA'
    """
    v = np.asarray(vector, dtype=float)
    order = np.argsort(-np.abs(v), kind="stable")
    letters = []
    for rank, axis in enumerate(order):
        if rank == 0 or abs(v[axis]) >= OBLIQUE_THRESHOLD:
            letters.append(_AXIS_LETTERS[axis][1 if v[axis] > 0 else 0])
    return "".join(letters)


def orientation_labels(geometry: Geometry) -> dict[str, str]:
    """Letters for the four edges of the displayed (unflipped) image.

    From (0020,0037) *Image Orientation (Patient)* for cross-sections, otherwise
    from (0020,0020) *Patient Orientation* of projection images; empty strings
    when the header says neither.

    Returns
    -------
    dict
        Keys ``left``, ``right``, ``top``, ``bottom``; e.g. an axial slice gives
        ``{"left": "R", "right": "L", "top": "A", "bottom": "P"}``.
    """
    if geometry.orientation is not None:
        row = np.asarray(geometry.orientation[:3])
        col = np.asarray(geometry.orientation[3:6])
        return {
            "left": direction_letters(-row),
            "right": direction_letters(row),
            "top": direction_letters(-col),
            "bottom": direction_letters(col),
        }
    if geometry.patient_orientation is not None:
        rows, cols = geometry.patient_orientation
        return {
            "left": _opposite(rows),
            "right": rows,
            "top": _opposite(cols),
            "bottom": cols,
        }
    return {"left": "", "right": "", "top": "", "bottom": ""}


def _opposite(letters: str) -> str:
    return "".join(_OPPOSITE.get(ch, ch) for ch in letters)
