"""The patient's story as data: medications, labs, function in numbers, pain map, scores.

These sections of ``case.yaml`` sit beside the free-text pain history; each item
is a small model with closed vocabularies where the answer is a choice.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from workbench.i18n import BODY_REGIONS
from workbench.record.manifest.fields import _choice, _List, _Section, _SideField
from workbench.record.manifest.partial_date import PartialDate
from workbench.vocab import PainKind, PainRegion, region_is_paired

__all__ = [
    "FunctionStatus",
    "Lab",
    "Medication",
    "PainMark",
    "ScoreEntry",
    "SleepStatus",
    "SportStatus",
    "StairsStatus",
    "WorkStatus",
]


class StairsStatus(StrEnum):
    """How the patient manages stairs."""

    NORMAL = "normal"
    WITH_RAIL = "with_rail"
    ONE_AT_A_TIME = "one_at_a_time"
    UNABLE = "unable"


class SleepStatus(StrEnum):
    """Whether pain disturbs sleep."""

    UNDISTURBED = "undisturbed"
    WAKES_WITH_PAIN = "wakes_with_pain"
    CANNOT_SLEEP = "cannot_sleep"


class WorkStatus(StrEnum):
    """Work as the patient does it today."""

    FULL = "full"
    MODIFIED = "modified"
    OFF_WORK = "off_work"
    NOT_WORKING = "not_working"


class SportStatus(StrEnum):
    """Sport compared with before the problem."""

    AS_BEFORE = "as_before"
    REDUCED = "reduced"
    STOPPED = "stopped"
    NONE = "none"


def _non_negative(value: float) -> float:
    if value < 0:
        raise PydanticCustomError("non_negative", "expected a number of 0 or more")
    return value


def _number(value: object) -> object:
    """Accept ``500``, ``"500"``, ``"500 m"``, ``"20 min"``; the unit is the field's."""
    if isinstance(value, str):
        match = re.fullmatch(
            r"\s*(\d+(?:\.\d+)?)\s*(m|min|米|分钟|minutes?|metres?|meters?)?\s*", value
        )
        if match:
            return float(match.group(1))
    return value


_Amount = Annotated[float, BeforeValidator(_number), AfterValidator(_non_negative)]


class FunctionStatus(_Section):
    """Current function as numbers and choices, beside ``pain_history.function`` (free text)."""

    walking_distance_m: _Amount | None = None
    standing_time_min: _Amount | None = None
    stairs: Annotated[StairsStatus, _choice(StairsStatus)] | None = None
    sleep: Annotated[SleepStatus, _choice(SleepStatus)] | None = None
    work: Annotated[WorkStatus, _choice(WorkStatus)] | None = None
    sport: Annotated[SportStatus, _choice(SportStatus)] | None = None
    notes: str | None = None

    @property
    def is_recorded(self) -> bool:
        """True when at least one field holds a value."""
        return any(v not in (None, "") for v in self.model_dump().values())


class Medication(_Section):
    """A medication taken: name, dose, how often, since when, when stopped, how it went."""

    name: str | None = None
    dose: str | None = None
    frequency: str | None = None
    since: PartialDate | None = None
    stopped: PartialDate | None = None
    response: str | None = None
    side_effects: _List[str] = Field(default_factory=list)


class Lab(_Section):
    """One lab result with its unit, reference range and date (value kept as written)."""

    test: str | None = None
    value: str | None = None
    unit: str | None = None
    reference_range: str | None = None
    date: PartialDate | None = None

    @property
    def numeric_value(self) -> float | None:
        """The value as a number when it is one (``"12.5"``), else None (``"positive"``)."""
        try:
            return float(self.value) if self.value is not None else None
        except ValueError:
            return None


_REGION_WORDS = {
    re.sub(r"[\s\-/（）()]+", "", text.lower()): key
    for key, (_, _, _, en, zh) in BODY_REGIONS.items()
    for text in (en, zh)
}


def _region_from_text(value: object) -> str | None:
    """``inner knee`` / ``膝内侧`` → ``knee_medial`` (the table's own labels)."""
    return _REGION_WORDS.get(re.sub(r"[\s\-/（）()]+", "", str(value).lower()))


class PainMark(_Section):
    """One mark on the pain map: a region of the outline, a side, and what is felt there."""

    region: Annotated[PainRegion, _choice(PainRegion, words=_region_from_text)]
    side: _SideField | None = None
    kind: Annotated[PainKind, _choice(PainKind)] = PainKind.PAIN

    @model_validator(mode="after")
    def _side_for_paired(self) -> PainMark:
        midline = not region_is_paired(self.region.value)
        if midline and self.side is not None and self.side.value != "bilateral":
            raise PydanticCustomError(
                "midline_side", f"{self.region.value} is a midline region; leave side empty"
            )
        return self


def _item_key(value: object) -> object:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", value.strip()):
        return value.strip()
    raise PydanticCustomError("item_key", "expected an item key such as P1, S6 or nrs")


def _answer(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PydanticCustomError("answer", "expected a whole-number answer, e.g. 0 to 4")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}\s*", value):
        return int(value)
    raise PydanticCustomError("answer", "expected a whole-number answer, e.g. 0 to 4")


_Answers = dict[
    Annotated[str, BeforeValidator(_item_key)], Annotated[int | None, BeforeValidator(_answer)]
]


def _instrument_id(value: object) -> object:
    if isinstance(value, str):
        key = re.sub(r"[\s\-]+", "_", value.strip().lower())
        if re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key):
            return key
    raise PydanticCustomError(
        "instrument", "expected an instrument id such as pain_nrs, koos, hoos"
    )


class ScoreEntry(_Section):
    """A completed questionnaire: instrument id, date, side and the answer to each item.

    The score itself is computed from ``answers`` by :mod:`workbench.record.scores`;
    a ``score`` written by hand (e.g. copied from a letter) is kept as reported.
    """

    instrument: Annotated[str, BeforeValidator(_instrument_id)]
    date: PartialDate | None = None
    side: _SideField | None = None
    answers: _Answers = Field(default_factory=dict)
    score: float | None = None
