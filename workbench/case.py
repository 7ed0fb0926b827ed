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
import threading
import uuid
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
from workbench.problems import (
    FATAL_EXCEPTIONS,
    Problem,
    ProblemKind,
    describe_failure,
    details_json,
    problems_frame,
)
from workbench.record import clinical as records
from workbench.record.manifest import MANIFEST_NAME
from workbench.record.ocr import OcrReader
from workbench.record.timeline import build_timeline
from workbench.safe_text import shown_name
from workbench.workspace import (
    as_read,
    atomic_write,
    default_workspace,
    prepare,
    read_table,
    to_arrow,
    track_background,
    wait_for_writes,
    workspace_faults,
    workspace_lock,
    write_csv,
    write_parquet,
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
    _problems: pd.DataFrame
    _manifest: Manifest | None = field(default=None, repr=False)
    _locals: dict[str, str] = field(default_factory=dict, repr=False)
    _gaps: pd.DataFrame | None = field(default=None, repr=False)
    _volumes: dict[str, Volume] = field(default_factory=dict, repr=False)
    _sha256: digests.TableCompletion | None = field(default=None, repr=False)
    _saving: digests.TableCompletion | None = field(default=None, repr=False)

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

    @property
    def problems(self) -> pd.DataFrame:
        """``case.problems``: one row per file (or case-level fact) that needs attention.

        Includes what the background completion of the sha256 found (a file changed since
        it was read, the hashing stopped) and, once it has failed, the background saving
        of the tables to the workspace.
        """
        self._complete_sha256()
        saving = self._saving
        if saving is not None and saving.save_error is not None:
            self._saving = None
            self._add_problems([_not_saved(self.workspace, saving.save_error)])
        return self._problems

    @problems.setter
    def problems(self, frame: pd.DataFrame) -> None:
        self._problems = frame

    def _add_problems(self, found: list[Problem]) -> None:
        if found:
            rows = self._problems.itertuples(index=False, name=None)
            self._problems = problems_frame([*(Problem(*row) for row in rows), *found])

    def _complete_sha256(self) -> None:
        """Fill in the sha256 completed in the background (waits for it when still running)."""
        completion = self._sha256
        if completion is None:
            return
        done = completion.result()
        self._files = done.files.drop(columns="local", errors="ignore")
        self._instances = done.instances
        self._sha256 = None
        found: list[Problem] = []
        if done.changed:
            paths = self._files.loc[self._files["content_id"].isin(done.changed), "path"]
            found.extend(_changed_since_read(str(path)) for path in paths)
        if done.unhashed:
            found.append(_hashing_stopped(len(done.unhashed), done.error))
        self._add_problems(found)

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


def _hashing_stopped(count: int, error: BaseException | None) -> Problem:
    why = describe_failure(error) if error is not None else "stopped"
    return Problem(
        "",
        "inventory",
        ProblemKind.SHA256_INCOMPLETE,
        f"The sha256 of {count} file(s) could not be completed in the background ({why}); "
        "their content hash (content_id) is kept and their sha256 is left empty. Open the "
        "case again to complete them.",
        details_json(files=count, exception=type(error).__name__ if error else ""),
    )


def _not_saved(workspace: Path, error: BaseException) -> Problem:
    return Problem(
        "",
        "case",
        ProblemKind.TABLES_NOT_SAVED,
        f"The tables of this case could not be saved in the workspace '{workspace}' "
        f"({describe_failure(error)}); the tables in memory are complete, and the next open "
        "reads the originals again. Free space or fix the workspace, then open the case again.",
        details_json(exception=type(error).__name__),
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
    # the background step of an earlier open in this process holds the lock until the
    # tables it completes are saved: wait for it here, quietly
    wait_for_writes(space)
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
    saves: list[Callable[[], None]] = []  # the scan cache, written with the sha256 complete
    completion: digests.TableCompletion | None = None
    if tables is None:
        with ingest.collector_paused():
            scanned, problems = ingest.scan_source(
                src,
                space,
                verify=verify,
                progress=progress,
                listing=listing,
                defer_sha256=len(listing.files) >= digests.DEFER_MIN_FILES,
                save_later=saves,
            )
            hashing = _start_hashing(space, scanned)
            tables = ingest.build_tables(scanned, problems)
        manifest, found = _manifest(tables["files"])
        problems.extend(found)
        _add_clinical_record(tables, manifest, problems, space, ocr=ocr, progress=progress)
        _add_side_markers(tables, space, ocr=ocr)
        tables["problems"] = problems_frame(problems)
        # the tables as a re-open reads them (dtypes as stored), so that a first open and a
        # re-open give identical tables; converted from what was written, not read back
        if hashing is None:
            tables = _save(tables_dir, tables, stamp)
        else:
            # files and instances are written once, with their sha256, by the background
            # step, which also writes the fingerprint that makes the tables current
            completion = digests.TableCompletion(hashing, tables["files"], tables["instances"])
            token = _mark_pending(tables_dir)
            small = {name: tables[name] for name in TABLES if name not in _COMPLETED}
            arrow = {name: to_arrow(frame) for name, frame in small.items()}
            tables = {**tables, **{name: as_read(table) for name, table in arrow.items()}}
            _save_in_background(space, completion, stamp, token, small, scanned, saves, arrow)
    else:
        manifest, _ = _manifest(tables["files"])
        completion = _complete_loaded(space, tables, stamp)
    for save in saves:  # none left when the background step writes them
        save()
    files = tables["files"]
    locals_ = _locals_of(files)
    if completion is None:
        files.pop("local")
    else:  # the completion keeps the table as written, with ``local``
        files = files.drop(columns="local")
    return Case(
        source=src.given,
        workspace=space,
        _files=files,
        _instances=tables["instances"],
        series=tables["series"],
        studies=tables["studies"],
        documents=tables["documents"],
        timeline=tables["timeline"],
        _problems=tables["problems"],
        _manifest=manifest,
        _locals=locals_,
        _sha256=completion,
        _saving=completion,
    )


#: The tables whose sha256 column the background step completes.
_COMPLETED = ("files", "instances")


def _start_hashing(space: Path, scanned: list[ingest.Scanned]) -> digests.Sha256Completion | None:
    """Start hashing (sha256) the files scanned without, after taking those the workspace knows.

    The sha256 known in the workspace (by content_id) are set on *scanned*, so that the
    tables are built with them.
    """
    known = digests.load_known(space / "cache")
    todo: dict[str, str] = {}
    for s in scanned:
        if s.sha256 or not s.content_id:
            continue
        sha = known.get(s.content_id)
        if sha:
            s.sha256 = sha
        else:
            todo[s.content_id] = s.local
    # started once the tables are built (_save_in_background), not beside them
    return digests.Sha256Completion(todo, start=False) if todo else None


def _complete_loaded(
    space: Path, tables: dict[str, pd.DataFrame], stamp: str
) -> digests.TableCompletion | None:
    """Tables read back with sha256 missing (a completion that stopped): fill in what the
    workspace knows, complete the rest in the background and save the two tables again."""
    files = tables["files"]
    if "content_id" not in files.columns or not (files["sha256"].fillna("") == "").any():
        return None
    known = digests.load_known(space / "cache")
    tables["files"] = files = digests.fill(files, known)
    tables["instances"] = digests.fill(tables["instances"], known)
    todo = digests.pending(files)
    if not todo:
        return None
    completion = digests.TableCompletion(digests.Sha256Completion(todo), files, tables["instances"])
    _save_in_background(space, completion, stamp, None, {}, [], [])
    return completion


def _save_in_background(
    space: Path,
    completion: digests.TableCompletion,
    stamp: str,
    token: str | None,
    small: dict[str, pd.DataFrame],
    scanned: list[ingest.Scanned],
    saves: list[Callable[[], None]],
    arrow: dict[str, object] | None = None,
) -> None:
    """Save what the completion gives, in a thread that holds the workspace lock meanwhile.

    The thread takes the lock as soon as ``open_case`` lets it go (another opener waits
    for it, then reads the tables) and writes the Parquet files of *small* (converted
    already: *arrow*, by name); once the sha256 are hashed, it writes ``files`` and
    ``instances`` (Parquet) with them, the fingerprint that makes the tables current
    (*token*: the pending mark this open left; ``None``: the tables of *stamp* are
    current already), the sha256 by content_id, the scan cache (the steps *saves*,
    taken from the list, with the sha256 set on *scanned*) and the CSVs of the two and
    of *small*. A failure is kept on the completion (``save_error``, a row of
    ``case.problems``) and told on stderr, never swallowed.
    """
    scan_saves = list(saves)
    saves.clear()
    rescanned = list(scanned)

    def run() -> None:
        try:
            # no clean-up of temporary files: the caller may be writing one beside us
            with workspace_lock(space, quiet=True, clean=False), workspace_faults(space):
                folder = space / "tables"
                if token is not None and _pending_on_disk(folder) != token:
                    return  # another opener replaced the tables meanwhile: it saves its own
                if token is None and _stamp_on_disk(folder) != stamp:
                    return
                wait_for_writes(folder)
                for name, table in (arrow or {}).items():
                    write_parquet(table, small[name], folder, name)
                done = completion.result(help_hashing=False)
                for name in _COMPLETED:
                    write_parquet(done.arrow[name], done.filled[name], folder, name)
                if token is not None:
                    with atomic_write(folder / "fingerprint.json", "w", encoding="utf-8") as fh:
                        json.dump({"fingerprint": stamp}, fh)
                found = completion.hashing.wait()
                digests.save_known(space / "cache", found)
                for s in rescanned:
                    if not s.sha256:
                        s.sha256 = found.get(s.content_id, "")
                for save in scan_saves:
                    save()
                for name, frame in {**done.filled, **small}.items():
                    write_csv(frame, folder, name)
        except BaseException as exc:
            completion.save_error = exc
            print(f"workbench: {_not_saved(space, exc).message}", file=sys.stderr, flush=True)
            if isinstance(exc, FATAL_EXCEPTIONS):
                raise

    thread = threading.Thread(target=run, name="tables-save", daemon=False)
    track_background(space, thread)
    thread.start()
    completion.hashing.start()  # the tables are built: hash beside what the caller does next


def _mark_pending(folder: Path) -> str:
    """Mark the tables of *folder* as being replaced (not current); return the mark."""
    token = uuid.uuid4().hex
    with atomic_write(folder / "fingerprint.json", "w", encoding="utf-8") as fh:
        json.dump({"pending": token}, fh)
    return token


def _marker(folder: Path) -> dict[str, object]:
    try:
        data = json.loads((folder / "fingerprint.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stamp_on_disk(folder: Path) -> str | None:
    found = _marker(folder).get("fingerprint")
    return found if isinstance(found, str) else None


def _pending_on_disk(folder: Path) -> str | None:
    found = _marker(folder).get("pending")
    return found if isinstance(found, str) else None


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
    locals_ = _locals_of(files)
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
        locals_ = _locals_of(files)
        found = series_markers(series, tables["instances"], locals_, space / "cache" / "markers")
        series = series.merge(found, on="series_key", how="left")
    else:
        series = series.assign(image_marker=None, image_marker_text=None)
    series["image_marker"] = series["image_marker"].astype(object)
    series["image_marker_text"] = series["image_marker_text"].astype(object)
    tables["series"] = series


def _ocr_progress(what: str) -> None:
    print(f"workbench: {what} (about 8 s a page)", file=sys.stderr, flush=True)


def _locals_of(files: pd.DataFrame) -> dict[str, str]:
    """path → local path of *files* (``tolist``: iterating Arrow strings one by one is 8×
    slower, and this runs in every re-open)."""
    return dict(zip(files["path"].tolist(), files["local"].tolist(), strict=True))


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
    """Write all seven tables, then the fingerprint that makes them current.

    Returns them as read back (converted from what was written, not read again).
    """
    wait_for_writes(folder)  # a CSV of an earlier open of this workspace still being written
    _mark_pending(folder)  # a run killed half-way leaves no fingerprint over mixed tables
    saved = {name: write_table(tables[name], folder, name) for name in TABLES}
    with atomic_write(folder / "fingerprint.json", "w", encoding="utf-8") as fh:
        json.dump({"fingerprint": stamp}, fh)
    return saved
