"""Volumes: a series' pixels as numpy, decoded lazily, modality LUT applied, with geometry.

:func:`load_series` reads no pixel data: it orders the frames of a series by
their position along the slice normal (from the header table), works out the
geometry and returns a :class:`Volume`. Pixels are decoded on request, one
frame at a time, through pydicom's own pipeline (:func:`pydicom.pixels.pixel_array`
for JPEG, JPEG-LS, JPEG 2000 and RLE data, YBR to RGB conversion,
:func:`~pydicom.pixels.apply_color_lut` for palette colour,
:func:`~pydicom.pixels.apply_modality_lut` for (0028,1052) *Rescale Intercept*,
(0028,1053) *Rescale Slope* and (0028,3000) *Modality LUT Sequence*), and kept in
a least-recently-used cache bounded in bytes. Grey frames are float32 in
modality units (Hounsfield units on CT); colour frames are uint8 RGB.

>>> from pydicom.data import get_testdata_file
>>> volume = load_files([get_testdata_file("CT_small.dcm")])
>>> volume.shape, volume.geometry.pixel_spacing, volume.default_window
((1, 128, 128), (0.661468, 0.661468), None)
>>> float(volume.frame(0).min())  # Hounsfield units: (0028,1052) Rescale Intercept applied
-896.0
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array

from workbench.errors import PixelDataError
from workbench.imaging.bytecache import ByteLRU
from workbench.imaging.frames import (
    RECORD_COLUMNS,
    RECORD_KEYWORDS,
    FrameRef,
    record_from_file,
    series_frames,
)
from workbench.imaging.geometry import Geometry, ultrasound_spacing
from workbench.imaging.reduced import J2K_SYNTAXES, box_resize, decode_reduced, levels_for

if TYPE_CHECKING:
    from workbench.record.protocol import CaseRecord

__all__ = [
    "Geometry",
    "Volume",
    "area_reduce",
    "load_files",
    "load_series",
    "reduction_factor",
]

#: Default memory budget of a volume's pixel cache.
DEFAULT_CACHE_BYTES = 512 * 1024**2
#: Multi-frame files up to this fraction of the budget are held in memory once read.
_FILE_SHARE = 4


def _decode(source: Path | Dataset, index: int) -> tuple[np.ndarray, Dataset]:
    """Decode frame *index* (0-based) of a file or an in-memory dataset.

    Returns the array and a dataset holding the image pixel elements (group
    0028) needed for the modality LUT and palette colour. Every pixel read of
    this module goes through here (tests count calls).
    """
    if isinstance(source, Dataset):
        return pixel_array(source, index=index), source
    header = Dataset()
    return pixel_array(source, index=index, ds_out=header), header


def _read_file(local: Path) -> Dataset:
    """The whole dataset of a multi-frame file, pixel data bytes included."""
    return pydicom.dcmread(local)


def reduction_factor(shape: Sequence[int], max_size: int | None) -> int:
    """The integer factor that makes an image of *shape* fit in *max_size* pixels.

    >>> reduction_factor((3000, 2500), 1000), reduction_factor((512, 512), 1000)
    (3, 1)
    """
    if max_size is None or max_size <= 0:
        return 1
    return max(1, math.ceil(max(int(shape[0]), int(shape[1])) / max_size))


def area_reduce(array: np.ndarray, factor: int, *, round_values: bool = False) -> np.ndarray:
    """Mean over *factor* × *factor* blocks (rows and columns beyond a whole block dropped).

    Display pixel ``(i, j)`` covers rows ``i*factor .. i*factor+factor-1`` of the
    original. Colour (``rows × cols × 3`` uint8) stays uint8; grey stays float32,
    rounded to whole numbers when *round_values* (the source was integral, and
    windowing then takes its fast lookup-table path).

    >>> area_reduce(np.arange(16, dtype=np.float32).reshape(4, 4), 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    if factor <= 1:
        return array
    h, w = array.shape[0] // factor, array.shape[1] // factor
    view = array[: h * factor, : w * factor]
    rows = view[0::factor].astype(np.float32)
    for i in range(1, factor):
        rows += view[i::factor]
    out = rows[:, 0::factor].copy()
    for j in range(1, factor):
        out += rows[:, j::factor]
    out *= np.float32(1.0 / (factor * factor))
    if array.dtype == np.uint8:
        return np.rint(out).astype(np.uint8)
    if round_values:
        np.rint(out, out=out)
    return out


class Volume:
    """A series' frames in display order, decoded on request.

    Build it with :func:`load_series` (from a case) or :func:`load_files`.

    Attributes
    ----------
    series_key : str
        The ``series_key`` of the case's series table.
    modality : str
        (0008,0060) *Modality*.
    photometric : str
        (0028,0004) *Photometric Interpretation* of the files (``MONOCHROME1`` is
        inverted by :func:`workbench.imaging.windowing.window_to_uint8`; YBR data is
        returned as RGB).
    is_color : bool
        Frames are ``rows × cols × 3`` uint8 RGB.
    n_frames : int
    shape : tuple of int
        ``(n_frames, rows, cols)`` or ``(n_frames, rows, cols, 3)``.
    geometry : Geometry
    default_window : tuple of float or None
        (center, width) from the first values of (0028,1050) *Window Center* and
        (0028,1051) *Window Width* of the first frame.
    sop_uids : list of (str, int)
        (SOPInstanceUID, 1-based frame number) of each display frame.
    """

    def __init__(
        self,
        *,
        series_key: str,
        modality: str,
        photometric: str,
        frames: list[FrameRef],
        geometry: Geometry,
        shape: tuple[int, ...],
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.series_key = series_key
        self.modality = modality
        self.photometric = photometric
        self.is_color = len(shape) == 4
        self.n_frames = len(frames)
        self.shape = shape
        self.geometry = geometry
        self.default_window = frames[0].window if frames else None
        self.sop_uids = [(f.sop_uid, f.number + 1) for f in frames]
        self._frames = frames
        self._cache = ByteLRU(cache_bytes)
        self._integral: dict[int, bool] = {}
        self._headers: OrderedDict[Path, Dataset] = OrderedDict()
        self._header_lock = threading.Lock()
        nrm = geometry.normal
        self._distance: np.ndarray | None = (
            None if geometry.positions is None or nrm is None else geometry.positions @ nrm
        )

    def __len__(self) -> int:
        return self.n_frames

    def __repr__(self) -> str:
        return (
            f"<Volume {self.series_key} {self.modality} {self.photometric} "
            f"shape={self.shape} spacing={self.geometry.pixel_spacing} "
            f"({self.geometry.spacing_source})>"
        )

    # --- pixels -----------------------------------------------------------------------

    def frame(self, index: int) -> np.ndarray:
        """Frame *index* in display order, decoded on first use and cached (read-only).

        Grey frames are float32 after the modality LUT (Hounsfield units on CT);
        colour frames are uint8 RGB.

        Raises
        ------
        IndexError
            *index* outside ``0 .. n_frames - 1``.
        PixelDataError
            The file's pixel data cannot be decoded.
        """
        index = self._check(index)
        whole = self._cache.get(("volume",))
        if whole is not None:
            return whole[index]
        cached = self._cache.get(("frame", index))
        if cached is not None:
            return cached
        values = self._decode_values(index)
        values.flags.writeable = False
        self._cache.put(("frame", index), values)
        return values

    def display_frame(self, index: int, max_size: int | None = None) -> np.ndarray:
        """Frame *index* area-reduced by a whole factor to fit *max_size* pixels (cached).

        Large radiographs are reduced here, before windowing; use
        :func:`reduction_factor` to map display pixels back to the frame
        (display ``(i, j)`` covers frame rows ``i*k .. i*k+k-1``). Integral
        values (CT, most MR and X-ray) stay whole numbers after reduction.

        A JPEG 2000 frame not decoded yet is decoded at reduced resolution
        (:mod:`workbench.imaging.reduced`: the codestream's own half- or
        quarter-size image, a fraction of the full decode time), then brought to the
        same shape; :meth:`frame` still decodes the full resolution when it is
        asked for (zooming in, measuring). The two agree within the wavelet's
        low-pass filter (a fraction of a percent of the value range).
        """
        index = self._check(index)
        factor = reduction_factor(self.shape[1:3], max_size)
        if factor == 1:
            return self.frame(index)
        key = ("display", index, factor)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        reduced = None
        if not self._decoded(index):
            reduced = self._reduced_decode(index, factor)
        if reduced is None:
            full = self.frame(index)
            reduced = area_reduce(full, factor, round_values=self._integral.get(index, False))
        reduced.flags.writeable = False
        self._cache.put(key, reduced)
        return reduced

    def _decoded(self, index: int) -> bool:
        return ("volume",) in self._cache or ("frame", index) in self._cache

    def _reduced_decode(self, index: int, factor: int) -> np.ndarray | None:
        """:meth:`display_frame` from a reduced-resolution JPEG 2000 decode, or None."""
        ref = self._frames[index]
        levels = levels_for(factor)
        if self.is_color or levels < 1 or ref.transfer_syntax not in J2K_SYNTAXES:
            return None
        try:
            source = self._source(ref)
            ds = source if isinstance(source, Dataset) else pydicom.dcmread(source)
            raw = decode_reduced(ds, ref.number, levels)
        except Exception:  # the full decode reports the error properly
            return None
        if raw is None or raw.ndim != 2:
            return None
        got = 2 ** round(math.log2(math.ceil(self.shape[1] / max(raw.shape[0], 1))))
        if raw.shape != (-(-self.shape[1] // got), -(-self.shape[2] // got)):
            return None  # the codestream does not match the header: the full decode says so
        values, integral = _values(raw, ds, ref, False)
        rows, cols = self.shape[1] // factor, self.shape[2] // factor
        out = box_resize(np.asarray(values, dtype=np.float32), rows, cols, factor / got)
        if integral:
            np.rint(out, out=out)
        return out

    def array(self) -> np.ndarray:
        """The whole volume ``(n, rows, cols[, 3])``, decoded into one preallocated array.

        float32 for grey, uint8 for colour; read-only. Kept in the cache when it
        fits the budget (then :meth:`frame` returns views of it).
        """
        whole = self._cache.get(("volume",))
        if whole is not None:
            return whole
        out = np.empty(self.shape, dtype=np.uint8 if self.is_color else np.float32)
        for i in range(self.n_frames):
            cached = self._cache.get(("frame", i))
            if cached is not None:
                out[i] = cached
            else:
                self._decode_values(i, out=out[i])  # straight into its slot
        out.flags.writeable = False
        if out.nbytes <= self._cache.budget:
            for i in range(self.n_frames):
                self._cache.discard(("frame", i))
            self._cache.put(("volume",), out)
        return out

    def cache_info(self) -> dict[str, int]:
        """Cache counters: hits, misses, evictions, entries, bytes, budget."""
        return self._cache.info()

    def is_integral(self, index: int) -> bool | None:
        """Whether frame *index* holds whole numbers (known once it was decoded)."""
        return self._integral.get(index)

    # --- header -----------------------------------------------------------------------

    def dataset(self, index: int) -> Dataset:
        """The header of the file holding frame *index* (no pixel data), for a header panel."""
        ref = self._frames[self._check(index)]
        with self._header_lock:
            ds = self._headers.get(ref.local)
            if ds is not None:
                self._headers.move_to_end(ref.local)
                return ds
        try:
            ds = pydicom.dcmread(ref.local, stop_before_pixels=True)
        except Exception as exc:
            raise PixelDataError(
                f"Header of '{ref.path}' cannot be read ({type(exc).__name__}: {exc})."
            ) from exc
        with self._header_lock:
            self._headers[ref.local] = ds
            while len(self._headers) > 16:
                self._headers.popitem(last=False)
        return ds

    def header_window(self, index: int) -> tuple[float, float] | None:
        """(center, width) from the header of frame *index* (first values), or None."""
        return self._frames[self._check(index)].window

    def voi_lut(self, index: int) -> Dataset | None:
        """The header of frame *index* when it holds a (0028,3010) *VOI LUT Sequence*."""
        ds = self.dataset(index)
        seq = ds.get("VOILUTSequence")
        if seq and "LUTData" in seq[0] and "LUTDescriptor" in seq[0]:
            return ds
        return None

    # --- position ---------------------------------------------------------------------

    def slice_position(self, index: int) -> float | None:
        """Position of frame *index* along the slice normal (mm), for synchronised scrolling."""
        index = self._check(index)
        return None if self._distance is None else float(self._distance[index])

    def nearest_index(self, position: float) -> int:
        """The frame whose :meth:`slice_position` is nearest *position* (mm).

        Raises
        ------
        PixelDataError
            The series has no slice positions (projection images, cine).
        """
        if self._distance is None:
            raise PixelDataError(
                f"Series {self.series_key} has no slice positions "
                "((0020,0032) Image Position (Patient)); it cannot be synchronised by position."
            )
        return int(np.argmin(np.abs(self._distance - position)))

    # --- internals --------------------------------------------------------------------

    def _check(self, index: int) -> int:
        index = int(index)
        if not 0 <= index < self.n_frames:
            raise IndexError(
                f"Frame {index} is outside series {self.series_key} (0 .. {self.n_frames - 1})."
            )
        return index

    def _source(self, ref: FrameRef) -> Path | Dataset:
        """A multi-frame file small enough is read once and decoded frame by frame from memory."""
        if ref.n_in_file <= 1 or ref.local.stat().st_size * _FILE_SHARE > self._cache.budget:
            return ref.local
        key = ("file", ref.local)
        ds = self._cache.get(key)
        if ds is None:
            ds = _read_file(ref.local)
            self._cache.put(key, ds)
        return ds

    def _decode_values(self, index: int, out: np.ndarray | None = None) -> np.ndarray:
        """Decode frame *index* to display values, into *out* when given."""
        ref = self._frames[index]
        try:
            raw, header = _decode(self._source(ref), ref.number)
        except PixelDataError:
            raise
        except Exception as exc:
            raise PixelDataError(
                f"'{ref.path}' (frame {ref.number + 1}) cannot be decoded "
                f"({type(exc).__name__}: {exc}). Ask for an uncompressed export of this series; "
                "case.problems may already name the file."
            ) from exc
        if raw.shape[:2] != self.shape[1:3]:
            raise PixelDataError(
                f"'{ref.path}' (frame {ref.number + 1}) decoded to {raw.shape[:2]}, but the "
                f"series is {self.shape[1:3]}; the file does not match its header."
            )
        values, integral = _values(raw, header, ref, self.is_color)
        self._integral[index] = integral
        if out is None:
            return np.asarray(values, dtype=np.uint8 if self.is_color else np.float32)
        np.copyto(out, values, casting="unsafe")
        return out


def _values(
    raw: np.ndarray, header: Dataset, ref: FrameRef, colour: bool
) -> tuple[np.ndarray, bool]:
    """Decoded stored values to display values: palette/RGB to uint8, else the modality LUT.

    Grey values come back in the modality LUT's own dtype (float64 after a rescale);
    the caller converts them once, into the frame or the volume's slot.
    """
    photometric = str(header.get("PhotometricInterpretation", ""))
    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(raw, header)
        bits = int(header.RedPaletteColorLookupTableDescriptor[2])
        return _rgb_uint8(rgb[..., :3], bits), True
    if raw.ndim == 3:
        return _rgb_uint8(raw, int(header.get("BitsStored") or raw.dtype.itemsize * 8)), True
    if colour:
        return np.repeat(_rgb_uint8(raw, 8)[..., None], 3, axis=2), True
    lut_ds = header
    if ref.rescale is not None:
        lut_ds = Dataset()
        lut_ds.RescaleSlope, lut_ds.RescaleIntercept = ref.rescale
    values = apply_modality_lut(raw, lut_ds)
    integral = np.issubdtype(raw.dtype, np.integer) and _integral_rescale(lut_ds)
    return values, integral


def _integral_rescale(ds: Dataset) -> bool:
    if ds.get("ModalityLUTSequence"):
        return True
    slope, intercept = ds.get("RescaleSlope", 1), ds.get("RescaleIntercept", 0)
    try:
        return float(slope).is_integer() and float(intercept).is_integer()
    except (TypeError, ValueError):
        return False


def _rgb_uint8(rgb: np.ndarray, bits: int) -> np.ndarray:
    if rgb.dtype == np.uint8:
        return rgb
    shift = max(0, bits - 8)
    return np.clip(rgb.astype(np.int64) >> shift, 0, 255).astype(np.uint8)


# --- building volumes -----------------------------------------------------------------


def load_series(
    case: CaseRecord, series_key: str, *, cache_bytes: int = DEFAULT_CACHE_BYTES
) -> Volume:
    """The pixels of one series of *case*, lazily, in order along the slice normal.

    No pixel data is read here: only the header table (and the headers of
    multi-frame files, whose per-frame geometry lives in functional groups).

    Parameters
    ----------
    case : CaseRecord
        From :func:`workbench.open_case`.
    series_key : str
        A ``series_key`` of ``case.series``.
    cache_bytes : int
        Memory budget of the decoded-frame cache.

    Returns
    -------
    Volume

    Raises
    ------
    SeriesNotFoundError
        Unknown *series_key*.
    PixelDataError
        No image of the series can be decoded.
    """
    rows = case.series_instances(series_key)
    wanted = [c for c in (*RECORD_KEYWORDS, *RECORD_COLUMNS) if c in rows.columns]
    records = [
        dict(zip(wanted, values, strict=True))
        for values in rows[wanted].itertuples(index=False, name=None)
    ]
    locals_ = {str(r["path"]): case.local_path(str(r["path"])) for r in records}
    series = case.series[case.series["series_key"] == series_key]
    modality = str(series["Modality"].iloc[0]) if len(series) else ""
    return _volume(series_key, records, locals_, modality, cache_bytes)


def load_files(
    paths: Iterable[str | Path],
    *,
    series_key: str = "files",
    cache_bytes: int = DEFAULT_CACHE_BYTES,
) -> Volume:
    """A :class:`Volume` from DICOM files outside a case (headers read with pydicom).

    The files are taken as one series and ordered along the slice normal as
    :func:`load_series` orders a case's series.
    """
    records = [record_from_file(Path(path)) for path in paths]
    locals_ = {str(r["path"]): Path(r["path"]) for r in records}
    return _volume(series_key, records, locals_, "", cache_bytes)


def _volume(
    series_key: str,
    records: list[dict[str, Any]],
    locals_: Mapping[str, Path],
    modality: str,
    cache_bytes: int,
) -> Volume:
    found = series_frames(series_key, records, locals_)
    volume = Volume(
        series_key=series_key,
        modality=modality or found.modality,
        photometric=found.photometric,
        frames=found.frames,
        geometry=found.geometry,
        shape=found.shape,
        cache_bytes=cache_bytes,
    )
    if volume.geometry.pixel_spacing is None and volume.n_frames:
        _ultrasound_calibration(volume)
    return volume


def _ultrasound_calibration(volume: Volume) -> None:
    """Take the spacing from the header's ultrasound regions when nothing else calibrates."""
    try:
        regions = volume.dataset(0).get("SequenceOfUltrasoundRegions")
    except PixelDataError:
        return
    spacing = ultrasound_spacing(regions)
    if spacing is not None:
        volume.geometry = replace(
            volume.geometry, pixel_spacing=spacing, spacing_source="UltrasoundRegion"
        )
