"""Identifying values of a case, and the redaction of free text.

:class:`Identifiers` gathers what identifies the patient and the staff: names as
written in DICOM PN components (alphabetic, ideographic and phonetic groups) and
in ``case.yaml``, IDs, birth dates and other values (addresses, institutions).
:class:`Redactor` removes them from free text: report text, DICOM descriptions
and comments, file names. Latin names match whole words, in any letter case and
with or without the space inside a camel-cased given name (``XiaoDong``,
``Xiao Dong``); Chinese names match as written.

>>> ids = Identifiers()
>>> ids.add_person_name("Wang^XiaoDong=王^小东")
>>> r = Redactor(ids, DatePolicy("keep"))
>>> r.text("王小东，男。Patient Xiao Dong WANG, knee pain since 2021-03-04.")
'[NAME]，男。Patient [NAME], knee pain since 2021-03-04.'
>>> Redactor(ids, DatePolicy("shift", -10)).text("MRI 2021-03-04")
'MRI 2021-02-22'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from workbench.deid.detect import Finding, Kind, find_identifiers
from workbench.deid.profile import DateMode
from workbench.record.dates import find_dates
from workbench.vocab import body_part_from_text, side_from_text

__all__ = ["DatePolicy", "Identifiers", "Redactor", "is_cjk", "name_variants"]

# Replacements written into cleaned text (not secrets).
NAME_TOKEN = "[NAME]"  # noqa: S105
ID_TOKEN = "[ID]"  # noqa: S105
BIRTH_TOKEN = "[BIRTH DATE]"  # noqa: S105
DATE_TOKEN = "[DATE]"  # noqa: S105
OTHER_TOKEN = "[REDACTED]"  # noqa: S105
#: What replaces each kind of identifier the detectors find.
TOKENS = {
    Kind.NAME: NAME_TOKEN,
    Kind.PHONE: "[PHONE]",
    Kind.RESIDENT_ID: ID_TOKEN,
    Kind.EMAIL: "[EMAIL]",
    Kind.ADDRESS: "[ADDRESS]",
    Kind.RECORD_NUMBER: ID_TOKEN,
    Kind.ID: ID_TOKEN,
}

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_DICOM_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")


def is_cjk(text: str) -> bool:
    """True when *text* holds Chinese, Japanese or Korean characters."""
    return bool(_CJK.search(text))


def name_variants(group: str) -> set[str]:
    """The ways one PN component group (``Family^Given^Middle^Prefix^Suffix``) is written.

    >>> sorted(name_variants("Wang^XiaoDong"))  # doctest: +NORMALIZE_WHITESPACE
    ['Wang', 'Wang XiaoDong', 'Wang, XiaoDong', 'WangXiaoDong', 'Wang^XiaoDong',
     'XiaoDong', 'XiaoDong Wang']
    >>> sorted(name_variants("王^小东"))
    ['小东', '王^小东', '王小东']
    """
    group = group.strip()
    if not group:
        return set()
    parts = [p.strip() for p in group.split("^")]
    core = [p for p in parts[:3] if p]
    out = {group}
    if len(core) >= 2:
        family, given = core[0], " ".join(core[1:])
        out |= {f"{family} {given}", f"{given} {family}", f"{family}{given}", f"{family}, {given}"}
    for part in core:
        if len(part) >= 2 and not _clinical_term(part):
            out.add(part)
    if all(is_cjk(v) for v in core):  # no spaces between Chinese family and given names
        out = {v for v in out if " " not in v and "," not in v}
    return {v for v in out if v.strip("^ ,")}


def plain_name_variants(name: str) -> set[str]:
    """Variants of a name written without PN structure (``张三``, ``Zhang San``)."""
    name = " ".join(name.replace("^", " ").split())
    if not name:
        return set()
    out = {name}
    words = [w.strip(",") for w in name.split()]
    if len(words) >= 2:
        out |= {" ".join(reversed(words)), "".join(words)}
        out |= {w for w in words if len(w) >= 2 and not _clinical_term(w)}
    return out


def _clinical_term(word: str) -> bool:
    """True for a name part that is also a body part or side word (``腰椎``, ``Hip``).

    Such a part is redacted only as part of the full name: alone it would wipe
    the clinical content of every report (sample patients are named after them).
    """
    return body_part_from_text(word) is not None or side_from_text(word) is not None


@dataclass
class Identifiers:
    """Values to remove from free text and to look for when verifying.

    Attributes
    ----------
    names : set of str
        Person names and their variants (patient, other names, staff).
    ids : set of str
        Patient IDs, other IDs, accession numbers, case IDs.
    birth_dates : set of datetime.date
    others : set of str
        Addresses, telephone numbers, institution and station names.
    """

    names: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    birth_dates: set[dt.date] = field(default_factory=set)
    others: set[str] = field(default_factory=set)

    def add_person_name(self, value: object) -> None:
        """Add a DICOM PN value: every component group, every variant."""
        text = str(value or "").strip()
        for group in text.split("="):
            self.names |= name_variants(group)

    def add_plain_name(self, value: object) -> None:
        """Add a name written as free text (``case.yaml``'s ``patient.name``)."""
        self.names |= plain_name_variants(str(value or ""))

    def add_id(self, value: object) -> None:
        """Add an identifier (at least 3 characters; shorter ones would match everywhere)."""
        text = str(value or "").strip()
        if len(text) >= 3:
            self.ids.add(text)

    def add_other(self, value: object) -> None:
        """Add another identifying value (at least 4 characters)."""
        text = " ".join(str(value or "").split())
        if len(text) >= 4:
            self.others.add(text)

    def add_birth_date(self, value: object) -> None:
        """Add a DICOM DA value (``YYYYMMDD``) or a date."""
        if isinstance(value, dt.date):
            self.birth_dates.add(value)
            return
        match = _DICOM_DATE.fullmatch(str(value or "").strip())
        if match:
            with contextlib.suppress(ValueError):
                self.birth_dates.add(dt.date(*(int(g) for g in match.groups())))


@dataclass(frozen=True)
class DatePolicy:
    """What happens to dates: ``remove``, ``keep`` or ``shift`` by *days*."""

    mode: DateMode
    days: int = 0

    def shift(self, day: dt.date) -> dt.date:
        """*day* moved by the policy's days."""
        return day + dt.timedelta(days=self.days)

    def da(self, value: str) -> str:
        """A DICOM DA value (``YYYYMMDD``, also ``YYYY.MM.DD``) shifted; empty if invalid."""
        digits = value.strip().replace(".", "")
        try:
            day = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            return ""
        return self.shift(day).strftime("%Y%m%d")

    def dt(self, value: str) -> str:
        """A DICOM DT value with its date part shifted (time and offset kept)."""
        value = value.strip()
        if len(value) < 8:
            return ""  # a year or year-month alone cannot be shifted by days
        day = self.da(value[:8])
        return day + value[8:] if day else ""


class Redactor:
    """Remove identifying values from free text.

    Parameters
    ----------
    identifiers : Identifiers
    dates : DatePolicy
        Dates other than birth dates: kept, shifted (written ``YYYY-MM-DD``) or
        replaced by ``[DATE]``.
    """

    def __init__(self, identifiers: Identifiers, dates: DatePolicy) -> None:
        self.identifiers = identifiers
        self.dates = dates
        self._names = _alternation(identifiers.names, _name_pattern)
        self._ids = _alternation(identifiers.ids, _id_pattern)
        self._others = _alternation(identifiers.others, _other_pattern)

    def text(self, text: str) -> str:
        """*text* without names, IDs, birth dates and other identifying values.

        First e-mail addresses (they often hold a name), then the values the
        case lists, then whatever the detectors of
        :mod:`workbench.deid.detect` find (names after a cue, phones, ID
        numbers, e-mail and street addresses, record numbers), then dates.
        """
        if not text:
            return text
        text = _replace(text, [f for f in find_identifiers(text) if f.kind == Kind.EMAIL])
        if self._names is not None:
            text = self._names.sub(NAME_TOKEN, text)
        if self._ids is not None:
            text = self._ids.sub(ID_TOKEN, text)
        if self._others is not None:
            text = self._others.sub(OTHER_TOKEN, text)
        return self._dates(_replace(text, find_identifiers(text)))

    def known(self, text: str) -> str:
        """*text* without the case's known names and IDs only (no detectors, no dates): for
        attributes the profile keeps, where a name or an ID has no business."""
        if not text:
            return text
        if self._names is not None:
            text = self._names.sub(NAME_TOKEN, text)
        if self._ids is not None:
            text = self._ids.sub(ID_TOKEN, text)
        return text

    def _dates(self, text: str) -> str:
        matches = find_dates(text)
        births = {(m.start, m.end) for m in matches if m.label == "birth"}
        spans: list[tuple[int, int, dt.date]] = [(m.start, m.end, m.date.date()) for m in matches]
        for m in _DICOM_DATE.finditer(text):
            try:
                day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                continue
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), day))
        for start, end, day in sorted(spans, reverse=True):
            if day in self.identifiers.birth_dates or (start, end) in births:
                new = BIRTH_TOKEN
            elif self.dates.mode == "remove":
                new = DATE_TOKEN
            elif self.dates.mode == "shift":
                new = self.dates.shift(day).isoformat()
            else:
                continue
            text = text[:start] + new + text[end:]
        return text


