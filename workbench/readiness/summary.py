"""The one-page summary: HTML in a notebook, Markdown in a terminal, English or Chinese.

Main concern, timeline, imaging list (type, body part, side, date, facility,
DICOM yes/no, report yes/no), current symptoms, function, treatment tried, main
questions, gaps and triage, in factual wording and date order. All text from
the case is escaped in the HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench import vocab
from workbench.i18n import BODY_REGIONS, label
from workbench.i18n import label as i18n_label
from workbench.readiness.laterality import disputed_sides, side_display
from workbench.record.lab_table import document_labs
from workbench.record.scores import score_entry
from workbench.record.timeline import format_date, is_true, score_label, study_label
from workbench.safe_text import markdown_text

if TYPE_CHECKING:
    from workbench.readiness.triage import Triage
    from workbench.record.protocol import CaseRecord

#: Summary languages; the labels live in :mod:`workbench.i18n` (group "summary").
LANGS = ("en", "zh")
_KEYS = [
    "title",
    "concern",
    "timeline",
    "imaging",
    "symptoms",
    "function",
    "treatment",
    "questions",
    "gaps",
    "triage",
    "date",
    "type",
    "body_part",
    "side",
    "facility",
    "dicom",
    "report",
    "yes",
    "no",
    "none",
    "standing",
    "proposed",
    "event",
]


def labels(lang: str) -> dict[str, str]:
    """The summary's labels in *lang*."""
    return {key: i18n_label(f"summary.{key}", lang) for key in _KEYS}


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text if text and text.lower() not in {"nan", "none", "<na>", "nat"} else None


def _term(value: Any, lang: str) -> str:
    text = _text(value)
    return vocab.term(text, lang) if text else "\u2014"


