"""Check a de-identified copy independently of the code that wrote it.

:func:`verify_deidentified` gathers the original identifying values of the
source case again (names in every PN component group and in ``case.yaml``,
IDs, birth dates, addresses and institutions, instance UIDs, and the dates
when dates were not retained) and looks for them in every output file twice:

* in the raw bytes, encoded as UTF-8, GB18030, GB2312, UTF-16 (both byte
  orders) and Latin-1 (pixel data excluded: pixels are the held-back rule's
  business, and random bytes would match short names);
* in every element of every DICOM output, sequences included, as decoded text;

and in the output file names. :func:`compare_dciodvfy` runs David Clunie's
``dciodvfy`` on each original and its copy and lists the ``Error -`` lines the
copy has and the original had not (the exit code of dciodvfy is not used: it
does not reflect the errors found).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import struct
import subprocess
import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pydicom

from workbench.deid.dataset import decode_text
from workbench.deid.identifiers import case_identity, walk
from workbench.deid.text import is_cjk
from workbench.dicom import uids
from workbench.record.protocol import CaseRecord

__all__ = ["LEAK_COLUMNS", "compare_dciodvfy", "verify_deidentified"]

LEAK_COLUMNS = ["path", "where", "what", "encoding", "match"]
_ENCODINGS = ("utf-8", "gb18030", "gb2312", "utf-16-le", "utf-16-be", "latin-1")
_DUMMIES = frozenset({"ANONYMIZED", "ANONYMOUS", "[NAME]", "[ID]", "[REDACTED]"})
_LOG = "DEIDENTIFICATION.csv"


@dataclass(frozen=True)
class _Sought:
    what: str
    value: str
    text: re.Pattern[str]
    raw: tuple[tuple[str, re.Pattern[bytes]], ...]


def verify_deidentified(
    source_case: CaseRecord, dest: str | Path, *, dates: str | None = None
) -> pd.DataFrame:
    """Every place in *dest* where an original identifying value of *source_case* is found.

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

    Returns
    -------
    pandas.DataFrame
        One row per leak: ``path`` (relative to *dest*), ``where`` (an element
        path, ``bytes@offset`` or ``file name``), ``what`` (the kind of value),
        ``encoding`` and ``match`` (the value, masked). Empty when clean.
    """
    dest = Path(dest)
    files = sorted(p for p in dest.rglob("*") if p.is_file())
    mode = dates or _date_mode(files)
    sought = _sought_values(source_case, include_dates=mode == "remove")
    rows: list[dict[str, str]] = []
    for file in files:
        rel = file.relative_to(dest).as_posix()
        for s in sought:
            if s.text.search(rel):
                rows.append(_row(rel, "file name", s, "text"))
        raw = file.read_bytes()
        ds = _read_dicom(raw)
        scan = _without_pixels(raw) if ds is not None else raw
        for s in sought:
            for encoding, pattern in s.raw:
                match = pattern.search(scan)
                if match:
                    rows.append(_row(rel, f"bytes@{match.start()}", s, encoding))
        if ds is not None:
            for where, text in _element_texts(ds):
                for s in sought:
                    if s.text.search(text):
                        rows.append(_row(rel, where, s, "element"))
    return pd.DataFrame(rows, columns=LEAK_COLUMNS)


def _row(path: str, where: str, sought: _Sought, encoding: str) -> dict[str, str]:
    value = sought.value
    masked = value[:2] + "…" + f"({len(value)})" if len(value) > 2 else value[:1] + "…"
    return {
        "path": path,
        "where": where,
        "what": sought.what,
        "encoding": encoding,
        "match": masked,
    }


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


def _sought_values(case: CaseRecord, *, include_dates: bool) -> list[_Sought]:
    identity = case_identity(case)
    ids = identity.identifiers
    found: dict[str, str] = {}
    for name in ids.names:
        found.setdefault(name, "name")
    for value in ids.ids:
        found.setdefault(value, "id")
    for value in ids.others:
        found.setdefault(value, "other")
    for uid in identity.uids:
        found.setdefault(uid, "uid")
    for day in ids.birth_dates:
        for text in _date_forms(day):
            found.setdefault(text, "birth date")
    if include_dates:
        for day in identity.dates:
            for text in _date_forms(day)[:2]:
                found.setdefault(text, "date")
    return [
        _compile(value, what)
        for value, what in sorted(found.items())
        if value.strip() and value.upper() not in _DUMMIES
    ]


def _date_forms(day: dt.date) -> list[str]:
    return [
        day.strftime("%Y%m%d"),
        day.isoformat(),
        day.strftime("%Y/%m/%d"),
        day.strftime("%Y.%m.%d"),
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}年{day.month:02d}月{day.day:02d}日",
    ]


def _compile(value: str, what: str) -> _Sought:
    """Text and byte patterns for *value*; Latin values match whole words, any case."""
    if what == "uid":
        left, right = r"(?<![0-9.])", r"(?![0-9.])"
    elif is_cjk(value):
        left = right = ""
    else:
        left, right = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"
    text = re.compile(left + re.escape(value) + right, re.IGNORECASE)
    raw: list[tuple[str, re.Pattern[bytes]]] = []
    seen: set[bytes] = set()
    for encoding in _ENCODINGS:
        try:
            needle = value.encode(encoding)
        except UnicodeEncodeError:
            continue
        if needle in seen:
            continue
        seen.add(needle)
        if encoding.startswith("utf-16"):
            if len(value) < 3 and not is_cjk(value):
                continue  # two Latin letters in UTF-16 match too much binary data
            pattern = re.escape(needle)
        else:
            pattern = (
                left.encode() + re.escape(needle) + right.encode() if left else re.escape(needle)
            )
        raw.append((encoding, re.compile(pattern, re.IGNORECASE)))
    return _Sought(what, value, text, tuple(raw))


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


def _element_texts(ds: pydicom.Dataset) -> Iterator[tuple[str, str]]:
    for where, elem in walk(ds):
        if elem.VR in ("SQ", "OB", "OW", "OF", "OD", "OL", "OV", "UN") or elem.value is None:
            continue
        yield where, str(elem.value)
    for where, elem in walk(ds.file_meta) if hasattr(ds, "file_meta") else ():
        if elem.VR not in ("OB",) and elem.value is not None:
            yield f"file_meta.{where}", str(elem.value)


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


# --- dciodvfy -----------------------------------------------------------------------


def compare_dciodvfy(source_case: CaseRecord, dest: str | Path) -> pd.DataFrame:
    """``dciodvfy`` errors of each output DICOM file that its original does not have.

    Returns
    -------
    pandas.DataFrame
        Columns ``dest_path`` and ``error``. When dciodvfy is not installed the
        frame is empty and ``attrs["note"]`` says so and how to install it.
    """
    out = pd.DataFrame(columns=["dest_path", "error"])
    binary = shutil.which("dciodvfy")
    if binary is None:
        out.attrs["note"] = (
            "dciodvfy not found: the comparison with the originals was skipped. Install "
            "dicom3tools (Debian: apt-get install dicom3tools) to run it."
        )
        return out
    dest = Path(dest)
    log = pd.read_csv(dest / _LOG, dtype=str, keep_default_na=False)
    written = log[(log["kind"] == "dicom") & (log["status"] == "written")]
    by_sha = dict(zip(source_case.files["sha256"], source_case.files["path"], strict=False))
    pairs = [
        (source_case.local_path(by_sha[row.source_sha256]), dest / row.dest_path)
        for row in written.itertuples()
        if row.source_sha256 in by_sha
    ]

    def errors_of(pair: tuple[Path, Path]) -> list[str]:
        before, after = Counter(_dciodvfy(binary, pair[0])), Counter(_dciodvfy(binary, pair[1]))
        return sorted((after - before).elements())

    with ThreadPoolExecutor(max_workers=2) as pool:
        found = list(pool.map(errors_of, pairs))
    rows = [
        {"dest_path": after.relative_to(dest).as_posix(), "error": error}
        for (_, after), errors in zip(pairs, found, strict=True)
        for error in errors
    ]
    return pd.DataFrame(rows, columns=["dest_path", "error"])


_VALUE = re.compile(r"<[^>]*>|\[[^\]]*\]|\d+")


def _dciodvfy(binary: str, path: Path) -> list[str]:
    """The ``Error -`` lines of dciodvfy, with values and numbers blanked for comparison."""
    try:
        run = subprocess.run([binary, str(path)], capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [f"dciodvfy could not run: {exc}"]
    text = (run.stdout + run.stderr).decode("utf-8", "replace")
    return [_normalise(line) for line in text.splitlines() if line.strip().startswith("Error - ")]


def _normalise(line: str) -> str:
    keep_names = re.sub(r"<([A-Za-z' ()/-]+)>", r"«\1»", line.strip())
    return _VALUE.sub("…", keep_names).replace("«", "<").replace("»", ">")
