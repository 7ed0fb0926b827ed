"""Triage: can a remote review answer the question now, later, or is an examination needed?

Follows DOMAIN.md: remote image review is good for severity, whether imaging
supports the proposed operation, and timing; an in-person examination is
needed for instability, giving way, locking, nerve symptoms travelling into an
arm or leg, and post-surgery hardware concerns. Every reason cites the record
or answer it rests on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from workbench.record.protocol import CaseRecord

REMOTE_NOW = "remote_now"
REMOTE_AFTER_RECORDS = "remote_after_records"
IN_PERSON = "in_person"

LABELS = {
    "en": {
        REMOTE_NOW: "Remote review can answer the question now",
        REMOTE_AFTER_RECORDS: "Remote review after the listed records arrive",
        IN_PERSON: "In-person examination advised",
    },
    "zh": {
        REMOTE_NOW: "现有资料可进行远程阅片评估",
        REMOTE_AFTER_RECORDS: "补齐所列资料后可进行远程评估",
        IN_PERSON: "建议面诊查体",
    },
}

#: Words in the patient's own account that call for a hands-on examination.
EXAM_SIGNS: tuple[tuple[str, str], ...] = (
    ("instability or giving way", r"instab|giving way|gives way|buckl|打软腿|不稳"),
    ("locking or catching", r"\block(s|ing|ed)?\b|catch(es|ing)|交锁|卡住"),
    (
        "nerve symptoms travelling into a limb",
        r"radiat|down (the|my|his|her) (leg|arm)|into the (leg|arm)|sciatica|numb|tingl|"
        r"pins and needles|weakness|放射|麻木|串痛|无力",
    ),
    (
        "a concern about hardware after surgery",
        r"hardware|implant|screw|plate|loosen|prosthe|内固定|钢板|螺钉|假体|松动",
    ),
)


#: A sign preceded by one of these (within a few words) is denied, not present.
_NEGATION = re.compile(
    r"(\bno|\bnot|\bnever|\bdenies|\bwithout|\bnor|无|没有|未|否认|不)\W*(\w+\W+){0,2}$",
    re.IGNORECASE,
)


def mentions(pattern: re.Pattern[str], text: str) -> bool:
    """Whether *text* affirms the sign (a match not negated just before it)."""
    for match in pattern.finditer(text):
        before = text[max(0, match.start() - 24) : match.start()]
        clause = re.split(r"[,;.，；。]", before)[-1]
        if not _NEGATION.search(clause):
            return True
    return False


@dataclass(frozen=True)
class Triage:
    """The recommendation and the reasons it rests on."""

    decision: str
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def label(self, lang: str = "en") -> str:
        """The decision in words."""
        return LABELS.get(lang, LABELS["en"])[self.decision]


def _patient_account(case: CaseRecord) -> list[tuple[str, str]]:
    m = case.manifest
    texts: list[tuple[str, str]] = []
    if m.main_concern:
        texts.append(("main concern", m.main_concern))
    pain = m.pain_history
    if pain is not None:
        texts += [("pain pattern", p) for p in pain.pattern]
        texts += [("trigger", t) for t in pain.triggers]
        if pain.location:
            texts.append(("pain location", pain.location))
        if pain.function:
            texts.append(("function", pain.function))
    texts += [(f"question {i + 1}", q) for i, q in enumerate(m.questions)]
    return texts


def triage(case: CaseRecord, gaps: pd.DataFrame) -> Triage:
    """Decide from the gaps and the patient's account."""
    reasons: list[str] = []
    account = _patient_account(case)
    for sign, pattern in EXAM_SIGNS:
        regex = re.compile(pattern, re.IGNORECASE)
        hardware = sign.startswith("a concern about hardware")
        for source, text in account:
            if mentions(regex, text) and (not hardware or case.manifest.surgeries):
                reasons.append(f"{sign.capitalize()}: {source} says \u201c{text}\u201d.")
                break
    if reasons:
        reasons.append("These need range of motion, stability, strength and nerve tests by hand.")
        return Triage(IN_PERSON, tuple(reasons))
    serious = gaps[gaps["severity"].isin(["blocker", "major"])]
    if not serious.empty:
        for row in serious.itertuples(index=False):
            reasons.append(f"[{row.code}] {row.message}")
        return Triage(REMOTE_AFTER_RECORDS, tuple(reasons))
    n_dicom = int((case.studies["source"] == "dicom").sum())
    reasons.append(
        f"{n_dicom} imaging stud{'y' if n_dicom == 1 else 'ies'} with original "
        "DICOM, dated and labelled with side."
    )
    if case.manifest.questions:
        reasons.append(f"{len(case.manifest.questions)} specific questions to answer.")
    reasons.append("No sign in the patient's account calls for a hands-on examination.")
    return Triage(REMOTE_NOW, tuple(reasons))
