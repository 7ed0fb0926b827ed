"""Reduced-resolution decoding of JPEG 2000 frames, for a first view at display size.

A JPEG 2000 codestream holds its image as a pyramid of wavelet resolutions: the
image at half, a quarter ... of its size is decoded from the low-pass band alone,
without the finer levels. OpenJPEG does that (its ``reduce`` parameter, reached
through Pillow's JPEG 2000 plugin), about four times faster than decoding the
whole radiograph and then averaging it down. :meth:`Volume.display_frame
<workbench.imaging.volume.Volume.display_frame>` uses it for the first look at a
large compressed image; full resolution is decoded when the reviewer zooms in.

OpenJPEG decodes on every core (:func:`use_all_cores`), as gdcm's full decode does;
every level the codestream holds can be asked for, also where Pillow's own rounding
of odd sizes would refuse it (:func:`reduced_size`), so a 96-pixel thumbnail of a
1955-row radiograph is decoded at a sixteenth of its size, not at half.

Only what can be reproduced exactly is taken this way: one grey sample per pixel,
unsigned, 8 to 16 bits stored; anything else (colour, signed data, a codestream
Pillow cannot reduce) returns ``None`` and the caller decodes the full frame.

>>> from pydicom.data import get_testdata_file
>>> import pydicom
>>> ds = pydicom.dcmread(get_testdata_file("MR2_J2KR.dcm"))
>>> decode_reduced(ds, 0, 2).shape  # 1024 x 1024 at a quarter of its size
(256, 256)
"""

from __future__ import annotations

import io
import math
import os
import struct

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame

__all__ = [
    "J2K_SYNTAXES",
    "box_resize",
    "decode_reduced",
    "levels_for",
    "reduced_size",
    "use_all_cores",
]

#: JPEG 2000 transfer syntaxes (lossless, lossy, Part 2 multi-component).
J2K_SYNTAXES = frozenset(
    {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92",
     "1.2.840.10008.1.2.4.93"}
)  # fmt: skip

_SOC_SIZ = b"\xff\x4f\xff\x51"
_COD = b"\xff\x52"


def levels_for(factor: int) -> int:
    """Halvings that stay within a reduction by *factor* (``floor(log2(factor))``).

    >>> levels_for(1), levels_for(2), levels_for(3), levels_for(4), levels_for(7)
    (0, 1, 1, 2, 2)
    """
    return math.floor(math.log2(factor)) if factor >= 2 else 0


def decode_reduced(ds: Dataset, index: int, levels: int) -> np.ndarray | None:
    """Frame *index* of *ds* decoded at ``1 / 2**k`` of its size, ``k <= levels``.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A dataset with encapsulated JPEG 2000 (7FE0,0010) *Pixel Data*.
    index : int
        0-based frame number.
    levels : int
        Wanted halvings (at least 1); fewer are used when the codestream has fewer
        decomposition levels or Pillow cannot reduce it that far.

    Returns
    -------
    numpy.ndarray or None
        Stored values (uint8 or uint16, before the modality LUT) of shape
        ``ceil(rows / 2**k) x ceil(columns / 2**k)``; ``None`` when this frame cannot be
        decoded reduced (the caller decodes it in full).
    """
    if levels < 1 or not _eligible(ds):
        return None
    try:
        n_frames = int(ds.get("NumberOfFrames") or 1)
        codestream = get_frame(ds.PixelData, index, number_of_frames=n_frames)
    except Exception:  # any oddity: the full decoder reports it properly
        return None
    start = codestream.find(_SOC_SIZ)  # a JP2 file wraps the codestream in boxes
    siz = _siz(codestream, start) if start >= 0 else None
    if siz is None:
        return None
    precision, signed, components = siz
    if signed or components != 1 or not 1 <= precision <= 16:
        return None
    levels = min(levels, _decomposition_levels(codestream, start))
    use_all_cores()
    while levels >= 1:
        try:
            array = _pillow_reduced(codestream, levels)
        except (OSError, ValueError, SyntaxError):
            levels -= 1  # a codestream this Pillow cannot reduce that far
            continue
        if array is not None:
            return _stored_values(array, precision, ds)
        levels -= 1
    return None


