"""From a series' header records to its frames in display order and its geometry.

Used by :mod:`workbench.imaging.volume`; reads no pixel data. A record is one row of
``case.instances`` as a dict (or the same keys read from a file header by
:func:`record_from_file`). Single-frame files are described by their record
alone; multi-frame and enhanced files have their header read for the per-frame
functional groups.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydicom
from pydicom.dataset import Dataset

from workbench.dicom import uids
from workbench.errors import PixelDataError
from workbench.imaging.geometry import (
    Geometry,
    as_floats,
    describe_stack,
    pixel_spacing,
    stack_order,
)

__all__ = [
    "COLOUR",
    "RECORD_COLUMNS",
    "RECORD_KEYWORDS",
    "FrameRef",
    "SeriesFrames",
    "record_from_file",
    "series_frames",
]

#: Photometric interpretations shown as RGB.
COLOUR = frozenset({"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "PALETTE COLOR"})
#: SOP classes whose geometry lives in functional groups (enhanced multi-frame objects).
ENHANCED_PREFIXES = uids.ENHANCED_PREFIXES
#: Header keywords a record needs.
RECORD_KEYWORDS = (
    "SOPInstanceUID", "SOPClassUID", "Modality", "InstanceNumber", "Rows", "Columns",
    "SamplesPerPixel", "PhotometricInterpretation", "ImagePositionPatient",
    "ImageOrientationPatient", "PixelSpacing", "ImagerPixelSpacing",
    "EstimatedRadiographicMagnificationFactor", "WindowCenter", "WindowWidth",
    "PatientOrientation", "FrameOfReferenceUID", "NumberOfFrames",
)  # fmt: skip
#: Columns of ``case.instances`` a record needs besides the keywords.
RECORD_COLUMNS = ("path", "frame_count", "decodable", "transfer_syntax")


@dataclass(frozen=True)
class FrameRef:
    """Where one display frame comes from, and its per-frame header values."""

    path: str
    local: Path
    number: int  # 0-based frame within the file
    n_in_file: int
    sop_uid: str
    instance_number: float
    position: tuple[float, ...] | None = None
    orientation: tuple[float, ...] | None = None
    spacing: tuple[float, ...] | None = None
    window: tuple[float, float] | None = None
    rescale: tuple[float, float] | None = None  # functional-group rescale of enhanced objects


@dataclass(frozen=True)
class SeriesFrames:
    """A series ready to become a Volume."""

    frames: list[FrameRef]
    geometry: Geometry
    photometric: str
    shape: tuple[int, ...]
    modality: str


def series_frames(
    series_key: str, records: list[dict[str, Any]], locals_: Mapping[str, Path]
) -> SeriesFrames:
    """Frames of the usable records, sorted along the slice normal, with the geometry.

    Raises
    ------
    PixelDataError
        No record has decodable pixel data.
    """
    usable, issues = _usable(series_key, records)
    first = usable[0]
    frames: list[FrameRef] = []
    for record in usable:
        frames.extend(_frames_of(record, locals_[str(record["path"])]))
    order, orientation, order_issues = stack_order(
        [f.position for f in frames],
        [f.orientation for f in frames],
        [(f.instance_number, f.number, f.path) for f in frames],
    )
    frames = [frames[i] for i in order]
    issues.extend(order_issues)
    photometric = _text(first.get("PhotometricInterpretation")) or "MONOCHROME2"
    samples = _int(first.get("SamplesPerPixel")) or 1
    rows, cols = _int(first.get("Rows")) or 0, _int(first.get("Columns")) or 0
    shape: tuple[int, ...] = (len(frames), rows, cols)
    if samples > 1 or photometric in COLOUR:
        shape = (*shape, 3)
    return SeriesFrames(
        frames=frames,
        geometry=_geometry(frames, first, orientation, issues),
        photometric=photometric,
        shape=shape,
        modality=_text(first.get("Modality")),
    )


def record_from_file(local: Path) -> dict[str, Any]:
    """A record like a row of ``case.instances``, from a file's header (pydicom)."""
    try:
        ds = pydicom.dcmread(local, stop_before_pixels=True)
    except Exception as exc:
        raise PixelDataError(
            f"'{local}' cannot be read as DICOM ({type(exc).__name__}: {exc})."
        ) from exc
    record: dict[str, Any] = {
        keyword: ds[keyword].value if keyword in ds else None for keyword in RECORD_KEYWORDS
    }
    meta = getattr(ds, "file_meta", None)
    record.update(
        path=str(local),
        frame_count=int(ds.get("NumberOfFrames") or 1) if "Rows" in ds else 0,
        decodable=True,
        transfer_syntax=str(getattr(meta, "TransferSyntaxUID", "") or ""),
    )
    return record


