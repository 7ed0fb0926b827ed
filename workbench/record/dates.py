"""Dates written in reports and notes, in English and Chinese.

Recognised forms: ``2024-03-10``, ``2024/03/10``, ``2024/3/10``, ``2024.03.10``,
compact ``20240310``, ``2024年3月10日``, Chinese numerals ``二〇二四年三月十日``,
``10/03/2024`` and ``03/10/2024``, ``10.03.2024``, ``10 March 2024``, ``10-Mar-2024``,
``March 10, 2024``, and with a two-digit year ``10/03/24``, ``10-Mar-24``. Full-width
digits (``２０２４``) count as digits.

Numeric dates with the year last are read day-first unless the same document
shows month-first evidence (an unambiguous ``03/25/2024`` or ``March 10, 2024``).
When both numbers are 12 or less and differ, the date is flagged ambiguous
whichever reading is chosen, so a reviewer can check it.

**Two-digit years** (:func:`century`): ``YY`` is read as 20YY unless that is later
than next year, then as 19YY; the date is always flagged ambiguous, since the century
was inferred.

With ``partial=True``, dates known only to the month are found too (``2024年3月``,
``March 2024``, ``2024-03``, ``03/2024``), with ``precision="month"``: their day is
never invented (the timestamp is the first of the month, and ``precision`` says so).

>>> [(str(d.date()), t, a) for d, t, a in extract_dates("Exam date: 03/04/2024")]
[('2024-04-03', '03/04/2024', True)]
>>> [str(d.date()) for d, _, _ in extract_dates("检查日期：2024年3月10日")]
['2024-03-10']
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import NamedTuple

import pandas as pd

# --- data -----------------------------------------------------------------------------

_MONTHS: dict[str, int] = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

#: Labels that introduce a document's own date, by kind; checked in this order, so the
#: specific kinds come before ``generic``.
DATE_LABELS: dict[str, str] = {
    "exam": r"exam(?:ination)?\s+date|date\s+of\s+(?:exam(?:ination)?|study|scan|imaging)"
    r"|(?:study|scan)\s+date|检查日期|检查时间|摄片日期|扫描日期|检查日",
    "operation": r"(?:operation|operative|surgery|procedure)\s+date"
    r"|date\s+of\s+(?:operation|surgery|procedure)|手术日期|手术时间",
    "discharge": r"discharge\s+date|date\s+of\s+discharge|discharged\s+on|出院日期|出院时间",
    "admission": r"admission\s+date|date\s+of\s+admission|admitted\s+on|入院日期|入院时间",
    "visit": r"(?:visit|clinic|consultation)\s+date|date\s+of\s+(?:visit|consultation)"
    r"|就诊日期|就诊时间|门诊日期",
    "sample": r"(?:collection|sample|specimen)\s+date|采样(?:日期|时间)|采集(?:日期|时间)"
    r"|送检(?:日期|时间)",
    "report": r"report(?:ed)?\s+date|date\s+of\s+report|reported\s+on|报告日期|报告时间|审核日期",
    "generic": r"\bdate\b|日期",
}

#: Labels whose date is never the document date.
BIRTH_LABELS = (
    r"date\s+of\s+birth|birth\s*date|\bd\.?o\.?b\b\.?|\bborn(?:\s+on)?|出生日期|出生年月|生日"
)

#: Which label kind a document type prefers for its date (then any label, in text order).
PREFERRED_LABELS: dict[str, tuple[str, ...]] = {
    "imaging_report": ("exam",),
    "operation_note": ("operation",),
    "discharge_summary": ("discharge",),
    "outpatient_note": ("visit",),
    "lab": ("sample",),
}

#: Dates before this year are not taken as a document date.
EARLIEST_YEAR = 1980

# --- patterns -------------------------------------------------------------------------

_FULLWIDTH = str.maketrans("０１２３４５６７８９／－．：", "0123456789/-.:")
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_MONTH = (
    r"(?<![a-z])(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])"
)
_ORD = r"(?:st|nd|rd|th)?"
_CN_DIGIT = "〇零○Ｏ一二三四五六七八九"
_CN_VALUE = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0}
_CN_SMALL = r"(?:[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_YY = r"(?P<yy>\d{2})"
_LABEL_TAIL = r")\s*(?:\([^)\n]{0,20}\))?\s*[:：]?\s*[-–]?\s*$"


class _Grammar(NamedTuple):
    """The compiled date grammar: full dates, month-only dates, date labels, birth labels."""

    dates: dict[str, re.Pattern[str]]
    months: dict[str, re.Pattern[str]]
    labels: dict[str, re.Pattern[str]]
    birth: re.Pattern[str]


@functools.cache
def _grammar() -> _Grammar:
    """The date grammar, compiled on first use: an ingest without documents never needs it."""
    dates = {
        "cn": re.compile(_YEAR + r"\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?"),
        "cn_num": re.compile(
            rf"(?P<cy>[{_CN_DIGIT}]{{4}})\s*年\s*(?P<cm>{_CN_SMALL})\s*月\s*(?P<cd>{_CN_SMALL})\s*[日号]"
        ),
        "compact": re.compile(
            r"(?<![\d.\-/])" + _YEAR + r"(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?![\d.\-/])"
        ),
        "num_yy": re.compile(
            r"(?<![\d/.\-])(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)"
            + _YY
            + r"(?![\d/.\-])"
        ),
        "dmy_name_yy": re.compile(
            r"(?<!\d)(?P<d>\d{1,2})[\s\-./]*" + _MONTH + r"\.?[\s\-./']" + _YY + r"(?![\d/.\-:])",
            re.IGNORECASE,
        ),
        "ymd": re.compile(
            r"(?<![\d.])" + _YEAR + r"(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"
        ),
        "num": re.compile(
            r"(?<![\d/.])(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)" + _YEAR + r"(?!\d)"
        ),
        "dmy_name": re.compile(
            r"(?<!\d)(?P<d>\d{1,2})"
            + _ORD
            + r"[\s\-./]*"
            + _MONTH
            + r"\.?[\s\-./,]*"
            + _YEAR
            + r"(?!\d)",
            re.IGNORECASE,
        ),
        "mdy_name": re.compile(
            _MONTH + r"\.?\s+(?P<d>\d{1,2})" + _ORD + r"\s*,?\s+" + _YEAR + r"(?!\d)", re.IGNORECASE
        ),
    }
    # dates known to the month only, found with partial=True
    months = {
        "cn_month": re.compile(
            _YEAR + r"\s*年\s*(?P<m>\d{1,2})\s*月(?!\s*\d{1,2}\s*[日号]?)(?!\s*\d)"
        ),
        "iso_month": re.compile(
            r"(?<![\d./\-])" + _YEAR + r"(?P<sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?![\d]|(?P=sep)\d)"
        ),
        "my_num": re.compile(r"(?<![\d./\-])(?P<m>0?[1-9]|1[0-2])/" + _YEAR + r"(?![\d/])"),
        "name_month": re.compile(_MONTH + r"\.?,?\s+" + _YEAR + r"(?!\d)", re.IGNORECASE),
    }
    labels = {
        kind: re.compile(r"(?:" + words + _LABEL_TAIL, re.IGNORECASE)
        for kind, words in DATE_LABELS.items()
    }
    birth = re.compile(r"(?:" + BIRTH_LABELS + _LABEL_TAIL, re.IGNORECASE)
    return _Grammar(dates, months, labels, birth)


_LABEL_WINDOW = 40


class DateMatch(NamedTuple):
    """A date found in text, with where it was and which label introduced it."""

    start: int
    end: int
    date: pd.Timestamp
    text: str
    ambiguous: bool
    label: str | None  # a key of DATE_LABELS, "birth", or None
    precision: str = "day"  # "day" or "month"
    kind: str = ""  # which written form matched (a key of the patterns)


def _make(year: int, month: int, day: int) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(date(year, month, day))
    except ValueError:
        return None


def _day_first_hint(raw: list[tuple[int, int, str, re.Match[str]]]) -> bool:
    """Read ambiguous numeric dates day-first unless the document shows month-first dates."""
    day_first = month_first = 0
    for _, _, kind, match in raw:
        if kind == "num":
            a, b = int(match["a"]), int(match["b"])
            day_first += 2 * (a > 12 >= b)
            month_first += 2 * (b > 12 >= a)
        elif kind == "dmy_name":
            day_first += 1
        elif kind == "mdy_name":
            month_first += 1
    return month_first <= day_first


def century(yy: int, today: date | None = None) -> int:
    """The year a two-digit year stands for: 20YY unless later than next year, else 19YY.

    >>> century(24, date(2026, 1, 1)), century(27, date(2026, 1, 1)), century(85)
    (2024, 2027, 1985)
    """
    today = today or date.today()
    year = 2000 + yy
    return year if year <= today.year + 1 else 1900 + yy


def _cn_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 三十一 → 31."""
    if "十" not in text:
        return _CN_VALUE[text]
    tens, _, ones = text.partition("十")
    return (_CN_VALUE[tens] if tens else 1) * 10 + (_CN_VALUE[ones] if ones else 0)


