"""Where derived files go: the workspace, never the originals' folder.

The default workspace of a source is ``$WORKBENCH_HOME/workspaces/<name>-<hash>``
(``WORKBENCH_HOME`` defaults to ``~/.workbench``); pass ``workspace=`` or
``--workspace`` to choose another. Every file is written atomically: to a
temporary file in the same folder, then renamed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd

from workbench.errors import WorkspaceError

#: Folder of a workspace for what leaves the workbench (opinion page, SR, KOS, GSPS).
OUTPUTS = "outputs"
#: Characters that make a spreadsheet treat a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def home() -> Path:
    """The workbench's home folder (``$WORKBENCH_HOME`` or ``~/.workbench``)."""
    return Path(os.environ.get("WORKBENCH_HOME", Path.home() / ".workbench")).expanduser()


def default_workspace(source: Path) -> Path:
    """``$WORKBENCH_HOME/workspaces/<name>-<8 hex of the absolute source path>``."""
    resolved = source.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    name = resolved.stem if resolved.is_file() else resolved.name
    return home() / "workspaces" / f"{name or 'case'}-{digest}"


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
    """A copy whose text cells cannot run as spreadsheet formulas (prefixed with ``'``)."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if isinstance(values.dtype, pd.StringDtype):  # vectorised; most columns need nothing
            risky = values.str.startswith(_FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[col] = values.where(~risky, "'" + values)
        elif values.dtype == object or pd.api.types.is_string_dtype(values):  # lists too
            out[col] = values.map(_neutralise)
    return out


def _neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, list | tuple):
        return "\\".join(str(v) for v in value)
    return value


def write_table(frame: pd.DataFrame, folder: Path, name: str) -> None:
    """Write *frame* as ``name.parquet`` (for programs) and ``name.csv`` (for people)."""
    with atomic_write(folder / f"{name}.parquet") as fh:
        frame.to_parquet(fh, index=False)
    with atomic_write(folder / f"{name}.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv_safe(frame).to_csv(fh, index=False)


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """Read a table written by :func:`write_table`."""
    return pd.read_parquet(folder / f"{name}.parquet")