def _size(record: dict[str, Any]) -> tuple[int, int, int]:
    return (
        _int(record.get("Rows")) or 0,
        _int(record.get("Columns")) or 0,
        _int(record.get("SamplesPerPixel")) or 1,
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
        sizes[_size(r)] = sizes.get(_size(r), 0) + (_int(r.get("frame_count")) or 1)
    main = max(sizes, key=lambda k: sizes[k])
    if main[0] <= 0 or main[1] <= 0:
        raise PixelDataError(f"Series {series_key} has pixel data but no Rows/Columns.")
    kept = [r for r in decodable if _size(r) == main]
    if len(kept) < len(decodable):
        issues.append(
            f"{len(decodable) - len(kept)} images of another size are left out "
            f"(series is {main[0]} × {main[1]})"
        )
    return kept, issues


def _frames_of(record: dict[str, Any], local: Path) -> list[FrameRef]:
    """Display frames of one file; multi-frame and enhanced files have their header read."""
    n = _int(record.get("frame_count")) or 1
    path = str(record["path"])
    sop = _text(record.get("SOPInstanceUID")) or f"no-uid:{path}"
    number = _int(record.get("InstanceNumber"))
    instance = float(number) if number is not None else math.inf
    enhanced = str(record.get("SOPClassUID") or "").startswith(ENHANCED_PREFIXES)
    if n == 1 and not enhanced:
        return [
            FrameRef(
                path,
                local,
                0,
                1,
                sop,
                instance,
                position=as_floats(record.get("ImagePositionPatient"), 3),
                orientation=as_floats(record.get("ImageOrientationPatient"), 6),
                spacing=as_floats(record.get("PixelSpacing"), 2),
                window=_window(record.get("WindowCenter"), record.get("WindowWidth")),
            )
        ]
    try:
        ds = pydicom.dcmread(local, stop_before_pixels=True)
    except Exception as exc:
        raise PixelDataError(
            f"Header of '{path}' cannot be read ({type(exc).__name__}: {exc})."
        ) from exc
    return [_per_frame(FrameRef(path, local, i, n, sop, instance), ds) for i in range(n)]


def _per_frame(base: FrameRef, ds: Dataset) -> FrameRef:
    """Geometry, window and rescale of one frame from functional groups or top-level elements."""
    i, n = base.number, base.n_in_file
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
    slope = find("PixelValueTransformationSequence", "RescaleSlope")
    intercept = find("PixelValueTransformationSequence", "RescaleIntercept")
    rescale = None
    if slope is not None and intercept is not None and "RescaleSlope" not in ds:
        rescale = (float(slope), float(intercept))
    return FrameRef(
        base.path,
        base.local,
        i,
        n,
        base.sop_uid,
        base.instance_number,
        position=position,
        orientation=orientation,
        spacing=as_floats(
            find("PixelMeasuresSequence", "PixelSpacing") or ds.get("PixelSpacing"), 2
        ),
        window=_window(
            find("FrameVOILUTSequence", "WindowCenter") or ds.get("WindowCenter"),
            find("FrameVOILUTSequence", "WindowWidth") or ds.get("WindowWidth"),
        ),
        rescale=rescale,
    )


def _geometry(
    frames: list[FrameRef],
    first: dict[str, Any],
    orientation: tuple[float, ...] | None,
    issues: list[str],
) -> Geometry:
    if len({f.spacing for f in frames}) > 1:
        issues.append("pixel spacing differs between images")
    spacing, source = pixel_spacing(
        frames[0].spacing,
        first.get("ImagerPixelSpacing"),
        first.get("EstimatedRadiographicMagnificationFactor"),
    )
    positions = None
    slice_spacing = None
    uniform = False
    if all(f.position is not None for f in frames) and (orientation or len(frames) > 1):
        positions = np.array([f.position for f in frames], dtype=float)
        if orientation is not None:
            slice_spacing, uniform, stack_issues = describe_stack(positions, orientation)
            issues.extend(stack_issues)
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


# --- tolerant readers of table values (lists, arrays, NaN, pandas NA) --------------------


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
