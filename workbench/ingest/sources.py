"""Turn a case source (folder or zip) into a list of readable files, safely.

Originals are only ever opened for reading. Folders are walked without
following links. Zip archives (the source itself, or archives found inside a
folder) are unpacked into the workspace, never beside the originals, and only
after each member passed the checks that stop zip slips, links, bombs and
overlapping entries; refused members become problem rows.

Logical paths are POSIX paths relative to the source; a member of an archive is
named ``archive.zip/member/path`` so every row points at something a person can
find.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from workbench.errors import WorkspaceError
from workbench.problems import Problem
from workbench.workspace import atomic_write, is_workspace_fault, workspace_error

#: Files and folders that operating systems leave behind; listed, never indexed.
JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".Spotlight-V100", ".Trashes"})
OFFICE_SUFFIXES = (".docx", ".xlsx", ".pptx", ".odt")
JUNK_FOLDERS = frozenset({"__MACOSX", ".Trashes", ".Spotlight-V100", ".fseventsd"})


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits that keep a hostile archive from filling the disk or memory.

    Python 3.11's zipfile predates the fix for overlapping-entry bombs, so sizes,
    ratios and entry offsets are checked here before anything is unpacked.
    """

    max_member_bytes: int = 4 * 1024**3
    max_total_bytes: int = 20 * 1024**3
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 8 * 1024**2
    max_members: int = 200_000
    max_depth: int = 2


DEFAULT_LIMITS = ArchiveLimits()

#: Failures that reading an archive cannot cause; only writing the workspace does.
_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


@dataclass(frozen=True)
class SourceFile:
    """One original file (or archive member) and where its bytes can be read now."""

    path: str
    local: str
    size: int
    mtime_ns: int
    junk: bool = False
    member_of: str = ""


@dataclass
class Listing:
    """What walking a source produced."""

    files: list[SourceFile]
    problems: list[Problem]


def is_junk(logical: str) -> bool:
    """macOS and Windows leftovers (``__MACOSX/``, ``.DS_Store``, ``._name``)."""
    parts = logical.split("/")  # plain string work: this runs for every file of a case
    name = parts[-1]
    return name in JUNK_NAMES or name.startswith("._") or not JUNK_FOLDERS.isdisjoint(parts[:-1])


# --- folders --------------------------------------------------------------------------


def walk_folder(root: Path, *, skip: Path | None = None, aliases: Path | None = None) -> Listing:
    """List every regular file under *root* without following links.

    Links are listed as problems: ``link_outside`` when the target is outside
    *root*, ``symlink_loop`` when it cannot be resolved, ``link_not_followed``
    otherwise (the target is indexed where it really lives).

    A name that is not valid UTF-8 (a Chinese Windows zip unpacked on Linux leaves
    GBK bytes) gets a readable logical path (decoded as GB18030) and, since such a
    path cannot go into the tables, its bytes are read through a link in *aliases*
    (a folder of the workspace); without *aliases* the file is an ``unreadable`` problem.
    """
    files: list[SourceFile] = []
    problems: list[Problem] = []
    root = root.resolve()
    skip_path = str(skip) if skip is not None else None
    # Paths as strings, not pathlib: a warm re-open lists every file, and pathlib costs
    # more than the stat calls. (folder, its logical path + "/" ("" for the root), whether
    # that and the folder's own path are valid UTF-8: each name is then checked alone)
    stack = [(str(root), "", True, _is_unicode(str(root)))]
    while stack:
        folder, prefix, prefix_ok, folder_ok = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            rel = _rel(Path(folder), root)
            problems.append(
                Problem(rel, "inventory", "unreadable", f"Cannot list folder '{rel}': {exc}.")
            )
            continue
        for entry in entries:
            if entry.path == skip_path:
                continue
            raw = prefix + entry.name
            # the name alone is checked (ASCII first: nearly every name is); the prefix
            # and the folder's path were checked when the folder was listed
            name_ok = entry.name.isascii() or _is_unicode(entry.name)
            rel = raw if prefix_ok and name_ok else _rel(Path(entry.path), root)
            if entry.is_symlink():
                problems.append(_link_problem(Path(entry.path), rel, root))
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(
                        (entry.path, raw + "/", prefix_ok and name_ok, folder_ok and name_ok)
                    )
                    continue
                if not entry.is_file(follow_symlinks=False):
                    problems.append(
                        Problem(rel, "inventory", "not_a_file", f"'{rel}' is a device or pipe.")
                    )
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                problems.append(Problem(rel, "inventory", "unreadable", f"'{rel}': {exc}."))
                continue
            local = entry.path
            if not (folder_ok and name_ok):
                if aliases is None:
                    problems.append(
                        Problem(
                            rel,
                            "inventory",
                            "unreadable",
                            f"'{rel}': the file name is not valid UTF-8; rename the file.",
                        )
                    )
                    continue
                local = str(_alias(Path(entry.path), aliases))
            files.append(SourceFile(rel, local, st.st_size, st.st_mtime_ns, is_junk(rel)))
    files.sort(key=lambda f: f.path)
    return Listing(files, problems)


