"""Check a de-identified copy independently of the code that wrote it.

:func:`verify_deidentified` scans every file of the output folder and every
header-cleaned review copy (``<workspace>/deid-review``) three ways:

* for the source's identifying values, gathered again by :mod:`workbench.deid.sought`
  (not by the cleaner's code), as whole tokens of the text of text-VR elements
  (never of numbers: an ID ``128`` does not match *Rows* = 128), of text files
  and of file names, and in the bytes of binary elements (OB, UN ..., pixel data
  excluded), text files and unparseable files, in UTF-8, GB18030, GB2312,
  UTF-16 and Latin-1;
* with the detectors of :mod:`workbench.deid.detect` (names after a cue, phones,
  resident ID numbers, e-mail and street addresses, record numbers), so that
  identifiers nobody listed are found too;
* for person names still in a PN element (anything but the pseudonym) and for
  text in the preamble, in UN and private binary elements.

Each finding is one row: the file, the element (keyword path and tag path),
the kind of identifier, where it was read, and the value masked.
:func:`compare_dciodvfy` (re-exported from :mod:`workbench.deid.dciodvfy`)
compares the validator's errors with the originals'.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from workbench.deid.dataset import decode_text
from workbench.deid.dciodvfy import LOG_NAME, compare_dciodvfy
from workbench.deid.detect import Kind, find_identifiers
from workbench.deid.sought import Needles, bytes_text, gather, is_text_vr
from workbench.dicom import uids
from workbench.record.documents import decode_text as decode_document
from workbench.record.protocol import CaseRecord

__all__ = ["LEAK_COLUMNS", "compare_dciodvfy", "verify_deidentified"]

LEAK_COLUMNS = ["path", "where", "what", "encoding", "match", "tag", "copy", "span"]
#: Values the cleaner writes; never findings.
_WRITTEN = frozenset(
    {"ANONYMIZED", "ANONYMOUS", "[NAME]", "[ID]", "[REDACTED]", "[PHONE]", "[EMAIL]", "[ADDRESS]"}
)
_REVIEW = "deid-review"
_PIXEL_DATA = 0x7FE00010
#: Attributes the cleaner writes to say how it worked (their text names options, not people).
_OWN = frozenset({"DeidentificationMethod", "DeidentificationMethodCodeSequence"})
#: Log reasons that quote something from the file (an error message).
_ERROR_REASONS = ("could not be de-identified", "the original is damaged")
#: Output paths made of hashes (``DICOM/<study>/<series>/<instance>.dcm``).
_HASHED = re.compile(r"DICOM/[0-9a-f]{8}/[0-9a-f]{8}/[0-9a-f]{16}(?:-\d+)?\.dcm")
#: The tokens the cleaner writes in place of what it removed.
_TOKEN = re.compile(r"\[(?:NAME|ID|BIRTH DATE|DATE|REDACTED|PHONE|EMAIL|ADDRESS)\]")


def verify_deidentified(
    source_case: CaseRecord,
    dest: str | Path,
    *,
    dates: str | None = None,
    review: str | Path | None = None,
) -> pd.DataFrame:
    """Every place in *dest* and in the review copies where something identifying is found.

    Parameters
    ----------
    source_case : CaseRecord
        The case that was de-identified.
    dest : str or Path
        The output folder of :func:`workbench.deidentify`.
    dates : {"remove", "keep", "shift"}, optional
        How dates were treated; read from the outputs' (0012,0064)
        *De-identification Method Code Sequence* by default. Original dates are
        sought only when they were removed.
    review : str or Path, optional
        The folder of header-cleaned copies of held-back files; default
        ``<workspace>/deid-review`` of *source_case*, scanned when it exists.

    Returns
    -------
    pandas.DataFrame
        One row per finding (columns :data:`LEAK_COLUMNS`): ``path`` (relative to
        *dest*, absolute for a review copy), ``where`` (an element path such as
        ``ContentSequence[0].TextValue``, ``preamble``, ``bytes@offset``, ``line 3``
        or ``file name``), ``what`` (a :class:`~workbench.deid.detect.Kind` value),
        ``encoding`` (``element``, ``text``, ``detector`` or a byte encoding),
        ``match`` (masked), ``tag`` (the tag path, DICOM only) and ``copy``
        (``output`` or ``review``), ``span`` (``start:end`` of the match in the
        element's text or the line). Empty when clean.
    """
    dest = Path(dest)
    review_dir = Path(review) if review is not None else Path(source_case.workspace) / _REVIEW
    roots = [(dest, "output")]
    if review_dir.is_dir() and review_dir.resolve() != dest.resolve():
        roots.append((review_dir.resolve(), "review"))
    files = [
        (root, copy, p) for root, copy in roots for p in sorted(root.rglob("*")) if p.is_file()
    ]
    mode = dates or _date_mode([p for _, _, p in files])
    needles, birth = gather(source_case, dates=mode)
    scan = _Scan(needles, _pseudonyms([p for _, _, p in files]))
    scan.birth = {day.strftime("%Y%m%d") for day in birth}
    for root, copy, file in files:
        name = file.relative_to(root).as_posix() if copy == "output" else file.as_posix()
        scan.file(file, name, copy, file.relative_to(root).as_posix())
    return pd.DataFrame(scan.rows, columns=LEAK_COLUMNS).drop_duplicates(ignore_index=True)


class _Scan:
    def __init__(self, needles: Needles, pseudonyms: set[str]) -> None:
        self.needles = needles
        self.ignore = {v.upper() for v in _WRITTEN | pseudonyms}
        self.rows: list[dict[str, str]] = []
        self.birth: set[str] = set()
        self._path = self._copy = ""

    def add(
        self, where: str, what: str, encoding: str, value: str, tag: str = "", span: str = ""
    ) -> None:
        if " ".join(value.split()).upper() in self.ignore:
            return
        self.rows.append(
            {
                "path": self._path,
                "where": where,
                "what": str(what),
                "encoding": encoding,
                "match": _mask(value),
                "tag": tag,
                "copy": self._copy,
                "span": span,
            }
        )

    def text(
        self, text: str, where: str, tag: str = "", encoding: str = "text", *, detect: bool = True
    ) -> None:
        tokens = [m.span() for m in _TOKEN.finditer(text)]  # the cleaner's own tokens
        for start, end, kind in self.needles.in_text(text):
            if any(a <= start and end <= b for a, b in tokens):
                continue
            self.add(where, kind, encoding, text[start:end], tag, f"{start}:{end}")
        for found in find_identifiers(text) if detect else ():
            self.add(where, found.kind, "detector", found.text, tag, f"{found.start}:{found.end}")

    def file(self, file: Path, name: str, copy: str, rel: str) -> None:
        self._path, self._copy = name, copy
        self.text(rel, "file name", detect=not _HASHED.fullmatch(rel))
        raw = file.read_bytes()
        ds = _read_dicom(raw)
        if rel == LOG_NAME:
            self.log(raw)
        elif ds is None:
            decoded = decode_document(raw)
            if decoded is not None:
                for number, line in enumerate(decoded[0].splitlines(), start=1):
                    self.text(line, f"line {number}")
        else:
            preamble = bytes_text(raw[:128])
            if preamble:
                self.text(preamble, "preamble", encoding="bytes")
            for where, tag, elem in _elements(ds):
                if where.split("[")[0] not in _OWN:
                    self.element(where, tag, elem)
        if ds is None:  # a text file, or DICOM pydicom cannot parse: its bytes, any encoding
            body = _without_pixels(raw) if raw[128:132] == b"DICM" else raw
            for encoding, offset, value, kind in self.needles.in_bytes(body):
                self.add(f"bytes@{offset}", kind, encoding, value, span=str(offset))

    def log(self, raw: bytes) -> None:
        try:
            log = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
        except (ValueError, UnicodeDecodeError):
            self.text(raw.decode("utf-8", "replace"), "log")
            return
        for number, row in enumerate(log.itertuples(index=False), start=2):
            dest = str(getattr(row, "dest_path", ""))
            self.text(str(getattr(row, "source_path", "")), f"line {number} source_path")
            self.text(dest, f"line {number} dest_path", detect=not _HASHED.fullmatch(dest))
            reason = str(getattr(row, "reason", ""))
            if reason.startswith(_ERROR_REASONS):  # the rest is the workbench's own wording
                self.text(reason, f"line {number} reason")

    def element(self, where: str, tag: str, elem: DataElement) -> None:
        value = elem.value
        if value is None or value == "" or elem.VR == "SQ":
            return
        if isinstance(value, bytes):
            if int(elem.tag) == _PIXEL_DATA:
                return  # pixels are the held-back rule's business
            text = bytes_text(value) if elem.VR in ("UN", "OB") else None
            if text:
                self.text(text, where, tag, "element")
            for encoding, offset, found, kind in self.needles.in_bytes(value):
                self.add(where, kind, encoding, found, tag, str(offset))
            return
        if elem.VR in ("DA", "DT"):
            for one in value if isinstance(value, list | pydicom.multival.MultiValue) else [value]:
                if str(one).strip()[:8] in self.birth:
                    self.add(where, Kind.BIRTH_DATE, "element", str(one), tag, f"0:{len(one)}")
            return
        if not is_text_vr(elem.VR):
            return  # numbers, times, UIDs: not text (UIDs are in the raw scan)
        values = list(value) if isinstance(value, list | pydicom.multival.MultiValue) else [value]
        for one in map(str, values):
            if " ".join(one.split()).upper() in self.ignore:
                continue  # the pseudonym, a dummy
            if elem.VR == "PN" and one.strip("^= ") and one.strip().upper() not in self.ignore:
                self.add(where, Kind.NAME, "element", one, tag, f"0:{len(one)}")
                continue
            short = self.needles.whole_value(elem.keyword, one)
            if short is not None:
                self.add(where, short, "element", one, tag, f"0:{len(one)}")
            self.text(one, where, tag, "element")


def _mask(value: str) -> str:
    value = " ".join(value.split())
    return value[:2] + "…" + f"({len(value)})" if len(value) > 2 else value[:1] + "…"


def _elements(ds: Dataset) -> Iterator[tuple[str, str, DataElement]]:
    """Every element with its keyword path and tag path, sequences and file meta included."""

    def walk(data: Dataset, names: str, tags: str) -> Iterator[tuple[str, str, DataElement]]:
        for elem in data:
            tag = f"({elem.tag.group:04X},{elem.tag.element:04X})"
            name = f"{names}{elem.keyword or tag}"
            path = f"{tags}{tag}"
            yield name, path, elem
            if elem.VR == "SQ" and elem.value is not None:
                for i, item in enumerate(elem.value):
                    yield from walk(item, f"{name}[{i}].", f"{path}[{i}].")

    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        yield from walk(meta, "file_meta.", "")
    yield from walk(ds, "", "")


def _pseudonyms(files: list[Path]) -> set[str]:
    """The pseudonyms the workbench's outputs carry in (0010,0010) and (0010,0020)."""
    out: set[str] = set()
    for file in files:
        if file.suffix != ".dcm":
            continue
        ds = _read_dicom(file.read_bytes())
        method = str(ds.get("DeidentificationMethod", "")) if ds is not None else ""
        if ds is not None and method.startswith(("workbench:", "['workbench:")):
            out |= {str(ds.get("PatientName", "")), str(ds.get("PatientID", ""))}
    return {v for v in out if v.strip()}


def _date_mode(files: list[Path]) -> str:
    for file in files:
        if file.suffix != ".dcm":
            continue
        ds = _read_dicom(file.read_bytes())
        if ds is None:
            continue
        values = {
            str(i.get("CodeValue", "")) for i in ds.get("DeidentificationMethodCodeSequence", [])
        }
        return "keep" if "113106" in values else ("shift" if "113107" in values else "remove")
    return "remove"


def _read_dicom(raw: bytes) -> pydicom.Dataset | None:
    if raw[128:132] != b"DICM":
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(io.BytesIO(raw), force=True)
            decode_text(ds)
        except Exception:
            return None
    return ds


def _without_pixels(raw: bytes) -> bytes:
    """*raw* minus the value of (7FE0,0010) *Pixel Data* (header kept)."""
    fp = io.BytesIO(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(fp, stop_before_pixels=True, force=True)
        except Exception:
            return raw
    start = fp.tell()
    if raw[start : start + 4] != b"\xe0\x7f\x10\x00":
        return raw
    implicit = ds.file_meta.get("TransferSyntaxUID", "") == uids.IMPLICIT_LE
    if implicit:
        (length,), head = struct.unpack("<I", raw[start + 4 : start + 8]), 8
    else:
        (length,), head = struct.unpack("<I", raw[start + 8 : start + 12]), 12
    if length == 0xFFFFFFFF:
        end = raw.rfind(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00")
        end = len(raw) if end < 0 else end + 8
    else:
        end = start + head + length
    return raw[: start + head] + raw[end:]
