"""Outcome scores: questionnaire definitions as data, scored by their published rules.

An instrument is a YAML file (``workbench/data/instruments/*.yaml``, or a site's own
folder named by the ``WORKBENCH_INSTRUMENTS`` environment variable, folders joined
by ``os.pathsep``) with this shape::

    id: koos                         # what case.yaml's scores[].instrument names
    title: {en: ..., zh: ...}
    body_part: knee                  # or null
    licence: "..."                   # shown in the README and the FHIR export
    answers: {min: 0, max: 4}        # allowed whole-number answers
    items: [P1, P2, ...]             # item keys; or [{key: P1, text: {en: ..., zh: ...}}]
    scales:
      - id: pain
        label: {en: KOOS Pain, zh: KOOS 疼痛}
        items: [P1, ..., P9]
        method: mean_transformed     # 100 - mean * 100 / answers.max
        min_fraction: 0.5            # or min_answered: 5; fewer answered -> no score
        higher_is_better: true
        table: {0: 100.0, ...}       # method conversion_table: raw sum -> score

Methods: ``value`` (the single item's answer), ``sum`` (raw sum),
``mean_transformed`` (KOOS/HOOS: 100 − mean·100/max), ``conversion_table`` (raw
sum looked up in ``table``; every item must be answered unless ``min_answered``).

>>> result = score_entry(ScoreEntry(instrument="pain_nrs", answers={"nrs": 7}))
>>> result.scales["pain"], result.primary
(7.0, 7.0)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workbench.errors import InstrumentError
from workbench.record.manifest import ScoreEntry

__all__ = [
    "BUILTIN_DIR",
    "Instrument",
    "ScoreResult",
    "instruments",
    "score_entry",
    "score_manifest",
]

BUILTIN_DIR = Path(__file__).parent.parent / "data" / "instruments"
SITE_ENV = "WORKBENCH_INSTRUMENTS"


class _Strict(BaseModel):
    # schemas built on first validation (an instrument read), not at import (start-up)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Text(_Strict):
    """An item's or a scale's words in English and Chinese (either may be missing)."""

    en: str | None = None
    zh: str | None = None


class Item(_Strict):
    key: str
    text: Text = Field(default_factory=Text)


class Answers(_Strict):
    min: int = 0
    max: int = 4


class Scale(_Strict):
    id: str
    label: Text = Field(default_factory=Text)
    items: list[str]
    method: Literal["value", "sum", "mean_transformed", "conversion_table"]
    min_answered: int | None = None
    min_fraction: float | None = Field(default=None, gt=0, le=1)
    higher_is_better: bool = True
    table: dict[int, float] | None = None

    def needed(self) -> int:
        """How many of the scale's items must be answered for a score."""
        if self.min_answered is not None:
            return self.min_answered
        if self.min_fraction is not None:
            return math.ceil(self.min_fraction * len(self.items))
        return len(self.items)


