"""Every original file: its size, content identity, sha256, kind and, for DICOM, its header.

:func:`scan` reads each file once: the first chunk feeds kind detection and the
header reader, every chunk feeds the content identity (BLAKE3, ``content_id``) and,
unless it is deferred, the sha256, so memory stays bounded whatever the pixel data
size. The sha256 of DICOM files can be deferred (``defer_sha256``): BLAKE3 hashes
every byte at a third of sha256's cost, and :mod:`workbench.ingest.digests`
completes the sha256 after the tables are ready. Files are spread over the
machine's cores and results are cached in the workspace, keyed by path, size and
mtime, so an unchanged case re-opens without reading anything.
"""

from __future__ import annotations

import gc
import hashlib
import mmap
import os
import threading
import warnings
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from blake3 import blake3

from workbench.cache import load_cache, save_cache
from workbench.dicom.header import (
    DICOMDIR_SOP_CLASS,
    MAX_HEADER_BYTES,
    Bytes,
    HeaderError,
    looks_like_dicom,
    read_header,
)
from workbench.dicom.values import coerce_header
from workbench.ingest.sources import SourceFile
from workbench.problems import (
    FATAL_EXCEPTIONS,
    Problem,
    ProblemKind,
    describe_failure,
    details_json,
)
from workbench.safe_text import shown_name, unsafe_name

#: The kinds of ``case.files``.
FILE_KINDS = ("dicom", "dicomdir", "pdf", "image", "text", "docx", "archive", "other", "junk")

