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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array

from workbench._bytecache import ByteLRU
from workbench.errors import PixelDataError
from workbench.geometry import Geometry, as_floats, describe_stack, pixel_spacing, stack_order

if TYPE_CHECKING:
    from workbench.case import Case

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
_COLOUR = frozenset({"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "PALETTE COLOR"})
#: SOP classes whose geometry lives in functional groups (enhanced multi-frame objects).
_ENHANCED_PREFIXES = (
    "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT
    "1.2.840.10008.5.1.4.1.1.2.2",  # Legacy Converted Enhanced CT
    "1.2.840.10008.5.1.4.1.1.4.1",  # Enhanced MR
    "1.2.840.10008.5.1.4.1.1.4.4",  # Legacy Converted Enhanced MR
    "1.2.840.10008.5.1.4.1.1.128.1",  # Legacy Converted Enhanced PET
    "1.2.840.10008.5.1.4.1.1.130",  # Enhanced PET
    "1.2.840.10008.5.1.4.1.1.13.1",  # X-ray 3D and breast tomosynthesis
)


@dataclass(frozen=True)
class _Frame:
    """Where one display frame comes from, and its per-frame header values."""

    path: str
    local: Path
    number: int  # 0-based frame within the file
    n_in_file: int
    sop_uid: str
    instance_number: float
    position: tuple[float, ...] | None
    orientation: tuple[float, ...] | None
    spacing: tuple[float, ...] | None
    window: tuple[float, float] | None
    rescale: tuple[float, float] | None  # functional-group rescale of enhanced objects


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
        inverted by :func:`workbench.windowing.window_to_uint8`; YBR data is
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
        frames: list[_Frame],
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
            return whole[index]  # type: ignore[no-any-return]
        cached = self._cache.get(("frame", index))
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        values = self._decode_values(index)
        values.flags.writeable = False
        self._cache.put(("frame", index), values)
        return values

    def display_frame(self, index: int, *, max_size: int | None = None) -> np.ndarray:
        """Frame *index* area-reduced by a whole factor to fit *max_size* pixels (cached).

        Large radiographs are reduced here, before windowing; use
        :func:`reduction_factor` to map display pixels back to the frame
        (display ``(i, j)`` covers frame rows ``i*k .. i*k+k-1``). Integral
        values (CT, most MR and X-ray) stay whole numbers after reduction.
        """
        full = self.frame(index)
        factor = reduction_factor(full.shape, max_size)
        if factor == 1:
            return full
        key = ("display", index, factor)
        cached = self._cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        reduced = area_reduce(full, factor, round_values=self._integral.get(index, False))
        reduced.flags.writeable = False
        self._cache.put(key, reduced)
        return reduced

    def array(self) -> np.ndarray:
        """The whole volume ``(n, rows, cols[, 3])``, decoded into one preallocated array.

        float32 for grey, uint8 for colour; read-only. Kept in the cache when it
        fits the budget (then :meth:`frame` returns views of it).
        """
        whole = self._cache.get(("volume",))
        if whole is not None:
            return whole  # type: ignore[no-any-return]
        out = np.empty(self.shape, dtype=np.uint8 if self.is_color else np.float32)
        for i in range(self.n_frames):
            cached = self._cache.get(("frame", i))
            if cached is not None:
                out[i] = cached
            else:
                out[i] = self._decode_values(i)
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

    def _source(self, ref: _Frame) -> Path | Dataset:
        """A multi-frame file small enough is read once and decoded frame by frame from memory."""
        if ref.n_in_file <= 1 or ref.local.stat().st_size * _FILE_SHARE > self._cache.budget:
            return ref.local
        key = ("file", ref.local)
        ds = self._cache.get(key)
        if ds is None:
            ds = _read_file(ref.local)
            self._cache.put(key, ds)
        return ds  # type: ignore[no-any-return]

    def _decode_values(self, index: int) -> np.ndarray:
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
        return values


def _values(raw: np.ndarray, header: Dataset, ref: _Frame, colour: bool) -> tuple[np.ndarray, bool]:
    """Decoded stored values to display values: palette/RGB to uint8, else the modality LUT."""
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
    return np.asarray(values, dtype=np.float32), integral


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


def load_series(case: Case, series_key: str, *, cache_bytes: int = DEFAULT_CACHE_BYTES) -> Volume:
    """The pixels of one series of *case*, lazily, in order along the slice normal.

    No pixel data is read here: only the header table (and the headers of
    multi-frame files, whose per-frame geometry lives in functional groups).

    Parameters
    ----------
    case : Case
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
    records = [
        dict(zip(rows.columns, values, strict=True))
        for values in rows.itertuples(index=False, name=None)
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

    The files are taken as one series; they are ordered along the slice normal
    like :func:`load_series` orders a case's series.
    """
    records = []
    locals_ = {}
    for path in paths:
        local = Path(path)
        try:
            ds = pydicom.dcmread(local, stop_before_pixels=True)
        except Exception as exc:
            raise PixelDataError(
                f"'{local}' cannot be read as DICOM ({type(exc).__name__}: {exc})."
            ) from exc
        record: dict[str, Any] = {
            keyword: ds[keyword].value if keyword in ds else None for keyword in _RECORD_KEYWORDS
        }
        meta = getattr(ds, "file_meta", None)
        record.update(
            path=str(local),
            frame_count=int(ds.get("NumberOfFrames") or 1) if "Rows" in ds else 0,
            decodable=True,
            transfer_syntax=str(getattr(meta, "TransferSyntaxUID", "") or ""),
        )
        records.append(record)
        locals_[str(local)] = local
    modality = str(records[0].get("Modality") or "") if records else ""
    return _volume(series_key, records, locals_, modality, cache_bytes)


_RECORD_KEYWORDS = (
    "SOPInstanceUID", "SOPClassUID", "Modality", "InstanceNumber", "Rows", "Columns",
    "SamplesPerPixel", "PhotometricInterpretation", "ImagePositionPatient",
    "ImageOrientationPatient", "PixelSpacing", "ImagerPixelSpacing",
    "EstimatedRadiographicMagnificationFactor", "WindowCenter", "WindowWidth",
    "PatientOrientation", "FrameOfReferenceUID", "NumberOfFrames",
)  # fmt: skip


def _volume(
    series_key: str,
    records: list[dict[str, Any]],
    locals_: Mapping[str, Path],
    modality: str,
    cache_bytes: int,
) -> Volume:
    usable, issues = _usable(series_key, records)
    first = usable[0]
    frames: list[_Frame] = []
    for record in usable:
        frames.extend(_frames_of(record, locals_[str(record["path"])]))
    order, orientation, order_issues = stack_order(
        [f.position for f in frames],
        [f.orientation for f in frames],
        [(f.instance_number, f.number, f.path) for f in frames],
    )
    frames = [frames[i] for i in order]
    issues.extend(order_issues)
    geometry = _geometry(frames, first, orientation, issues)
    photometric = _text(first.get("PhotometricInterpretation")) or "MONOCHROME2"
    samples = _int(first.get("SamplesPerPixel")) or 1
    colour = samples > 1 or photometric in _COLOUR
    rows, cols = _int(first["Rows"]) or 0, _int(first["Columns"]) or 0
    shape: tuple[int, ...] = (len(frames), rows, cols, 3) if colour else (len(frames), rows, cols)
    return Volume(
        series_key=series_key,
        modality=modality or _text(first.get("Modality")) or "",
        photometric=photometric,
        frames=frames,
        geometry=geometry,
        shape=shape,
        cache_bytes=cache_bytes,
    )


def _usable(
    series_key: str, records: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Records with decodable pixels of the series' dominant size; issues for the others."""
    issues: list[str] = []
    with_pixels = [r for r in records if (_int(r.get("frame_count")) or 0) > 0]
    decodable = [r for r in with_pixels if _flag(r.get("decodable"))]
    if not decodable:
        raise PixelDataError(
            f"Series {series_key} has no image that can be decoded "
            f"({len(records)} files, {len(with_pixels)} with pixel data); see case.problems "
            "for the reason and ask for an uncompressed export."
        )
    if len(decodable) < len(with_pixels):
        issues.append(
            f"{len(with_pixels) - len(decodable)} images cannot be decoded and are left out "
            "(see case.problems)"
        )
    sizes: dict[tuple[int, int, int], int] = {}
    for r in decodable:
        key = (
            _int(r.get("Rows")) or 0,
            _int(r.get("Columns")) or 0,
            _int(r.get("SamplesPerPixel")) or 1,
        )
        sizes[key] = sizes.get(key, 0) + (_int(r.get("frame_count")) or 1)
    main = max(sizes, key=lambda k: sizes[k])
    kept = [
        r
        for r in decodable
        if (
            _int(r.get("Rows")) or 0,
            _int(r.get("Columns")) or 0,
            _int(r.get("SamplesPerPixel")) or 1,
        )
        == main
    ]
    if len(kept) < len(decodable):
        issues.append(
            f"{len(decodable) - len(kept)} images of another size are left out "
            f"(series is {main[0]} × {main[1]})"
        )
    if main[0] <= 0 or main[1] <= 0:
        raise PixelDataError(f"Series {series_key} has pixel data but no Rows/Columns.")
    return kept, issues


def _frames_of(record: dict[str, Any], local: Path) -> list[_Frame]:
    """Display frames of one file; multi-frame and enhanced files have their header read."""
    n = _int(record.get("frame_count")) or 1
    sop = _text(record.get("SOPInstanceUID")) or f"no-uid:{record['path']}"
    number = _int(record.get("InstanceNumber"))
    instance = float(number) if number is not None else math.inf
    base = {
        "path": str(record["path"]),
        "local": local,
        "n_in_file": n,
        "sop_uid": sop,
        "instance_number": instance,
    }
    window = _window(record.get("WindowCenter"), record.get("WindowWidth"))
    orientation = as_floats(record.get("ImageOrientationPatient"), 6)
    spacing = as_floats(record.get("PixelSpacing"), 2)
    enhanced = str(record.get("SOPClassUID") or "").startswith(_ENHANCED_PREFIXES)
    if n == 1 and not enhanced:
        position = as_floats(record.get("ImagePositionPatient"), 3)
        return [_Frame(**base, number=0, position=position, orientation=orientation,
                       spacing=spacing, window=window, rescale=None)]  # fmt: skip
    try:
        ds = pydicom.dcmread(local, stop_before_pixels=True)
    except Exception as exc:
        raise PixelDataError(
            f"Header of '{record['path']}' cannot be read ({type(exc).__name__}: {exc})."
        ) from exc
    return [_Frame(**base, number=i, **_per_frame(ds, i, n)) for i in range(n)]


def _per_frame(ds: Dataset, i: int, n: int) -> dict[str, Any]:
    """Geometry, window and rescale of frame *i* from functional groups or top-level elements."""
    shared = (ds.get("SharedFunctionalGroupsSequence") or [Dataset()])[0]
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    own = per_frame[i] if i < len(per_frame) else Dataset()

    def find(sequence: str, keyword: str) -> Any:
        for group in (own, shared):
            items = group.get(sequence)
            if items and keyword in items[0]:
                return items[0][keyword].value
        return None

    position = as_floats(find("PlanePositionSequence", "ImagePositionPatient"), 3)
    orientation = as_floats(
        find("PlaneOrientationSequence", "ImageOrientationPatient")
        or ds.get("ImageOrientationPatient"),
        6,
    )
    offsets = as_floats(ds.get("GridFrameOffsetVector"))
    top = as_floats(ds.get("ImagePositionPatient"), 3)
    if position is None and top is not None and orientation is not None:
        if offsets is not None and len(offsets) == n:  # RT Dose and similar stacks
            nrm = np.cross(orientation[:3], orientation[3:])
            position = tuple(float(v) for v in np.asarray(top) + offsets[i] * nrm)
        elif n == 1:
            position = top
    spacing = as_floats(find("PixelMeasuresSequence", "PixelSpacing") or ds.get("PixelSpacing"), 2)
    window = _window(
        find("FrameVOILUTSequence", "WindowCenter") or ds.get("WindowCenter"),
        find("FrameVOILUTSequence", "WindowWidth") or ds.get("WindowWidth"),
    )
    slope = find("PixelValueTransformationSequence", "RescaleSlope")
    intercept = find("PixelValueTransformationSequence", "RescaleIntercept")
    rescale = None
    if slope is not None and intercept is not None and "RescaleSlope" not in ds:
        rescale = (float(slope), float(intercept))
    return {
        "position": position,
        "orientation": orientation,
        "spacing": spacing,
        "window": window,
        "rescale": rescale,
    }


def _geometry(
    frames: list[_Frame],
    first: dict[str, Any],
    orientation: tuple[float, ...] | None,
    issues: list[str],
) -> Geometry:
    spacings = {f.spacing for f in frames}
    if len(spacings) > 1:
        issues.append("pixel spacing differs between images")
    spacing, source = pixel_spacing(
        frames[0].spacing,
        first.get("ImagerPixelSpacing"),
        first.get("EstimatedRadiographicMagnificationFactor"),
    )
    positions = None
    slice_spacing = None
    uniform = False
    if orientation is not None and all(f.position is not None for f in frames):
        positions = np.array([f.position for f in frames], dtype=float)
        slice_spacing, uniform, stack_issues = describe_stack(positions, orientation)
        issues.extend(stack_issues)
    elif all(f.position is not None for f in frames) and len(frames) > 1:
        positions = np.array([f.position for f in frames], dtype=float)
    patient = _text(first.get("PatientOrientation"))
    parts = tuple(p.strip() for p in patient.split("\\")) if patient else ()
    return Geometry(
        pixel_spacing=spacing,
        spacing_source=source,
        orientation=orientation,
        positions=positions,
        slice_spacing=slice_spacing,
        uniform=uniform and not issues,
        issues=tuple(issues),
        patient_orientation=(parts[0], parts[1]) if len(parts) == 2 and all(parts) else None,
        frame_of_reference=_text(first.get("FrameOfReferenceUID")) or None,
    )


# --- tolerant readers of table values (lists, arrays, NaN) ------------------------------


def _text(value: Any) -> str:
    if isinstance(value, list | tuple | np.ndarray | pydicom.multival.MultiValue):
        return "\\".join(str(v) for v in value)
    if value is None or pd.isna(value):
        return ""
    return str(value)


def _int(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else int(number)


def _flag(value: Any) -> bool:
    if value is None or pd.isna(value):
        return True  # unknown: try to decode
    return bool(value)


def _window(center: Any, width: Any) -> tuple[float, float] | None:
    c, w = as_floats(center), as_floats(width)
    if not c or not w:
        return None
    return (c[0], w[0])
