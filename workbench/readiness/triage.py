"""Triage: can a remote review answer the question now, later, or is an examination needed?

Follows DOMAIN.md ("Signs that change the route"): remote image review is good for
severity, whether imaging supports the proposed operation, and timing; an
in-person examination is needed for instability, locking, nerve symptoms
travelling into a limb and post-surgery hardware concerns; and some signs call for
urgent care rather than any review (bladder or bowel change, saddle numbness,
fever with a hot swollen joint, night pain with weight loss, sudden weakness).

The signs are the concepts of the clinical lexicon
(:mod:`workbench.record.lexicon`), read with negation and time from the pain
history, the treatments and their responses, the questions, the events and the
documents. Every reason cites the record it rests on, in English and Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.i18n import label
from workbench.model import Severity
from workbench.record.lexicon import Mention, affirmed, lexicon

if TYPE_CHECKING:
    from workbench.record.protocol import CaseRecord

REMOTE_NOW = "remote_now"
REMOTE_AFTER_RECORDS = "remote_after_records"
IN_PERSON = "in_person"
URGENT = "urgent"
DECISIONS = (URGENT, IN_PERSON, REMOTE_AFTER_RECORDS, REMOTE_NOW)

#: Document types whose text is a clinician's account of the patient (signs count there);
#: in any other document (an imaging report) only an explicit hardware problem counts.
_CLINICAL_DOCS = frozenset(
    {"outpatient_note", "discharge_summary", "treatment_record", "operation_note", "other"}
)
_QUOTE_CHARS = 160


@dataclass(frozen=True)
class Reason:
    """One reason of a triage: an i18n label key and the values it is filled with."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The reason in *lang* (``en`` or ``zh``)."""
        values = {k: (v(lang) if callable(v) else v) for k, v in self.values.items()}
        return label(self.key, "zh" if lang == "zh" else "en").format(**values)


@dataclass(frozen=True)
class Triage:
    """The recommendation and the reasons it rests on.

    ``signs`` names the lexicon concepts (and combinations) that decided an
    ``in_person`` or ``urgent`` route, so callers never parse the reasons.
    """

    decision: str
    reasons: tuple[str, ...] = field(default_factory=tuple)
    signs: tuple[str, ...] = field(default_factory=tuple)
    structured: tuple[Reason, ...] = field(default_factory=tuple, repr=False)

    def label(self, lang: str = "en") -> str:
        """The decision in words."""
        return label(f"triage.{self.decision}", "zh" if lang == "zh" else "en")

    def reasons_in(self, lang: str = "en") -> list[str]:
        """The reasons in *lang* (English when there is no structured form)."""
        if not self.structured:
            return list(self.reasons)
        return [r.text(lang) for r in self.structured]


def _kind(value: str) -> Any:
    return lambda lang: label(f"treatment.{value}", lang)


def _source(key: str, **values: Any) -> Any:
    def text(lang: str) -> str:
        filled = {k: (v(lang) if callable(v) else v) for k, v in values.items()}
        return label(f"source.{key}", lang).format(**filled)

    return text


def patient_account(case: CaseRecord) -> list[tuple[Any, str]]:
    """The texts of case.yaml and the clinical documents, each with where it comes from."""
    m = case.manifest
    texts: list[tuple[Any, str]] = []
    if m.main_concern:
        texts.append((_source("main_concern"), m.main_concern))
    pain = m.pain_history
    if pain is not None:
        if pain.location:
            texts.append((_source("pain_location"), pain.location))
        texts += [(_source("pain_pattern"), p) for p in pain.pattern]
        texts += [(_source("trigger"), t) for t in pain.triggers]
        if pain.function:
            texts.append((_source("function"), pain.function))
    for t in m.treatments:
        kind = _kind(t.kind.value if t.kind else "treatment")
        if t.response:
            texts.append((_source("treatment_response", kind=kind), t.response))
        if t.detail:
            texts.append((_source("treatment_detail", kind=kind), t.detail))
    for e in m.events:
        if e.label:
            texts.append((_source("event", date=str(e.date or "?")), e.label))
    texts += [(_source("question", n=i + 1), q) for i, q in enumerate(m.questions)]
    return texts


def _documents(case: CaseRecord) -> list[tuple[Any, str, bool]]:
    docs = case.documents
    out: list[tuple[Any, str, bool]] = []
    if "text" not in docs.columns:
        return out
    for d in docs.itertuples(index=False):
        if isinstance(d.text, str) and d.text.strip():
            clinical = str(d.doc_type) in _CLINICAL_DOCS
            out.append((_source("document", path=str(d.path)), d.text, clinical))
    return out


