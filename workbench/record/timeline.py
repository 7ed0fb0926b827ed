"""One dated line: what case.yaml says happened, every study and every document.

``case.timeline`` has one row per event, in date order; undated events are kept
at the end with ``date`` NaT, never placed at a made-up date.
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench import vocab
from workbench.i18n import LABELS as I18N_LABELS
from workbench.i18n import label as i18n_label

if TYPE_CHECKING:
    from workbench.record.manifest import Manifest

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
TIMELINE_COLUMNS = [
    "date",
    "date_precision",
    "kind",
    "label",
    "side",
    "source",
    "ref",
    "label_zh",
]
_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}

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


def is_true(value: Any) -> bool:
    """True for a real True (not NA, None or NaN) in a nullable boolean column."""
    return value is not None and not pd.isna(value) and bool(value)


def format_date(value: Any, precision: Any = "day", lang: str = "en") -> str:
    """A date as written to its precision (``2023-03`` for a month), or "undated".

    >>> format_date(pd.Timestamp("2023-03-01"), "month")
    '2023-03'
    >>> format_date(pd.NaT, None, "zh")
    '无日期'
    """
    if value is None or pd.isna(value):
        return i18n_label("date.undated", lang)
    fmt = _FORMATS.get(precision if isinstance(precision, str) else "day", _FORMATS["day"])
    return pd.Timestamp(value).strftime(fmt)


def _text(value: Any) -> str | None:
    """A table cell as text, or None for missing values (NaN, None, NA, empty)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def study_label(study: Any, lang: str = "en") -> str:
    """``MR knee right standing (report only, images not sent)`` style label of a studies row.

    In Chinese: ``右膝关节 X线（DX）（站立位）``. A photo is named by its description.
    """
    if study.source == "photo":
        description = _text(study.description) or i18n_label("modality.imaging", lang)
        if lang == "zh" and description.startswith("Photo: "):
            description = i18n_label("signal.photo", "zh") + "\uff1a" + description[7:]
        return description
    modality = _text(study.modality)
    name = _modality(modality, lang) if modality else i18n_label("modality.imaging", lang)
    body_part, side = _text(study.body_part), _text(study.side)
    standing = is_true(study.weight_bearing)
    if lang == "zh":
        where = (vocab.term(side, lang) if side else "") + (
            vocab.term(body_part, lang) if body_part else ""
        )
        text = f"{where} {name}" if where else name
        text += f"\uff08{i18n_label('timeline.standing', lang)}\uff09" if standing else ""
        return text + (i18n_label("timeline.report_only", lang) if study.source == "report" else "")
    parts = [name]
    if body_part:
        parts.append(vocab.term(body_part))
    if side:
        parts.append(side)
    if standing:
        parts.append(i18n_label("timeline.standing", lang))
    if study.source == "report":
        parts.append(i18n_label("timeline.report_only", lang))
    return " ".join(parts)


def _modality(modality: str, lang: str) -> str:
    key = f"modality.{modality}"
    return i18n_label(key, lang) if key in I18N_LABELS else modality


def build_timeline(
    manifest: Manifest | None, studies: pd.DataFrame, documents: pd.DataFrame
) -> pd.DataFrame:
    """Merge case.yaml events, studies and documents into ``case.timeline``.

    *manifest* is None for a case without case.yaml (no events of its own).
    """
    rows: list[dict[str, Any]] = []
    if manifest is not None:
        rows += [dict(e, ref=None) for e in manifest.timeline_events()]
        rows += score_rows(manifest)
    for s in studies.itertuples(index=False):
        precision = getattr(s, "date_precision", None)
        rows.append(
            {
                "date": s.date,
                "date_precision": None if pd.isna(s.date) else _precision(precision),
                "kind": "imaging",
                "label": study_label(s),
                "side": s.side if isinstance(s.side, str) else None,
                "source": s.source,
                "ref": s.study_key,
                "label_zh": study_label(s, "zh"),
            }
        )
    for d in documents.itertuples(index=False):
        title = (_text(d.title) or "")[:60]
        doc_type = str(d.doc_type) if f"doc.{d.doc_type}" in I18N_LABELS else "other"
        en, zh = (i18n_label(f"doc.{doc_type}", lang) for lang in ("en", "zh"))
        en = en[:1].upper() + en[1:]
        precision = getattr(d, "date_precision", None)
        rows.append(
            {
                "date": d.date,
                "date_precision": None if pd.isna(d.date) else _precision(precision),
                "kind": DOC_KIND.get(doc_type, "other"),
                "label": f"{en}: {title}" if title else en,
                "side": d.side if isinstance(d.side, str) else None,
                "source": "document",
                "ref": d.path,
                "label_zh": f"{zh}：{title}" if title else zh,
            }
        )
    frame = pd.DataFrame(rows, columns=TIMELINE_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    return order_events(frame)


def _precision(value: Any) -> str:
    return value if isinstance(value, str) and value in _FORMATS else "day"


#: Events whose dates cannot be told apart are shown in this order (a visit prescribes
#: the imaging and the treatment that follow it).
TIE_ORDER = (
    "symptom", "visit", "imaging", "report", "lab", "treatment", "surgery", "score", "other"
)  # fmt: skip


def _period(date: pd.Timestamp, precision: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    if precision == "year":
        return date, date + pd.offsets.YearEnd(0)
    if precision == "month":
        return date, date + pd.offsets.MonthEnd(0)
    return date, date


def order_events(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in date order, never implying more than each date's precision allows.

    A date known to the month (or year) covers a period; two events whose periods
    overlap are in an unknown order, so they follow :data:`TIE_ORDER` (a treatment of
    "2024-03" is not placed before the visit of 2024-03-15 that prescribed it).
    Undated rows come last, in their original order.
    """
    kinds = {kind: i for i, kind in enumerate(TIE_ORDER)}
    dated = frame[frame["date"].notna()]
    items = [
        (i, *_period(row.date, row.date_precision), kinds.get(str(row.kind), len(kinds)))
        for i, row in zip(dated.index, dated.itertuples(index=False), strict=True)
    ]

    def compare(a: tuple[Any, ...], b: tuple[Any, ...]) -> int:
        (ia, sa, ea, ka), (ib, sb, eb, kb) = a, b
        if sa <= eb and sb <= ea and ka != kb:  # overlapping periods: order unknown
            return -1 if ka < kb else 1
        if sa != sb:
            return -1 if sa < sb else 1
        if ka != kb:
            return -1 if ka < kb else 1
        return -1 if ia < ib else (1 if ia > ib else 0)

    order = [i for i, *_ in sorted(items, key=cmp_to_key(compare))]
    order += list(frame.index[frame["date"].isna()])
    return frame.loc[order].reset_index(drop=True)


def score_label(result: Any) -> str:
    """``koos: pain 61.1, symptoms 57.1`` (a scale without enough answers shows ``—``)."""
    parts = [f"{k} {v:g}" if v is not None else f"{k} —" for k, v in result.scales.items()]
    return f"{result.instrument}: " + ", ".join(parts)


def score_rows(manifest: Manifest) -> list[dict[str, Any]]:
    """One ``score`` row per scored questionnaire of case.yaml (scored by its instrument)."""
    if not manifest.scores:
        return []
    # instruments (YAML, pydantic models) loaded when case.yaml holds scores (start-up)
    from workbench.record.scores import score_entry

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
                "label_zh": "评分 " + score_label(result),
            }
        )
    return rows
