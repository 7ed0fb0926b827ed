"""Dates as patients' documents write them: compact, Chinese numerals, two-digit years, months."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from workbench.record.dates import century, document_date, find_dates
from workbench.record.documents import read_document

docx = pytest.importorskip("docx")


@pytest.mark.parametrize(
    ("text", "expected", "ambiguous"),
    [
        ("20240310", "2024-03-10", False),
        ("就诊日期：20240310", "2024-03-10", False),
        ("2024/3/10", "2024-03-10", False),
        ("2024.3.10", "2024-03-10", False),
        ("10-Mar-2024", "2024-03-10", False),
        ("二〇二四年三月十日", "2024-03-10", False),
        ("二零二三年十二月三十一日", "2023-12-31", False),
        ("二〇二四年二月二十九日", "2024-02-29", False),
        ("10/03/24", "2024-03-10", True),  # two-digit year: century inferred, flagged
        ("10-Mar-24", "2024-03-10", True),
        ("10.03.98", "1998-03-10", True),
    ],
)
def test_day_dates_as_written(text, expected, ambiguous):
    [match] = find_dates(text)
    assert (match.date, match.ambiguous, match.precision) == (
        pd.Timestamp(expected),
        ambiguous,
        "day",
    )


@pytest.mark.parametrize(
    "text",
    [
        "Accession 202403101234",  # an ID, not a date
        "20241332",  # no month 13
        "二〇二四年二月三十日",  # no 30 February
        "L4/5 and 3/10 pain",
        "Ref 2024031",
    ],
)
def test_numbers_that_are_not_dates(text):
    assert find_dates(text, partial=True) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("检查日期：2024年3月", "2024-03-01"),
        ("seen in March 2024", "2024-03-01"),
        ("onset 2023-03", "2023-03-01"),
        ("since 03/2024", "2024-03-01"),
    ],
)
def test_month_dates_keep_month_precision(text, expected):
    assert find_dates(text) == []  # never read as a day
    [match] = find_dates(text, partial=True)
    assert match.date == pd.Timestamp(expected) and match.precision == "month"


def test_two_digit_year_rule():
    assert century(24, date(2026, 1, 1)) == 2024
    assert century(27, date(2026, 1, 1)) == 2027  # next year is still this century
    assert century(28, date(2026, 1, 1)) == 1928


def test_a_full_date_beats_a_month_and_a_bare_number():
    found = document_date("Seen March 2024; MRI 2024-03-12; ref 20240101")
    assert found is not None and found.date == pd.Timestamp("2024-03-12")
    found = document_date("Follow-up in March 2024")
    assert found is not None and found.precision == "month"


def test_compact_visit_date_in_a_docx(tmp_path: Path):
    document = docx.Document()
    document.add_paragraph("门诊病历")
    document.add_paragraph("就诊日期：20240310")
    document.add_paragraph("主诉：右膝疼痛3年。处理意见：理疗。")
    path = tmp_path / "visit.docx"
    document.save(str(path))
    row, problems = read_document(path, display_path="visit.docx")
    assert problems == [] and row is not None
    assert row["doc_type"] == "outpatient_note"
    assert (row["date"], row["date_text"], row["date_precision"]) == (
        pd.Timestamp("2024-03-10"),
        "20240310",
        "day",
    )
