"""The ``case.yaml`` schema: what the images cannot tell.

A case folder may hold an optional ``case.yaml`` written by the coordinator or
the intake form: the patient's concern, pain history, treatments tried, past
operations and questions. Reading is tolerant, writing is strict:

* :func:`load_manifest` never raises for bad content. Each bad value, unknown
  key or syntax error becomes a :class:`~workbench.problems.Problem` naming the
  key, the line, the value and what is allowed; the valid parts still load.
* :func:`parse_manifest` raises :class:`~workbench.errors.ManifestError` with
  the same messages, one per line.
* :func:`dump_manifest` writes atomically; :func:`write_template` writes a
  commented bilingual template that parses as an empty manifest.

Plain scalars are read as text (no YAML 1.1 octal, float or yes/no guessing),
so ``case_id: 0123`` stays ``"0123"`` and ``onset: 2024.10`` means October.

>>> m = parse_manifest("complaint: {body_part: 膝关节, side: 右}\\npain_history: {onset: 2024-03}")
>>> m.complaint.side, m.complaint.body_part, str(m.pain_history.onset)
(<Side.RIGHT: 'right'>, <BodyPart.KNEE: 'knee'>, '2024-03')
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict, TypeVar, get_args

import pandas as pd
import yaml
from pandas.api.typing import NaTType
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema

from workbench.errors import CaseNotFoundError, ManifestError
from workbench.problems import Problem
from workbench.vocab import BodyPart, CaseType, Side, body_part_from_text, side_from_text
from workbench.workspace import atomic_write

__all__ = [
    "MANIFEST_NAME",
    "Complaint",
    "Event",
    "EventKind",
    "Manifest",
    "OnsetKind",
    "PainHistory",
    "PartialDate",
    "PatientInfo",
    "Surgery",
    "TimelineEvent",
    "Treatment",
    "TreatmentKind",
    "dump_manifest",
    "load_manifest",
    "parse_manifest",
    "write_template",
]

MANIFEST_NAME = "case.yaml"
_MAX_NODES = 20_000  # a case manifest has a few hundred; more means an alias bomb
_MAX_DEPTH = 30
#: Largest case.yaml read (bytes); a real one is a few kilobytes.
MAX_MANIFEST_BYTES = 1024 * 1024
_Loc = tuple[str | int, ...]


# --- partial dates --------------------------------------------------------------------

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


# --- coercion of closed vocabularies --------------------------------------------------


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


# --- the schema -----------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        coerce_numbers_to_str=True,
        str_strip_whitespace=True,
        validate_assignment=True,
    )


class PatientInfo(_Section):
    """Who the patient is; ``sex`` is normalised to the DICOM codes F, M, O."""

    name: str | None = None
    sex: _Sex | None = None
    birth_year: _BirthYear | None = None
    languages: _List[_Language] = Field(default_factory=list)


class Complaint(_Section):
    """The body part and side the opinion is about."""

    body_part: _BodyPartField | None = None
    side: _SideField | None = None


class PainHistory(_Section):
    """What the scan cannot tell: where, since when, what makes it worse, what it stops."""

    location: str | None = None
    onset: PartialDate | None = None
    onset_kind: Annotated[OnsetKind, _choice(OnsetKind)] | None = None
    triggers: _List[str] = Field(default_factory=list)
    pattern: _List[str] = Field(default_factory=list)
    function: str | None = None


class Treatment(_Section):
    """One treatment tried: a single ``date`` or a ``start``/``end`` period, and the response."""

    kind: Annotated[TreatmentKind, _choice(TreatmentKind)] | None = None
    date: PartialDate | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None
    detail: str | None = None
    response: str | None = None


class Surgery(_Section):
    """A past operation, with its implants."""

    date: PartialDate | None = None
    procedure: str | None = None
    side: _SideField | None = None
    implants: _List[str] = Field(default_factory=list)


class Event(_Section):
    """Any other dated event the coordinator wants on the timeline."""

    date: PartialDate | None = None
    label: str | None = None
    kind: Annotated[EventKind, _choice(EventKind)] | None = None
    side: _SideField | None = None


class TimelineEvent(TypedDict):
    """One row contributed to ``case.timeline``."""

    date: pd.Timestamp | NaTType
    date_precision: Literal["year", "month", "day"] | None
    kind: str
    label: str
    side: str | None
    source: str


class Manifest(_Section):
    """The contents of ``case.yaml``; every key is optional, unknown keys are refused."""

    case_id: str | None = None
    patient: PatientInfo | None = None
    case_type: Annotated[CaseType, _choice(CaseType)] | None = None
    main_concern: str | None = None
    complaint: Complaint | None = None
    pain_history: PainHistory | None = None
    treatments: _List[Treatment] = Field(default_factory=list)
    surgeries: _List[Surgery] = Field(default_factory=list)
    events: _List[Event] = Field(default_factory=list)
    proposed_treatment: str | None = None
    questions: _List[str] = Field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when no key holds a value (an absent file, or the untouched template)."""
        return not _prune(self.model_dump(exclude_none=True))

    def timeline_events(self) -> list[TimelineEvent]:
        """Pain onset, treatments, surgeries and events as timeline rows, in manifest order.

        The onset row appears when ``pain_history`` gives an ``onset`` or an
        ``onset_kind``. Treatments date from ``start``, else ``date``. Undated
        items keep ``NaT``: no date is ever invented.

        Returns
        -------
        list of TimelineEvent
            Dicts with ``date``, ``date_precision``, ``kind``, ``label``, ``side``
            and ``source`` (``"case.yaml"``), ready for ``case.timeline``.
        """
        rows: list[TimelineEvent] = []
        pain = self.pain_history
        if pain is not None and (pain.onset or pain.onset_kind):
            label = f"Onset: {self.main_concern or pain.location or 'pain'}"
            if pain.onset_kind is not None:
                label += f" ({pain.onset_kind.value.replace('_', ' ')})"
            side = self.complaint.side if self.complaint else None
            rows.append(_row(pain.onset, "symptom", label, side))
        for treatment in self.treatments:
            kind = treatment.kind.value if treatment.kind else "treatment"
            label = f"{kind}: {treatment.detail}" if treatment.detail else kind
            label += f" ({treatment.response})" if treatment.response else ""
            rows.append(_row(treatment.start or treatment.date, "treatment", label, None))
        for surgery in self.surgeries:
            label = surgery.procedure or "surgery"
            label += f" (implants: {', '.join(surgery.implants)})" if surgery.implants else ""
            rows.append(_row(surgery.date, "surgery", label, surgery.side))
        for event in self.events:
            kind = event.kind.value if event.kind else "other"
            rows.append(_row(event.date, kind, event.label or kind, event.side))
        return rows