def _rel(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix()
    if not _is_unicode(rel):
        raw = os.fsencode(rel)
        try:
            rel = raw.decode("gb18030")
        except UnicodeDecodeError:
            rel = raw.decode("utf-8", "backslashreplace")
    return rel if rel != "." else ""


def _is_unicode(text: str) -> bool:
    """False for names the OS could not decode (they hold lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _alias(full: Path, aliases: Path) -> Path:
    """A link with a plain name in *aliases* to *full*, whose own path is not valid UTF-8."""
    link = aliases / hashlib.sha256(os.fsencode(full)).hexdigest()[:24]
    if not link.is_symlink() or link.readlink() != full:
        aliases.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(full)
    return link


def _link_problem(full: Path, rel: str, root: Path) -> Problem:
    try:
        target = full.resolve(strict=True)
    except (OSError, RuntimeError):
        return Problem(
            rel,
            "inventory",
            "symlink_loop",
            f"'{rel}' is a link that loops or points nowhere; not followed. "
            "Copy the real file into the case folder if it is needed.",
        )
    if not target.is_relative_to(root):
        return Problem(
            rel,
            "inventory",
            "link_outside",
            f"'{rel}' is a link to a file outside the case folder; not followed. "
            "Copy the file into the case folder if it belongs to this case.",
        )
    return Problem(
        rel,
        "inventory",
        "link_not_followed",
        f"'{rel}' is a link to '{_rel(target, root)}' inside the case; indexed there, not twice.",
    )


# --- archives -------------------------------------------------------------------------


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name decoded properly: UTF-8 when flagged, else GBK before CP437.

    Windows in China writes zip names in GBK without the UTF-8 flag; zipfile
    then decodes them as CP437 and shows mojibake.
    """
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return name


def _unsafe_reason(name: str, info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "zip_link"
    clean = name.replace("\\", "/")
    if clean.startswith("/") or (len(clean) > 1 and clean[1] == ":") or "\x00" in clean:
        return "unsafe_path"
    if any(part == ".." for part in clean.split("/")):
        return "unsafe_path"
    return None


def _overlapping(infos: list[zipfile.ZipInfo]) -> set[int]:
    """Indices of entries whose data overlaps another entry's (the overlap bomb)."""
    order = sorted(range(len(infos)), key=lambda i: infos[i].header_offset)
    bad: set[int] = set()
    for prev, cur in itertools.pairwise(order):
        a, b = infos[prev], infos[cur]
        if a.header_offset + 30 + a.compress_size > b.header_offset:
            bad.update({prev, cur})
    return bad


def unpack_archive(
    archive: Path,
    logical: str,
    dest_root: Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    depth: int = 1,
) -> Listing:
    """Unpack *archive* (logical name *logical*) into the workspace, checking every member.

    Unpacking is keyed by the archive's name, size and mtime and reused when done
    before. Nested archives are unpacked to ``limits.max_depth``.
    """
    st = archive.stat()
    key = f"{logical}\x00{st.st_size}\x00{st.st_mtime_ns}".encode()
    target = dest_root / hashlib.sha256(key).hexdigest()[:24]
    done = target / ".listing.json"
    if done.exists():
        try:
            return _load_listing(done, target)
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            pass  # a damaged unpacking: do it again
    # Unpack into a private folder renamed into place: a reader never sees half of it.
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    files: list[SourceFile] = []
    problems: list[Problem] = []
    try:
        with _writing(dest_root):
            if target.exists():
                shutil.rmtree(target)
            if partial.exists():
                shutil.rmtree(partial)
            partial.mkdir(parents=True)
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            _unpack_members(zf, infos, logical, partial, target, limits, files, problems)
        with _writing(dest_root):
            partial.rename(target)
    except WorkspaceError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in _SPACE_ERRNOS:
            raise workspace_error(dest_root, exc) from exc
        problems.append(
            Problem(
                logical,
                "archive",
                "zip_corrupt",
                f"'{logical}' is not a readable zip ({exc}). It may be truncated: ask the "
                "sender to create it again, or unpack what you can and add the folder.",
            )
        )
        return Listing(files, problems)
    result: list[SourceFile] = []
    for f in files:
        if f.junk or f.path.lower().endswith(OFFICE_SUFFIXES) or not zipfile.is_zipfile(f.local):
            result.append(f)
            continue
        if depth >= limits.max_depth:
            problems.append(
                Problem(
                    f.path,
                    "archive",
                    "zip_too_deep",
                    f"'{f.path}' is an archive nested {depth + 1} deep; not unpacked. "
                    "Unpack it by hand if it belongs to the case.",
                )
            )
            result.append(f)
            continue
        inner = unpack_archive(Path(f.local), f.path, dest_root, limits=limits, depth=depth + 1)
        result.append(f)
        result.extend(inner.files)
        problems.extend(inner.problems)
    listing = Listing(result, problems)
    _save_listing(done, listing, target)
    return listing


def _unpack_members(
    zf: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    logical: str,
    partial: Path,
    target: Path,
    limits: ArchiveLimits,
    files: list[SourceFile],
    problems: list[Problem],
) -> None:
    if len(infos) > limits.max_members:
        problems.append(
            Problem(
                logical,
                "archive",
                "zip_bomb",
                f"'{logical}' lists {len(infos)} entries (limit {limits.max_members}); "
                "not unpacked. Split the upload into smaller archives.",
            )
        )
        return
    overlaps = _overlapping(infos)
    used: set[str] = set()
    total = 0
    for index, info in enumerate(infos):
        name = member_name(info)
        shown = f"{logical}/{name.replace(chr(92), '/').lstrip('/')}"
        if info.is_dir():
            continue
        reason = _unsafe_reason(name, info)
        if reason:
            what = "a link" if reason == "zip_link" else "a path that leaves the archive folder"
            problems.append(
                Problem(
                    shown,
                    "archive",
                    reason,
                    f"Archive member '{name}' in '{logical}' is {what}; refused and not "
                    "unpacked. Ask the sender for a plain archive of the files.",
                )
            )
            continue
        bomb = _bomb_reason(info, index in overlaps, total, limits)
        if bomb:
            problems.append(
                Problem(
                    shown,
                    "archive",
                    "zip_bomb",
                    f"Archive member '{name}' in '{logical}' {bomb}; not unpacked. "
                    "If the file is genuine, unpack it by hand and add it as a folder.",
                )
            )
            continue
        if info.flag_bits & 0x1:
            problems.append(
                Problem(
                    shown,
                    "archive",
                    "zip_encrypted",
                    f"Archive member '{name}' in '{logical}' is password-protected; "
                    "ask the sender for the password or an unprotected copy.",
                )
            )
            continue
        shown = _unique(shown, used)  # same name twice (or a name like 'a.dcm#2'): all kept
        dest = partial / "m" / f"{index:06d}"
        try:
            written = _copy_member(zf, info, dest, limits.max_member_bytes)
        except WorkspaceError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            if is_workspace_fault(exc):  # the zip is open: a disk or permission error is ours
                raise workspace_error(target.parent, exc) from exc  # type: ignore[arg-type]
            dest.unlink(missing_ok=True)
            problems.append(
                Problem(
                    shown,
                    "archive",
                    "zip_corrupt",
                    f"Archive member '{name}' in '{logical}' cannot be read ({exc}); "
                    "the archive may be truncated. Ask the sender to create it again.",
                )
            )
            continue
        total += written
        st = dest.stat()
        final = target / "m" / f"{index:06d}"  # where the member is once renamed into place
        files.append(
            SourceFile(shown, str(final), written, st.st_mtime_ns, is_junk(shown), logical)
        )


def _unique(shown: str, used: set[str]) -> str:
    """*shown*, or ``shown#2``, ``shown#3`` ... whichever no earlier member took."""
    candidate, count = shown, 1
    while candidate in used:
        count += 1
        candidate = f"{shown}#{count}"
    used.add(candidate)
    return candidate


@contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """Disk, quota and permission failures while writing into the workspace: WorkspaceError."""
    try:
        yield
    except OSError as exc:
        if is_workspace_fault(exc) and not isinstance(exc, WorkspaceError):
            raise workspace_error(folder, exc) from exc
        raise


def _bomb_reason(info: zipfile.ZipInfo, overlaps: bool, total: int, limits: ArchiveLimits) -> str:
    if overlaps:
        return "overlaps another entry (a zip bomb construction)"
    if info.file_size > limits.max_member_bytes:
        return f"would unpack to {info.file_size} bytes (limit {limits.max_member_bytes})"
    if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
        info.compress_size, 1
    ):
        ratio = info.file_size / max(info.compress_size, 1)
        return f"is compressed {ratio:.0f}:1 (limit {limits.max_ratio:.0f}:1)"
    if total + info.file_size > limits.max_total_bytes:
        return f"would take the archive past {limits.max_total_bytes} unpacked bytes"
    return ""


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, limit: int) -> int:
    """Copy one member in chunks, never writing more than it declared."""
    with _writing(dest.parent.parent):
        dest.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(info) as src, _open_for_writing(dest) as out:
        while chunk := src.read(1024 * 1024):  # reading: a failure is the archive's
            written += len(chunk)
            if written > info.file_size or written > limit:
                raise ValueError("member is larger than it declares")
            with _writing(dest.parent.parent):  # writing: a failure is the workspace's
                out.write(chunk)
    return written


@contextmanager
def _open_for_writing(dest: Path) -> Iterator[BinaryIO]:
    with _writing(dest.parent.parent):
        out = open(dest, "xb")  # noqa: SIM115 - closed below, its failure is the workspace's
    try:
        yield out
    finally:
        with _writing(dest.parent.parent):
            out.close()


def _save_listing(done: Path, listing: Listing, target: Path) -> None:
    data = {
        "files": [asdict(f) for f in listing.files],
        "problems": [p._asdict() for p in listing.problems],
    }
    with _writing(target.parent):
        target.mkdir(parents=True, exist_ok=True)
        with atomic_write(done, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data, ensure_ascii=False))


def _load_listing(done: Path, target: Path) -> Listing:
    data = json.loads(done.read_text(encoding="utf-8"))
    files = [SourceFile(**f) for f in data["files"]]
    if not all(Path(f.local).exists() for f in files):
        shutil.rmtree(target)
        raise FileNotFoundError(target)
    return Listing(files, [Problem(**p) for p in data["problems"]])
