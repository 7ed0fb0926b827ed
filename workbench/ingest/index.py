"""From scanned headers to the ``instances``, ``series`` and ``studies`` tables.

Raw columns keep DICOM keywords (``StudyInstanceUID``, ``Laterality`` ...);
normalised columns are snake_case (``body_part``, ``side``, ``weight_bearing``,
``date``). Nothing is invented: a study without any date in its headers has
``date`` NaT.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pandas as pd

from workbench import vocab
from workbench.dicom import uids
from workbench.dicom.decoders import syntax_support
from workbench.dicom.header import WANTED_KEYWORDS
from workbench.dicom.pixel_check import expected_pixel_bytes
from workbench.dicom.values import EMPTY_ROW
from workbench.dicom.values import NUMERIC_LISTS as NUMERIC_LISTS
from workbench.ingest.inventory import Scanned
from workbench.problems import Problem

_NATIVE_SYNTAXES = uids.NATIVE_SYNTAXES
SECONDARY_CAPTURE_PREFIX = uids.SECONDARY_CAPTURE_PREFIX

INSTANCE_COLUMNS = [
    "path",
    "sha256",
    "content_id",
    "series_key",
    "study_key",
    "frame_count",
    "transfer_syntax",
    "decodable",
    "has_preamble",
    "reader",
    *WANTED_KEYWORDS,
]
SERIES_COLUMNS = [
    "series_key",
    "study_key",
    "date",
    "Modality",
    "SeriesDescription",
    "SeriesNumber",
    "n_images",
    "n_frames",
    "body_part",
    "side",
    "side_source",
    "weight_bearing",
    "BodyPartExamined",
    "Laterality",
    "ViewPosition",
    "Rows",
    "Columns",
    "PhotometricInterpretation",
    "transfer_syntax",
    "decodable",
    "has_spacing",
    "secondary_capture",
    "lossy",
    "SeriesInstanceUID",
    "StudyInstanceUID",
]
STUDY_COLUMNS = [
    "study_key",
    "date",
    "date_source",
    "modality",
    "body_part",
    "side",
    "description",
    "facility",
    "n_series",
    "n_images",
    "has_original_dicom",
    "has_report",
    "weight_bearing",
    "source",
    "PatientID",
    "PatientName",
    "AccessionNumber",
    "StudyInstanceUID",
]


def short_key(prefix: str, *parts: str) -> str:
    """A short stable key (``se-1a2b3c4d``) from UIDs."""
    digest = hashlib.sha1("\x00".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"{prefix}-{digest[:10]}"


def instance_rows(scanned: list[Scanned], problems: list[Problem]) -> list[dict[str, Any]]:
    """One row per DICOM instance; decodability and pixel-size checks add problems."""
    rows = []
    keys: dict[tuple[str, str], tuple[str, str]] = {}  # the images of a series share theirs
    for s in scanned:
        if s.kind != "dicom" or s.header is None:
            continue
        h = s.header
        row = {**EMPTY_ROW, **h}  # values were coerced by the scan worker (dicom_values)
        study_uid = row["StudyInstanceUID"] or f"unknown-study:{s.path.rsplit('/', 1)[0]}"
        series_uid = row["SeriesInstanceUID"] or f"unknown-series:{s.path.rsplit('/', 1)[0]}"
        found = keys.get((study_uid, series_uid))
        if found is None:
            found = keys[study_uid, series_uid] = (
                short_key("st", study_uid),
                short_key("se", study_uid, series_uid),
            )
        row.update(
            path=s.path,
            sha256=s.sha256,
            content_id=s.content_id,
            study_key=found[0],
            series_key=found[1],
            frame_count=row["NumberOfFrames"] or (1 if h.get("has_pixels") else 0),
            transfer_syntax=h.get("transfer_syntax") or "",
            has_preamble=bool(h.get("has_preamble")),
            reader=h.get("reader", "fast"),
        )
        row["decodable"] = _decodable(s, row, h, problems)
        if not row["SOPInstanceUID"]:
            problems.append(
                Problem(
                    s.path,
                    "dicom",
                    "missing_uid",
                    f"'{s.path}' has no SOP Instance UID; indexed by its path.",
                )
            )
        rows.append(row)
    return rows


def decoder_available(transfer_syntax: str) -> bool | None:
    """True/False for a known transfer syntax, None for an unknown one."""
    return syntax_support(transfer_syntax).available


def _decodable(s: Scanned, row: dict[str, Any], h: dict[str, Any], out: list[Problem]) -> bool:
    if not h.get("has_pixels"):
        return False
    if any(
        p.kind in {"truncated", "pixel_decode_failed", "pixel_size_mismatch"} for p in s.problems
    ):
        return False
    ts = row["transfer_syntax"]
    available = decoder_available(ts) if ts else True
    if available is None:
        out.append(
            Problem(
                s.path,
                "dicom",
                "unknown_transfer_syntax",
                f"'{s.path}' uses transfer syntax '{ts}', which no installed decoder "
                "knows; the header is indexed but the image cannot be shown. "
                "Ask for an export in a standard syntax.",
            )
        )
        return False
    if not available:
        out.append(
            Problem(
                s.path,
                "dicom",
                "no_decoder",
                f"'{s.path}' uses {syntax_support(ts).name}, for which no decoder is installed; "
                "reinstall the workbench with its image plugins.",
            )
        )
        return False
    expected = expected_pixel_bytes(row)
    length = h.get("pixel_length")
    if ts in _NATIVE_SYNTAXES and expected is not None and length is not None and length < expected:
        out.append(
            Problem(
                s.path,
                "dicom",
                "pixel_size_mismatch",
                f"'{s.path}' holds {length} bytes of pixel data but Rows × "
                f"Columns × frames needs {expected}; the image is incomplete. "
                "Ask for the file again.",
            )
        )
        return False
    return True


def series_table(instances: pd.DataFrame) -> pd.DataFrame:
    """One row per series, ordered by study date then series number."""
    if instances.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    columns = _Columns(instances, _SERIES_INPUTS)
    rows = [
        _series_row(str(key), columns.take(rows))
        for key, rows in _groups(columns["series_key"]).items()
    ]
    frame = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["weight_bearing"] = frame["weight_bearing"].astype("boolean")
    return frame.sort_values(
        ["date", "study_key", "SeriesNumber", "series_key"], na_position="last", kind="stable"
    ).reset_index(drop=True)


class _Columns:
    """Some columns of a table as Python lists (what iterating the pandas column gives).

    The rows of a series or a study are then plain lists: a table of thousands of images
    in tens of series is summed up without pandas' overhead for every column of every
    group (which grew with the number of series).
    """

    def __init__(self, frame: pd.DataFrame, names: tuple[str, ...]) -> None:
        self._data = {name: frame[name].tolist() for name in names}

    def __getitem__(self, name: str) -> list[Any]:
        return self._data[name]

    def take(self, rows: list[int]) -> dict[str, list[Any]]:
        return {name: [values[i] for i in rows] for name, values in self._data.items()}


def _groups(keys: list[Any]) -> dict[Any, list[int]]:
    """Row positions by key, keys in order of first appearance (``groupby(sort=False)``)."""
    out: dict[Any, list[int]] = {}
    for i, key in enumerate(keys):
        out.setdefault(key, []).append(i)
    return out


def _is_na(value: Any) -> bool:
    """What ``dropna`` drops: None, NaN, NA, NaT."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )


def _present(values: list[Any]) -> list[Any]:
    return [v for v in values if not _is_na(v)]


def _first(values: Iterable[Any]) -> Any:
    for v in values:
        if v is not None and not (isinstance(v, float) and pd.isna(v)) and v != "":
            return v
    return None


_SERIES_INPUTS = (
    "series_key", "study_key", "SeriesDescription", "ProtocolName", "StudyDescription",
    "Laterality", "ImageLaterality", "BodyPartExamined", "Modality", "SOPClassUID",
    "ImageType", "PixelSpacing", "ImagerPixelSpacing", "LossyImageCompression",
    "transfer_syntax", "SeriesDate", "StudyDate", "AcquisitionDate", "ContentDate",
    "SeriesNumber", "frame_count", "ViewPosition", "Rows", "Columns",
    "PhotometricInterpretation", "decodable", "SeriesInstanceUID", "StudyInstanceUID",
)  # fmt: skip


def _series_row(key: str, g: dict[str, list[Any]]) -> dict[str, Any]:
    text = " ".join(
        str(v)
        for col in ("SeriesDescription", "ProtocolName", "StudyDescription")
        for v in dict.fromkeys(_present(g[col]))
    )
    side, side_source = None, None
    for col in ("Laterality", "ImageLaterality"):
        codes = {vocab.side_from_code(v) for v in _present(g[col])} - {None}
        if codes:
            side = vocab.Side.BILATERAL.value if len(codes) > 1 else codes.pop()
            side_source = col
            break
    if side is None:
        side = vocab.side_from_text(text)
        side_source = "description" if side else None
    body_part = vocab.body_part_from_code(_first(g["BodyPartExamined"])) or (
        vocab.body_part_from_text(text)
    )
    if body_part == vocab.BodyPart.OTHER and vocab.body_part_from_text(text):
        body_part = vocab.body_part_from_text(text)
    modality = _first(g["Modality"]) or ""
    weight_bearing = vocab.weight_bearing_from_text(text)
    if weight_bearing is None and modality in vocab.CROSS_SECTIONAL_MODALITIES:
        weight_bearing = False  # CT and MR are acquired lying down unless the text says upright
    sop = _first(g["SOPClassUID"]) or ""
    image_type = str(_first(g["ImageType"]) or "")
    has_spacing = any(
        not (_is_na(a) and _is_na(b))
        for a, b in zip(g["PixelSpacing"], g["ImagerPixelSpacing"], strict=True)
    )
    lossy = any(v == "01" for v in g["LossyImageCompression"]) or any(
        v in LOSSY_SYNTAXES for v in g["transfer_syntax"]
    )
    return {
        "series_key": key,
        "study_key": g["study_key"][0],
        "date": _dicom_date(
            _first(g["SeriesDate"])
            or _first(g["StudyDate"])
            or _first(g["AcquisitionDate"])
            or _first(g["ContentDate"])
        ),
        "Modality": modality,
        "SeriesDescription": _first(g["SeriesDescription"]),
        "SeriesNumber": _first(g["SeriesNumber"]),
        "n_images": len(g["series_key"]),
        "n_frames": int(sum(0 if _is_na(v) else v for v in g["frame_count"])),
        "body_part": body_part,
        "side": side,
        "side_source": side_source,
        "weight_bearing": weight_bearing,
        "BodyPartExamined": _first(g["BodyPartExamined"]),
        "Laterality": _first(g["Laterality"]) or _first(g["ImageLaterality"]),
        "ViewPosition": _first(g["ViewPosition"]),
        "Rows": _first(g["Rows"]),
        "Columns": _first(g["Columns"]),
        "PhotometricInterpretation": _first(g["PhotometricInterpretation"]),
        "transfer_syntax": _first(g["transfer_syntax"]),
        "decodable": all(g["decodable"]),
        "has_spacing": has_spacing,
        "secondary_capture": sop.startswith(SECONDARY_CAPTURE_PREFIX)
        or ("SECONDARY" in image_type.upper() and modality in vocab.SECONDARY_MODALITIES),
        "lossy": bool(lossy),
        "SeriesInstanceUID": _first(g["SeriesInstanceUID"]),
        "StudyInstanceUID": _first(g["StudyInstanceUID"]),
    }