class Instrument(_Strict):
    """One questionnaire definition, validated."""

    id: str
    title: Text
    body_part: str | None = None
    licence: str
    answers: Answers = Field(default_factory=Answers)
    items: list[Item]
    scales: list[Scale]

    @model_validator(mode="before")
    @classmethod
    def _item_keys(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = dict(data)
            data["items"] = [{"key": i} if isinstance(i, str) else i for i in data["items"]]
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        keys = {item.key for item in self.items}
        for scale in self.scales:
            unknown = [k for k in scale.items if k not in keys]
            if unknown:
                raise ValueError(f"scale {scale.id} names items not in 'items': {unknown}")
            if scale.method == "value" and len(scale.items) != 1:
                raise ValueError(f"scale {scale.id}: method 'value' takes exactly one item")
            if scale.method == "conversion_table":
                top = self.answers.max * len(scale.items)
                low = self.answers.min * len(scale.items)
                missing = [r for r in range(low, top + 1) if r not in (scale.table or {})]
                if missing:
                    raise ValueError(f"scale {scale.id}: table lacks raw scores {missing}")
        if not self.scales:
            raise ValueError("an instrument needs at least one scale")
        return self

    @property
    def item_keys(self) -> list[str]:
        return [item.key for item in self.items]


@dataclass
class ScoreResult:
    """A scored questionnaire: one value per scale (None when too few items answered)."""

    instrument: str
    date: object
    side: str | None
    scales: dict[str, float | None]
    problems: list[str] = field(default_factory=list)

    @property
    def primary(self) -> float | None:
        """The first scale's score (the instrument's headline number)."""
        return next(iter(self.scales.values()), None)


def _read(path: Path) -> Instrument:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Instrument.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InstrumentError(f"Questionnaire definition '{path}' cannot be read: {exc}") from exc
    except ValidationError as exc:
        lines = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise InstrumentError(
            f"Questionnaire definition '{path}' is invalid ({lines}); "
            "see the format in workbench.record.scores."
        ) from exc


@lru_cache(maxsize=8)
def _load(folders: tuple[Path, ...]) -> dict[str, Instrument]:
    found: dict[str, Instrument] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            instrument = _read(path)
            found[instrument.id] = instrument  # a site's definition replaces a built-in one
    return found


def instruments(extra: list[Path] | None = None) -> dict[str, Instrument]:
    """Built-in instruments, then the site's (``$WORKBENCH_INSTRUMENTS``), then *extra*.

    Raises
    ------
    InstrumentError
        If a definition file is unreadable or does not match the format.
    """
    site = [Path(p) for p in os.environ.get(SITE_ENV, "").split(os.pathsep) if p]
    return _load((BUILTIN_DIR, *site, *(extra or [])))


def _score_scale(scale: Scale, answers: dict[str, int | None], top: int) -> float | None:
    given = [answers[k] for k in scale.items if answers.get(k) is not None]
    values = [v for v in given if v is not None]
    if len(values) < scale.needed() or not values:
        return None
    if scale.method == "value":
        return float(values[0])
    if scale.method == "sum":
        return float(sum(values))
    if scale.method == "mean_transformed":
        return 100.0 - (sum(values) / len(values)) * 100.0 / top
    assert scale.table is not None
    return scale.table[sum(values)]


def score_entry(entry: ScoreEntry, *, extra: list[Path] | None = None) -> ScoreResult:
    """Score one ``scores[]`` entry of case.yaml by its instrument's published rules.

    Unknown instruments, unknown item keys and answers outside the allowed range
    become ``problems`` (and the bad answers are not scored); a ``score`` written
    by hand is used when the entry has no answers.
    """
    result = ScoreResult(entry.instrument, entry.date, entry.side.value if entry.side else None, {})
    known = instruments(extra)
    instrument = known.get(entry.instrument)
    if instrument is None:
        result.problems.append(
            f"unknown instrument '{entry.instrument}'; known: {', '.join(sorted(known))} "
            f"(a site adds one as a YAML file in ${SITE_ENV})"
        )
        if entry.score is not None:
            result.scales["reported"] = entry.score
        return result
    low, top = instrument.answers.min, instrument.answers.max
    answers: dict[str, int | None] = {}
    for key, value in entry.answers.items():
        if key not in instrument.item_keys:
            result.problems.append(f"{instrument.id}: unknown item '{key}'")
        elif value is not None and not low <= value <= top:
            result.problems.append(f"{instrument.id} item {key} is {value}; allowed {low} to {top}")
        else:
            answers[key] = value
    if not entry.answers and entry.score is not None:
        result.scales[instrument.scales[0].id] = entry.score
        return result
    for scale in instrument.scales:
        scored = _score_scale(scale, answers, top)
        result.scales[scale.id] = None if scored is None else round(scored, 3)
        if scored is None:
            answered = sum(answers.get(k) is not None for k in scale.items)
            result.problems.append(
                f"{instrument.id} {scale.id}: {answered} of {len(scale.items)} items answered, "
                f"{scale.needed()} needed for a score"
            )
    return result


def score_manifest(entries: list[ScoreEntry]) -> list[ScoreResult]:
    """Score every entry, in manifest order."""
    return [score_entry(entry) for entry in entries]
