"""The organized copy: a clean folder for the reviewer, every file traced to its original.

Layout of DEST::

    2024-03-10_MR_knee_right/        one folder per study (date, modality, body part, side)
        01_SAG-PD-FS/0001.dcm        its DICOM, by series
        report_MR_right_knee.pdf     its matched report
    documents/01_2019-11-08_operation-note_lumbar-spine.txt   other documents, in date order
    photos/IMG_2024_film.jpg
    summary.html  gaps.csv  MANIFEST.csv

``MANIFEST.csv`` maps every copied file to its original path with its sha256;
each copy is verified against the hash. DEST must not be inside the source;
re-running gives the same result without copying unchanged files again.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.errors import WorkspaceError
from workbench.workspace import atomic_write, csv_safe

if TYPE_CHECKING:
    from workbench.readiness.protocol import ReviewCase

MANIFEST_COLUMNS = ["copy", "original", "sha256", "size"]


def slug(text: Any, fallback: str = "unknown") -> str:
    """File-name-safe words: letters, digits, CJK and dashes."""
    if not isinstance(text, str) or not text.strip():
        return fallback
    cleaned = re.sub(r"[^\w\u4e00-\u9fff]+", "-", text.strip()).strip("-_")
    return cleaned[:40] or fallback


def study_folder_name(study: Any) -> str:
    """``YYYY-MM-DD_MODALITY_body-part_side``."""
    date = f"{study.date:%Y-%m-%d}" if not pd.isna(study.date) else "undated"
    modality = slug(study.modality, "IMAGING") if isinstance(study.modality, str) else "IMAGING"
    part = str(study.body_part).replace("_", "-") if isinstance(study.body_part, str) else "unknown"
    side = study.side if isinstance(study.side, str) else "side-unknown"
    suffix = "" if study.source == "dicom" else f"_{study.source}-only"
    return f"{date}_{modality}_{part}_{side}{suffix}"


def organize(case: ReviewCase, dest: str | Path) -> Path:
    """Write the organized copy of *case* into *dest*; return *dest*."""
    dest = Path(dest).expanduser().resolve()
    source_root = case.source.resolve()
    root = source_root if source_root.is_dir() else source_root.parent
    if dest.is_relative_to(root) or dest.is_relative_to(case.workspace.resolve()):
        raise WorkspaceError(
            f"Destination '{dest}' is inside the case source or workspace; choose a folder "
            "outside them (the originals' folder is never written to)."
        )
    plan = _plan(case)
    sha = dict(zip(case.files["path"], case.files["sha256"], strict=True))
    rows = []
    for rel, original in plan:
        target = dest / rel
        _copy_verified(case.local_path(original), target, sha[original])
        rows.append(
            {
                "copy": rel,
                "original": original,
                "sha256": sha[original],
                "size": target.stat().st_size,
            }
        )
    _verify_copies(dest, rows)
    manifest = pd.DataFrame(rows, columns=MANIFEST_COLUMNS)
    with atomic_write(dest / "MANIFEST.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv_safe(manifest).to_csv(fh, index=False)
    with atomic_write(dest / "gaps.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv_safe(case.gaps).to_csv(fh, index=False)
    with atomic_write(dest / "summary.html", "w", encoding="utf-8") as fh:
        fh.write(summary_page(case))
    return dest


def _plan(case: ReviewCase) -> list[tuple[str, str]]:
    """(relative copy path, original path) for every file to copy, deterministic."""
    plan: list[tuple[str, str]] = []
    used: set[str] = set()
    docs = case.documents
    for st in case.studies.itertuples(index=False):
        folder = study_folder_name(st)
        while folder in used:
            folder += "+"
        used.add(folder)
        series = case.series[case.series["study_key"] == st.study_key]
        for n, se in enumerate(series.itertuples(index=False), start=1):
            sub = f"{n:02d}_{slug(se.SeriesDescription, 'series')}"
            inst = case.instances[case.instances["series_key"] == se.series_key]
            for i, path in enumerate(inst["path"], start=1):
                plan.append((f"{folder}/{sub}/{i:04d}.dcm", str(path)))
        for d in docs[docs["study_key"] == st.study_key].itertuples(index=False):
            plan.append((f"{folder}/report_{_name(d.path)}", str(d.path)))
    others = docs[docs["study_key"].isna()]
    for n, d in enumerate(others.itertuples(index=False), start=1):
        date = f"{d.date:%Y-%m-%d}" if not pd.isna(d.date) else "undated"
        kind = str(d.doc_type).replace("_", "-")
        part = str(d.body_part).replace("_", "-") if isinstance(d.body_part, str) else ""
        stem = "_".join(x for x in (f"{n:02d}", date, kind, part) if x)
        plan.append((f"documents/{stem}{PurePosixPath(_name(d.path)).suffix}", str(d.path)))
    photos = case.files[(case.files["kind"] == "image") & (case.files["duplicate_of"] == "")]
    for path in photos["path"]:
        plan.append((f"photos/{_name(path)}", str(path)))
    return _unique_paths(plan)


#: Names of the files organize writes itself at the top of DEST.
_RESERVED = frozenset({"manifest.csv", "gaps.csv", "summary.html"})


def _unique_paths(plan: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """*plan* with no two originals on one copy path (``IMG_0001.jpg``, ``IMG_0001-2.jpg``).

    Paths are compared case-folded, as on the Windows and macOS disks copies are sent on.
    """
    used: set[str] = set(_RESERVED)
    out: list[tuple[str, str]] = []
    for rel, original in plan:
        path = PurePosixPath(rel)
        candidate, n = rel, 1
        while candidate.casefold() in used:
            n += 1
            candidate = str(path.with_name(f"{path.stem}-{n}{path.suffix}"))
        used.add(candidate.casefold())
        out.append((candidate, original))
    return out


def _name(path: str) -> str:
    name = PurePosixPath(str(path).replace("#", "_")).name
    return re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", name)


def _copy_verified(src: Path, target: Path, expected: str) -> None:
    if target.exists() and _sha256(target) == expected:
        return  # idempotent: already copied and intact
    with open(src, "rb") as fh, atomic_write(target) as out:
        shutil.copyfileobj(fh, out, 1024 * 1024)
    if _sha256(target) != expected:
        target.unlink()
        raise WorkspaceError(
            f"Copy of '{src}' to '{target}' does not match its sha256; the disk may be full or "
            "failing. Nothing was changed in the source."
        )


def _verify_copies(dest: Path, rows: list[dict[str, Any]]) -> None:
    """Every copy the MANIFEST will list holds the bytes of its original (checked again last)."""
    seen: set[str] = set()
    for row in rows:
        copy = str(row["copy"])
        if copy.casefold() in seen or _sha256(dest / copy) != row["sha256"]:
            raise WorkspaceError(
                f"The organized copy '{dest / copy}' does not hold '{row['original']}' (sha256 "
                "differs or the path was used twice); delete DEST and run organize again. "
                "Nothing was changed in the source."
            )
        seen.add(copy.casefold())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def summary_page(case: ReviewCase, lang: str = "en") -> str:
    """The one-page summary as a standalone, script-free HTML page."""
    body = case.summary(lang)._repr_html_()
    title = "Case summary" if lang == "en" else "病例摘要"
    return (
        "<!DOCTYPE html>\n<html lang='" + lang + "'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        "</style></head><body>" + body + "</body></html>\n"
    )
