"""Ingestion: a source on disk → the case tables, with every original accounted for.

The steps, in order: resolve the source (folder, zip, DICOMDIR); list files
without following links; unpack archives into the workspace; scan every file
(checksum, kind, header) in parallel with a cache; flag duplicates, UID
collisions and several patients; check DICOMDIRs; build the tables.
"""

from __future__ import annotations

import gc
import hashlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.dicom.dicomdir import check_dicomdir
from workbench.errors import CaseNotFoundError, NothingUsableError
from workbench.ingest import index as dicom_index
from workbench.ingest.inventory import Scanned, scan
from workbench.ingest.registry import ResolvedSource, SourceKind, local_reader_for
from workbench.ingest.sources import Listing, SourceFile, unpack_archive, walk_folder
from workbench.problems import Problem, details_json

FILE_COLUMNS = [
    "path",
    "size",
    "sha256",
    "content_id",
    "kind",
    "member_of",
    "duplicate_of",
    "in_dicomdir",
]
TABLE_VERSION = "3"  # 3: content_id; the sha256 of DICOM files may follow the tables


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an ingest builds its results.

    An ingest allocates a few dozen objects per file (headers, rows, problems) and frees
    none: every collection meanwhile walks them in vain, and the full ones walk the whole
    heap (50-90 ms in a kernel that has pandas and a notebook loaded). Reference counting
    frees everything as usual; the collector runs again afterwards, as it was.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def resolve_source(source: str | Path) -> ResolvedSource:
    """Decide what *source* is: a folder, a zip, or a DICOMDIR (file or folder holding one)."""
    given = Path(source).expanduser()
    if not given.exists():
        raise CaseNotFoundError(
            f"Case source '{given}' does not exist; check the path (a folder, a .zip or a "
            "DICOMDIR file)."
        )
    reader = local_reader_for(given)
    if reader is not None:
        return ResolvedSource(given, reader.root(given), reader.kind)
    if given.suffix.lower() == ".zip":
        raise NothingUsableError(
            f"'{given}' is named .zip but is not a readable zip archive (truncated or "
            "damaged). Ask the sender to create it again, or unpack it with another tool and "
            "open the folder."
        )
    raise NothingUsableError(
        f"'{given}' is a single file, not a case. Pass the folder that holds it, a .zip, or a "
        "DICOMDIR."
    )


def list_source(src: ResolvedSource, workspace: Path) -> Listing:
    """List every original; unpack the zip source itself into the workspace."""
    if src.kind != SourceKind.ZIP:
        return walk_folder(src.root, skip=workspace, aliases=workspace / "aliases")
    st = src.root.stat()
    top = SourceFile(src.root.name, str(src.root), st.st_size, st.st_mtime_ns)
    inner = unpack_archive(src.root, src.root.name, workspace / "archives")
    return Listing([top, *inner.files], inner.problems)


def scan_source(
    src: ResolvedSource,
    workspace: Path,
    *,
    verify: bool,
    progress: bool,
    listing: Listing | None = None,
    defer_sha256: bool = False,
    save_later: list[Callable[[], None]] | None = None,
) -> tuple[list[Scanned], list[Problem]]:
    """Scan every file; archives found inside a folder are unpacked and scanned too.

    *defer_sha256*, *save_later*: see :func:`workbench.ingest.inventory.scan`.
    """
    listing = listing if listing is not None else list_source(src, workspace)
    problems = list(listing.problems)
    bar = _progress_bar(len(listing.files)) if progress else None
    tick = bar.update if bar is not None else None
    cache = workspace / "cache" / "scan.json"
    scanned = scan(
        listing.files,
        cache_file=cache,
        verify=verify,
        progress=tick,
        defer_sha256=defer_sha256,
        save_later=save_later,
    )
    if src.kind != SourceKind.ZIP:
        for s in list(scanned):
            if s.kind != "archive":
                continue
            inner = unpack_archive(Path(s.local), s.path, workspace / "archives")
            problems.extend(inner.problems)
            if bar is not None:
                bar.total += len(inner.files)
            scanned.extend(
                scan(
                    inner.files,
                    cache_file=cache.with_name(f"scan-{_digest(s.path)}.json"),
                    verify=verify,
                    progress=tick,
                    defer_sha256=defer_sha256,
                    save_later=save_later,
                )
            )
    if bar is not None:
        bar.close()
    for s in scanned:
        problems.extend(s.problems)
    return scanned, problems


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _progress_bar(total: int) -> Any:
    """A bar on stderr that erases itself when closed (``leave=False``), so the results start
    on a clean line; none when stderr is not a terminal (``disable=None``), where a log or a
    pipe would keep its frames and carriage returns in front of the results."""
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="indexing", file=sys.stderr, leave=False,
                disable=None)  # fmt: skip


