"""Plain-text reports of a case for the terminal."""

from __future__ import annotations

import pandas as pd

from workbench.case import Case
from workbench.readiness.triage import Triage
from workbench.safe_text import terminal_text

_STUDY_VIEW = [
    "date",
    "modality",
    "body_part",
    "side",
    "weight_bearing",
    "n_series",
    "n_images",
    "description",
    "facility",
    "source",
]


def _frame_text(frame: pd.DataFrame, columns: list[str]) -> str:
    view = frame[[c for c in columns if c in frame.columns]].copy()
    if "date" in view:
        view["date"] = view["date"].dt.strftime("%Y-%m-%d").fillna("undated")
    with pd.option_context(
        "display.width", 160, "display.max_colwidth", 40, "display.max_rows", 200
    ):
        return view.astype(object).where(view.notna(), "").to_string(index=False)


def ingest_report(case: Case) -> str:
    """Studies, problem counts by kind and where the workspace is."""
    lines = [
        f"Case: {case.source}",
        f"Files: {len(case.files)}  DICOM images: {len(case.instances)}  "
        f"series: {len(case.series)}  studies: {len(case.studies)}",
        "",
    ]
    if case.studies.empty:
        lines.append("No imaging studies found.")
    else:
        lines += ["Studies:", _frame_text(case.studies, _STUDY_VIEW)]
    lines.append("")
    docs = case.documents
    if docs.empty:
        lines.append("Documents: none")
    else:
        reports = docs["doc_type"] == "imaging_report"
        matched = reports & ~docs["study_key"].fillna("rp-").str.startswith("rp-")
        lines += [
            f"Documents: {len(docs)} ({reports.sum()} imaging reports, {matched.sum()} "
            "matched to images on the media)",
            _frame_text(
                docs, ["date", "doc_type", "body_part", "side", "language", "study_key", "path"]
            ),
        ]
    lines.append("")
    if case.problems.empty:
        lines.append("Problems: none")
    else:
        counts = case.problems["kind"].value_counts()
        lines.append(
            f"Problems: {len(case.problems)} ("
            + ", ".join(f"{k} {n}" for k, n in counts.items())
            + ")"
        )
        for row in case.problems.head(20).itertuples():
            lines.append(f"  - [{row.kind}] {row.message}")
        if len(case.problems) > 20:
            lines.append(f"  ... {len(case.problems) - 20} more in tables/problems.csv")
    lines += ["", f"Workspace: {case.workspace}  (tables in {case.workspace / 'tables'})"]
    return terminal_text("\n".join(lines))


def timeline_report(case: Case) -> str:
    """The timeline in date order; undated events listed last."""
    if case.timeline.empty:
        return "No events: add case.yaml (workbench new-case) or documents."
    return terminal_text(_frame_text(case.timeline, ["date", "kind", "side", "label", "source"]))


def check_report(case: Case, triage: Triage, lang: str = "en") -> str:
    """Gaps grouped by severity, then the triage with its reasons."""
    lines = [f"Case: {case.source}", ""]
    for severity in ("blocker", "major", "minor"):
        rows = case.gaps[case.gaps["severity"] == severity]
        lines.append(f"{severity.upper()} ({len(rows)})")
        for row in rows.itertuples(index=False):
            lines += [f"  - [{row.code}] {row.message}", f"      → {row.advice}"]
        lines.append("")
    lines += [f"Triage: {triage.label(lang)}", *[f"  - {r}" for r in triage.reasons]]
    ready = "ready for review" if case.ready_for_review() else "NOT ready: blockers remain"
    lines += ["", f"Status: {ready}"]
    return terminal_text("\n".join(lines))
