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
from workbench.record.timeline import is_true
from workbench.safe_text import markdown_text

if TYPE_CHECKING:
    from workbench.readiness.triage import Triage
    from workbench.record.protocol import CaseRecord

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Case summary",
        "concern": "Main concern",
        "timeline": "Timeline",
        "imaging": "Imaging",
        "symptoms": "Current symptoms",
        "function": "Function",
        "treatment": "Treatment tried",
        "questions": "Questions",
        "gaps": "What is missing",
        "triage": "Triage",
        "date": "Date",
        "type": "Type",
        "body_part": "Body part",
        "side": "Side",
        "facility": "Facility",
        "dicom": "Original images",
        "report": "Report",
        "yes": "yes",
        "no": "no",
        "none": "none recorded",
        "undated": "undated",
        "standing": "standing",
        "proposed": "Proposed treatment",
        "event": "Event",
    },
    "zh": {
        "title": "病例摘要",
        "concern": "主要问题",
        "timeline": "时间线",
        "imaging": "影像检查",
        "symptoms": "目前症状",
        "function": "功能状况",
        "treatment": "已尝试的治疗",
        "questions": "咨询问题",
        "gaps": "缺少的资料",
        "triage": "分诊建议",
        "date": "日期",
        "type": "类型",
        "body_part": "部位",
        "side": "侧别",
        "facility": "医院",
        "dicom": "原始影像",
        "report": "报告",
        "yes": "有",
        "no": "无",
        "none": "未记录",
        "undated": "无日期",
        "standing": "站立位",
        "proposed": "建议的治疗",
        "event": "事件",
    },
}
_SEVERITY = {
    "en": {"blocker": "Blocker", "major": "Major", "minor": "Minor"},
    "zh": {"blocker": "关键", "major": "重要", "minor": "次要"},
}


def _date(value: Any, lang: str) -> str:
    if value is None or pd.isna(value):
        return LABELS[lang]["undated"]
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _term(value: Any, lang: str) -> str:
    return vocab.term(str(value), lang) if isinstance(value, str) and value else "—"


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
    """Assemble the summary from the case tables, case.yaml, the gaps and the triage."""
    if lang not in LABELS:
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    t = LABELS[lang]
    m = case.manifest
    none = [t["none"]]
    concern = [m.main_concern] if m.main_concern else none
    if m.proposed_treatment:
        concern = [*concern, f"{t['proposed']}: {m.proposed_treatment}"]
    timeline = [
        f"{_date(r.date, lang)} · {r.label}" + (f" ({_term(r.side, lang)})" if r.side else "")
        for r in case.timeline.itertuples(index=False)
    ]
    imaging = [
        [
            _date(s.date, lang),
            str(s.modality or "—") + (f" ({t['standing']})" if is_true(s.weight_bearing) else ""),
            _term(s.body_part, lang),
            _term(s.side, lang),
            str(s.facility) if isinstance(s.facility, str) else "—",
            t["yes"] if bool(s.has_original_dicom) else t["no"],
            t["yes"] if bool(s.has_report) else t["no"],
        ]
        for s in case.studies.itertuples(index=False)
    ]
    pain = m.pain_history
    symptoms = []
    if pain is not None:
        if pain.location:
            symptoms.append(pain.location)
        symptoms += list(pain.pattern)
        if pain.triggers:
            symptoms.append(", ".join(pain.triggers))
    treatments = [
        " · ".join(
            str(x)
            for x in (
                tr.kind.value if tr.kind else None,
                tr.start or tr.date,
                tr.detail,
                tr.response,
            )
            if x
        )
        for tr in m.treatments
    ]
    gap_lines = [
        f"{_SEVERITY[lang][g.severity]}: {g.message}" for g in gaps.itertuples(index=False)
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
        (t["function"], [pain.function] if pain and pain.function else none),
        (t["treatment"], treatments or none),
        (t["questions"], [f"{i + 1}. {q}" for i, q in enumerate(m.questions)] or none),
        (t["gaps"], gap_lines or none),
        (t["triage"], [triage.label(lang), *triage.reasons]),
    ]
    return Summary(lang, sections, header)
