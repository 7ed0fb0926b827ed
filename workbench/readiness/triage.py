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
from workbench.readiness.account import signs_found
from workbench.record.lexicon import Mention, lexicon

if TYPE_CHECKING:
    from workbench.record.protocol import CaseRecord

REMOTE_NOW = "remote_now"
REMOTE_AFTER_RECORDS = "remote_after_records"
IN_PERSON = "in_person"
URGENT = "urgent"
DECISIONS = (URGENT, IN_PERSON, REMOTE_AFTER_RECORDS, REMOTE_NOW)

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
