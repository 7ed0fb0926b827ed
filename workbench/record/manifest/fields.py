"""Closed vocabularies of case.yaml and the validators that coerce patient wording to them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from workbench.vocab import BodyPart, Side, body_part_from_text, side_from_text


class OnsetKind(StrEnum):
    """How the pain started (DOMAIN.md, *Pain history*)."""

    SUDDEN_INJURY = "sudden_injury"
    GRADUAL = "gradual"
    AFTER_SURGERY = "after_surgery"
    TRAINING_CHANGE = "training_change"
    OTHER = "other"


class TreatmentKind(StrEnum):
    """Kinds of treatment a patient may have tried."""

    PHYSIOTHERAPY = "physiotherapy"
    INJECTION = "injection"
    MEDICATION = "medication"
    BRACING = "bracing"
    ACUPUNCTURE = "acupuncture"
    SURGERY = "surgery"
    REST = "rest"
    OTHER = "other"


class EventKind(StrEnum):
    """Kinds of free events; they become ``case.timeline`` kinds."""

    SYMPTOM = "symptom"
    TREATMENT = "treatment"
    SURGERY = "surgery"
    VISIT = "visit"
    IMAGING = "imaging"
    OTHER = "other"


_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")


def _choice(
    enum: type[_E], *, words: Callable[[object], str | None] | None = None, also: str = ""
) -> BeforeValidator:
    """A validator coercing ``"Sudden injury"`` → ``sudden_injury`` (and *words* matches)."""
    values = [member.value for member in enum]
    allowed = f"allowed: {', '.join(values)}{also}"

    def coerce(value: object) -> object:
        if isinstance(value, enum):
            return value
        if isinstance(value, str):
            key = re.sub(r"[\s\-]+", "_", value.strip().lower())
            if key in values:
                return enum(key)
            found = words(value) if words else None
            if found is not None:
                return enum(found)
        raise PydanticCustomError("choice", allowed)

    return BeforeValidator(coerce)


_SEXES = {"f": "F", "female": "F", "woman": "F", "女": "F", "女性": "F"}
_SEXES |= {"m": "M", "male": "M", "man": "M", "男": "M", "男性": "M"}
_SEXES |= {"o": "O", "other": "O", "其他": "O"}
_LANGUAGES = {"english": "en", "英文": "en", "英语": "en", "chinese": "zh", "mandarin": "zh"}
_LANGUAGES |= {"中文": "zh", "汉语": "zh", "普通话": "zh"}
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")


def _coerce_sex(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in _SEXES:
        return _SEXES[value.strip().lower()]
    raise PydanticCustomError("choice", "allowed: F, M, O (or female, male, other; 女/男)")


def _coerce_language(value: object) -> object:
    if isinstance(value, str):
        key = value.strip().lower().replace("_", "-")
        if _LANGUAGE_RE.fullmatch(key) or key in _LANGUAGES:
            return _LANGUAGES.get(key, key)
    raise PydanticCustomError("choice", "allowed: language codes such as en, zh (or 英文/中文)")


def _check_birth_year(value: int) -> int:
    this_year = dt.date.today().year
    if not 1900 <= value <= this_year:
        raise PydanticCustomError("birth_year", f"allowed: a year from 1900 to {this_year}")
    return value


def _as_list(value: object) -> object:
    """Tolerate an empty key (``questions:``) and a single item written without ``-``."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


_SideField = Annotated[Side, _choice(Side, words=side_from_text, also=" (or 左/右/双侧)")]
_BodyPartField = Annotated[
    BodyPart, _choice(BodyPart, words=body_part_from_text, also=" (or 膝/髋/肩/踝/腰椎/颈椎 ...)")
]
_List = Annotated[list[_T], BeforeValidator(_as_list)]
_Sex = Annotated[Literal["F", "M", "O"], BeforeValidator(_coerce_sex)]
_Language = Annotated[str, BeforeValidator(_coerce_language)]
_BirthYear = Annotated[int, AfterValidator(_check_birth_year)]


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        coerce_numbers_to_str=True,
        str_strip_whitespace=True,
        validate_assignment=True,
        defer_build=True,  # schemas built on first validation, not at import (start-up)
    )