def _replace(text: str, found: list[Finding]) -> str:
    for f in reversed(found):
        text = text[: f.start] + TOKENS.get(f.kind, OTHER_TOKEN) + text[f.end :]
    return text


def _name_pattern(value: str) -> str:
    if is_cjk(value):
        return re.escape(value)
    words = re.split(r"[\s^,]+", value.strip())
    pieces = [r"[\s\-]?".join(re.escape(c) for c in _CAMEL.split(w)) for w in words if w]
    return r"(?<![A-Za-z])" + r"[\s^,]+".join(pieces) + r"(?![A-Za-z])"


def _id_pattern(value: str) -> str:
    return r"(?<![A-Za-z0-9])" + re.escape(value) + r"(?![A-Za-z0-9])"


def _other_pattern(value: str) -> str:
    if is_cjk(value):
        return re.escape(value)
    return r"(?<![A-Za-z0-9])" + r"\s+".join(map(re.escape, value.split())) + r"(?![A-Za-z0-9])"


def _alternation(values: Iterable[str], make: Callable[[str], str]) -> re.Pattern[str] | None:
    ordered = sorted({v for v in values if v.strip()}, key=lambda v: (-len(v), v))
    if not ordered:
        return None
    return re.compile("|".join(f"(?:{make(v)})" for v in ordered), re.IGNORECASE)
