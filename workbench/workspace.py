"""Where derived files go: the workspace, never the originals' folder.

The default workspace of a source is ``$WORKBENCH_HOME/workspaces/<name>-<hash>``
(``WORKBENCH_HOME`` defaults to ``~/.workbench``); pass ``workspace=`` or
``--workspace`` to choose another. Every file is written atomically: to a
temporary file in the same folder, then renamed.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from workbench.errors import WorkspaceError

if TYPE_CHECKING:
    import pandas as pd
from workbench.safe_text import CONTROL_RE, FORMULA_RE, neutralise_cell

#: Folder of a workspace for what leaves the workbench (opinion page, SR, KOS, GSPS).
OUTPUTS = "outputs"


def home() -> Path:
    """The workbench's home folder (``$WORKBENCH_HOME`` or ``~/.workbench``)."""
    return Path(os.environ.get("WORKBENCH_HOME", Path.home() / ".workbench")).expanduser()


def default_workspace(source: Path) -> Path:
    """``$WORKBENCH_HOME/workspaces/<name>-<8 hex of the absolute source path>``."""
    resolved = source.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    name = resolved.stem if resolved.is_file() else resolved.name
    return home() / "workspaces" / f"{name or 'case'}-{digest}"


#: ``errno`` values that are faults of the workspace (its disk, its permissions), never of
#: an original: reported as :class:`WorkspaceError` and never recorded in the tables.
WORKSPACE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}
)

#: How long an opener waits for another process to finish with a workspace (seconds).
LOCK_TIMEOUT_S = float(os.environ.get("WORKBENCH_LOCK_TIMEOUT", 3600))
LOCK_NAME = ".workbench.lock"


def is_workspace_fault(exc: BaseException) -> bool:
    """Whether *exc* is a disk, quota or permission failure (of whatever was being written)."""
    return isinstance(exc, OSError) and exc.errno in WORKSPACE_ERRNOS


