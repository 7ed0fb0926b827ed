"""The sha256 of the originals whose scan took only their content identity.

A first ingest hashes every byte with BLAKE3 (``content_id``: cryptographic, a third
of sha256's cost), which identifies content inside the workbench (duplicates, caches,
UID collisions). What is handed to others (``case.files["sha256"]``, ``MANIFEST.csv``,
``DEIDENTIFICATION.csv``, the audit) keeps sha256; for DICOM files of a large case it
is completed here, after the tables are ready, by :class:`Sha256Completion`: hashing
threads (hashlib and BLAKE3 release the GIL) read each file once more, feed both
hashes, and keep the sha256 only when the BLAKE3 of the same bytes equals the
``content_id`` the tables were built from. A file changed in between gets no sha256
(never one of other bytes than those indexed). Results are cached in the workspace by
``content_id`` (:func:`load_known`, :func:`save_known`), so a re-open completes nothing.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from blake3 import blake3

from workbench.cache import load_cache, save_cache
from workbench.problems import FATAL_EXCEPTIONS
from workbench.workspace import as_read, to_arrow

if TYPE_CHECKING:
    from typing import Any

    import pandas as pd

#: Cases of fewer files than this get every sha256 in the scan (nothing to wait for).
DEFER_MIN_FILES = 64
#: ``cache/sha256.json``: content_id → sha256.
KNOWN_FILE = "sha256.json"
_KNOWN_VERSION = 1
_READ = 256 * 1024
_HEX = frozenset("0123456789abcdef")


def checked_sha256(local: str | Path, content_id: str) -> str:
    """The sha256 of the file at *local*, or ``""`` when its bytes no longer have *content_id*.

    One pass over the file feeds both hashes; a file that cannot be read gives ``""``.
    """
    identity = blake3()
    digest = hashlib.sha256()
    buf = bytearray(_READ)
    view = memoryview(buf)
    try:
        with open(local, "rb") as fh:
            while n := fh.readinto(buf):
                chunk = view[:n]
                identity.update(chunk)
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest() if identity.hexdigest() == content_id else ""


def pending(frame: pd.DataFrame) -> dict[str, str]:
    """content_id → local path of the rows of *frame* (``files`` with ``local``) without sha256."""
    if "content_id" not in frame.columns or "local" not in frame.columns:
        return {}
    rows = frame[(frame["sha256"].fillna("") == "") & (frame["content_id"].fillna("") != "")]
    return dict(zip(rows["content_id"].astype(str), rows["local"].astype(str), strict=True))


def fill(frame: pd.DataFrame, known: Mapping[str, str]) -> pd.DataFrame:
    """*frame* with every empty ``sha256`` whose ``content_id`` is in *known* filled in."""
    if not known or "content_id" not in frame.columns or frame.empty:
        return frame
    empty = frame["sha256"].fillna("") == ""
    if not empty.any():
        return frame
    found = frame.loc[empty, "content_id"].map(known)
    found = found[found.notna()]
    if found.empty:
        return frame
    out = frame.copy()
    out.loc[found.index, "sha256"] = found.astype(str)
    return out


def load_known(cache_dir: Path) -> dict[str, str]:
    """The sha256 completed earlier in this workspace, by content_id (only well-formed pairs)."""
    data = load_cache(cache_dir / KNOWN_FILE, _KNOWN_VERSION)
    return {
        k: v
        for k, v in data.items()
        if isinstance(v, str) and len(v) == 64 and len(k) == 64 and _HEX.issuperset(v)
    }


def save_known(cache_dir: Path, found: Mapping[str, str]) -> None:
    """Add *found* to the workspace's cache (written atomically)."""
    known = load_known(cache_dir)
    known.update({k: v for k, v in found.items() if v})
    save_cache(cache_dir / KNOWN_FILE, known, _KNOWN_VERSION)


