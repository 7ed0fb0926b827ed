"""Lab results read from a lab document's text table, into the same rows as case.yaml ``labs``.

A line is read as a result when it has the layout most lab printouts use, in
English or Chinese: a test name, a number (with ``<``/``>`` or an ``↑``/``↓``/``H``/``L``
flag allowed), an optional unit, then a reference range (``0-5``, ``0.0~5.0``, ``<5``)::

    CRP            12.5   mg/L    0-5
    血沉 ESR        30 ↑   mm/h    0-20
    白细胞计数 WBC   6.2    10^9/L  3.5-9.5

Anything else (headers, free text, a line without a reference range) is left alone:
no value is guessed. The document's date is the result's date.

>>> [lab.test for lab in parse_lab_text("CRP 12.5 mg/L 0-5\\nPatient: Jane")]
['CRP']
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pandas as pd

from workbench.record.manifest import Lab, PartialDate

__all__ = ["document_labs", "parse_lab_text"]

_NUMBER = r"[<>≤≥]?\s*\d+(?:\.\d+)?"


@functools.cache
def _line_pattern() -> re.Pattern[str]:
    """The layout of a result line, compiled on first use (a case without lab documents: never)."""
    return re.compile(
        rf"""^\s*
        (?P<test>[A-Za-z\u4e00-\u9fff][\w\u4e00-\u9fff \-()/.,%#]*?)   # a name, not a number
        [\s:：]+
        (?P<value>{_NUMBER})\s*(?:[↑↓]|\b[HL]\b)?\s*
        (?P<unit>(?:[A-Za-zμµ%][\w/^*.%μµ]*|10\^\d+/[A-Za-z]+))?\s+
        (?P<range>\d+(?:\.\d+)?\s*[-–~～]\s*\d+(?:\.\d+)?|[<>≤≥]\s*\d+(?:\.\d+)?)
        \s*(?:[↑↓]|\b[HL]\b)?\s*$""",
        re.VERBOSE,
    )


def parse_lab_text(text: str, *, date: PartialDate | None = None) -> list[Lab]:
    """Every line of *text* that reads as ``test value [unit] reference-range``."""
    labs = []
    for line in str(text or "").splitlines():
        match = _line_pattern().match(line)
        if match is None:
            continue
        labs.append(
            Lab(
                test=re.sub(r"\s+", " ", match["test"]).strip(" :："),
                value=match["value"].replace(" ", ""),
                unit=match["unit"] or None,
                reference_range=re.sub(r"\s+", "", match["range"]),
                date=date,
            )
        )
    return labs


def document_labs(documents: pd.DataFrame) -> list[tuple[str, Lab]]:
    """(document path, Lab) for each result line of each ``lab`` document."""
    out: list[tuple[str, Lab]] = []
    if documents.empty or "doc_type" not in documents:
        return out
    for doc in documents[documents["doc_type"] == "lab"].itertuples(index=False):
        date: Any = doc.date
        when = (
            None if date is None or pd.isna(date) else PartialDate.parse(pd.Timestamp(date).date())
        )
        out += [(str(doc.path), lab) for lab in parse_lab_text(str(doc.text or ""), date=when)]
    return out