LOSSY_SYNTAXES = uids.LOSSY_SYNTAXES


def _dicom_date(value: Any) -> pd.Timestamp | None:
    """A DICOM DA value as a Timestamp; None when absent or invalid (never guessed)."""
    text = str(value or "").strip().replace(".", "").replace("-", "")[:8]
    if len(text) != 8 or not text.isdigit():
        return None
    stamp = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    return None if pd.isna(stamp) else stamp


_STUDY_SERIES_INPUTS = (
    "study_key", "side", "body_part", "weight_bearing", "Modality", "SeriesDescription",
    "secondary_capture",
)  # fmt: skip
_STUDY_INPUTS = (
    "study_key", "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate",
    "StudyDescription", "InstitutionName", "PatientID", "PatientName", "AccessionNumber",
    "StudyInstanceUID",
)  # fmt: skip


def study_table(instances: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """One row per study, ordered by date (undated last)."""
    if instances.empty:
        return pd.DataFrame(columns=STUDY_COLUMNS)
    rows = []
    columns = _Columns(instances, _STUDY_INPUTS)
    by_study = _Columns(series, _STUDY_SERIES_INPUTS)
    series_of = _groups(by_study["study_key"])
    for key, positions in _groups(columns["study_key"]).items():
        g = columns.take(positions)
        s = by_study.take(series_of.get(key, []))
        date: pd.Timestamp | None = None
        source = None
        for col in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
            date = _dicom_date(_first(g[col]))
            if date is not None:
                source = col
                break
        sides = set(_present(s["side"]))
        side = (
            vocab.Side.BILATERAL.value
            if len(sides) > 1 or "bilateral" in sides
            else (sides.pop() if sides else None)
        )
        parts = Counter(_present(s["body_part"]))
        wb = _present(s["weight_bearing"])
        rows.append(
            {
                "study_key": key,
                "date": date,
                "date_source": source,
                "modality": "/".join(sorted({m for m in _present(s["Modality"]) if m})),
                "body_part": parts.most_common(1)[0][0] if parts else None,
                "side": side,
                "description": _first(g["StudyDescription"]) or _first(s["SeriesDescription"]),
                "facility": _first(g["InstitutionName"]),
                "n_series": len(s["study_key"]),
                "n_images": len(positions),
                "has_original_dicom": any(not bool(v) for v in s["secondary_capture"]),
                "has_report": False,
                "weight_bearing": any(wb) if wb else None,
                "source": "dicom",
                "PatientID": _first(g["PatientID"]),
                "PatientName": _first(g["PatientName"]),
                "AccessionNumber": _first(g["AccessionNumber"]),
                "StudyInstanceUID": _first(g["StudyInstanceUID"]),
            }
        )
    frame = pd.DataFrame(rows, columns=STUDY_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["weight_bearing"] = frame["weight_bearing"].astype("boolean")
    return frame.sort_values(["date", "study_key"], na_position="last", kind="stable").reset_index(
        drop=True
    )
