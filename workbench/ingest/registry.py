"""Which reader opens a case source: a registry, not a chain of ``if``.

Local readers decide from the path (a DICOMDIR file, a folder, a zip); remote readers
claim a URL prefix (``dicomweb+http://``) and bring the study into the workspace as a
folder first. The layer above registers the remote readers it offers (the case façade
registers :func:`workbench.pacs.dicomweb.fetch_case_source` for ``dicomweb+``), so
:func:`workbench.open_case` never branches on a transport.

>>> [reader.kind.value for reader in LOCAL_READERS]
['dicomdir', 'folder', 'zip']
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from workbench.dicom.header import DICOMDIR_SOP_CLASS, looks_like_dicom


class SourceKind(StrEnum):
    """What a case source is."""

    FOLDER = "folder"
    ZIP = "zip"
    DICOMDIR = "dicomdir"


@dataclass(frozen=True)
class ResolvedSource:
    """What the user pointed at and where its files are."""

    given: Path
    root: Path
    kind: SourceKind


@dataclass(frozen=True)
class LocalReader:
    """Claims an existing path and says where the case's files are."""

    kind: SourceKind
    claims: Callable[[Path], bool]
    root: Callable[[Path], Path]


def _is_dicomdir_file(path: Path) -> bool:
    if not path.is_file():
        return False
    if path.name.upper().split(";")[0] == "DICOMDIR":
        return True
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return looks_like_dicom(head) and DICOMDIR_SOP_CLASS.encode() in head


def _folder_with_dicomdir(path: Path) -> bool:
    names = ("DICOMDIR", "dicomdir", "DICOMDIR;1", "dicomdir;1")  # ;1: an ISO 9660 copy
    return path.is_dir() and any((path / n).is_file() for n in names)


LOCAL_READERS: list[LocalReader] = [
    LocalReader(
        SourceKind.DICOMDIR,
        lambda p: _folder_with_dicomdir(p) or _is_dicomdir_file(p),
        lambda p: p.resolve() if p.is_dir() else p.resolve().parent,
    ),
    LocalReader(SourceKind.FOLDER, Path.is_dir, Path.resolve),
    LocalReader(SourceKind.ZIP, lambda p: p.is_file() and zipfile.is_zipfile(p), Path.resolve),
]


def local_reader_for(path: Path) -> LocalReader | None:
    """The first local reader that claims *path*, or None."""
    return next((reader for reader in LOCAL_READERS if reader.claims(path)), None)


#: A remote reader: (url, workspace or None, options) -> (local folder, workspace).
RemoteFetch = Callable[..., tuple[Path, Path]]
_REMOTE: dict[str, RemoteFetch] = {}


def register_remote(prefix: str, fetch: RemoteFetch) -> None:
    """Let sources starting with *prefix* (``"dicomweb+"``) be opened by *fetch*."""
    _REMOTE[prefix] = fetch


def remote_reader_for(source: object) -> RemoteFetch | None:
    """The remote reader whose prefix *source* starts with, or None."""
    if not isinstance(source, str):
        return None
    return next((f for prefix, f in _REMOTE.items() if source.startswith(prefix)), None)