def _row(date: PartialDate | None, kind: str, label: str, side: Side | None) -> TimelineEvent:
    return TimelineEvent(
        date=date.as_timestamp() if date else pd.NaT,
        date_precision=date.precision if date else None,
        kind=kind,
        label=label,
        side=side.value if side else None,
        source=MANIFEST_NAME,
    )


def _prune(value: object) -> object:
    """Drop empty strings, lists and mappings, recursively."""
    if isinstance(value, dict):
        return {
            k: v for k, v in ((k, _prune(v)) for k, v in value.items()) if v not in ("", [], {})
        }
    if isinstance(value, list):
        return [v for v in map(_prune, value) if v not in ("", [], {})]
    return value


# --- reading --------------------------------------------------------------------------


class _TextLoader(yaml.SafeLoader):
    """SafeLoader that keeps plain scalars as text; only ``null`` and ``<<`` are resolved.

    Nesting is counted while composing (PyYAML's composer recurses once per level, so a
    5,000-deep document would end in RecursionError): past :data:`_MAX_DEPTH` levels the
    document is refused with a syntax error naming the line.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {_MAX_DEPTH} levels deep", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.endswith((":null", ":merge"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(text: str) -> tuple[object, dict[_Loc, int], list[tuple[int, str]]]:
    """Parse *text*; return the data, the line of every key path, and duplicate keys."""
    loader = _TextLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines, duplicates = _index_lines(node)
        return loader.construct_document(node), lines, duplicates
    finally:
        loader.dispose()


def _index_lines(root: yaml.Node) -> tuple[dict[_Loc, int], list[tuple[int, str]]]:
    """Map each key path to its line; list ``(line, message)`` for keys written twice."""
    lines: dict[_Loc, int] = {}
    duplicates: list[tuple[int, str]] = []
    stack: list[tuple[yaml.Node, _Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if len(lines) > _MAX_NODES or len(loc) > _MAX_DEPTH:
            raise yaml.YAMLError("too large or too deeply nested for a case manifest")
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            latest: dict[str, yaml.Node] = {}  # PyYAML keeps the last of duplicate keys
            for key_node, value_node in node.value:
                key = "null" if key_node.tag.endswith(":null") else str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in latest:
                    inside = f" in {_dotted(loc)}" if loc else ""
                    first = lines[(*loc, key)]
                    message = f"key '{key}' appears twice{inside} (also line {first})"
                    duplicates.append((line, message + "; the last one is used."))
                lines[(*loc, key)], latest[key] = line, value_node
            stack.extend((value, (*loc, key)) for key, value in latest.items())
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, index)) for index, item in enumerate(node.value))
    return lines, duplicates


def _syntax_message(exc: yaml.YAMLError) -> str:
    """``line L, column C: ...`` with a hint, to follow the file name."""
    mark = getattr(exc, "problem_mark", None)
    if not isinstance(exc, yaml.MarkedYAMLError) or mark is None:
        return f": {str(exc).splitlines()[0]}."
    problem = exc.problem or "syntax error"
    hint = "check the indentation (spaces, not tabs) and quote text that contains ': ' or ' #'"
    if "\\t" in problem:
        hint = "indent with spaces, not tabs"
    elif "another document" in problem:
        hint = "a manifest is one document; remove the '---' line"
    return (
        f" line {mark.line + 1}, column {mark.column + 1}: YAML syntax error ({problem}); {hint}."
    )


def _check(text: str, display_path: str) -> tuple[Manifest, list[tuple[str, str]]]:
    """Validate *text*; return the manifest of its valid parts and (kind, message) issues."""
    try:
        data, lines, found = _read_yaml(text)
    except yaml.YAMLError as exc:
        return Manifest(), [("manifest_syntax", display_path + _syntax_message(exc))]
    manifest = Manifest()
    issues = [(line, "manifest_invalid", message) for line, message in found]
    if isinstance(data, dict):
        manifest = _validate_parts(_text_keys(data), lines, issues)
    elif data is not None:
        shown = "a list" if isinstance(data, list) else f"the text {_show(data)}"
        message = f"expected 'key: value' lines (case_id:, patient: ...), found {shown}."
        issues.append((lines.get((), 1), "manifest_invalid", message))
    issues.sort(key=lambda issue: issue[0])
    return manifest, [(kind, f"{display_path} line {line}: {msg}") for line, kind, msg in issues]


def _validate_parts(
    data: dict[str, Any], lines: dict[_Loc, int], issues: list[tuple[int, str, str]]
) -> Manifest:
    """Validate *data*, dropping each invalid value and adding its message to *issues*."""
    for _ in range(5):  # a second round is rarely needed
        try:
            return Manifest.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        for error in errors:
            issue = (_line_of(tuple(error["loc"]), lines), "manifest_invalid", _describe(error))
            if issue not in issues:
                issues.append(issue)
        for loc in sorted((e["loc"] for e in errors), key=_loc_sort_key, reverse=True):
            _drop(data, loc)
    return Manifest()


def _text_keys(value: Any) -> Any:
    """A copy with every mapping key as text (``~:`` becomes ``null``), to edit freely."""
    if isinstance(value, dict):
        return {("null" if k is None else str(k)): _text_keys(v) for k, v in value.items()}
    return [_text_keys(v) for v in value] if isinstance(value, list) else value


def _describe(error: ErrorDetails) -> str:
    """One message naming the key path, the value and what is allowed."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        key, parent = str(loc[-1]), loc[:-1]
        allowed = list(_model_at(parent).model_fields)
        inside = f" in {_dotted(parent)}" if parent else ""
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        advice = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}."
        return f"unknown key '{key}'{inside}; {advice}"
    hint = _HINTS.get(error["type"], error["msg"])
    if error["type"] == "model_type":
        hint += f" ({', '.join(_model_at(loc).model_fields)})"
    return f"{_dotted(loc)} is {_show(error['input'])}; {hint}."