TEXT_SUFFIXES = frozenset({".txt", ".md", ".csv", ".json", ".xml", ".html", ".htm", ".rtf"})
TEXT_SUFFIXES |= frozenset({".yaml", ".yml", ".log", ".ini"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"})
IMAGE_SUFFIXES |= frozenset({".heic", ".heif"})

#: The first read: kind detection and the header reader's input (longer headers are read
#: again by it). The rest of a file is read in :data:`_REST_CHUNK` pieces into one reused
#: buffer (no allocation per file), small enough to stay in the CPU cache between the read
#: and the hashes.
_CHUNK = 64 * 1024
_REST_CHUNK = 256 * 1024
#: What kind detection looks at (a mapped file's head is copied this far).
_KIND_BYTES = 8192
_CACHE_VERSION = 7  # 7: content_id (BLAKE3); sha256 of DICOM may be deferred

#: Largest photo accepted, in pixels. Pillow only warns between 89 and 179 megapixels;
#: here anything above its warning threshold is refused.
MAX_IMAGE_PIXELS = 89_478_485


@dataclass
class Scanned:
    """What scanning one file found."""

    path: str
    local: str
    size: int
    mtime_ns: int
    member_of: str
    sha256: str = ""
    content_id: str = ""
    kind: str = "other"
    header: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)


def scan(
    files: list[SourceFile],
    *,
    cache_file: Path | None = None,
    verify: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    defer_sha256: bool = False,
    save_later: list[Callable[[], None]] | None = None,
) -> list[Scanned]:
    """Scan *files*, reusing cached results for files whose path, size and mtime match.

    With *defer_sha256*, DICOM files get their ``content_id`` only (``sha256`` is ``""``):
    :mod:`workbench.ingest.digests` completes them. Other files always get both.
    With *save_later*, the cache is not written here: the step that writes it (from the
    :class:`Scanned` objects as they are then) is appended, for the caller to run under
    the workspace lock once the sha256 are complete.
    """
    cache = load_cache(cache_file, _CACHE_VERSION)
    results: dict[int, Scanned] = {}
    todo: list[tuple[int, SourceFile]] = []
    for i, sf in enumerate(files):
        hit = _from_cache(cache.get(_key(sf, verify)), sf)
        if hit is not None:
            results[i] = hit
        else:
            todo.append((i, sf))
    if progress and results:
        progress(len(results))
    for i, scanned in _run(todo, verify, workers, progress, not defer_sha256):
        results[i] = scanned
    ordered = [results[i] for i in range(len(files))]
    if cache_file is not None and todo:
        path = cache_file
        pairs = list(zip(files, ordered, strict=True))  # the caller may extend *ordered*

        def save() -> None:
            entries = {_key(sf, verify): _to_cache(s) for sf, s in pairs if not _retry_next_time(s)}
            save_cache(path, entries, _CACHE_VERSION)

        if save_later is None:
            save()
        else:
            save_later.append(save)
    return ordered


def _retry_next_time(s: Scanned) -> bool:
    """A reader that failed unforeseeably (out of memory, a crashed process) may have
    failed for reasons of the machine, not the file: read it again on the next open."""
    return any(p.kind == ProblemKind.READER_FAILED for p in s.problems)


def _key(sf: SourceFile, verify: bool) -> str:
    return f"{sf.path}\x00{sf.size}\x00{sf.mtime_ns}\x00{int(verify)}"


def _to_cache(s: Scanned) -> dict[str, Any]:
    return {
        "sha256": s.sha256,
        "content_id": s.content_id,
        "size": s.size,
        "kind": s.kind,
        "header": s.header,
        "problems": [list(p) for p in s.problems],
    }


def _from_cache(entry: Any, sf: SourceFile) -> Scanned | None:
    """The cached scan of *sf*, or None when the entry is missing or not of our making."""
    if not isinstance(entry, dict):
        return None
    try:
        header = entry["header"]
        if header is not None and not isinstance(header, dict):
            return None
        problems = [Problem(*(str(x) for x in p)) for p in entry["problems"]]
        return Scanned(
            sf.path,
            sf.local,
            int(entry["size"]),
            sf.mtime_ns,
            sf.member_of,
            sha256=str(entry["sha256"]),
            content_id=str(entry["content_id"]),
            kind=str(entry["kind"]),
            header=header,
            problems=problems,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _run(
    todo: list[tuple[int, SourceFile]],
    verify: bool,
    workers: int | None,
    progress: Callable[[int], None] | None,
    dicom_sha256: bool = True,
) -> Iterable[tuple[int, Scanned]]:
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(todo) < 64:
        for i, sf in todo:
            yield i, scan_file(sf, verify=verify, dicom_sha256=dicom_sha256)
            if progress:
                progress(1)
        return
    batches = _batches(todo, workers)
    left = yield from _pooled(batches, workers, (verify, dicom_sha256, True), progress)
    if left:
        # a worker died: a file cut short under its memory map (SIGBUS), or a native reader
        # that crashed (a segfault, the OOM killer). What is left goes to a new pool that
        # reads without maps; if a worker dies there too, one file per process, so that
        # only the file that kills its reader is lost
        left = yield from _pooled(left, workers, (verify, dicom_sha256, False), progress)
    for rest in left:
        for i, sf in rest:
            yield i, _scan_isolated(sf, verify, dicom_sha256)
            if progress:
                progress(1)


def _pooled(
    batches: list[list[Any]],
    workers: int,
    flags: tuple[bool, bool, bool],
    progress: Callable[[int], None] | None,
) -> Generator[tuple[int, Scanned], None, list[list[Any]]]:
    """Scan *batches* in a pool of *workers*; return the batches left when a worker died."""
    finished = 0
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"))
    try:
        for done in pool.map(_scan_batch, batches, [flags] * len(batches)):
            yield from done
            finished += 1
            if progress:
                progress(len(done))
    except BrokenProcessPool:
        return batches[finished:]
    finally:
        # every result is in: the workers exit (tearing down a forked copy of this
        # process takes tens of milliseconds) while the tables are built
        pool.shutdown(wait=False, cancel_futures=True)
    return []


def _batches(todo: list[tuple[int, SourceFile]], workers: int) -> list[list[Any]]:
    """*todo* in batches that shrink as the work left does (guided scheduling).

    Each batch is an eighth of what is left per worker (at most 256 files, at least 16):
    few round trips at the start, and small batches at the end, so that no worker
    finishes long before the others.
    """
    out = []
    k = 0
    while k < len(todo):
        size = max(16, min(256, (len(todo) - k) // (workers * 8)))
        out.append(todo[k : k + size])
        k += size
    return out


def _scan_isolated(sf: SourceFile, verify: bool, dicom_sha256: bool = True) -> Scanned:
    """:func:`scan_file` in a process of its own; a crash of that process is a problem row."""
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork")) as pool:
            return pool.submit(scan_file, sf, verify=verify, dicom_sha256=dicom_sha256).result()
    except BrokenProcessPool:
        out = Scanned(sf.path, sf.local, sf.size, sf.mtime_ns, sf.member_of)
        out.problems.append(
            Problem(
                sf.path,
                "inventory",
                ProblemKind.READER_FAILED,
                f"{shown_name(sf.path)} crashed the program reading it (the reading process "
                "died); the rest of the case is loaded. Ask the sender for this file again.",
                details_json(exception="BrokenProcessPool"),
            )
        )
        return out


def _scan_batch(
    batch: list[tuple[int, SourceFile]], flags: tuple[bool, bool, bool]
) -> list[tuple[int, Scanned]]:
    verify, dicom_sha256, mapped = flags
    # a forked worker inherits the parent's heap (pandas, pydicom ...): frozen, the
    # collector never walks it; a batch creates no cycles worth collecting meanwhile
    gc.freeze()
    gc.disable()
    _MAPPING.on = mapped  # this process is the pool's: a file cut short costs its batch
    try:
        return [(i, scan_file(sf, verify=verify, dicom_sha256=dicom_sha256)) for i, sf in batch]
    finally:
        gc.enable()


def scan_file(sf: SourceFile, *, verify: bool = False, dicom_sha256: bool = True) -> Scanned:
    """Hash, classify and (for DICOM) read the header of one file. Never raises.

    Every byte goes into ``content_id`` (BLAKE3) and, unless *dicom_sha256* is false and
    the file is DICOM, into ``sha256`` in the same pass.
    """
    out = Scanned(sf.path, sf.local, sf.size, sf.mtime_ns, sf.member_of)
    unsafe = unsafe_name(sf.path)
    if unsafe:
        out.problems.append(
            Problem(
                sf.path,
                "inventory",
                ProblemKind.UNSAFE_NAME,
                f"{shown_name(sf.path)}: the file name holds {unsafe}, which can make it look "
                "like another file; it is indexed, but rename it before sharing the case.",
                details_json(name=sf.path),
            )
        )
    try:
        _scan_into(out, sf.local, sf.junk, verify, dicom_sha256)
    except OSError as exc:
        out.problems.append(
            Problem(
                sf.path,
                "inventory",
                "unreadable",
                f"Cannot read {shown_name(sf.path)}: {exc.strerror or exc}.",
            )
        )
    except FATAL_EXCEPTIONS:
        raise
    except BaseException as exc:  # native decoders raise BaseException subclasses
        out.problems.append(_failure(out, exc))
    return out


def _failure(out: Scanned, exc: BaseException) -> Problem:
    """A reader failed in a way no check foresaw: the file's problem row, never a crash."""
    if isinstance(exc, MemoryError):
        what = "asks for more memory than the file could hold (a damaged length field)"
    else:
        what = f"cannot be read ({describe_failure(exc)})"
    return Problem(
        out.path,
        "inventory",
        ProblemKind.READER_FAILED,
        f"{shown_name(out.path)} {what}; the rest of the case is loaded. Ask the sender for "
        "this file again.",
        details_json(exception=type(exc).__name__),
    )


def _scan_into(out: Scanned, local: str, junk: bool, verify: bool, dicom_sha256: bool) -> None:
    with open(local, "rb") as fh:
        mapped = _mapped(fh) if _MAPPING.on else None
        if mapped is not None:
            with mapped:
                _scan_mapped(out, local, mapped, junk, verify, dicom_sha256)
            return
        identity = blake3()
        head = fh.read(_CHUNK)
        kind = "junk" if junk else (_kind(head, out.path) if head else "other")
        digest = hashlib.sha256(head) if dicom_sha256 or kind != "dicom" else None
        identity.update(head)
        total = len(head)
        if total == _CHUNK:  # a shorter first read is the whole file
            buf, view = _buffer()
            while n := fh.readinto(buf):
                chunk = view[:n]
                identity.update(chunk)
                if digest is not None:
                    digest.update(chunk)
                total += n
    # what was hashed is the file: its size, even when it changed since it was listed
    out.size = total
    out.content_id = identity.hexdigest()
    out.sha256 = digest.hexdigest() if digest is not None else ""
    _classify(out, local, head, junk, verify, kind)


class _Mapping(threading.local):
    """Whether this thread reads files longer than the first chunk through a memory map
    (:func:`_scan_mapped`): only in a pool worker, where a crash is one file's problem."""

    on = False


_MAPPING = _Mapping()


def _mapped(fh: Any) -> mmap.mmap | None:
    """A read-only map of *fh*, or None when it is not longer than the first chunk (read
    at once) or cannot be mapped (a file system without mmap): read it instead."""
    try:
        if os.fstat(fh.fileno()).st_size <= _CHUNK:
            return None
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # ValueError: emptied since the fstat
        return None


def _scan_mapped(
    out: Scanned, local: str, mapped: mmap.mmap, junk: bool, verify: bool, dicom_sha256: bool
) -> None:
    """:func:`_scan_into` over a memory map: the page cache is hashed and the header walked
    where they lie, without the copies a read makes (a tenth of a large file's CPU).

    A file cut short while it is mapped kills the process that maps it (SIGBUS): only pool
    workers map, and what a dead worker left is read again by a pool that does not.
    """
    start = mapped[:_KIND_BYTES]
    kind = "junk" if junk else _kind(start, out.path)
    digest = hashlib.sha256() if dicom_sha256 or kind != "dicom" else None
    with memoryview(mapped) as whole:
        identity = blake3(whole)
        if digest is not None:
            digest.update(whole)
    out.size = len(mapped)
    out.content_id = identity.hexdigest()
    out.sha256 = digest.hexdigest() if digest is not None else ""
    head: Bytes = start
    if kind == "dicom":
        # the walker reads the header from the map itself; past MAX_HEADER_BYTES from the
        # first chunk, as when reading (a longer header is read by pydicom, either way)
        head = mapped if len(mapped) <= MAX_HEADER_BYTES else mapped[:_CHUNK]
    _classify(out, local, head, junk, verify, kind)


#: One read buffer per thread (a forked pool worker inherits none that is in use).
_LOCAL = threading.local()


def _buffer() -> tuple[bytearray, memoryview]:
    found: tuple[bytearray, memoryview] | None = getattr(_LOCAL, "buffer", None)
    if found is None:
        buf = bytearray(_REST_CHUNK)
        found = _LOCAL.buffer = (buf, memoryview(buf))
    return found


def _classify(out: Scanned, local: str, head: Bytes, junk: bool, verify: bool, kind: str) -> None:
    if junk:
        out.kind = "junk"
        return
    if not head:
        out.problems.append(
            Problem(
                out.path,
                "inventory",
                "empty_file",
                f"'{out.path}' is empty (0 bytes); ask the sender for the file again.",
            )
        )
        return
    out.kind = kind
    suffix = _suffix(out.path.split("#")[0]).lower()
    if out.kind == "dicom":
        _read_dicom(out, local, head, verify)
    elif out.kind == "image":
        _check_image(out, local, suffix)
    elif suffix in {".dcm", ".dicom", ".ima"}:
        out.problems.append(
            Problem(
                out.path,
                "dicom",
                "not_dicom",
                f"'{out.path}' is named like DICOM but its bytes are not DICOM "
                f"(it looks like {out.kind}). Ask for the original image files from the CD.",
            )
        )
    elif suffix in IMAGE_SUFFIXES:
        out.problems.append(
            Problem(
                out.path,
                "image",
                "wrong_extension",
                f"'{out.path}' is named like an image but is {out.kind}; "
                "not used as a photo. Check the file with the sender.",
            )
        )


def _kind(head: bytes, path: str) -> str:
    lower = path.lower().split("#")[0]
    if looks_like_dicom(head):
        return "dicom"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "docx" if lower.endswith(".docx") or b"word/" in head[:2048] else "archive"
    if _image_magic(head):
        return "image"
    suffix = _suffix(lower)
    if suffix in TEXT_SUFFIXES and (
        b"\x00" not in head[:8192] or head.startswith((b"\xff\xfe", b"\xfe\xff"))
    ):
        return "text"
    return "other"


def _suffix(path: str) -> str:
    """``Path(path).suffix`` without building a Path (this runs for every file)."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _image_magic(head: bytes) -> bool:
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"GIF87a", b"GIF89a")):
        return True
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1")


def _read_dicom(out: Scanned, local: str, head: Bytes, verify: bool) -> None:
    try:
        header = read_header(local, head, out.size)
    except HeaderError as exc:
        out.problems.append(Problem(out.path, "dicom", exc.kind, _dicom_message(out.path, exc)))
        return
    record: dict[str, Any] = coerce_header(header.values)
    record["transfer_syntax"] = header.transfer_syntax
    record["has_preamble"] = header.has_preamble
    record["has_pixels"] = header.has_pixels
    record["pixel_length"] = header.pixel_length
    record["reader"] = header.reader
    if header.media_sop_class == DICOMDIR_SOP_CLASS or record.get("SOPClassUID") == (
        DICOMDIR_SOP_CLASS
    ):
        out.kind = "dicomdir"
    for kind, detail in header.issues:
        out.problems.append(
            Problem(out.path, "dicom", kind, _dicom_message(out.path, HeaderError(kind, detail)))
        )
    out.header = record
    if verify and header.has_pixels and out.kind == "dicom":
        from workbench.dicom.pixel_check import verify_pixels

        available = None if header.pixel_offset is None else out.size - header.pixel_offset
        out.problems.extend(verify_pixels(local, out.path, record, available=available))


_ADVICE = {
    "truncated": "the file was cut short (an interrupted copy?); ask for it again from the CD",
    "absurd_length": "an element declares more bytes than the file holds; the file is damaged "
    "or hostile; ask for it again",
    "invalid_vr": "the header is malformed; values were read by the tolerant reader, check them",
    "too_deep": "sequences are nested far deeper than any real image; the file is refused",
    "invalid_sequence": "a sequence is malformed; ask for the file again",
    "invalid_length": "an element has an impossible length; ask for the file again",
    "undeclared_charset": "ask the sender's PACS to set Specific Character Set; the text was "
    "decoded by guessing and shown as read",
    "unreadable_dicom": "the file cannot be parsed as DICOM; ask for it again",
    "no_file_meta": "it was read from where its data set starts; if the viewer cannot open "
    "it, ask for a standard DICOM (Part 10) export",
}


def _dicom_message(path: str, exc: HeaderError) -> str:
    advice = _ADVICE.get(exc.kind, "check the file")
    return f"'{path}': {exc.detail}. {advice[0].upper()}{advice[1:]}."


#: What a complete file of each format ends with, within its last few kilobytes.
_END_MARKERS = {"jpeg": (b"\xff\xd9", "JPEG end-of-image"), "png": (b"IEND", "PNG IEND")}


def _missing_end_marker(local: str, fmt: str) -> str:
    """The name of the end marker a JPEG or PNG lacks (a truncated file), or ``""``."""
    marker = _END_MARKERS.get(fmt)
    if marker is None:
        return ""
    with open(local, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(fh.tell() - 4096, 0))
        tail = fh.read()
    return "" if marker[0] in tail else marker[1]


def _check_image(out: Scanned, local: str, suffix: str) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(local) as im:
                width, height = im.size
                fmt = (im.format or "").lower()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        width = height = -1
        fmt = "bomb"
    except Exception as exc:
        out.problems.append(
            Problem(
                out.path,
                "image",
                "image_unreadable",
                f"'{out.path}' looks like an image but cannot be opened ({exc}); "
                "ask for the photo again.",
            )
        )
        return
    if fmt == "bomb" or width * height > MAX_IMAGE_PIXELS:
        out.problems.append(
            Problem(
                out.path,
                "image",
                "image_bomb",
                f"'{out.path}' declares more than {MAX_IMAGE_PIXELS} pixels "
                "(a decompression bomb or an absurd photo); not opened. "
                "Ask for a normal-size photo.",
            )
        )
        out.kind = "other"
        return
    out.header = {"width": width, "height": height, "format": fmt}
    missing_end = _missing_end_marker(local, fmt)
    if missing_end:
        out.problems.append(
            Problem(
                out.path,
                "image",
                ProblemKind.IMAGE_TRUNCATED,
                f"{shown_name(out.path)} is cut short (no {missing_end} marker at its end: an "
                "interrupted copy or upload); part of the picture may be missing. Ask for the "
                "photo again.",
            )
        )
    expected = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".tif": "tiff", ".tiff": "tiff"}
    if suffix in expected and expected[suffix] != fmt:
        out.problems.append(
            Problem(
                out.path,
                "image",
                "wrong_extension",
                f"'{out.path}' is named {suffix} but is a {fmt.upper()} image; used as what it is.",
            )
        )
