"""Is this case reviewable? The checks behind each rule of :mod:`readiness_rules`.

:func:`find_gaps` runs every check and returns ``case.gaps``: one row per
finding with ``code``, ``severity``, ``message``, ``advice`` and ``study_key``.
Each check is a small function named after the rule it fires; the wording and
severities are data in :mod:`workbench.readiness.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench import vocab
from workbench.problems import problem_details
from workbench.readiness.laterality import side_conflicts
from workbench.readiness.rules import (
    REQUIRED_IMAGING,
    RULE_BY_CODE,
    STALE_IMAGING_DAYS,
    SURGICAL_CASE_TYPES,
    UNUSABLE_PROBLEMS,
)
from workbench.record.timeline import is_true, study_label

if TYPE_CHECKING:
    from workbench.record.protocol import CaseRecord

GAP_COLUMNS = ["code", "severity", "message", "advice", "study_key"]
SEVERITY_ORDER = {"blocker": 0, "major": 1, "minor": 2}
_SURGERY_WORDS = re.compile(
    r"surg|operat|replace|arthroplast|fusion|decompress|reconstruct|repair|手术|置换|融合|重建",
    re.IGNORECASE,
)

Finding = tuple[str, dict[str, Any], str | None]  # (code, template values, study_key)


def find_gaps(case: CaseRecord) -> pd.DataFrame:
    """Every record gap of the case, blockers first."""
    rows = []
    for check in CHECKS:
        for code, values, study_key in check(case):
            rule = RULE_BY_CODE[code]
            rows.append(
                {
                    "code": code,
                    "severity": rule.severity,
                    "message": rule.message.format_map(_Blank(values)),
                    "advice": rule.advice.format_map(_Blank(values)),
                    "study_key": study_key,
                }
            )
    frame = pd.DataFrame(rows, columns=GAP_COLUMNS)
    frame["_s"] = frame["severity"].map(SEVERITY_ORDER)
    return (
        frame.sort_values(["_s", "code"], kind="stable").drop(columns="_s").reset_index(drop=True)
    )


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _label(study: Any) -> str:
    date = study.date.strftime("%Y-%m-%d") if not pd.isna(study.date) else "undated"
    return f"{study_label(study)}, {date}"


# --- imaging ---------------------------------------------------------------------------


def missing_dicom(case: CaseRecord) -> Iterator[Finding]:
    for st in case.studies.itertuples(index=False):
        if st.source in {"report", "photo"}:
            what = "report" if st.source == "report" else "photo of the film or screen"
            yield "missing_dicom", {"study": _label(st), "source": what}, st.study_key


def missing_report(case: CaseRecord) -> Iterator[Finding]:
    for st in case.studies.itertuples(index=False):
        if st.source == "dicom" and not bool(st.has_report):
            yield "missing_report", {"study": _label(st)}, st.study_key


def undated(case: CaseRecord) -> Iterator[Finding]:
    for st in case.studies.itertuples(index=False):
        if pd.isna(st.date):
            yield "undated", {"what": _label(st)}, st.study_key
    for d in case.documents.itertuples(index=False):
        if pd.isna(d.date) and d.doc_type != "other":
            kind = str(d.doc_type).replace("_", " ")
            yield "undated", {"what": f"The {kind} '{d.path}'"}, None


def missing_side(case: CaseRecord) -> Iterator[Finding]:
    for st in case.studies.itertuples(index=False):
        if st.body_part in vocab.PAIRED_BODY_PARTS and not isinstance(st.side, str):
            yield "missing_side", {"study": _label(st)}, st.study_key


def side_conflict(case: CaseRecord) -> Iterator[Finding]:
    studies = case.studies
    for row in side_conflicts(case).itertuples(index=False):
        st = studies[studies["study_key"] == row.study_key].iloc[0]
        yield "side_conflict", {"study": _label(st), "detail": row.detail}, row.study_key


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
    detail = str(need["text"])
    yield (
        "missing_core_imaging",
        {"case_type": case_type.value.replace("_", " "), "detail": detail},
        None,
    )


def missing_weight_bearing(case: CaseRecord) -> Iterator[Finding]:
    case_type = case.manifest.case_type
    if case_type is None or case_type.value not in {"knee_replacement", "hip_replacement"}:
        return
    part = _complaint_part(case) or case_type.value.split("_")[0]
    have = _imaging_kinds(case)
    if "XR" in have and "XR_WB" not in have:
        yield "missing_weight_bearing", {"body_part": part}, None


def _surgeries(case: CaseRecord) -> list[Any]:
    return list(case.manifest.surgeries)


def _post_surgery(case: CaseRecord) -> bool:
    m = case.manifest
    onset = m.pain_history.onset_kind.value if m.pain_history and m.pain_history.onset_kind else ""
    ct = m.case_type.value if m.case_type else ""
    return bool(m.surgeries) or onset == "after_surgery" or ct == "fracture_revision"


def missing_operation_note(case: CaseRecord) -> Iterator[Finding]:
    if not _post_surgery(case):
        return
    if (case.documents["doc_type"] == "operation_note").any():
        return
    surgeries = _surgeries(case)
    detail = ", ".join(f"{s.procedure or 'surgery'} {s.date or ''}".strip() for s in surgeries)
    yield "missing_operation_note", {"detail": detail or "an earlier operation"}, None


def missing_postop_imaging(case: CaseRecord) -> Iterator[Finding]:
    dated = [s for s in _surgeries(case) if s.date is not None]
    if not dated:
        return
    last = max(dated, key=lambda s: s.date.as_timestamp())
    when = last.date.as_timestamp()
    imaging = case.studies[case.studies["date"].notna()]
    if not (imaging["date"] >= when).any():
        yield "missing_postop_imaging", {"detail": f"{last.date}"}, None


def missing_implant_details(case: CaseRecord) -> Iterator[Finding]:
    m = case.manifest
    if m.case_type is None or m.case_type.value != "fracture_revision":
        return
    for s in _surgeries(case):
        if not s.implants:
            yield "missing_implant_details", {"detail": f"{s.date or 'unknown date'}"}, None


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
            kind = t.kind.value if t.kind else "a treatment"
            yield (
                "no_treatment_response",
                {"detail": f"{kind} ({t.start or t.date or 'undated'})"},
                None,
            )


def no_function(case: CaseRecord) -> Iterator[Finding]:
    pain = case.manifest.pain_history
    if _has_manifest(case) and (pain is None or not pain.function):
        yield "no_function", {}, None


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
    asks = any(_SURGERY_WORDS.search(q) for q in m.questions)
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
    imaging = case.studies[case.studies["date"].notna()]
    if imaging.empty:
        return
    latest = imaging["date"].max()
    events = case.timeline[(case.timeline["source"] == "case.yaml") & case.timeline["date"].notna()]
    symptoms = events[events["kind"] == "symptom"]["date"]
    if not symptoms.empty and latest < symptoms.max():
        yield "stale_imaging", {"detail": f"{latest:%Y-%m-%d}, before the symptoms began"}, None
        return
    if not events.empty and (events["date"].max() - latest).days > STALE_IMAGING_DAYS:
        yield "stale_imaging", {"detail": f"{latest:%Y-%m-%d}"}, None


def unreadable_file(case: CaseRecord) -> Iterator[Finding]:
    bad = case.problems[case.problems["kind"].isin(list(UNUSABLE_PROBLEMS))]
    for row in bad.drop_duplicates("path").itertuples(index=False):
        yield (
            "unreadable_file",
            {"detail": f"'{row.path}'", "what": row.kind.replace("_", " ")},
            None,
        )


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
    question_count,
    no_proposed_treatment,
    media_quality,
    multiple_patients,
    stale_imaging,
    unreadable_file,
)