def find_dates(
    text: str, *, day_first: bool | None = None, partial: bool = False
) -> list[DateMatch]:
    """Every valid date in *text*, in order, with its position and label.

    Parameters
    ----------
    text : str
        Report or note text.
    day_first : bool, optional
        How to read ``NN/NN/YYYY``; by default decided from the document (see module doc).
    partial : bool
        Also find dates known only to the month (``precision="month"``).

    Returns
    -------
    list of DateMatch
        Invalid calendar dates (``2024-02-30``) are skipped.
    """
    if not text:
        return []
    scan = text.translate(_FULLWIDTH)
    grammar = _grammar()
    patterns = {**grammar.dates, **(grammar.months if partial else {})}
    raw: list[tuple[int, int, str, re.Match[str]]] = []
    for kind, pattern in patterns.items():
        raw.extend((m.start(), -m.end(), kind, m) for m in pattern.finditer(scan))
    raw.sort(key=lambda item: (item[0], item[1]))
    kept: list[tuple[int, int, str, re.Match[str]]] = []
    for item in raw:  # drop matches overlapping an earlier, longer one
        if not kept or item[0] >= -kept[-1][1]:
            kept.append(item)
    if day_first is None:
        day_first = _day_first_hint(kept)
    found: list[DateMatch] = []
    for start, neg_end, kind, match in kept:
        read = _read(kind, match, day_first)
        if read is None:
            continue
        year, month, day, ambiguous = read
        stamp = _make(year, month, day or 1)
        if stamp is None:
            continue
        found.append(
            DateMatch(
                start,
                -neg_end,
                stamp,
                text[start:-neg_end],
                ambiguous,
                _label(text, start),
                "day" if day else "month",
                kind,
            )
        )
    return found


