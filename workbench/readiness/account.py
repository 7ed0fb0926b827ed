"""The patient's account: the texts of case.yaml and the clinical documents, and the signs in them.

Triage and the readiness checks read the same account: the main concern, the pain
history, each treatment's detail and response, the events, the questions and the
documents, each text with where it comes from (a bilingual source label). Signs are
the concepts of the clinical lexicon affirmed there (:mod:`workbench.record.lexicon`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.i18n import label
from workbench.record.lexicon import Mention, affirmed, lexicon

if TYPE_CHECKING:
    from workbench.record.protocol import CaseRecord

#: Document types whose text is a clinician's account of the patient (signs count there);
#: in any other document (an imaging report) only an explicit hardware problem counts.
CLINICAL_DOCS = frozenset(
    {"outpatient_note", "discharge_summary", "treatment_record", "operation_note", "other"}
)
#: Concepts read from the documents whatever their type.
ANY_DOCUMENT_CONCEPTS = frozenset({"hardware_problem"})


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


def document_texts(case: CaseRecord) -> list[tuple[Any, str, bool]]:
    docs = case.documents
    out: list[tuple[Any, str, bool]] = []
    if "text" not in docs.columns:
        return out
    for d in docs.itertuples(index=False):
        if isinstance(d.text, str) and d.text.strip():
            clinical = str(d.doc_type) in CLINICAL_DOCS
            out.append((_source("document", path=str(d.path)), d.text, clinical))
    return out


def operated(case: CaseRecord) -> bool:
    """Whether the patient has had surgery (case.yaml or an operation note says so)."""
    m = case.manifest
    onset = m.pain_history.onset_kind.value if m.pain_history and m.pain_history.onset_kind else ""
    docs = case.documents
    has_note = "doc_type" in docs.columns and bool((docs["doc_type"] == "operation_note").any())
    return bool(m.surgeries) or onset == "after_surgery" or has_note


def signs_found(case: CaseRecord, *, documents: bool = True) -> dict[str, tuple[Any, Mention]]:
    """Each lexicon concept affirmed in the case, with its first source and mention.

    Concepts that need an operation (hardware words) are dropped unless the patient
    was operated on; with ``documents=False`` only case.yaml is read.
    """
    lex = lexicon()
    found: dict[str, tuple[Any, Mention]] = {}
    is_operated = operated(case)
    for source, text in patient_account(case):
        for name, mention in affirmed(text).items():
            found.setdefault(name, (source, mention))
    for source, text, clinical in document_texts(case) if documents else []:
        for name, mention in affirmed(text).items():
            if clinical or name in ANY_DOCUMENT_CONCEPTS:
                found.setdefault(name, (source, mention))
    if not is_operated:
        found = {k: v for k, v in found.items() if not lex.concepts[k].needs_surgery}
    return found