def workspace_error(workspace: Path, exc: OSError) -> WorkspaceError:
    """One sentence naming *workspace*, what went wrong and what to free or change."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EFBIG):
        what = "is full (no space left on its disk)"
        fix = "free space on that disk (the unpacked archives and caches in it can be deleted)"
    elif code == errno.EDQUOT:
        what = "is over the user's disk quota"
        fix = "free space within the quota"
    elif code == errno.EROFS:
        what = "is on a read-only file system"
        fix = "pass --workspace with a folder on a writable disk"
    elif code in (errno.EACCES, errno.EPERM):
        what = "cannot be written by this user (permission denied)"
        fix = "give this user write permission on it"
    else:
        what = f"cannot be written ({exc.strerror or exc})"
        fix = "check the disk"
    err = WorkspaceError(
        f"The workspace '{workspace}' {what}; {fix}, or pass --workspace with another "
        "folder, then run again (nothing was recorded about the originals)."
    )
    err.errno = code
    return err


@contextmanager
def workspace_faults(workspace: Path) -> Iterator[None]:
    """Translate disk, quota and permission failures inside the block to :class:`WorkspaceError`."""
    try:
        yield
    except WorkspaceError:
        raise
    except OSError as exc:
        if not is_workspace_fault(exc):
            raise
        raise workspace_error(workspace, exc) from exc


@contextmanager
def workspace_lock(
    workspace: Path, *, timeout: float | None = None, quiet: bool = False, clean: bool = True
) -> Iterator[None]:
    """Hold the workspace's lock; wait, with a message on stderr, while another process has it.

    ``quiet=True`` waits without the message (a background step of this process).

    Whoever holds the lock is the only writer of the workspace, so temporary files found
    when it is taken were left by an interrupted run and are removed; ``clean=False``
    leaves them (a background step of this process, whose caller may be writing a file
    of its own beside it meanwhile).

    Raises
    ------
    WorkspaceError
        The lock was not free within *timeout* seconds (default :data:`LOCK_TIMEOUT_S`), or
        the lock file cannot be created.
    """
    from filelock import FileLock, Timeout

    lock_file = workspace / LOCK_NAME
    owner_file = workspace / (LOCK_NAME + ".owner")
    lock = FileLock(lock_file)
    wait = LOCK_TIMEOUT_S if timeout is None else timeout
    read_only = False
    try:
        lock.acquire(timeout=0)
    except Timeout:
        _wait_for(lock, workspace, owner_file, wait, quiet=quiet)
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise workspace_error(workspace, exc) from exc
        # a workspace this user may only read (a shared, finished case): reading needs no
        # lock, and any write fails with its own WorkspaceError
        read_only = True
    if read_only:
        yield
        return
    try:
        with workspace_faults(workspace):
            owner_file.write_text(
                f"process {os.getpid()} on {socket.gethostname()} since "
                f"{time.strftime('%H:%M:%S')}",
                encoding="utf-8",
            )
            if clean:
                remove_stale_temps(workspace)
        yield
    finally:
        lock.release()


#: How long a wait for the workspace lock goes without a message, in seconds.
NOTICE_AFTER_S = 1.0


def _wait_for(
    lock: Any, workspace: Path, owner_file: Path, wait: float, *, quiet: bool = False
) -> None:
    """Wait for the lock at most *wait* seconds; say who holds it if that takes a while.

    A wait shorter than :data:`NOTICE_AFTER_S` goes unsaid: a notebook's kernel and the
    command that runs it open the case at the same moment, and one re-open waits a
    fraction of a second for the other.
    """
    from filelock import Timeout

    total, first = wait, min(wait, NOTICE_AFTER_S)
    try:
        with workspace_faults(workspace):
            lock.acquire(timeout=first)
        return
    except Timeout:
        wait -= first
    try:
        owner = owner_file.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        owner = "another process"
    if not quiet:
        print(
            f"workbench: workspace '{workspace}' is in use by {owner}; waiting for it to "
            "finish, then reading its result.",
            file=sys.stderr,
            flush=True,
        )
    try:
        with workspace_faults(workspace):
            lock.acquire(timeout=wait)
    except Timeout:
        raise WorkspaceError(
            f"The workspace '{workspace}' is still in use by {owner} after {total:.0f} s; "
            "wait for it to finish, or pass --workspace with another folder."
        ) from None


def remove_stale_temps(workspace: Path) -> int:
    """Delete temporary files and half-unpacked folders under *workspace*; return how many.

    Call only while holding :func:`workspace_lock`: then no one else is writing them.
    Folders of unpacked archive members (``m/``) hold no temporary names and are not walked.
    """
    removed = 0
    for folder, dirs, files in os.walk(workspace):
        for name in list(dirs):
            if fnmatch.fnmatch(name, "*.partial-*"):
                shutil.rmtree(Path(folder, name), ignore_errors=True)
                removed += 1
        dirs[:] = [d for d in dirs if d != "m" and not fnmatch.fnmatch(d, "*.partial-*")]
        for name in files:
            if name.endswith(".tmp") or name.startswith(".part-"):
                Path(folder, name).unlink(missing_ok=True)
                removed += 1
    return removed


def prepare(workspace: Path, source_root: Path) -> Path:
    """Create *workspace*, refusing one inside the source (it would be indexed next time)."""
    workspace = workspace.expanduser().resolve()
    if workspace.is_relative_to(source_root.resolve()):
        raise WorkspaceError(
            f"Workspace '{workspace}' is inside the case source '{source_root}'; the originals' "
            "folder is never written to. Pass --workspace with a folder outside it."
        )
    try:
        workspace.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(
            f"Cannot create workspace '{workspace}' ({exc.strerror}); pass --workspace with a "
            "writable folder."
        ) from exc
    return workspace


@contextmanager
def file_lock(path: Path, *, timeout: float = 60.0) -> Iterator[None]:
    """Hold the lock file *path* (created beside what it guards) against other processes.

    For a small read-modify-write of one workspace file that two viewers or kernels of the
    same case may do at once (the key-image list, the measurement store), where the
    workspace lock, held through an ingest, would be too coarse.

    Raises
    ------
    WorkspaceError
        The lock stayed taken for *timeout* seconds, or the lock file cannot be created.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(path)
    try:
        with workspace_faults(path.parent):
            path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=timeout)
    except Timeout:
        raise WorkspaceError(
            f"'{path}' stayed locked for {timeout:.0f} s by another process of this case; "
            "let it finish (or close the other notebook), then try again."
        ) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def atomic_write(
    path: Path, mode: str = "wb", *, durable: bool = False, **kwargs: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file beside *path*; rename it over *path* only on success.

    The one atomic writer of the workbench: a reader sees the old file or the new one,
    never half of either. An existing *path* keeps its permission bits; a new one gets
    the umask's. ``durable=True`` also flushes the bytes to disk before the rename (for
    files a person edits, such as ``case.yaml``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        else:
            umask = os.umask(0)
            os.umask(umask)
            Path(tmp).chmod(0o666 & ~umask)  # mkstemp makes 0600; derived files are ordinary
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write *data* to *path* through :func:`atomic_write`."""
    with atomic_write(path) as fh:
        fh.write(data)


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells no spreadsheet runs as formulas (see :func:`neutralise_cell`).

    A formula sign after leading blanks or control characters, or at the start of any
    line of a cell, is neutralised; control characters become spaces.
    """
    import pandas  # heavy, lazy: start-up (the CLI imports this module to report faults)

    out = frame.copy()
    small = len(out) <= _SMALL_CSV_ROWS
    for col in out.columns:
        values = out[col]
        if small and values.dtype != object and not pandas.api.types.is_string_dtype(values):
            continue
        if small:  # a few rows: one call per cell is cheaper than the vectorised calls
            out[col] = values.map(_neutralise).astype(object)
        elif isinstance(values.dtype, pandas.StringDtype):  # vectorised; most need nothing
            text = values.str.replace(CONTROL_RE, " ", regex=True)
            risky = text.str.match(FORMULA_RE).fillna(False).astype(bool)
            out[col] = text.where(~risky, "'" + text)
        elif values.dtype == object or pandas.api.types.is_string_dtype(values):  # lists too
            out[col] = values.map(_neutralise)
    return out


#: Up to this many rows, :func:`csv_safe` neutralises cell by cell.
_SMALL_CSV_ROWS = 256


def _neutralise(value: Any) -> Any:
    if isinstance(value, list | tuple):
        value = "\\".join(str(v) for v in value)
    return neutralise_cell(value) if isinstance(value, str) else value


#: Tables longer than this get their CSV (for people) written in a background thread: it is
#: the slowest part of saving a large case and nothing of the workbench reads it back.
BACKGROUND_CSV_ROWS = 1000

_pending: dict[Path, list[threading.Thread]] = {}
_pending_lock = threading.Lock()


def write_table(frame: pd.DataFrame, folder: Path, name: str, *, csv: bool = True) -> pd.DataFrame:
    """Write *frame* as ``name.parquet`` (for programs) and ``name.csv`` (for people).

    ``csv=False`` writes the Parquet file only (the caller writes the CSV later).

    Returns
    -------
    pandas.DataFrame
        The table exactly as :func:`read_table` will return it (same dtypes), converted
        from the Arrow table that was written rather than read back from the file.
        The CSV of a table longer than :data:`BACKGROUND_CSV_ROWS` rows is written in a
        background thread, alongside the caller's next steps; :func:`wait_for_writes`
        waits for it (``open_case`` does before it releases the workspace lock).
    """
    table = to_arrow(frame)
    write_parquet(table, frame, folder, name)
    if not csv:
        pass
    elif len(frame) > BACKGROUND_CSV_ROWS:
        thread = threading.Thread(
            target=_write_csv, args=(frame, folder, name), name=f"csv-{name}", daemon=False
        )
        with _pending_lock:
            _pending.setdefault(folder.resolve(), []).append(thread)
        thread.start()
    else:
        _write_csv(frame, folder, name)
    return as_read(table)


def to_arrow(frame: pd.DataFrame) -> Any:
    """*frame* as the ``pyarrow.Table`` that :func:`write_parquet` writes (converted once)."""
    import pyarrow as pa  # pandas' parquet engine, loaded with pandas

    return pa.Table.from_pandas(frame, preserve_index=False)


def write_parquet(table: Any, frame: pd.DataFrame, folder: Path, name: str) -> None:
    """Write ``name.parquet`` atomically from *table* (:func:`to_arrow` of *frame*).

    A frame with ``attrs`` is written by pandas, which keeps them in the file's metadata.
    """
    import pyarrow.parquet as pq

    with atomic_write(folder / f"{name}.parquet") as fh:
        if frame.attrs:
            frame.to_parquet(fh, index=False)
        else:
            pq.write_table(table, fh, compression="snappy")


def write_csv(frame: pd.DataFrame, folder: Path, name: str) -> None:
    """Write ``name.csv`` (for people) of *frame* now, in this thread."""
    _write_csv(frame, folder, name)


def _write_csv(frame: pd.DataFrame, folder: Path, name: str) -> None:
    with atomic_write(folder / f"{name}.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv_safe(frame).to_csv(fh, index=False)


def as_read(table: Any) -> pd.DataFrame:
    """What ``read_parquet`` gives for *table*: Parquet keeps no second-resolution times."""
    import pyarrow as pa

    fields = [
        pa.field(f.name, pa.timestamp("ms", f.type.tz), f.nullable, f.metadata)
        if pa.types.is_timestamp(f.type) and f.type.unit == "s"
        else f
        for f in table.schema
    ]
    schema = pa.schema(fields, metadata=table.schema.metadata)
    if schema != table.schema:
        table = table.cast(schema)
    return table.to_pandas()


def track_background(folder: Path, thread: threading.Thread) -> None:
    """Let :func:`wait_for_writes` (of *folder*, or of everything) wait for *thread* too."""
    with _pending_lock:
        _pending.setdefault(folder.resolve(), []).append(thread)


def wait_for_writes(folder: Path | None = None) -> None:
    """Wait until the CSV files being written in the background (under *folder*) are done."""
    with _pending_lock:
        keys = [k for k in _pending if folder is None or k == folder.resolve()]
        threads = [t for k in keys for t in _pending.pop(k)]
    for thread in threads:
        thread.join()


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """Read a table written by :func:`write_table`."""
    import pandas  # heavy, lazy: start-up (the CLI imports this module to report faults)

    return pandas.read_parquet(folder / f"{name}.parquet")
