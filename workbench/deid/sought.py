"""What the verifier looks for, gathered from the source case on its own.

Deliberately not the cleaner's code (:mod:`workbench.deid.identifiers`): a
value the cleaner fails to gather would otherwise be missed by both. This
module reads the source headers again with pydicom's own iteration and takes:

* every person name (each component group, the whole and each part of two or
  more letters that is not a body-part or side word);
* the whole value of every text attribute that PS3.15's Basic Profile, with the
  options used, neither keeps nor cleans (``X``, ``Z``, ``D`` and their
  combinations: IDs, addresses, phones, institutions ...), and of every
  attribute it replaces by UID (``U``);
* the patient's birth date, and every other date for the date option to check;
* whatever the detectors of :mod:`workbench.deid.detect` find in any text of the
  source: headers (private and UN elements decoded too), preambles, ``case.yaml``
  and text documents.

Values match as whole tokens (``128`` never matches ``1280``) of text; a value
of fewer than six digits (or three letters) only matches the whole value of the
same attribute (an accession number ``128`` is sought in *Accession Number*,
never in *Rows* or a *Stack ID*).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import PYDICOM_ROOT_UID, UID

from workbench.deid.dataset import decode_text
from workbench.deid.detect import Kind, find_identifiers
from workbench.deid.profile import DateMode, action_table
from workbench.record.documents import decode_text as decode_document
from workbench.record.protocol import CaseRecord
from workbench.vocab import body_part_from_text, side_from_text

__all__ = ["TEXT_VRS", "Needles", "bytes_text", "gather", "is_text_vr"]

#: Value representations compared as text.
TEXT_VRS = frozenset({"PN", "LO", "SH", "ST", "LT", "UT", "UC", "AE", "UR"})
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_ENCODINGS = ("utf-8", "gb18030", "gb2312", "utf-16-le", "utf-16-be", "latin-1")
_INSTANCE = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")


def is_text_vr(vr: str) -> bool:
    """True for the VRs whose values are compared as text."""
    return vr in TEXT_VRS


def bytes_text(raw: bytes) -> str | None:
    """*raw* (an OB/UN value, a preamble) as text when it reads as text, else None."""
    raw = raw.strip(b"\x00 ")
    if len(raw) < 2:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        if printable >= 0.9 * len(text):
            return text
    text = raw.decode("latin-1")
    runs = re.findall(r"[\x20-\x7e]{4,}", text)
    return "\n".join(runs) if runs else None


@dataclass
class Needles:
    """Values to find, by kind, and the compiled patterns that find them."""

    values: dict[str, Kind] = field(default_factory=dict)
    short: dict[tuple[str, str], Kind] = field(default_factory=dict)  # (keyword, value)
    _text: re.Pattern[str] | None = None
    _raw: dict[str, re.Pattern[bytes]] = field(default_factory=dict)

    def add(self, value: str, kind: Kind, keyword: str = "") -> None:
        """Add *value* (spaces normalised); short values go to :attr:`short`, matched only
        as the whole value of an element with the same *keyword* (the attribute it was in)."""
        value = " ".join(str(value).split()).strip("^ =")
        if not value or value.lower() in PLACEHOLDERS or _registered_uid(value):
            return
        if (value.isdigit() and len(value) < 6) or (not _CJK.search(value) and len(value) < 3):
            if keyword:
                self.short.setdefault((keyword, value), kind)
        else:
            self.values.setdefault(value, kind)

    def drop_public(self, kept: list[str]) -> None:
        """Forget institution-like values (kind ``other``) that the source also holds in an
        attribute the profile keeps (a manufacturer that is also the institution)."""
        if not kept:
            return
        joined = "\n".join(kept).lower()
        for value, kind in list(self.values.items()):
            if kind == Kind.OTHER and value.lower() in joined:
                del self.values[value]

    def compile(self) -> None:
        """Build one alternation for text and one per encoding for raw bytes."""
        ordered = sorted(self.values, key=lambda v: (-len(v), v))
        if ordered:
            self._text = re.compile("|".join(_token(v, self.values[v]) for v in ordered), re.I)
        for encoding in _ENCODINGS:
            parts = []
            for value in ordered:
                if not _strong(value) or not re.search(r"[^\W\d_]", value):
                    continue  # numbers only as text: raw digits also match numeric values
                try:
                    needle = value.encode(encoding)
                except UnicodeEncodeError:
                    continue
                if encoding.startswith("utf-16") or _CJK.search(value):
                    parts.append(re.escape(needle))
                else:
                    parts.append(rb"(?<![A-Za-z0-9])" + re.escape(needle) + rb"(?![A-Za-z0-9])")
            if parts:
                self._raw[encoding] = re.compile(b"|".join(parts), re.I)

    def in_text(self, text: str) -> list[tuple[int, int, Kind]]:
        """The needles in *text*, as ``(start, end, kind)``."""
        if self._text is None or not text:
            return []
        lowered = {v.lower(): k for v, k in self.values.items()}
        out = []
        for m in self._text.finditer(text):
            key = " ".join(m.group().replace("^", " ").split()).lower()
            out.append((m.start(), m.end(), lowered.get(key, Kind.OTHER)))
        return out

    def whole_value(self, keyword: str, text: str) -> Kind | None:
        """The kind of a short value of *keyword* equal to the whole of *text*, or None."""
        return self.short.get((keyword, text.strip()))

    def in_bytes(self, raw: bytes) -> list[tuple[str, int, str, Kind]]:
        """``(encoding, offset, matched, kind)`` of the first match per encoding in *raw*."""
        lowered = {v.lower(): k for v, k in self.values.items()}
        out = []
        for encoding, pattern in self._raw.items():
            m = pattern.search(raw)
            if m:
                text = m.group().decode(encoding, "replace")
                out.append((encoding, m.start(), text, lowered.get(text.lower(), Kind.OTHER)))
        return out


def _registered_uid(value: str) -> bool:
    """True for a UID of the standard (a SOP Class, a transfer syntax) or pydicom's
    implementation UID (which the outputs' file meta carry): never identifying."""
    if value.startswith((PYDICOM_ROOT_UID.rstrip("."), "1.2.840.10008.")):
        return True
    return UID(value).name != value


def _strong(value: str) -> bool:
    """Long enough to look for in raw bytes without matching binary noise."""
    if _CJK.search(value):
        return len(value) >= 2
    if value.isdigit():
        return len(value) >= 6
    return len(value) >= 4


def _token(value: str, kind: Kind) -> str:
    body = r"[\s^]+".join(re.escape(w) for w in value.split())
    if kind == Kind.UID:
        return r"(?<![0-9.])" + body + r"(?![0-9.])"
    if _CJK.search(value):
        return body
    return r"(?<![A-Za-z0-9])" + body + r"(?![A-Za-z0-9])"


# --- gathering ---------------------------------------------------------------------------


def _date_forms(day: dt.date) -> list[str]:
    return [
        day.strftime("%Y%m%d"),
        day.isoformat(),
        day.strftime("%Y/%m/%d"),
        day.strftime("%Y.%m.%d"),
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}年{day.month:02d}月{day.day:02d}日",
    ]


