"""Is this case reviewable? The checks behind each rule of :mod:`readiness_rules`.

:func:`find_gaps` runs every check and returns ``case.gaps``: one row per
finding with ``code``, ``severity``, ``message``, ``advice`` and ``study_key``.
Each check is a small function named after the rule it fires; the wording and
severities are data in :mod:`workbench.readiness.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench import vocab
from workbench.i18n import LABELS as I18N_LABELS
from workbench.i18n import label
from workbench.model import Severity
from workbench.problems import problem_details
from workbench.readiness.account import signs_found
from workbench.readiness.laterality import disputed_sides, side_conflicts
from workbench.readiness.rules import (
    REQUIRED_IMAGING,
    RULE_BY_CODE,
    STALE_IMAGING_DAYS,
    SURGICAL_CASE_TYPES,
    UNUSABLE_PROBLEMS,
)
from workbench.record.lexicon import find_mentions, lexicon
from workbench.record.timeline import format_date, is_true, study_label

if TYPE_CHECKING:
    from workbench.record.protocol import CaseRecord

GAP_COLUMNS = ["code", "severity", "message", "advice", "study_key", "message_zh", "advice_zh"]
SEVERITY_ORDER = {Severity.BLOCKER: 0, Severity.MAJOR: 1, Severity.MINOR: 2}
#: Problem stage of a document that could not be read (it may be the missing report).
_DOCUMENT_STAGE = "document"
#: Concepts of the account that call for lab tests (DOMAIN.md "Lab tests").
LAB_SIGNS = ("swelling", "hot_joint", "fever", "weight_loss")
#: Document types a reviewer must be able to read.
KEY_DOCUMENTS = frozenset(
    {"imaging_report", "operation_note", "discharge_summary", "outpatient_note"}
)
#: Imaging of these parts also shows the complaint's region.
RELATED_PARTS: dict[str, frozenset[str]] = {
    "knee": frozenset({"femur", "tibia"}),
    "hip": frozenset({"pelvis", "femur"}),
    "ankle": frozenset({"foot", "tibia"}),
    "foot": frozenset({"ankle"}),
    "shoulder": frozenset({"humerus"}),
    "elbow": frozenset({"humerus", "forearm"}),
    "wrist": frozenset({"hand", "forearm"}),
    "hand": frozenset({"wrist"}),
    "femur": frozenset({"knee", "hip"}),
    "tibia": frozenset({"knee", "ankle"}),
}

#: A template value: plain, or a function of the language (``"en"``/``"zh"``).
Value = Any
Finding = tuple[str, dict[str, Value], str | None]  # (code, template values, study_key)


def find_gaps(case: CaseRecord) -> pd.DataFrame:
    """Every record gap of the case, blockers first."""
    rows = []
    for check in CHECKS:
        for code, values, study_key in check(case):
            rule = RULE_BY_CODE[code]
            en, zh = _Blank(values, "en"), _Blank(values, "zh")
            rows.append(
                {
                    "code": code,
                    "severity": str(rule.severity),
                    "message": rule.message.format_map(en),
                    "advice": rule.advice.format_map(en),
                    "study_key": study_key,
                    "message_zh": rule.message_zh.format_map(zh),
                    "advice_zh": rule.advice_zh.format_map(zh),
                }
            )
    frame = pd.DataFrame(rows, columns=GAP_COLUMNS)
    frame["_s"] = frame["severity"].map(SEVERITY_ORDER)
    return (
        frame.sort_values(["_s", "code"], kind="stable").drop(columns="_s").reset_index(drop=True)
    )


class _Blank(dict[str, Any]):
    """Template values in one language: callables are called with it, missing keys are blank."""

    def __init__(self, values: dict[str, Value], lang: str) -> None:
        super().__init__({k: (v(lang) if callable(v) else v) for k, v in values.items()})

    def __missing__(self, key: str) -> str:
        return ""


def _label(study: Any) -> Value:
    def text(lang: str) -> str:
        precision = getattr(study, "date_precision", None)
        date = format_date(study.date, precision if isinstance(precision, str) else "day", lang)
        comma = "\uff0c" if lang == "zh" else ", "
        return f"{study_label(study, lang)}{comma}{date}"

    return text


def _i18n(key: str, **values: Value) -> Value:
    def text(lang: str) -> str:
        filled = {k: (v(lang) if callable(v) else v) for k, v in values.items()}
        return label(key, lang).format(**filled)

    return text


def _term(value: str) -> Value:
    return lambda lang: vocab.term(value, lang)


def _joined(items: list[Value]) -> Value:
    def text(lang: str) -> str:
        return label("gap.list_sep", lang).join(i(lang) if callable(i) else i for i in items)

    return text


def _unreadable_documents(case: CaseRecord) -> pd.DataFrame:
    p = case.problems
    return p[(p["stage"] == _DOCUMENT_STAGE) & p["kind"].isin(list(UNUSABLE_PROBLEMS))]


# --- imaging ---------------------------------------------------------------------------


def missing_dicom(case: CaseRecord) -> Iterator[Finding]:
    for st in case.studies.itertuples(index=False):
        if st.source in {"report", "photo"}:
            what = _i18n(f"gap.source.{st.source}")
            yield "missing_dicom", {"study": _label(st), "source": what}, st.study_key


def missing_report(case: CaseRecord) -> Iterator[Finding]:
    if not _unreadable_documents(case).empty:
        return  # a report may be among the documents that could not be read: unreadable_file
    for st in case.studies.itertuples(index=False):
        if st.source == "dicom" and not bool(st.has_report):
            yield "missing_report", {"study": _label(st)}, st.study_key


def undated(case: CaseRecord) -> Iterator[Finding]:
    for st in case.studies.itertuples(index=False):
        if pd.isna(st.date):
            yield "undated", {"what": _label(st)}, st.study_key
    for d in case.documents.itertuples(index=False):
        if pd.isna(d.date) and d.doc_type != "other":
            kind = _i18n(f"doc.{d.doc_type}")
            yield "undated", {"what": _i18n("gap.the_document", kind=kind, path=d.path)}, None


def missing_side(case: CaseRecord) -> Iterator[Finding]:
    for st in case.studies.itertuples(index=False):
        if st.body_part in vocab.PAIRED_BODY_PARTS and not isinstance(st.side, str):
            yield "missing_side", {"study": _label(st)}, st.study_key


def side_conflict(case: CaseRecord) -> Iterator[Finding]:
    studies = case.studies
    disputes = disputed_sides(case)
    for row in side_conflicts(case).itertuples(index=False):
        st = studies[studies["study_key"] == row.study_key].iloc[0]
        detail = _conflict_detail(str(row.detail), disputes.get(row.study_key, {}))
        yield "side_conflict", {"study": _label(st), "detail": detail}, row.study_key


def _conflict_detail(english: str, dispute: dict[str, list[str]]) -> Value:
    """The English detail names every source; the Chinese one the kinds of source per side."""

    def text(lang: str) -> str:
        if lang != "zh" or not dispute:
            return english
        sep = label("gap.list_sep", "zh")
        return "；".join(
            f"{vocab.term(side, 'zh')}：" + sep.join(label(f"signal.{k}", "zh") for k in kinds)
            for side, kinds in dispute.items()
        )

    return text


def _imaging_kinds(case: CaseRecord) -> set[str]:
    """What original imaging the case has: MR, CT, XR, XR_WB, US."""
    kinds: set[str] = set()
    for s in case.series.itertuples(index=False):
        if bool(s.secondary_capture):
            continue
        modality = str(s.Modality)
        if modality in vocab.XRAY_MODALITIES:
            kinds.add("XR")
            if is_true(s.weight_bearing):
                kinds.add("XR_WB")
        elif modality:
            kinds.add(modality)
    return kinds


def _complaint_part(case: CaseRecord) -> str | None:
    c = case.manifest.complaint
    if c is not None and c.body_part is not None:
        return c.body_part.value
    case_type = case.manifest.case_type
    defaults = {
        "knee_replacement": "knee",
        "hip_replacement": "hip",
        "acl_meniscus": "knee",
        "shoulder": "shoulder",
    }
    return defaults.get(case_type.value) if case_type else None


def missing_core_imaging(case: CaseRecord) -> Iterator[Finding]:
    case_type = case.manifest.case_type
    if case_type is None or case_type.value not in REQUIRED_IMAGING:
        return
    need = REQUIRED_IMAGING[case_type.value]
    have = _imaging_kinds(case)
    alternatives: list[set[str]] = need["needs"]  # type: ignore[assignment]
    if any(alt <= have for alt in alternatives):
        return
    if all(alt == {"XR_WB"} for alt in alternatives) and "XR" in have:
        return  # a radiograph exists but not standing: missing_weight_bearing says so
    detail = _i18n(f"imaging.need.{case_type.value}")
    yield (
        "missing_core_imaging",
        {"case_type": _term(case_type.value), "detail": detail},
        None,
    )


def missing_weight_bearing(case: CaseRecord) -> Iterator[Finding]:
    case_type = case.manifest.case_type
    if case_type is None or case_type.value not in {"knee_replacement", "hip_replacement"}:
        return
    part = _complaint_part(case) or case_type.value.split("_")[0]
    have = _imaging_kinds(case)
    if "XR" in have and "XR_WB" not in have:
        yield "missing_weight_bearing", {"body_part": _term(part)}, None


def _surgeries(case: CaseRecord) -> list[Any]:
    return list(case.manifest.surgeries)


def _onset(case: CaseRecord) -> str:
    pain = case.manifest.pain_history
    return pain.onset_kind.value if pain is not None and pain.onset_kind is not None else ""


def _post_surgery(case: CaseRecord) -> bool:
    m = case.manifest
    ct = m.case_type.value if m.case_type else ""
    return bool(m.surgeries) or _onset(case) == "after_surgery" or ct == "fracture_revision"


def missing_operation_note(case: CaseRecord) -> Iterator[Finding]:
    if not _post_surgery(case):
        return
    if (case.documents["doc_type"] == "operation_note").any():
        return
    surgeries = _surgeries(case)
    detail = ", ".join(f"{s.procedure or 'surgery'} {s.date or ''}".strip() for s in surgeries)
    yield "missing_operation_note", {"detail": detail or _i18n("gap.an_operation")}, None


def missing_postop_imaging(case: CaseRecord) -> Iterator[Finding]:
    dated = [s for s in _surgeries(case) if s.date is not None]
    if not dated:
        return
    last = max(dated, key=lambda s: s.date.as_timestamp())
    when = last.date.as_timestamp()
    imaging = case.studies[case.studies["date"].notna()]
    if not (imaging["date"] >= when).any():
        yield "missing_postop_imaging", {"detail": f"{last.date}"}, None


def _is_arthroplasty(text: str | None) -> bool:
    return any(m.concept == "arthroplasty" for m in find_mentions(text))


def missing_implant_details(case: CaseRecord) -> Iterator[Finding]:
    """Revision and fracture surgery, and any joint replacement, need the implants named.

    A painful joint replacement (a replacement case whose pain began after surgery)
    without any recorded operation also needs them.
    """
    m = case.manifest
    revision = m.case_type is not None and m.case_type.value == "fracture_revision"
    replacement_case = m.case_type is not None and m.case_type.value in {
        "knee_replacement",
        "hip_replacement",
    }
    surgeries = _surgeries(case)
    for s in surgeries:
        if not s.implants and (revision or _is_arthroplasty(s.procedure)):
            when = str(s.date) if s.date else _i18n("date.unknown")
            detail = f"{s.procedure} ({s.date or '?'})" if s.procedure and not revision else when
            yield "missing_implant_details", {"detail": detail}, None
    has_note = bool((case.documents["doc_type"] == "operation_note").any())
    if replacement_case and not surgeries and _onset(case) == "after_surgery" and not has_note:
        yield "missing_implant_details", {"detail": _i18n("gap.joint_replacement")}, None


# --- clinical record -------------------------------------------------------------------


def _has_manifest(case: CaseRecord) -> bool:
    return not case.manifest.is_empty


def no_case_yaml(case: CaseRecord) -> Iterator[Finding]:
    if not _has_manifest(case):
        yield "no_case_yaml", {}, None


def no_pain_timeline(case: CaseRecord) -> Iterator[Finding]:
    pain = case.manifest.pain_history
    if _has_manifest(case) and (pain is None or pain.onset is None or not pain.location):
        yield "no_pain_timeline", {}, None


def no_treatment_history(case: CaseRecord) -> Iterator[Finding]:
    if _has_manifest(case) and not case.manifest.treatments:
        yield "no_treatment_history", {}, None


def no_treatment_response(case: CaseRecord) -> Iterator[Finding]:
    for t in case.manifest.treatments:
        if not t.response:
            kind = _i18n(f"treatment.{t.kind.value}") if t.kind else _i18n("gap.a_treatment")
            when = t.start or t.date
            shown = str(when) if when else _i18n("date.undated")
            detail = _i18n("gap.paren", what=kind, when=shown)
            yield "no_treatment_response", {"detail": detail}, None


def no_function(case: CaseRecord) -> Iterator[Finding]:
    m = case.manifest
    text = m.pain_history is not None and bool(m.pain_history.function)
    structured = m.function is not None and m.function.is_recorded
    if _has_manifest(case) and not (text or structured or m.scores):
        yield "no_function", {}, None


def stale_score(case: CaseRecord) -> Iterator[Finding]:
    """The newest dated score predates the newest symptom change (onset or symptom event)."""
    m = case.manifest
    dated = [s for s in m.scores if s.date is not None]
    changes = [e.date for e in m.events if e.date is not None and e.kind == "symptom"]
    if m.pain_history is not None and m.pain_history.onset is not None:
        changes.append(m.pain_history.onset)
    if not dated or not changes:
        return
    latest = max(dated, key=lambda s: s.date.as_timestamp())  # type: ignore[union-attr]
    change = max(changes, key=lambda d: d.as_timestamp())
    if latest.date is not None and latest.date.as_timestamp() < change.as_timestamp():
        yield "stale_score", {"detail": f"{latest.instrument} {latest.date}", "since": change}, None


def question_count(case: CaseRecord) -> Iterator[Finding]:
    if not _has_manifest(case):
        return
    n = len(case.manifest.questions)
    if n < 3:
        yield "too_few_questions", {"detail": n}, None
    elif n > 5:
        yield "too_many_questions", {"detail": n}, None


def no_proposed_treatment(case: CaseRecord) -> Iterator[Finding]:
    m = case.manifest
    if not _has_manifest(case) or m.proposed_treatment:
        return
    surgical = m.case_type is not None and m.case_type.value in SURGICAL_CASE_TYPES
    asks = any(mention.concept == "surgery" for q in m.questions for mention in find_mentions(q))
    if surgical or asks:
        yield "no_proposed_treatment", {}, None


# --- media quality ---------------------------------------------------------------------


def _series_of(case: CaseRecord, study_key: str) -> pd.DataFrame:
    return case.series[case.series["study_key"] == study_key]


def media_quality(case: CaseRecord) -> Iterator[Finding]:
    for st in case.studies.itertuples(index=False):
        if st.source != "dicom":
            continue
        series = _series_of(case, st.study_key)
        if series["lossy"].astype(bool).any():
            yield "lossy_compression", {"study": _label(st)}, st.study_key
        if series["secondary_capture"].astype(bool).all():
            yield "screenshot_not_original", {"study": _label(st)}, st.study_key
        xray = series[series["Modality"].isin(list(vocab.XRAY_MODALITIES))]
        if not xray.empty and not xray["has_spacing"].astype(bool).all():
            yield "missing_pixel_spacing", {"study": _label(st)}, st.study_key


def multiple_patients(case: CaseRecord) -> Iterator[Finding]:
    found = case.problems[case.problems["kind"] == "multiple_patients"]
    for details in found.get("details", []):
        patients = problem_details(details).get("patients") or []
        detail = "; ".join(f"{p.get('id', '?')} ({p.get('images', '?')} images)" for p in patients)
        yield "multiple_patients", {"detail": detail or "several patients"}, None


def stale_imaging(case: CaseRecord) -> Iterator[Finding]:
    """The latest imaging predates what changed since: say what changed, and when.

    A case.yaml event counts as *after* the imaging only if its whole period is: a
    date known to the month is stored as its first day, so "2024-03" is not after an
    MRI of 2024-03-10.
    """
    studies = case.studies[case.studies["date"].notna()].sort_values("date", kind="stable")
    if studies.empty:
        return
    latest = next(studies.iloc[[-1]].itertuples(index=False))
    timeline = case.timeline
    events = timeline[(timeline["source"] == "case.yaml") & timeline["date"].notna()]
    after = events[events["date"] > latest.date]  # a month date is its first day
    changes = after[after["kind"] == "symptom"]
    if not changes.empty:
        key, event = "gap.stale_after", changes.iloc[-1]
    elif not after.empty and (after["date"].max() - latest.date).days > STALE_IMAGING_DAYS:
        key, event = "gap.stale_old", after.sort_values("date", kind="stable").iloc[-1]
    else:
        return
    detail = _i18n(
        key,
        imaging=_label(latest),
        event=str(event["label"]),
        date=lambda lang: format_date(event["date"], event["date_precision"], lang),
    )
    yield "stale_imaging", {"detail": detail}, latest.study_key


def unreadable_file(case: CaseRecord) -> Iterator[Finding]:
    bad = case.problems[case.problems["kind"].isin(list(UNUSABLE_PROBLEMS))]
    for row in bad.drop_duplicates("path").itertuples(index=False):
        yield (
            "unreadable_file",
            {"detail": f"'{row.path}'", "what": row.kind.replace("_", " ")},
            None,
        )


# --- what the review needs beyond images -----------------------------------------------


def missing_labs(case: CaseRecord) -> Iterator[Finding]:
    """Swelling, fever or systemic symptoms in the account, and no lab results."""
    if (case.documents["doc_type"] == "lab").any() or getattr(case.manifest, "labs", None):
        return
    found = signs_found(case, documents=False)
    signs = [name for name in LAB_SIGNS if name in found]
    if signs:
        concepts = lexicon().concepts
        names = [concepts[name].label for name in signs]
        yield "missing_labs", {"detail": _joined(names)}, None


def untranslated_document(case: CaseRecord) -> Iterator[Finding]:
    """A key document in a language the reviewer does not read, with no summary in theirs."""
    reviewer = case.manifest.reviewer_language
    if not reviewer:
        return
    reviewer = reviewer.split("-")[0]
    docs = case.documents
    readable = docs[docs["language"].isin([reviewer, "mixed"])]
    for d in docs.itertuples(index=False):
        lang = str(d.language)
        if d.doc_type not in KEY_DOCUMENTS or lang in (reviewer, "mixed", "None", "nan", ""):
            continue
        same = readable[readable["doc_type"] == d.doc_type]
        if not pd.isna(d.date):
            same = same[same["date"].isna() | (same["date"] == d.date)]
        if not same.empty:
            continue
        yield (
            "untranslated_document",
            {
                "kind": _i18n(f"doc.{d.doc_type}"),
                "path": d.path,
                "doc_lang": _lang_name(lang),
                "reviewer_lang": _lang_name(reviewer),
            },
            None,
        )


def _lang_name(code: str) -> Value:
    return _i18n(f"lang.{code}") if f"lang.{code}" in I18N_LABELS else code


def imaging_wrong_region(case: CaseRecord) -> Iterator[Finding]:
    """All imaging covers another body region than the complaint."""
    part = _complaint_part(case)
    if part is None or part == "other":
        return
    parts = [p for p in case.studies["body_part"] if isinstance(p, str) and p != "other"]
    if not parts or any(p == part or p in RELATED_PARTS.get(part, ()) for p in parts):
        return
    others = [_term(p) for p in dict.fromkeys(parts)]
    yield "imaging_wrong_region", {"body_part": _term(part), "detail": _joined(others)}, None


CHECKS: tuple[Callable[[CaseRecord], Iterator[Finding]], ...] = (
    missing_dicom,
    missing_report,
    undated,
    missing_side,
    side_conflict,
    missing_core_imaging,
    missing_weight_bearing,
    missing_operation_note,
    missing_postop_imaging,
    missing_implant_details,
    no_case_yaml,
    no_pain_timeline,
    no_treatment_history,
    no_treatment_response,
    no_function,
    stale_score,
    question_count,
    no_proposed_treatment,
    media_quality,
    multiple_patients,
    stale_imaging,
    unreadable_file,
    missing_labs,
    untranslated_document,
    imaging_wrong_region,
)
