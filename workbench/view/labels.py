"""Text around the viewers: study labels, the header panel, the measurement table (render layer).

Plain functions returning strings; every value from a file is HTML-escaped here, so a
series description such as ``<script>`` shows as text.

>>> header_html([("SeriesDescription", "<b>AX</b>")])
'<table class="wb-header"><tr><th>SeriesDescription</th><td>&lt;b&gt;AX&lt;/b&gt;</td></tr></table>'
>>> weight_bearing_text(True)
'weight-bearing'
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from workbench.imaging.measure import XRAY_MODALITIES
from workbench.view.overlay import side_badge_colour, side_badge_text

#: (0008,0060) ... the tags shown in the header panel, in order (no patient identifiers)
HEADER_TAGS = (
    "Modality",
    "StudyDate",
    "SeriesDescription",
    "SeriesNumber",
    "InstanceNumber",
    "BodyPartExamined",
    "Laterality",
    "ImageLaterality",
    "ViewPosition",
    "PatientPosition",
    "PatientOrientation",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "SliceLocation",
    "SliceThickness",
    "SpacingBetweenSlices",
    "PixelSpacing",
    "ImagerPixelSpacing",
    "EstimatedRadiographicMagnificationFactor",
    "PixelSpacingCalibrationType",
    "Rows",
    "Columns",
    "NumberOfFrames",
    "FrameTime",
    "PhotometricInterpretation",
    "BitsStored",
    "RescaleSlope",
    "RescaleIntercept",
    "WindowCenter",
    "WindowWidth",
    "KVP",
    "Exposure",
    "Manufacturer",
    "ManufacturerModelName",
    "InstitutionName",
    "LossyImageCompression",
    "BurnedInAnnotation",
)
_MAX_VALUE = 120


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        text = " \\ ".join(_text(v) for v in value)
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def header_rows(dataset: Any, tags: Sequence[str] = HEADER_TAGS) -> list[tuple[str, str]]:
    """``(keyword, value)`` for the key tags present in a pydicom dataset (values as text)."""
    rows = []
    for tag in tags:
        value = getattr(dataset, tag, None) if dataset is not None else None
        if value is None or value == "":
            continue
        rows.append((tag, _text(value)))
    transfer = getattr(getattr(dataset, "file_meta", None), "TransferSyntaxUID", None)
    if transfer is not None:
        rows.append(("TransferSyntaxUID", f"{getattr(transfer, 'name', '')} ({transfer})"))
    return rows


def header_html(rows: Iterable[tuple[str, str]]) -> str:
    """An HTML table of ``(label, value)`` rows, escaped."""
    body = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f'<table class="wb-header">{body}</table>'


def weight_bearing_text(value: object) -> str:
    """``"weight-bearing"``, ``"not weight-bearing"`` or ``"weight-bearing unknown"``."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "weight-bearing unknown"
    return "weight-bearing" if bool(value) else "not weight-bearing"


def _date_text(value: object) -> str:
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return "date unknown"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


def study_facts(studies: pd.DataFrame, study_key: str) -> dict[str, Any]:
    """Date, modality, body part, side and weight-bearing of one study (missing as None)."""
    rows = studies[studies["study_key"] == study_key]
    if rows.empty:
        return {"study_key": study_key}
    row = rows.iloc[0]

    def get(name: str) -> Any:
        value = row.get(name)
        return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value

    return {
        "study_key": study_key,
        "date": _date_text(row.get("date")),
        "modality": get("modality"),
        "body_part": get("body_part"),
        "side": get("side"),
        "weight_bearing": get("weight_bearing"),
        "facility": get("facility"),
    }


def study_label_parts(facts: Mapping[str, Any]) -> list[str]:
    """The parts of a study's one-line name: date, what, side badge, weight-bearing.

    Weight-bearing is named for radiographs (and studies of unknown modality) only: an
    echocardiogram or an MRI is never "weight-bearing unknown". Callers that show some
    of the parts take them from here, never by splitting the joined label.
    """
    what = " ".join(str(facts[k]) for k in ("modality", "body_part") if facts.get(k))
    parts = [facts.get("date") or "date unknown", what, side_badge_text(facts.get("side"))]
    modality = str(facts.get("modality") or "").upper()
    if not modality or modality in XRAY_MODALITIES:
        parts.append(weight_bearing_text(facts.get("weight_bearing")))
    return [str(p) for p in parts if p]


def study_label(facts: Mapping[str, Any]) -> str:
    """One line naming a study: ``2023-06-12 · DX knee · RIGHT · weight-bearing``."""
    return " · ".join(study_label_parts(facts))


#: Badge colour of a side the records disagree about.
DISPUTED_COLOUR = "#b35c00"


def badge_html(side: str | None, detail: str = "", *, disputed: str | None = None) -> str:
    """The side badge as HTML (shown above the image as well as burned into it).

    *disputed* replaces the side's text when the records disagree
    (``"LEFT? report says RIGHT"``) and turns the badge orange.
    """
    colour = DISPUTED_COLOUR if disputed else side_badge_colour(side)
    extra = f" <span style='font-weight:normal'>{html.escape(detail)}</span>" if detail else ""
    text = disputed or side_badge_text(side)
    return (
        f"<span class='wb-side-badge' style='background:{colour};color:#fff;padding:2px 8px;"
        f"border-radius:3px;font-weight:bold'>{html.escape(text)}{extra}</span>"
    )


def label_html(facts: Mapping[str, Any]) -> str:
    """The heading of one pane of the comparison viewer: badge, date, weight-bearing."""
    return (
        f"{badge_html(facts.get('side'))} <b>{html.escape(str(facts.get('date') or ''))}</b> "
        f"{html.escape(' · '.join(study_label_parts(facts)[1:]))}"
    )


def measurement_table_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """The measurements of a viewer as an HTML table (kind, value, calibration, slice, note)."""
    if not rows:
        return (
            "<i>No measurements on this image yet: pick a tool in the image's toolbar "
            "(length, angle, Cobb, ROI ...) and click on the image.</i>"
        )
    cols = ("kind", "value", "calibration", "index", "label")
    head = "".join(f"<th>{c}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_text(r.get(c, '')))}</td>" for c in cols) + "</tr>"
        for r in rows
    )
    return f'<table class="wb-measurements"><tr>{head}</tr>{body}</table>'