_HINTS = {
    "int_parsing": "expected a whole number, e.g. 1962",
    "int_type": "expected a whole number, e.g. 1962",
    "int_from_float": "expected a whole number, e.g. 1962",
    "string_type": "expected text on the same line",
    "list_type": "expected a list, one '- item' per line",
    "model_type": "expected 'key: value' lines indented below it",
}


def _model_at(loc: _Loc) -> type[BaseModel]:
    """The model class that validates the mapping at *loc* (list indexes skipped)."""
    model: type[BaseModel] = Manifest
    for part in loc:
        if isinstance(part, str) and part in model.model_fields:
            found = _find_model(model.model_fields[part].annotation)
            model = found or model
    return model


def _find_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):  # through X | None, list[X] and Annotated[X, ...]
        if (found := _find_model(arg)) is not None:
            return found
    return None


def _line_of(loc: _Loc, lines: dict[_Loc, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _dotted(loc: _Loc) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".") or "the manifest"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _loc_sort_key(loc: tuple[str | int, ...]) -> tuple[tuple[int, str | int], ...]:
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in loc)


def _drop(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    """Delete the value at *loc*, or its deepest existing ancestor below the top."""
    parent: Any = None
    key: str | int = ""
    node: Any = data
    for part in loc:
        if type(node) not in (dict, list):  # type(), so mypy keeps node as Any
            break
        try:
            child = node[part]
        except (KeyError, IndexError, TypeError):
            break
        parent, key, node = node, part, child
    if parent is not None:
        del parent[key]


def parse_manifest(text: str, *, display_path: str = MANIFEST_NAME) -> Manifest:
    """Validate ``case.yaml`` text strictly.

    Parameters
    ----------
    text : str
        The YAML text.
    display_path : str
        How the file is named in messages.

    Returns
    -------
    Manifest

    Raises
    ------
    ManifestError
        On a syntax error, an unknown key, a bad value or a duplicate key; the
        message holds one line per problem, each naming the key and the line.
    """
    manifest, issues = _check(text, display_path)
    if issues:
        raise ManifestError("\n".join(message for _, message in issues))
    return manifest


def load_manifest(
    path: Path, *, display_path: str = MANIFEST_NAME
) -> tuple[Manifest, list[Problem]]:
    """Read ``case.yaml`` tolerantly: the valid parts, and one problem row per issue.

    Parameters
    ----------
    path : Path
        The ``case.yaml`` file; a missing file gives an empty manifest.
    display_path : str
        How the file is named in messages and in ``Problem.path``.

    Returns
    -------
    tuple of (Manifest, list of Problem)
        Invalid values are dropped (left empty); problems have stage ``manifest``
        and kind ``manifest_syntax`` or ``manifest_invalid``.
    """
    if not path.exists():
        return Manifest(), []
    try:
        with open(path, "rb") as fh:  # the size is checked before anything is parsed
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
        if len(raw) > MAX_MANIFEST_BYTES:
            message = (
                f"{display_path} is larger than {MAX_MANIFEST_BYTES // 1024} KiB, the limit for "
                "a case manifest (a real one is a few kilobytes); it was not read. Keep only the "
                "case details in it and attach documents as separate files."
            )
            return Manifest(), [Problem(display_path, "manifest", "manifest_too_large", message)]
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = (
            f"{display_path} is not UTF-8 text (byte {exc.start}); "
            "save it as UTF-8 (in Notepad: Save as → Encoding → UTF-8)."
        )
        return Manifest(), [Problem(display_path, "manifest", "manifest_syntax", message)]
    except OSError as exc:
        message = f"{display_path} cannot be read ({exc.strerror or exc})."
        return Manifest(), [Problem(display_path, "manifest", "manifest_syntax", message)]
    manifest, issues = _check(text, display_path)
    return manifest, [Problem(display_path, "manifest", kind, msg) for kind, msg in issues]


# --- writing --------------------------------------------------------------------------


def dump_manifest(manifest: Manifest, path: Path, *, backup: bool = True) -> Path:
    """Write *manifest* to *path* atomically, as UTF-8 YAML (Chinese kept readable).

    The text goes to a temporary file in the same folder, then replaces *path*.
    With *backup*, the previous file is kept as ``case.yaml.bak``. Empty keys are
    left out. Comments in the previous file are not kept.

    Returns
    -------
    Path
        *path*.
    """
    data = _prune(manifest.model_dump(mode="json", exclude_none=True))
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100) if data else ""
    text = (
        f"# {path.name}: case details for the workbench (schema: workbench.record.manifest)\n{body}"
    )
    if backup and path.exists():
        shutil.copy2(path, path.with_name(path.name + ".bak"))
    with atomic_write(path, "w", durable=True, encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def write_template(folder: Path) -> Path:
    """Write a commented, bilingual ``case.yaml`` template into *folder*.

    Every key is present and explained; the untouched template loads as an
    empty manifest without problems.

    Raises
    ------
    CaseNotFoundError
        If *folder* is not a directory.
    ManifestError
        If *folder* already holds a ``case.yaml`` (it is never overwritten).
    """
    if not folder.is_dir():
        raise CaseNotFoundError(f"Case folder '{folder}' does not exist; create it first.")
    path = folder / MANIFEST_NAME
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(_template())
    except FileExistsError as exc:
        raise ManifestError(
            f"'{path}' already exists; edit it, or move it away to start from a new template."
        ) from exc
    return path


def _template() -> str:
    """The commented case.yaml template shipped in ``workbench/data``."""
    return (Path(__file__).parent.parent / "data" / "case_template.yaml").read_text(
        encoding="utf-8"
    )