@dataclass
class Summary:
    """The one-page summary of a case; renders as HTML (notebook) or Markdown (terminal)."""

    lang: str
    sections: list[tuple[str, list[str] | list[list[str]]]]
    imaging_header: list[str]

    def _repr_html_(self) -> str:
        parts = [f"<div class='workbench-summary' lang='{self.lang}'>"]
        for title, body in self.sections:
            parts.append(f"<h3>{html.escape(title)}</h3>")
            if body and isinstance(body[0], list):
                head = "".join(f"<th>{html.escape(h)}</th>" for h in self.imaging_header)
                rows = "".join(
                    "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                    for row in body
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            else:
                items = "".join(f"<li>{html.escape(str(line))}</li>" for line in body)
                parts.append(f"<ul>{items}</ul>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_markdown_(self) -> str:
        out: list[str] = []
        for title, body in self.sections:
            out.append(f"### {_md(title)}\n")
            if body and isinstance(body[0], list):
                out.append("| " + " | ".join(_md(h) for h in self.imaging_header) + " |")
                out.append("|" + "---|" * len(self.imaging_header))
                out += ["| " + " | ".join(_md(str(c)) for c in row) + " |" for row in body]
            else:
                out += [f"- {_md(str(line))}" for line in body]
            out.append("")
        return "\n".join(out)

    def __str__(self) -> str:
        return self._repr_markdown_()


def _md(text: str) -> str:
    """Text from the case as literal Markdown (escaped like the HTML form escapes it)."""
    return markdown_text(text)


def build_summary(
    case: CaseRecord, gaps: pd.DataFrame, triage: Triage, lang: str = "en"
) -> Summary:
    """Assemble the summary from the case tables, case.yaml, the gaps and the triage.

    Everything the workbench writes is in *lang*; what the patient or a hospital wrote
    is shown as written. Dates keep their precision (``2023-03``), a disputed side is
    shown as disputed (``LEFT? report says RIGHT``), and an unknown value is a dash.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    t = labels(lang)
    m = case.manifest
    none = [t["none"]]
    disputes = disputed_sides(case)
    concern = [m.main_concern] if m.main_concern else none
    if m.proposed_treatment:
        concern = [*concern, f"{t['proposed']}{_colon(lang)}{m.proposed_treatment}"]
    timeline = [_timeline_line(r, disputes, lang) for r in case.timeline.itertuples(index=False)]
    imaging = []
    for s in case.studies.itertuples(index=False):
        precision = getattr(s, "date_precision", None)
        if s.source == "photo":
            modality = i18n_label("signal.photo", lang)
        else:
            modality = study_label(_Bare(s), lang).strip() or "\u2014"
        imaging.append(
            [
                format_date(s.date, precision if isinstance(precision, str) else "day", lang),
                modality,
                _term(s.body_part, lang),
                side_display(s.side, disputes.get(s.study_key), lang),
                _text(s.facility) or "\u2014",
                t["yes"] if is_true(s.has_original_dicom) else t["no"],
                t["yes"] if is_true(s.has_report) else t["no"],
            ]
        )
    pain = m.pain_history
    symptoms = []
    if pain is not None:
        if pain.location:
            symptoms.append(pain.location)
        symptoms += list(pain.pattern)
        if pain.triggers:
            symptoms.append(i18n_label("gap.list_sep", lang).join(pain.triggers))
    treatments = [
        " \u00b7 ".join(
            str(x)
            for x in (
                i18n_label(f"treatment.{tr.kind.value}", lang) if tr.kind else None,
                tr.start or tr.date,
                tr.detail,
                tr.response,
            )
            if x
        )
        for tr in m.treatments
    ]
    gap_lines = [
        f"{i18n_label(f'summary.severity.{g.severity}', lang)}{_colon(lang)}{_gap_message(g, lang)}"
        for g in gaps.itertuples(index=False)
    ]
    header = [
        t["date"],
        t["type"],
        t["body_part"],
        t["side"],
        t["facility"],
        t["dicom"],
        t["report"],
    ]
    sections: list[tuple[str, Any]] = [
        (t["concern"], concern),
        (t["timeline"], timeline or none),
        (t["imaging"], imaging or none),
        (t["symptoms"], symptoms or none),
        (t["function"], function_lines(case, lang) or none),
        (t["treatment"], treatments or none),
        *story_sections(case, lang),
        (t["questions"], [f"{i + 1}. {q}" for i, q in enumerate(m.questions)] or none),
        (t["gaps"], gap_lines or none),
        (t["triage"], [triage.label(lang), *triage.reasons_in(lang)]),
    ]
    return Summary(lang, sections, header)


def function_lines(case: CaseRecord, lang: str = "en") -> list[str]:
    """The free-text function and the structured fields (walking distance, stairs ...)."""
    m = case.manifest
    lines = [m.pain_history.function] if m.pain_history and m.pain_history.function else []
    f = m.function
    if f is None:
        return lines
    if f.walking_distance_m is not None:
        lines.append(f"{label('intake.walking_distance_m', lang)}: {f.walking_distance_m:g}")
    if f.standing_time_min is not None:
        lines.append(f"{label('intake.standing_time_min', lang)}: {f.standing_time_min:g}")
    for key in ("stairs", "sleep", "work", "sport"):
        value = getattr(f, key)
        if value is not None:
            lines.append(label(f"{key}.{value.value}", lang))
    if f.notes:
        lines.append(f.notes)
    return lines


def region_label(region: str, lang: str = "en") -> str:
    """A pain-map region in *lang* (``knee_medial`` → ``inner knee`` / ``膝内侧``)."""
    _, _, _, en, zh = BODY_REGIONS[region]
    return zh if lang == "zh" else en


def story_sections(case: CaseRecord, lang: str = "en") -> list[tuple[str, list[str]]]:
    """Pain map, medications, labs and outcome scores; a section only when case.yaml has it."""
    m = case.manifest
    sections: list[tuple[str, list[str]]] = []
    if m.pain_map:
        marks = [
            " ".join(
                x
                for x in (
                    _term(mark.side.value, lang) if mark.side else None,
                    region_label(mark.region.value, lang),
                    "·",
                    label(f"pain_kind.{mark.kind.value}", lang),
                )
                if x
            )
            for mark in m.pain_map
        ]
        sections.append((label("summary.pain_map", lang), marks))
    if m.medications:
        meds = []
        for med in m.medications:
            parts = [x for x in (med.name, med.dose, med.frequency) if x]
            if med.since:
                parts.append(f"{label('summary.since', lang)} {med.since}")
            if med.stopped:
                parts.append(f"{label('summary.stopped', lang)} {med.stopped}")
            if med.response:
                parts.append(med.response)
            if med.side_effects:
                parts.append(
                    f"{label('summary.side_effects', lang)}: {', '.join(med.side_effects)}"
                )
            meds.append(" · ".join(parts))
        sections.append((label("summary.medications", lang), meds))
    found = [(None, lab) for lab in m.labs] + document_labs(case.documents)
    if found:
        labs = []
        for path, lab in found:
            parts = [lab.test or "—", " ".join(x for x in (lab.value, lab.unit) if x)]
            if lab.reference_range:
                parts.append(f"{label('summary.reference', lang)} {lab.reference_range}")
            parts.append(str(lab.date) if lab.date else i18n_label("date.undated", lang))
            if path:
                parts.append(f"({path})")
            labs.append(" · ".join(p for p in parts if p))
        sections.append((label("summary.labs", lang), labs))
    if m.scores:
        lines = []
        for entry in m.scores:
            result = score_entry(entry)
            when = str(entry.date) if entry.date else i18n_label("date.undated", lang)
            side = f" ({_term(entry.side.value, lang)})" if entry.side else ""
            lines.append(f"{when} · {score_label(result)}{side}")
        sections.append((label("summary.scores", lang), lines))
    return sections


class _Bare:
    """A studies row without body part and side: the imaging list shows those apart."""

    def __init__(self, study: Any) -> None:
        self.source = study.source
        self.description = study.description
        self.modality = study.modality
        self.body_part = None
        self.side = None
        self.weight_bearing = study.weight_bearing


def _colon(lang: str) -> str:
    return "\uff1a" if lang == "zh" else ": "


def _gap_message(gap: Any, lang: str) -> str:
    zh = getattr(gap, "message_zh", None)
    return str(zh) if lang == "zh" and _text(zh) else str(gap.message)


def _timeline_line(row: Any, disputes: dict[str, dict[str, list[str]]], lang: str) -> str:
    label = row.label
    if lang == "zh" and _text(getattr(row, "label_zh", None)):
        label = row.label_zh
    line = f"{format_date(row.date, row.date_precision, lang)} \u00b7 {label}"
    dispute = disputes.get(row.ref) if row.kind == "imaging" and isinstance(row.ref, str) else None
    if _text(row.side) or dispute:
        line += f" ({side_display(row.side, dispute, lang)})"
    return line
