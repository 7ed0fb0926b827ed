"""DICOM element values as table values: lists of floats, int, float or text.

Runs in the scan workers (:mod:`workbench.ingest.inventory`), so the main process only
assembles rows; one converter per kept keyword is chosen once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.dicom.header import WANTED_KEYWORDS

#: Multi-valued numeric elements, always stored as a list of floats.
NUMERIC_LISTS = frozenset(
    {
        "PixelSpacing",
        "ImagerPixelSpacing",
        "ImagePositionPatient",
        "ImageOrientationPatient",
        "WindowCenter",
        "WindowWidth",
    }
)
_INTS = frozenset(
    {"Rows", "Columns", "BitsAllocated", "BitsStored", "PixelRepresentation", "SamplesPerPixel"}
    | {"NumberOfFrames", "SeriesNumber", "InstanceNumber"}
)
_FLOATS = frozenset(
    {"SliceThickness", "SpacingBetweenSlices", "SliceLocation", "RescaleIntercept", "RescaleSlope"}
    | {"DistanceSourceToDetector", "EstimatedRadiographicMagnificationFactor"}
)


def _as_floats(value: Any) -> list[float] | None:
    items = value if isinstance(value, list) else [value]
    try:
        return [float(v) for v in items]
    except (TypeError, ValueError):
        return None


def _as_int(value: Any) -> int | None:
    try:
        return int(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError, IndexError):
        return None


def _as_float(value: Any) -> float | None:
    try:
        return float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError, IndexError):
        return None


def _as_text(value: Any) -> str:
    if type(value) is str:
        return value
    return "\\".join(map(str, value)) if isinstance(value, list) else str(value)


#: One converter per kept keyword, chosen once (this runs for every element of every file).
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    k: _as_floats if k in NUMERIC_LISTS else _as_int if k in _INTS
    else _as_float if k in _FLOATS else _as_text
    for k in WANTED_KEYWORDS
}  # fmt: skip
EMPTY_ROW: dict[str, Any] = dict.fromkeys(WANTED_KEYWORDS)


def coerce_header(header: dict[str, Any]) -> dict[str, Any]:
    """The kept elements present in one header, as table values (sparse: absent keys left out)."""
    row: dict[str, Any] = {}
    for keyword, value in header.items():
        convert = _CONVERTERS.get(keyword)
        if convert is not None and value is not None:
            row[keyword] = convert(value)
    return row