def _day(text: str) -> dt.date | None:
    digits = text.strip().replace(".", "").replace("-", "")
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _kind_of(keyword: str, vr: str) -> Kind:
    if vr == "PN":
        return Kind.NAME
    if "Telephone" in keyword:
        return Kind.PHONE
    if "Address" in keyword:
        return Kind.ADDRESS
    if "ID" in keyword or "Number" in keyword or "Identifier" in keyword:
        return Kind.ID
    return Kind.OTHER


#: Name parts that are placeholders of test and anonymised files, not names.
_PLACEHOLDER_WORDS = """name names test text patient anon anonymous anonymized anonymised unknown
none null nil demo sample phantom dummy fake subject case study mr mrs ms dr"""
PLACEHOLDERS = frozenset(_PLACEHOLDER_WORDS.split())


def _person_name(needles: Needles, value: str) -> None:
    for group in str(value).split("="):
        parts = [p.strip() for p in re.split(r"[\^]", group) if p.strip()]
        if not parts:
            continue
        whole = " ".join(parts[:3])
        needles.add(whole, Kind.NAME)
        if len(parts) >= 2:
            needles.add("".join(parts[:2]), Kind.NAME)
        for part in (w for p in parts[:3] for w in p.split()):
            if part.lower().strip(".") in PLACEHOLDERS:
                continue
            if len(part) >= 2 and not (body_part_from_text(part) or side_from_text(part)):
                needles.add(part, Kind.NAME)