def mark_duplicates(scanned: list[Scanned], problems: list[Problem]) -> dict[str, str]:
    """Byte-identical copies: the later path → the first; flagged and counted once.

    Copies are found by ``content_id`` (BLAKE3, a cryptographic hash: no one can make a
    different file that passes for a copy), by ``sha256`` for a scan without one.
    """
    first: dict[str, str] = {}
    duplicate_of: dict[str, str] = {}
    for s in scanned:
        identity = s.content_id or s.sha256
        if not identity or s.kind in {"junk", "archive"} or s.size == 0:
            continue
        if identity in first:
            duplicate_of[s.path] = first[identity]
            problems.append(
                Problem(
                    s.path,
                    "inventory",
                    "duplicate",
                    f"'{s.path}' is a byte-identical copy of '{first[identity]}'; counted once.",
                )
            )
        else:
            first[identity] = s.path
    return duplicate_of


def flag_uid_collisions(instances: pd.DataFrame, problems: list[Problem]) -> None:
    """Same SOP Instance UID, different content: both kept, both flagged."""
    uids = instances.dropna(subset=["SOPInstanceUID"])
    uids = uids[uids.duplicated("SOPInstanceUID", keep=False)]  # a group per image is slow
    for uid, group in uids.groupby("SOPInstanceUID"):
        if group["content_id"].nunique() > 1:
            paths = ", ".join(f"'{p}'" for p in group["path"])
            for path in group["path"]:
                problems.append(
                    Problem(
                        path,
                        "dicom",
                        "uid_collision",
                        f"SOP Instance UID {uid} is shared by different files "
                        f"({paths}); both kept. Ask which is the original.",
                    )
                )


def flag_multiple_patients(instances: pd.DataFrame, problems: list[Problem]) -> None:
    """More than one patient in the upload: everything kept, one case-level problem."""
    if instances.empty:
        return
    ids = instances["PatientID"].fillna("").astype(str).str.strip()
    # compare like with like: IDs when any file has one, names otherwise
    ident = ids if (ids != "").any() else instances["PatientName"].fillna("").astype(str)
    counts = ident[ident != ""].value_counts()
    if len(counts) > 1:
        listing = "; ".join(f"{pid!s} ({n} images)" for pid, n in counts.items())
        problems.append(
            Problem(
                "",
                "case",
                "multiple_patients",
                f"The upload holds images of {len(counts)} patients: {listing}. "
                "Everything is kept; confirm with the sender which belong to "
                "this case and remove the others from the source.",
                details_json(
                    patients=[{"id": str(pid), "images": int(n)} for pid, n in counts.items()]
                ),
            )
        )


def check_dicomdirs(scanned: list[Scanned], problems: list[Problem]) -> set[str]:
    """Resolve every DICOMDIR's records; return the paths they list."""
    present = {s.path.lower(): s.path for s in scanned}
    listed: set[str] = set()
    for s in scanned:
        if s.kind == "dicomdir":
            found, issues = check_dicomdir(Path(s.local), s.path, present)
            listed |= found
            problems.extend(issues)
    return listed


def files_table(
    scanned: list[Scanned], duplicate_of: dict[str, str], listed: set[str]
) -> pd.DataFrame:
    """``case.files``: every original with its size, content identity, sha256 and kind.

    With ``local`` too (where its bytes are read: the unpacked copy of an archive member),
    which ``open_case`` keeps apart from the table it hands out.
    """
    rows = [
        {
            "path": s.path,
            "size": s.size,
            "sha256": s.sha256,
            "content_id": s.content_id,
            "kind": s.kind,
            "member_of": s.member_of,
            "duplicate_of": duplicate_of.get(s.path, ""),
            "in_dicomdir": s.path in listed,
            "local": s.local,
        }
        for s in scanned
    ]
    frame = pd.DataFrame(rows, columns=[*FILE_COLUMNS, "local"])
    return frame.sort_values("path", kind="stable").reset_index(drop=True)


def build_tables(scanned: list[Scanned], problems: list[Problem]) -> dict[str, pd.DataFrame]:
    """All ingestion tables from the scan results."""
    duplicate_of = mark_duplicates(scanned, problems)
    listed = check_dicomdirs(scanned, problems)
    unique = [s for s in scanned if s.path not in duplicate_of]
    instances = pd.DataFrame(
        dicom_index.instance_rows(unique, problems), columns=dicom_index.INSTANCE_COLUMNS
    )
    flag_uid_collisions(instances, problems)
    flag_multiple_patients(instances, problems)
    series = dicom_index.series_table(instances)
    studies = dicom_index.study_table(instances, series)
    order = {key: i for i, key in enumerate(series["series_key"])}
    instances = (
        instances.assign(_o=instances["series_key"].map(order))
        .sort_values(["_o", "InstanceNumber", "path"], na_position="last", kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    return {
        "files": files_table(scanned, duplicate_of, listed),
        "instances": instances,
        "series": series,
        "studies": studies,
    }
