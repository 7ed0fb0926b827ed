"""Dates known to the year, the month or the day, as patients remember them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from pydantic_core import PydanticCustomError, core_schema

__all__ = ["PartialDate"]

_DATE_FORMATS = "accepted: YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2024, 2024-03, 2024-03-10; 2024年3月)"
_DATE_RE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, the month or the day, as patients remember them.

    >>> d = PartialDate.parse("2024年3月")
    >>> d, d.precision, d.as_timestamp()
    (PartialDate('2024-03'), 'month', Timestamp('2024-03-01 00:00:00'))
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if not 1900 <= self.year <= 2100:
            raise ValueError(f"year {self.year} is outside 1900..2100")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} does not exist")
        if self.month is not None and self.day is not None:
            try:
                dt.date(self.year, self.month, self.day)
            except ValueError:
                raise ValueError(f"{self.year}-{self.month:02d} has no day {self.day}") from None

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        """Read ``2024``, ``2024-03``, ``2024-03-10`` (also ``/``, ``.``, 年月日) or a date."""
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.date):  # also datetime, from YAML timestamps
            return cls(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if not isinstance(value, str):
            raise ValueError("not a date")
        text = re.sub(r"\s+", "", value).replace("年", "-").replace("月", "-").replace("日", "")
        match = _DATE_RE.fullmatch(text.rstrip("-"))
        if match is None:
            raise ValueError("not a date")
        year, month, day = (int(part) if part else None for part in match.groups())
        assert year is not None
        return cls(year, month, day)

    @property
    def precision(self) -> Literal["year", "month", "day"]:
        """How much of the date is known."""
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def as_timestamp(self) -> pd.Timestamp:
        """The start of the period (``2024-03`` → 1 March 2024)."""
        return pd.Timestamp(self.year, self.month or 1, self.day or 1)

    def __str__(self) -> str:
        parts = [f"{self.year:04d}", *(f"{p:02d}" for p in (self.month, self.day) if p)]
        return "-".join(parts)

    def __repr__(self) -> str:
        return f"PartialDate({str(self)!r})"

    @classmethod
    def _validate(cls, value: object) -> PartialDate:
        try:
            return cls.parse(value)
        except ValueError as exc:
            reason = "" if str(exc) == "not a date" else f"{exc}; "
            raise PydanticCustomError("partial_date", reason + _DATE_FORMATS) from exc

    @staticmethod
    def _serialize(value: PartialDate, info: core_schema.SerializationInfo) -> PartialDate | str:
        return str(value) if info.mode_is_json() else value

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            json_schema_input_schema=core_schema.str_schema(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$"),
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls._serialize, info_arg=True
            ),
        )