def reduced_size(size: tuple[int, int], levels: int) -> tuple[int, int]:
    """(width, height) OpenJPEG decodes at *levels* halvings: ``ceil(n / 2**levels)``.

    >>> reduced_size((1841, 1955), 2)
    (461, 489)
    """
    power = 1 << levels
    return -(-size[0] // power), -(-size[1] // power)


def _pillow_reduced(codestream: bytes, levels: int) -> np.ndarray | None:
    """The codestream decoded *levels* halvings down by OpenJPEG, through Pillow.

    Pillow sizes a reduced image as ``round(n / 2**levels)``; OpenJPEG decodes
    ``ceil(n / 2**levels)``, so where the two differ (1841 columns at a quarter: 460
    and 461) Pillow refuses the decoded tile as a broken stream. The size it starts
    from is set so that its rounding lands on OpenJPEG's (it only divides it). None
    when the result still does not have OpenJPEG's size.
    """
    with Image.open(io.BytesIO(codestream)) as im:
        want = reduced_size(im.size, levels)
        power = 1 << levels
        im._size = (want[0] * power, want[1] * power)  # see above: Pillow divides and rounds
        im.reduce = levels  # type: ignore[method-assign,assignment]
        im.load()
        array = np.asarray(im)
    return array if array.shape[:2] == (want[1], want[0]) else None


#: Environment variable through which OpenJPEG (2.3 and later) decodes with a thread pool.
OPJ_THREADS = "OPJ_NUM_THREADS"


def use_all_cores() -> None:
    """Let OpenJPEG decode code-blocks on every core this process may use.

    The full decode (gdcm) already uses all cores; Pillow's OpenJPEG, one unless
    ``OPJ_NUM_THREADS`` is set (read when a decoder is made). Sets it for this process
    (and its children) once, unless the user already chose a value.
    """
    if OPJ_THREADS not in os.environ:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        os.environ[OPJ_THREADS] = str(max(1, cores))


def _eligible(ds: Dataset) -> bool:
    meta = getattr(ds, "file_meta", None)
    syntax = str(getattr(meta, "TransferSyntaxUID", "") or "")
    return (
        syntax in J2K_SYNTAXES
        and "PixelData" in ds
        and int(ds.get("SamplesPerPixel") or 1) == 1
        and int(ds.get("PixelRepresentation") or 0) == 0
        and int(ds.get("BitsAllocated") or 0) in (8, 16)
        and str(ds.get("PhotometricInterpretation", "")) in ("MONOCHROME1", "MONOCHROME2")
    )


def _siz(buf: bytes, start: int) -> tuple[int, bool, int] | None:
    """(precision, signed, components) from the SIZ marker segment after SOC."""
    pos = start + 4  # SOC, SIZ marker
    if len(buf) < pos + 2 + 36 + 3:
        return None
    components = struct.unpack_from(">H", buf, pos + 2 + 34)[0]
    ssiz = buf[pos + 2 + 36]
    return (ssiz & 0x7F) + 1, bool(ssiz & 0x80), components


def _decomposition_levels(buf: bytes, start: int) -> int:
    """Decomposition levels of the COD marker of the main header (0 when not found)."""
    pos = buf.find(_COD, start + 4, start + 4096)
    if pos < 0 or pos + 10 > len(buf):
        return 0
    return buf[pos + 9]  # Lcod(2) Scod(1) SGcod(4) then SPcod: levels first


def _stored_values(array: np.ndarray, precision: int, ds: Dataset) -> np.ndarray:
    """Pillow's array as the stored values pydicom would give (dtype, bit depth)."""
    if array.dtype == np.uint8:
        out = array
    else:
        out = array.astype(np.uint16, copy=False)
        if precision < 16:  # Pillow scales 9..15-bit samples up to 16 bits
            out = out >> np.uint16(16 - precision)
    bits = int(ds.get("BitsAllocated") or 8)
    return out.astype(np.uint8 if bits == 8 else np.uint16, copy=False)


def box_resize(values: np.ndarray, rows: int, cols: int, step: float) -> np.ndarray:
    """*values* averaged over boxes of *step* pixels to ``rows x cols`` (top-left aligned)."""
    if step == 1:
        return np.array(values[:rows, :cols], dtype=np.float32)  # a copy: rounded in place
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))  # mode F
    box = (0.0, 0.0, cols * step, rows * step)
    return np.array(image.resize((cols, rows), Image.Resampling.BOX, box=box), np.float32)