class _Gatherer:
    def __init__(self, dates: str) -> None:
        self.needles = Needles()
        self.birth: set[dt.date] = set()
        self.dates: set[dt.date] = set()
        mode: DateMode = "keep" if dates == "keep" else ("shift" if dates == "shift" else "remove")
        self._basic = action_table(dates=mode).exact
        self.kept: list[str] = []  # text the profile keeps (Manufacturer, code meanings ...)

    def text(self, text: str) -> None:
        for found in find_identifiers(text):
            self.needles.add(found.text, found.kind)

    def dataset(self, ds: Dataset) -> None:
        for elem in ds.iterall():
            vr, keyword, value = elem.VR, elem.keyword, elem.value
            if vr == "SQ" or value is None or value == "":
                continue
            if isinstance(value, bytes):
                text = bytes_text(value)
                if text:
                    self.text(text)
                continue
            values = (
                list(value) if isinstance(value, list | pydicom.multival.MultiValue) else [value]
            )
            code = self._basic.get(int(elem.tag))
            for one in map(str, values):
                day = _day(one) if vr in ("DA", "DT") else None
                if day is not None:
                    (self.birth if keyword == "PatientBirthDate" else self.dates).add(day)
                elif vr == "PN":
                    _person_name(self.needles, one)
                elif vr == "UI" and (code == "U" or keyword in _INSTANCE):
                    self.needles.add(one, Kind.UID)
                elif vr in TEXT_VRS:
                    if code in (None, "K") and vr != "PN":
                        self.kept.append(one)
                    if code is not None and code not in ("K", "C"):
                        self.needles.add(one, _kind_of(keyword, vr), keyword)
                    self.text(one)

    def manifest(self, data: object, key: str = "") -> None:
        if isinstance(data, dict):
            for k, v in data.items():
                self.manifest(v, str(k))
        elif isinstance(data, list):
            for v in data:
                self.manifest(v, key)
        elif isinstance(data, str):
            if key in ("name", "case_id") or key.endswith("_name"):
                _person_name(self.needles, data.replace(" ", "^"))
                self.needles.add(data, Kind.NAME if key != "case_id" else Kind.ID)
            self.text(data)


def gather(case: CaseRecord, *, dates: str) -> tuple[Needles, set[dt.date]]:
    """The needles of *case* and its birth dates, compiled; original dates are added
    when *dates* is ``remove`` (and, in ``shift`` mode, those no shift could produce)."""
    g = _Gatherer(dates)
    files = case.files
    for row in files.itertuples(index=False):
        kind, local = str(row.kind), case.local_path(str(row.path))
        if kind in ("dicom", "dicomdir"):
            _dicom(g, local)
        elif kind == "text":
            decoded = decode_document(local.read_bytes())
            if decoded is not None:
                g.text(decoded[0])
    g.manifest(case.manifest.model_dump(mode="json", exclude_none=True))
    for day in g.birth:
        for form in _date_forms(day):
            g.needles.add(form, Kind.BIRTH_DATE)
    if dates == "remove":
        for day in g.dates - g.birth:
            for form in _date_forms(day)[:2]:
                g.needles.add(form, Kind.DATE)
    g.needles.drop_public(g.kept)
    g.needles.compile()
    return g.needles, g.birth


def _dicom(g: _Gatherer, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            raw = path.read_bytes()
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            decode_text(ds)
        except Exception:
            return
    preamble = bytes_text(raw[:128]) if raw[128:132] == b"DICM" else None
    if preamble:
        g.text(preamble)
    g.dataset(ds)