class Sha256Completion:
    """sha256 of files known by content_id, computed in background threads.

    One thread hashes once started (:meth:`start`); when someone waits for the results
    (:meth:`result`), helpers join it, up to one per core, taking files from the same
    queue.

    Parameters
    ----------
    todo : mapping
        content_id → local path (one read per distinct content).
    start : bool
        Start at once. ``open_case`` starts it only once its tables are built: a thread
        hashing beside them would hold up that pure-Python work at every hand-over of the
        interpreter lock (about twice as long, measured), for the files read again.
    """

    def __init__(self, todo: Mapping[str, str], *, start: bool = True) -> None:
        self.todo = dict(todo)
        self._queue = iter(list(self.todo.items()))
        self._lock = threading.Lock()
        self._result: dict[str, str] = {}
        self._threads: list[threading.Thread] = []
        self._active = 0
        self._hashed = threading.Event()
        #: What stopped the hashing (the files left get no sha256, none a wrong one).
        self.error: BaseException | None = None
        self._began = False
        self.thread: threading.Thread | None = None
        if not self.todo:
            self._hashed.set()
        if start:
            self.start()

    def start(self) -> None:
        """Start hashing, in one thread (once; :meth:`result` and :meth:`wait` start it too)."""
        with self._lock:
            if self._began or not self.todo:
                return
            self._began = True
        self.thread = self._helper()

    def _helper(self) -> threading.Thread:
        with self._lock:
            self._active += 1
            thread = threading.Thread(
                target=self._work, name=f"sha256-{len(self._threads)}", daemon=False
            )
            self._threads.append(thread)
        thread.start()
        return thread

    def _work(self) -> None:
        try:
            while True:
                with self._lock:
                    item = next(self._queue, None) if self.error is None else None
                if item is None:
                    return
                digest = checked_sha256(item[1], item[0])
                with self._lock:
                    self._result[item[0]] = digest
        except BaseException as exc:  # out of memory, say: the files left get no sha256
            with self._lock:
                self.error = self.error or exc
            if isinstance(exc, FATAL_EXCEPTIONS):
                raise
        finally:
            with self._lock:
                self._active -= 1
                last = self._active == 0
            if last:
                self._hashed.set()

    def result(self) -> dict[str, str]:
        """content_id → sha256 (``""`` where none could be given); helps, then waits."""
        self.start()
        if not self._hashed.is_set():
            with self._lock:
                room = (os.cpu_count() or 1) - self._active
                started = self._active > 0
            for _ in range(room if started else 0):
                self._helper()
        self._hashed.wait()
        return self._results()

    def wait(self) -> dict[str, str]:
        """:meth:`result` without calling helpers in (for a step in the background)."""
        self.start()
        self._hashed.wait()
        return self._results()

    def _results(self) -> dict[str, str]:
        with self._lock:
            return {k: self._result.get(k, "") for k in self.todo}

    def unhashed(self) -> list[str]:
        """The content_ids that got no sha256 because the hashing stopped (see ``error``)."""
        with self._lock:
            return [k for k in self.todo if k not in self._result]

    def done(self) -> bool:
        """Whether the hashing is finished."""
        return self._hashed.is_set()


@dataclass
class Completed:
    """``files`` and ``instances`` with their sha256 completed, as :func:`read_table` gives them.

    Attributes
    ----------
    files, instances : pandas.DataFrame
        The tables as written (``files`` with ``local``), in the dtypes of a re-open.
    arrow : dict
        ``"files"``, ``"instances"`` → the ``pyarrow.Table`` each frame was converted from
        (the one to write: converted once).
    filled : dict
        The same two tables before that conversion (for their CSV).
    changed : list of str
        content_ids whose file no longer has those bytes: no sha256 is given for them.
    unhashed : list of str
        content_ids left without sha256 because the hashing stopped (``error``).
    error : BaseException or None
        What stopped the hashing.
    """

    files: pd.DataFrame
    instances: pd.DataFrame
    arrow: dict[str, Any]
    filled: dict[str, pd.DataFrame]
    changed: list[str]
    unhashed: list[str]
    error: BaseException | None


class TableCompletion:
    """The ``files`` and ``instances`` tables of an ingest whose sha256 are being completed.

    Filled in and converted once (:meth:`result`), for whoever asks first: the
    :class:`~workbench.case.Case` (which helps the hashing) or the step that writes
    them to the workspace in the background (which does not).

    Parameters
    ----------
    hashing : Sha256Completion
        The hashing under way.
    files, instances : pandas.DataFrame
        The tables as built, with ``sha256`` empty where it is being completed.
    """

    def __init__(
        self, hashing: Sha256Completion, files: pd.DataFrame, instances: pd.DataFrame
    ) -> None:
        self.hashing = hashing
        self.todo = hashing.todo
        self._frames = {"files": files, "instances": instances}
        self._lock = threading.Lock()
        self._done: Completed | None = None
        #: What stopped the background step that writes the tables, when it failed.
        self.save_error: BaseException | None = None

    def result(self, *, help_hashing: bool = True) -> Completed:
        """The completed tables; waits for the hashing (helping it unless told not to)."""
        found = self.hashing.result() if help_hashing else self.hashing.wait()
        with self._lock:
            if self._done is None:
                filled = {name: fill(frame, found) for name, frame in self._frames.items()}
                arrow = {name: to_arrow(frame) for name, frame in filled.items()}
                unhashed = self.hashing.unhashed()
                missing = set(unhashed)
                self._done = Completed(
                    files=as_read(arrow["files"]),
                    instances=as_read(arrow["instances"]),
                    arrow=arrow,
                    filled=filled,
                    changed=[k for k, v in found.items() if not v and k not in missing],
                    unhashed=unhashed,
                    error=self.hashing.error,
                )
                self._frames = {}
            return self._done

    def done(self) -> bool:
        """Whether the hashing is finished."""
        return self.hashing.done()