def _read(
    kind: str, match: re.Match[str], day_first: bool
) -> tuple[int, int, int | None, bool] | None:
    """(year, month, day or None, ambiguous) of one match."""
    if kind == "cn_num":
        year = int("".join(str(_CN_VALUE[ch]) for ch in match["cy"]))
        return year, _cn_number(match["cm"]), _cn_number(match["cd"]), False
    if kind in ("num", "num_yy"):
        a, b = int(match["a"]), int(match["b"])
        ambiguous = (a <= 12 and b <= 12 and a != b) or kind == "num_yy"
        dotted = match["sep"] == "."  # 10.03.2024 is day-first wherever it is written
        day, month = (a, b) if (day_first or dotted or a > 12) and b <= 12 else (b, a)
        year = century(int(match["yy"])) if kind == "num_yy" else int(match["y"])
        return year, month, day, ambiguous
    if kind in ("dmy_name", "mdy_name", "dmy_name_yy"):
        month = _MONTHS[match["mon"][:3].lower()]
        if kind == "dmy_name_yy":
            return century(int(match["yy"])), month, int(match["d"]), True
        return int(match["y"]), month, int(match["d"]), False
    if kind == "name_month":
        return int(match["y"]), _MONTHS[match["mon"][:3].lower()], None, False
    if kind in ("cn_month", "iso_month", "my_num"):
        return int(match["y"]), int(match["m"]), None, False
    return int(match["y"]), int(match["m"]), int(match["d"]), False


def _label(text: str, start: int) -> str | None:
    """The label kind just before position *start* (same line or the line above)."""
    segment = text[max(0, start - _LABEL_WINDOW) : start]
    if segment.count("\n") > 1:
        segment = segment[segment.rfind("\n", 0, segment.rfind("\n")) + 1 :]
    grammar = _grammar()
    if grammar.birth.search(segment):
        return "birth"
    for kind, pattern in grammar.labels.items():
        if pattern.search(segment):
            return kind
    return None


def extract_dates(
    text: str, *, day_first: bool | None = None
) -> list[tuple[pd.Timestamp, str, bool]]:
    """Dates in *text* as ``(date, matched text, ambiguous)``, in the order written.

    >>> extract_dates("Surgery 2024-02-30, seen 10 March 2024")[0][1]
    '10 March 2024'
    """
    return [(m.date, m.text, m.ambiguous) for m in find_dates(text, day_first=day_first)]


def plausible(stamp: pd.Timestamp, today: date | None = None) -> bool:
    """True for dates from :data:`EARLIEST_YEAR` up to tomorrow (time zones)."""
    today = today or date.today()
    return stamp.year >= EARLIEST_YEAR and stamp.date() <= date.fromordinal(today.toordinal() + 1)


def document_date(
    text: str, doc_type: str | None = None, *, today: date | None = None
) -> DateMatch | None:
    """The date a document is *of*.

    Order of preference: a date after the label *doc_type* prefers (the discharge date
    of a discharge summary, the exam date of an imaging report), then the first
    labelled date, then the earliest plausible date. Birth dates and implausible dates
    (before 1980 or in the future) are never chosen.
    """
    candidates = [
        m for m in find_dates(text, partial=True) if m.label != "birth" and plausible(m.date, today)
    ]
    if not candidates:
        return None
    for kind in PREFERRED_LABELS.get(doc_type or "", ()):
        for match in candidates:
            if match.label == kind:
                return match
    labelled = [m for m in candidates if m.label is not None]
    if labelled:
        return labelled[0]
    # unlabelled: a full date written as a date beats a month, and a bare 8-digit number
    return min(
        candidates,
        key=lambda m: (m.precision != "day", m.kind == "compact", m.date, m.start),
    )