def operated(case: CaseRecord) -> bool:
    """Whether the patient has had surgery (case.yaml or an operation note says so)."""
    m = case.manifest
    onset = m.pain_history.onset_kind.value if m.pain_history and m.pain_history.onset_kind else ""
    docs = case.documents
    has_note = "doc_type" in docs.columns and bool((docs["doc_type"] == "operation_note").any())
    return bool(m.surgeries) or onset == "after_surgery" or has_note


def signs_found(case: CaseRecord) -> dict[str, tuple[Any, Mention]]:
    """Each lexicon concept affirmed in the case, with its first source and mention."""
    lex = lexicon()
    found: dict[str, tuple[Any, Mention]] = {}
    is_operated = operated(case)
    for source, text in patient_account(case):
        for name, mention in affirmed(text).items():
            found.setdefault(name, (source, mention))
    for source, text, clinical in _documents(case):
        for name, mention in affirmed(text).items():
            if clinical or name == "hardware_problem":
                found.setdefault(name, (source, mention))
    if not is_operated:
        found = {k: v for k, v in found.items() if not lex.concepts[k].needs_surgery}
    return found


def _quote(mention: Mention) -> str:
    clause = " ".join(mention.clause.split())
    return clause if len(clause) <= _QUOTE_CHARS else clause[: _QUOTE_CHARS - 1] + "\u2026"


def triage(case: CaseRecord, gaps: pd.DataFrame) -> Triage:
    """Decide from the gaps and the patient's account."""
    lex = lexicon()
    found = signs_found(case)
    by_route: dict[str, list[Reason]] = {URGENT: [], IN_PERSON: []}
    signs: dict[str, list[str]] = {URGENT: [], IN_PERSON: []}
    for name, (source, mention) in found.items():
        concept = lex.concepts[name]
        if concept.route in by_route:
            by_route[concept.route].append(
                Reason(
                    "triage.reason.sign",
                    {"sign": _capital(concept.label), "source": source, "quote": _quote(mention)},
                )
            )
            signs[concept.route].append(name)
    for combo in lex.combinations.values():
        if all(part in found for part in combo.all):
            parts = [found[p] for p in combo.all]
            quoted = " + ".join(f"\u201c{_quote(m)}\u201d" for _, m in parts)
            by_route[combo.route].append(
                Reason(
                    "triage.reason.combination", {"sign": _capital(combo.label), "sources": quoted}
                )
            )
            signs[combo.route].append(combo.name)
    if by_route[URGENT]:
        reasons = [*by_route[URGENT], Reason("triage.reason.urgent"), *by_route[IN_PERSON]]
        return _made(URGENT, reasons, signs[URGENT] + signs[IN_PERSON])
    if by_route[IN_PERSON]:
        return _made(
            IN_PERSON, [*by_route[IN_PERSON], Reason("triage.reason.exam")], signs[IN_PERSON]
        )
    serious = gaps[gaps["severity"].isin([Severity.BLOCKER, Severity.MAJOR])]
    if not serious.empty:
        reasons = [
            Reason("triage.reason.gap", {"code": row.code, "message": _gap_message(row)})
            for row in serious.itertuples(index=False)
        ]
        return _made(REMOTE_AFTER_RECORDS, reasons, [])
    n_dicom = int((case.studies["source"] == "dicom").sum())
    reasons = [
        Reason("triage.reason.dicom", {"n": n_dicom, "plural": "y" if n_dicom == 1 else "ies"})
    ]
    if case.manifest.questions:
        reasons.append(Reason("triage.reason.questions", {"n": len(case.manifest.questions)}))
    reasons.append(Reason("triage.reason.no_sign"))
    return _made(REMOTE_NOW, reasons, [])


def _gap_message(row: Any) -> Any:
    zh = getattr(row, "message_zh", None)
    return lambda lang: zh if lang == "zh" and isinstance(zh, str) and zh else row.message


def _capital(text_of: Any) -> Any:
    def text(lang: str) -> str:
        value = str(text_of(lang))
        return value[:1].upper() + value[1:]

    return text


def _made(decision: str, reasons: list[Reason], signs: list[str]) -> Triage:
    return Triage(decision, tuple(r.text("en") for r in reasons), tuple(signs), tuple(reasons))
