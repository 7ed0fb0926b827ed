"""The :class:`Case`: one patient's upload as tables, and :func:`open_case` to build it.

>>> from workbench import open_case, samples
>>> case = open_case(samples.path("knee_oa_right"), workspace=getfixture("tmp_path"))
>>> case.studies[["modality", "body_part", "side"]].iloc[0].tolist()
['DX', 'knee', 'right']
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from workbench.errors import NothingUsableError, SeriesNotFoundError
from workbench.imaging.markers import series_markers
from workbench.ingest import digests
from workbench.ingest import pipeline as ingest
from workbench.ingest.registry import register_remote, remote_reader_for
from workbench.model import Severity
from workbench.problems import Problem, ProblemKind, problems_frame
from workbench.record import clinical as records
from workbench.record.manifest import MANIFEST_NAME
from workbench.record.ocr import OcrReader
from workbench.record.timeline import build_timeline
from workbench.safe_text import shown_name
from workbench.workspace import (
    atomic_write,
    default_workspace,
    prepare,
    read_table,
    track_background,
    wait_for_writes,
    workspace_faults,
    workspace_lock,
    write_csv,
    write_table,
)

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume
    from workbench.readiness.summary import Summary
    from workbench.readiness.triage import Triage
    from workbench.record.manifest import Manifest


def _fetch_dicomweb(
    url: str,
    workspace: str | Path | None,
    *,
    study: str | None = None,
    patient: str | None = None,
    auth: tuple[str, str] | None = None,
) -> tuple[Path, Path]:
    """:func:`workbench.pacs.dicomweb.fetch_case_source`, imported when first used."""
    # heavy, lazy: start-up (requests only for a DICOMweb source)
    from workbench.pacs.dicomweb import fetch_case_source

    return fetch_case_source(url, workspace, study=study, patient=patient, auth=auth)


#: The façade wires the remote readers it offers (a new transport registers here).
register_remote("dicomweb+", _fetch_dicomweb)

TABLES = ("files", "instances", "series", "studies", "documents", "timeline", "problems")


@dataclass
class Case:
    """A patient's case: the originals, indexed.

    Attributes
    ----------
    source : Path
        What was opened (folder, zip or DICOMDIR); never written to.
    workspace : Path
        Where derived files go (tables, unpacked archives, caches).
    files, instances, series, studies, documents, timeline, problems : pandas.DataFrame
        The tables described in the README ("Data contracts"). The ``sha256`` of the
        DICOM files of a large case is completed in the background after the tables
        are ready (:mod:`workbench.ingest.digests`); ``files`` and ``instances`` wait for
        it when first read, so their ``sha256`` is always that of the bytes indexed.
    manifest : Manifest
        The validated contents of ``case.yaml`` (empty when the file is absent).
    """

    source: Path
    workspace: Path
    _files: pd.DataFrame
    _instances: pd.DataFrame
    series: pd.DataFrame
    studies: pd.DataFrame
    documents: pd.DataFrame
    timeline: pd.DataFrame
    problems: pd.DataFrame
    _manifest: Manifest | None = field(default=None, repr=False)
    _locals: dict[str, str] = field(default_factory=dict, repr=False)
    _gaps: pd.DataFrame | None = field(default=None, repr=False)
    _volumes: dict[str, Volume] = field(default_factory=dict, repr=False)
    _sha256: digests.Sha256Completion | None = field(default=None, repr=False)

    @property
    def manifest(self) -> Manifest:
        """``case.manifest``: the validated case.yaml (an empty manifest when there is none)."""
        if self._manifest is None:
            # pydantic and the case.yaml models, loaded when first asked (start-up: an ingest
            # of a case without case.yaml never builds them)
            from workbench.record.manifest import Manifest

            self._manifest = Manifest.model_construct()  # equal to Manifest(), unvalidated
        return self._manifest

    @manifest.setter
    def manifest(self, value: Manifest) -> None:
        self._manifest = value

    @property
    def files(self) -> pd.DataFrame:
        """``case.files``: every original (``path``, ``size``, ``sha256``, ``kind`` ...)."""
        self._complete_sha256()
        return self._files

    @files.setter
    def files(self, frame: pd.DataFrame) -> None:
        self._files = frame

    @property
    def instances(self) -> pd.DataFrame:
        """``case.instances``: every DICOM instance (``path``, ``sha256``, ``series_key`` ...)."""
        self._complete_sha256()
        return self._instances

    @instances.setter
    def instances(self, frame: pd.DataFrame) -> None:
        self._instances = frame

    def _complete_sha256(self) -> None:
        """Fill in the sha256 completed in the background (waits for it when still running)."""
        completion = self._sha256
        if completion is None:
            return
        found = completion.result()
        self._files = digests.fill(self._files, found)
        self._instances = digests.fill(self._instances, found)
        self._sha256 = None
        changed = [content_id for content_id, sha in found.items() if not sha]
        if changed:
            paths = self._files.loc[self._files["content_id"].isin(changed), "path"]
            self.problems = problems_frame(
                [
                    *(Problem(*row) for row in self.problems.itertuples(index=False, name=None)),
                    *(_changed_since_read(str(path)) for path in paths),
                ]
            )

    def local_path(self, path: str) -> Path:
        """Where the bytes of the original at *path* can be read (unpacked copy for zips)."""
        try:
            return Path(self._locals[path])
        except KeyError:
            raise SeriesNotFoundError(
                f"'{path}' is not a file of this case; see case.files['path']."
            ) from None

    def series_instances(self, series_key: str) -> pd.DataFrame:
        """The instances of one series, in index order."""
        rows = self.instances[self.instances["series_key"] == series_key]
        if rows.empty:
            known = ", ".join(self.series["series_key"].head(8))
            raise SeriesNotFoundError(
                f"No series '{series_key}' in this case; known keys: {known}."
            )
        return rows

    def load_series(self, series_key: str) -> Volume:
        """The pixels and geometry of one series (decoded lazily, cached within a budget)."""
        if series_key not in self._volumes:
            # heavy, lazy: start-up (pixel decoders are not needed to index a case)
            from workbench.imaging.volume import load_series

            self._volumes[series_key] = load_series(self, series_key)
        return self._volumes[series_key]

    @property
    def gaps(self) -> pd.DataFrame:
        """Record gaps found by the readiness rules (``code``, ``severity``, ``message`` ...)."""
        if self._gaps is None:
            # the readiness rules (and the clinical lexicon) are loaded when first asked:
            # an ingest reports the tables without them (start-up)
            from workbench.readiness.checks import find_gaps

            self._gaps = find_gaps(self)
        return self._gaps

    def triage(self) -> Triage:
        """Remote review now, after the listed records, or in-person examination, with reasons."""
        from workbench.readiness.triage import triage  # loaded when first asked (start-up)

        return triage(self, self.gaps)

    def summary(self, lang: str = "en") -> Summary:
        """The one-page summary (HTML in a notebook, Markdown in a terminal); ``lang`` en or zh."""
        from workbench.readiness.summary import build_summary  # loaded when asked (start-up)

        return build_summary(self, self.gaps, self.triage(), lang)

    def ready_for_review(self) -> bool:
        """True when no blocker gap remains."""
        return not (self.gaps["severity"] == Severity.BLOCKER).any()

    def __repr__(self) -> str:
        return (
            f"<Case {self.source.name!r}: {len(self.files)} files, {len(self.studies)} studies, "
            f"{len(self.series)} series, {len(self.instances)} images, "
            f"{len(self.problems)} problems>"
        )


def _changed_since_read(path: str) -> Problem:
    return Problem(
        path,
        "inventory",
        ProblemKind.CHANGED_SINCE_READ,
        f"{shown_name(path)} changed after it was read (its bytes no longer match the content "
        "hash of what was indexed), so no sha256 is given for it. Make sure nothing writes to "
        "the originals, then open the case again.",
    )


def open_case(
    source: str | Path,
    workspace: str | Path | None = None,
    verify: bool = False,
    *,
    progress: bool = False,
    ocr: bool = True,
    study: str | None = None,
    patient: str | None = None,
    auth: tuple[str, str] | None = None,
) -> Case:
    """Open a case from a folder, a ``.zip`` or a DICOMDIR, without touching the originals.

    Parameters
    ----------
    source : str or Path
        A folder (a USB copy, a CD copy with DICOMDIR), a zip archive, or a DICOMDIR file.
    workspace : str or Path, optional
        Where tables, caches and unpacked archives go. Default:
        ``$WORKBENCH_HOME/workspaces/<name>-<hash>`` (``WORKBENCH_HOME`` defaults to
        ``~/.workbench``). Must not be inside *source*.
    verify : bool
        Also decode every frame of every image (slow; finds undecodable pixel data).
    progress : bool
        Show a progress bar on stderr (also one line per file read by OCR).
    ocr : bool
        Read scanned PDFs and photos of reports with OCR (offline; seconds per page,
        cached by content hash in the workspace). ``False`` skips it.
    study, patient, auth
        For a DICOMweb source (``"dicomweb+http://host:8042/dicom-web"``): the study UID or
        patient ID to fetch, and optional (user, password). Instances are retrieved once
        into the workspace, then indexed like a folder.

    Returns
    -------
    Case

    Raises
    ------
    CaseNotFoundError
        *source* does not exist.
    NothingUsableError
        *source* holds no file at all, or is a single non-DICOMDIR file.
    WorkspaceError
        The workspace cannot be created, is inside *source*, is full, read-only or not
        writable, or stayed locked by another process past ``WORKBENCH_LOCK_TIMEOUT``.
        Another opener of the same workspace is waited for (a message on stderr), then
        its result is read.
    """
    remote = remote_reader_for(source)
    if remote is not None:
        source, workspace = remote(source, workspace, study=study, patient=patient, auth=auth)
    src = ingest.resolve_source(source)
    space = prepare(
        Path(workspace) if workspace is not None else default_workspace(src.given), src.root
    )
    # One writer per workspace: a second opener (a notebook and the CLI, two coordinators)
    # waits here, then finds the tables the first one wrote.
    with workspace_lock(space), workspace_faults(space):
        try:
            return _open_locked(src, space, verify, progress, ocr)
        finally:
            # the CSVs of long tables are written beside the rest (a background thread);
            # they are done before the lock goes, so that the next opener, which clears
            # unfinished temporary files, never meets one of ours
            wait_for_writes(space / "tables")


def _open_locked(
    src: ingest.ResolvedSource, space: Path, verify: bool, progress: bool, ocr: bool = True
) -> Case:
    listing = ingest.list_source(src, space)
    if not listing.files and not listing.problems:
        raise NothingUsableError(
            f"No files found under '{src.given}'; check that the upload was copied completely."
        )
    tables_dir = space / "tables"
    stamp = _fingerprint(listing.files, verify, ocr)
    tables = _load_if_current(tables_dir, stamp)
    hashing = None
    saves: list[Callable[[], None]] = []  # the scan cache, written with the sha256 complete
    scanned: list[ingest.Scanned] = []
    if tables is None:
        scanned, problems = ingest.scan_source(
            src,
            space,
            verify=verify,
            progress=progress,
            listing=listing,
            defer_sha256=len(listing.files) >= digests.DEFER_MIN_FILES,
            save_later=saves,
        )
        hashing = _start_hashing(space, scanned)  # on the core the tables below leave idle
        tables = ingest.build_tables(scanned, problems)
        tables["files"]["local"] = [s.local for s in scanned_sorted(scanned, tables["files"])]
        manifest, found = _manifest(tables["files"])
        problems.extend(found)
        _add_clinical_record(tables, manifest, problems, space, ocr=ocr, progress=progress)
        _add_side_markers(tables, space, ocr=ocr)
        tables["problems"] = problems_frame(problems)
        # the tables as a re-open reads them (dtypes as stored), so that a first open and a
        # re-open give identical tables; converted from what was written, not read back
        tables = _save(tables_dir, tables, stamp)
    else:
        manifest, _ = _manifest(tables["files"])
    completion = _complete_sha256(space, tables, stamp, hashing, scanned, saves)
    for save in saves:  # none left when the completion writes them
        save()
    files = tables["files"]
    locals_ = dict(zip(files["path"], files.pop("local"), strict=True))
    return Case(
        source=src.given,
        workspace=space,
        _files=files,
        _instances=tables["instances"],
        series=tables["series"],
        studies=tables["studies"],
        documents=tables["documents"],
        timeline=tables["timeline"],
        problems=tables["problems"],
        _manifest=manifest,
        _locals=locals_,
        _sha256=completion,
    )


#: The completion under way in each workspace, with the fingerprint of its tables: a
#: re-open of the same tables meanwhile waits for it instead of hashing again.
_RUNNING: dict[Path, tuple[str, digests.Sha256Completion]] = {}


def _start_hashing(space: Path, scanned: list[ingest.Scanned]) -> digests.Sha256Completion | None:
    """Start hashing (sha256) the files scanned without, unless the workspace knows them."""
    known = digests.load_known(space / "cache")
    todo = {
        s.content_id: s.local
        for s in scanned
        if not s.sha256 and s.content_id and s.content_id not in known
    }
    return digests.Sha256Completion(todo) if todo else None


def _complete_sha256(
    space: Path,
    tables: dict[str, pd.DataFrame],
    stamp: str,
    hashing: digests.Sha256Completion | None = None,
    scanned: list[ingest.Scanned] | None = None,
    saves: list[Callable[[], None]] | None = None,
) -> digests.Sha256Completion | None:
    """Fill in the sha256 known in the workspace; complete the rest in the background.

    *hashing*, when given, already hashes the files scanned without sha256. When the
    completion is done, the workspace lock is taken again (quietly) and, if the tables
    are still those of *stamp*, the ``files`` and ``instances`` tables (Parquet and CSV)
    are rewritten with the sha256, the results cached by content_id, and the scan cache
    written by the steps *saves* (taken from the list) with the sha256 of *scanned*.
    """
    files = tables["files"]
    if "content_id" not in files.columns or not (files["sha256"].fillna("") == "").any():
        return None
    cache_dir = space / "cache"
    known = digests.load_known(cache_dir)
    tables["files"] = files = digests.fill(files, known)
    tables["instances"] = digests.fill(tables["instances"], known)
    todo = digests.pending(files)
    if not todo:
        return None
    running = _RUNNING.get(space)
    if running is not None and running[0] == stamp and set(todo) <= set(running[1].todo):
        return running[1]  # its own step saves the tables
    if hashing is None or not set(todo) <= set(hashing.todo):
        hashing = digests.Sha256Completion(todo)
    completion = hashing
    # as saved (with ``local``, which the caller pops from *files*)
    written = {"files": files.copy(), "instances": tables["instances"]}
    scan_saves = list(saves or [])
    if saves:
        saves.clear()
    rescanned = list(scanned or [])

    def persist(found: dict[str, str]) -> None:
        try:
            with workspace_lock(space, quiet=True), workspace_faults(space):
                folder = space / "tables"
                if _stamp_on_disk(folder) != stamp:
                    return  # the tables were replaced meanwhile: their own completion saves
                for name, frame in written.items():
                    done = digests.fill(frame, found)
                    write_table(done, folder, name, csv=False)
                    write_csv(done, folder, name)
                digests.save_known(cache_dir, found)
                for s in rescanned:
                    if not s.sha256:
                        s.sha256 = found.get(s.content_id, "") or known.get(s.content_id, "")
                for save in scan_saves:
                    save()
        finally:
            if _RUNNING.get(space, (None, None))[1] is completion:
                del _RUNNING[space]

    _RUNNING[space] = (stamp, completion)
    track_background(space, completion.then(persist))
    return completion


def _stamp_on_disk(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / "fingerprint.json").read_text())["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _manifest(files: pd.DataFrame) -> tuple[Manifest | None, list[Problem]]:
    """Load the shallowest ``case.yaml`` of the case (absent: None, no model is built)."""
    paths = files["path"]
    ends = paths[paths.str.endswith(MANIFEST_NAME)]  # vectorised first: a re-open runs this
    named = files.loc[ends.index[(ends == MANIFEST_NAME) | ends.str.endswith("/" + MANIFEST_NAME)]]
    if named.empty:
        return None, []  # Case.manifest makes the empty one if it is asked for
    # pydantic and the case.yaml models, loaded for a case that has one (start-up)
    from workbench.record.manifest import load_manifest

    row = named.loc[named["path"].str.count("/").idxmin()]
    return load_manifest(Path(row["local"]), display_path=str(row["path"]))


def _add_clinical_record(
    tables: dict[str, pd.DataFrame],
    manifest: Manifest | None,
    problems: list[Problem],
    space: Path,
    *,
    ocr: bool = True,
    progress: bool = False,
) -> None:
    """Documents, photos, report matching and the timeline (the clinical-record tables)."""
    files = tables["files"]
    locals_ = dict(zip(files["path"], files["local"], strict=True))
    reader = (
        OcrReader(space / "cache" / "ocr", _ocr_progress if progress else None) if ocr else None
    )
    documents, found = records.read_documents(
        files, locals_, space / "cache" / "documents.json", ocr=reader
    )
    problems.extend(found)
    photos = records.photo_studies(files, documents)
    studies = pd.concat([tables["studies"], photos], ignore_index=True)
    studies, documents = records.match_reports(studies, documents)
    tables["studies"] = studies
    tables["documents"] = documents
    tables["timeline"] = build_timeline(manifest, studies, documents)


def _add_side_markers(tables: dict[str, pd.DataFrame], space: Path, *, ocr: bool) -> None:
    """``image_marker`` / ``image_marker_text`` of each series: the lead L/R read on CR/DX."""
    series = tables["series"]
    if ocr:
        files = tables["files"]
        locals_ = dict(zip(files["path"], files["local"], strict=True))
        found = series_markers(series, tables["instances"], locals_, space / "cache" / "markers")
        series = series.merge(found, on="series_key", how="left")
    else:
        series = series.assign(image_marker=None, image_marker_text=None)
    series["image_marker"] = series["image_marker"].astype(object)
    series["image_marker_text"] = series["image_marker_text"].astype(object)
    tables["series"] = series


def _ocr_progress(what: str) -> None:
    print(f"workbench: {what} (about 8 s a page)", file=sys.stderr, flush=True)


def scanned_sorted(scanned: list[ingest.Scanned], files: pd.DataFrame) -> list[ingest.Scanned]:
    """*scanned* in the row order of *files*."""
    by_path = {s.path: s for s in scanned}
    return [by_path[p] for p in files["path"]]


def _fingerprint(files: list[ingest.SourceFile], verify: bool, ocr: bool = True) -> str:
    h = hashlib.sha256(f"{ingest.TABLE_VERSION}|{verify}|{'ocr' if ocr else ''}".encode())
    for f in files:
        h.update(f"{f.path}\x00{f.size}\x00{f.mtime_ns}\n".encode())
    return h.hexdigest()


def _load_if_current(folder: Path, stamp: str) -> dict[str, pd.DataFrame] | None:
    marker = folder / "fingerprint.json"
    try:
        if json.loads(marker.read_text())["fingerprint"] != stamp:
            return None
        return _read_tables(folder)
    except (OSError, ValueError, KeyError):
        return None


def _read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The seven tables, read in parallel (Parquet decoding releases the GIL)."""
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="read-table") as pool:
        frames = list(pool.map(lambda name: read_table(folder, name), TABLES))
    return dict(zip(TABLES, frames, strict=True))


def _save(folder: Path, tables: dict[str, pd.DataFrame], stamp: str) -> dict[str, pd.DataFrame]:
    wait_for_writes(folder)  # a CSV of an earlier open of this workspace still being written
    # tables whose sha256 is still to be completed get their CSV (for people) with it
    later = {"files", "instances"} if digests.pending(tables["files"]) else set()
    saved = {
        name: write_table(tables[name], folder, name, csv=name not in later) for name in TABLES
    }
    with atomic_write(folder / "fingerprint.json", "w", encoding="utf-8") as fh:
        json.dump({"fingerprint": stamp}, fh)
    return saved
