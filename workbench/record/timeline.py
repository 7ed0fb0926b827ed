"""One dated line: what case.yaml says happened, every study and every document.

``case.timeline`` has one row per event, in date order; undated events are kept
at the end with ``date`` NaT, never placed at a made-up date.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbench import vocab
from workbench.record.manifest import Manifest
from workbench.record.scores import score_entry

TIMELINE_KINDS = (
    "symptom",
    "imaging",
    "report",
    "treatment",
    "surgery",
    "visit",
    "lab",
    "score",
    "other",
)
TIMELINE_COLUMNS = ["date", "date_precision", "kind", "label", "side", "source", "ref"]

#: Document type → timeline kind.
DOC_KIND = {
    "imaging_report": "report",
    "operation_note": "surgery",
    "discharge_summary": "visit",
    "outpatient_note": "visit",
    "treatment_record": "treatment",
    "lab": "other",
    "other": "other",
}
_DOC_LABEL = {
    "imaging_report": "Imaging report",
    "operation_note": "Operation note",
    "discharge_summary": "Discharge summary",
    "outpatient_note": "Outpatient note",
    "treatment_record": "Treatment record",
    "lab": "Lab result",
    "other": "Document",
}


def is_true(value: Any) -> bool:
    """True for a real True (not NA, None or NaN) in a nullable boolean column."""
    return value is not None and not pd.isna(value) and bool(value)


def study_label(study: Any) -> str:
    """``MR knee right (no DICOM: report only)`` style label of a studies row."""
    if study.source == "photo":
        return str(study.description)
    parts = [study.modality if isinstance(study.modality, str) and study.modality else "Imaging"]
    if isinstance(study.body_part, str):
        parts.append(vocab.term(study.body_part))
    if isinstance(study.side, str):
        parts.append(study.side)
    if is_true(study.weight_bearing):
        parts.append("standing")
    label = " ".join(parts)
    if study.source == "report":
        label += " (report only, images not sent)"
    return label


def build_timeline(
    manifest: Manifest, studies: pd.DataFrame, documents: pd.DataFrame
) -> pd.DataFrame:
    """Merge case.yaml events, studies and documents into ``case.timeline``."""
    rows: list[dict[str, Any]] = [dict(e, ref=None) for e in manifest.timeline_events()]
    rows += score_rows(manifest)
    for s in studies.itertuples(index=False):
        rows.append(
            {
                "date": s.date,
                "date_precision": None if pd.isna(s.date) else "day",
                "kind": "imaging",
                "label": study_label(s),
                "side": s.side if isinstance(s.side, str) else None,
                "source": s.source,
                "ref": s.study_key,
            }
        )
    for d in documents.itertuples(index=False):
        title = str(d.title or "").strip()
        label = _DOC_LABEL.get(str(d.doc_type), "Document")
        rows.append(
            {
                "date": d.date,
                "date_precision": None if pd.isna(d.date) else "day",
                "kind": DOC_KIND.get(str(d.doc_type), "other"),
                "label": f"{label}: {title[:60]}" if title else label,
                "side": d.side if isinstance(d.side, str) else None,
                "source": "document",
                "ref": d.path,
            }
        )
    frame = pd.DataFrame(rows, columns=TIMELINE_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    order = {kind: i for i, kind in enumerate(TIMELINE_KINDS)}
    frame["_k"] = frame["kind"].map(order).fillna(len(order))
    frame = frame.sort_values(["date", "_k"], na_position="last", kind="stable")
    return frame.drop(columns="_k").reset_index(drop=True)


def score_label(result: Any) -> str:
    """``koos: pain 61.1, symptoms 57.1`` (a scale without enough answers shows ``—``)."""
    parts = [f"{k} {v:g}" if v is not None else f"{k} —" for k, v in result.scales.items()]
    return f"{result.instrument}: " + ", ".join(parts)


def score_rows(manifest: Manifest) -> list[dict[str, Any]]:
    """One ``score`` row per scored questionnaire of case.yaml (scored by its instrument)."""
    rows = []
    for entry in manifest.scores:
        result = score_entry(entry)
        rows.append(
            {
                "date": entry.date.as_timestamp() if entry.date else pd.NaT,
                "date_precision": entry.date.precision if entry.date else None,
                "kind": "score",
                "label": "Score " + score_label(result),
                "side": entry.side.value if entry.side else None,
                "source": "case.yaml",
                "ref": entry.instrument,
            }
        )
    return rows
