"""Export the notebook the reviewer sees, not an older file (export layer).

The export reads the notebook from disk, so content that JupyterLab holds and the file
does not would silently be left out. Two guards:

:func:`save_in_jupyterlab`
    Called in the Jupyter kernel of that notebook (``JPY_SESSION_NAME``, set by
    jupyter_server, names it), it displays :class:`~workbench.widgets.save_request.SaveRequest`,
    whose front end runs JupyterLab's ``docmanager:save``, and waits for the file to
    change; when it does not, the export is refused with "save the notebook (Ctrl+S)".
:func:`refuse_newer_content`
    Refuses (unless ``force``) when a checkpoint in ``.ipynb_checkpoints/`` is newer than
    the file and differs from it, or when a running Jupyter server for that folder has
    the notebook open and its kernel was active after the file was last written (cells
    run since the last save), or reports a newer ``last_modified`` for it.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.errors import ExportError

__all__ = ["checkpoint_of", "refuse_newer_content", "running_servers", "save_in_jupyterlab"]

#: Seconds of clock slack between the file, its checkpoint and the server.
SLACK = 2.0
SAVE_TIMEOUT = 15.0
_FIX = (
    "Save the notebook in JupyterLab (Ctrl+S), or pass --force (force=True) to export the "
    "file as it is on disk"
)


def checkpoint_of(path: Path) -> Path:
    """Where jupyter_server keeps the checkpoint of *path*."""
    return path.parent / ".ipynb_checkpoints" / f"{path.stem}-checkpoint{path.suffix}"


def _kernel_session_path() -> Path | None:
    """The notebook this process is the kernel of (None outside a Jupyter kernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "kernel"):
        return None
    name = os.environ.get("JPY_SESSION_NAME")
    return Path(name).resolve() if name else None


def save_in_jupyterlab(path: Path, *, timeout: float = SAVE_TIMEOUT) -> bool:
    """In the kernel of *path*: have JupyterLab save it and wait; False when not in one.

    Raises
    ------
    ExportError
        The file did not change within *timeout* seconds.
    """
    session = _kernel_session_path()
    if session is None or session != Path(path).resolve():
        return False
    from IPython.display import display  # in a kernel IPython is loaded already

    from workbench.widgets.save_request import SaveRequest

    before = path.stat().st_mtime_ns if path.exists() else 0
    display(SaveRequest(path=str(path)))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_mtime_ns != before:
            time.sleep(0.3)  # let the server finish writing
            return True
        time.sleep(0.1)
    raise ExportError(
        f"JupyterLab did not save '{path.name}' within {timeout:.0f} s, so the export would "
        "miss your latest edits: save the notebook (Ctrl+S) first and run the export again, "
        "or pass save=False to export the file as it is on disk."
    )


def running_servers() -> Iterator[dict[str, Any]]:
    """The Jupyter servers of this user that are running (their ``jpserver-*.json``)."""
    from jupyter_core.paths import jupyter_runtime_dir  # light; jupyter_core comes with nbformat

    for info_file in sorted(Path(jupyter_runtime_dir()).glob("jpserver-*.json")):
        try:
            info = json.loads(info_file.read_text(encoding="utf-8"))
            os.kill(int(info["pid"]), 0)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        yield info


def _get(info: dict[str, Any], api: str) -> Any:
    url = str(info.get("url", "")).rstrip("/") + "/" + api
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not a server URL: {url!r}")
    headers = {"Authorization": f"token {info.get('token', '')}"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http(s) only)
    with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
        return json.loads(response.read().decode("utf-8"))


def _timestamp(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _server_findings(path: Path) -> Iterator[str]:
    mtime = path.stat().st_mtime
    for info in running_servers():
        root = Path(str(info.get("root_dir") or info.get("notebook_dir") or "")).resolve()
        try:
            rel = path.resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        try:
            sessions = _get(info, "api/sessions")
            contents = _get(info, "api/contents/" + urllib.parse.quote(rel) + "?content=0")
        except (OSError, ValueError):
            continue
        modified = _timestamp(contents.get("last_modified"))
        if modified is not None and modified > mtime + SLACK:
            yield f"the Jupyter server at {info.get('url')} has a newer '{rel}'"
        for session in sessions or []:
            if str(session.get("path")) != rel:
                continue
            active = _timestamp((session.get("kernel") or {}).get("last_activity"))
            if active is not None and active > mtime + SLACK:
                when = datetime.fromtimestamp(mtime).isoformat(timespec="seconds")
                yield (f"'{rel}' is open in JupyterLab ({info.get('url')}) and its kernel ran "
                       f"after the file was last saved ({when})")  # fmt: skip


def refuse_newer_content(path: Path, *, server: bool = True) -> None:
    """Raise when JupyterLab holds content of *path* newer than the file (see module doc)."""
    path = Path(path)
    if not path.exists():
        return
    found = []
    checkpoint = checkpoint_of(path)
    newer = checkpoint.exists() and checkpoint.stat().st_mtime > path.stat().st_mtime + SLACK
    if newer and checkpoint.read_bytes() != path.read_bytes():
        found.append(f"its checkpoint '{checkpoint}' is newer than the file and differs")
    if server:
        found += list(_server_findings(path))
    if found:
        raise ExportError(f"Not exported: '{path.name}' on disk may be older than what you see "
                          f"in JupyterLab: {'; '.join(found)}. {_FIX}.")  # fmt: skip
