"""Check a DICOMDIR against the files actually present.

A hospital CD's DICOMDIR lists its images by *Referenced File ID*. The raw
directory records are read and resolved against the logical paths of the case,
so the same check works for a folder and for a zip.
A record pointing at a missing file, or outside the DICOMDIR's folder, is a
problem; files the DICOMDIR does not list are indexed all the same.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from workbench.dicom.header import CappedFile
from workbench.problems import Problem

#: An ISO 9660 version suffix (``IM0001;1``, ``README.;1``) at the end of a path component.
_ISO_VERSION = re.compile(r"\.?;\d*(?=/|$)")


def iso9660_key(path: str) -> str:
    """*path* as a CD reader compares it: case folded, version suffixes (``;1``) dropped.

    >>> iso9660_key("CD/DICOM/ST000001/IM000001;1")
    'cd/dicom/st000001/im000001'
    """
    return _ISO_VERSION.sub("", path.lower())


def referenced_ids(local: Path) -> list[tuple[str, ...]]:
    """The *Referenced File ID* components of every record in a DICOMDIR.

    The raw directory records are read, not pydicom's :class:`~pydicom.fileset.FileSet`:
    FileSet silently drops every record whose file is missing (only a warning), and
    those records are exactly the ones this check exists to report.
    """
    # heavy dependency loaded only for a DICOMDIR: its first import loads every pixel decoder
    import pydicom

    with CappedFile(local) as fh:
        ds = pydicom.dcmread(fh, force=True)
    ids = []
    for record in ds.get("DirectoryRecordSequence", []):
        if record.get("RecordInUseFlag", 0xFFFF) == 0:
            continue  # a record the creating application marked as deleted
        value = record.get("ReferencedFileID")
        if value is None or value == "":
            continue
        parts = [value] if isinstance(value, str) else list(value)
        ids.append(tuple(str(p) for p in parts))
    return ids


def check_dicomdir(
    local: Path, logical: str, present: dict[str, str]
) -> tuple[set[str], list[Problem]]:
    """Resolve every record of the DICOMDIR at *logical* against *present*.

    Parameters
    ----------
    local : Path
        Where the DICOMDIR's bytes are.
    logical : str
        Its path in the case (``CD/DICOMDIR`` or ``upload.zip/CD/DICOMDIR``).
    present : dict
        Lower-cased logical path → logical path, for every file in the case.

    Returns
    -------
    listed : set of str
        Logical paths of the files the DICOMDIR references and that exist.
    problems : list of Problem
    """
    try:
        ids = referenced_ids(local)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # a damaged DICOMDIR is its own problem row
        return set(), [
            Problem(
                logical,
                "dicomdir",
                "dicomdir_unreadable",
                f"DICOMDIR '{logical}' cannot be read ({exc}); the files beside "
                "it are indexed anyway.",
            )
        ]
    base = posixpath.dirname(logical)
    listed: set[str] = set()
    by_iso: dict[str, str] = {}
    for lower, original in sorted(present.items()):
        by_iso.setdefault(iso9660_key(lower), original)
    problems: list[Problem] = []
    for parts in ids:
        joined = "/".join(p.strip().replace("\\", "/") for p in parts)
        target = posixpath.normpath(posixpath.join(base, joined)) if joined else base
        inside = not posixpath.isabs(joined) and (
            target == base or target.startswith(base + "/") if base else not target.startswith("..")
        )
        if not inside:
            problems.append(
                Problem(
                    logical,
                    "dicomdir",
                    "dicomdir_outside",
                    f"DICOMDIR '{logical}' references '{joined}', outside its "
                    "folder; the reference is ignored.",
                )
            )
            continue
        found = present.get(target.lower()) or by_iso.get(iso9660_key(target))
        if found is None:
            problems.append(
                Problem(
                    target,
                    "dicomdir",
                    "dicomdir_missing_file",
                    f"DICOMDIR '{logical}' lists '{target}' but the file is not "
                    "in the upload; ask the sender to copy the whole CD.",
                )
            )
            continue
        listed.add(found)
    return listed, problems
