"""The case.yaml schema: one pydantic model per section, every key optional."""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

import pandas as pd
from pandas.api.typing import NaTType
from pydantic import Field

from workbench.i18n import label as i18n_label
from workbench.record.manifest import MANIFEST_NAME
from workbench.record.manifest.fields import (
    EventKind,
    OnsetKind,
    TreatmentKind,
    _BirthYear,
    _BodyPartField,
    _choice,
    _Language,
    _List,
    _Section,
    _Sex,
    _SideField,
)
from workbench.record.manifest.partial_date import PartialDate
from workbench.record.manifest.story import FunctionStatus, Lab, Medication, PainMark, ScoreEntry
from workbench.vocab import CaseType, Side


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
    label_zh: str


class Manifest(_Section):
    """The contents of ``case.yaml``; every key is optional, unknown keys are refused."""

    case_id: str | None = None
    patient: PatientInfo | None = None
    case_type: Annotated[CaseType, _choice(CaseType)] | None = None
    #: The language the reviewer reads (``en``, ``zh``); key documents in another
    #: language need a summary in this one.
    reviewer_language: _Language | None = None
    main_concern: str | None = None
    complaint: Complaint | None = None
    pain_history: PainHistory | None = None
    treatments: _List[Treatment] = Field(default_factory=list)
    surgeries: _List[Surgery] = Field(default_factory=list)
    events: _List[Event] = Field(default_factory=list)
    proposed_treatment: str | None = None
    questions: _List[str] = Field(default_factory=list)
    function: FunctionStatus | None = None
    medications: _List[Medication] = Field(default_factory=list)
    labs: _List[Lab] = Field(default_factory=list)
    pain_map: _List[PainMark] = Field(default_factory=list)
    scores: _List[ScoreEntry] = Field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when no key holds a value (an absent file, or the untouched template)."""
        return not _prune(self.model_dump(exclude_none=True))

    def timeline_events(self) -> list[TimelineEvent]:
        """Pain onset, treatments, surgeries, events, medications and labs as timeline rows.

        Scores are added by :func:`workbench.record.timeline.build_timeline`, which scores them.

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
            what = self.main_concern or pain.location
            label = f"Onset: {what or 'pain'}"
            onset_zh = i18n_label("timeline.onset", "zh")
            label_zh = f"{onset_zh}：{what or i18n_label('timeline.pain', 'zh')}"
            if pain.onset_kind is not None:
                label += f" ({pain.onset_kind.value.replace('_', ' ')})"
                label_zh += f"（{i18n_label(f'onset.{pain.onset_kind.value}', 'zh')}）"
            side = self.complaint.side if self.complaint else None
            rows.append(_row(pain.onset, "symptom", label, side, label_zh))
        for treatment in self.treatments:
            kind = treatment.kind.value if treatment.kind else "treatment"
            kind_zh = i18n_label(f"treatment.{kind}", "zh")
            label = f"{kind}: {treatment.detail}" if treatment.detail else kind
            label_zh = f"{kind_zh}：{treatment.detail}" if treatment.detail else kind_zh
            label += f" ({treatment.response})" if treatment.response else ""
            label_zh += f"（{treatment.response}）" if treatment.response else ""
            when = treatment.start or treatment.date
            rows.append(_row(when, "treatment", label, None, label_zh))
        for surgery in self.surgeries:
            label = surgery.procedure or "surgery"
            label_zh = surgery.procedure or i18n_label("timeline.surgery", "zh")
            if surgery.implants:
                label += f" (implants: {', '.join(surgery.implants)})"
                implants_zh = i18n_label("timeline.implants", "zh")
                label_zh += f"（{implants_zh}：{'、'.join(surgery.implants)}）"
            rows.append(_row(surgery.date, "surgery", label, surgery.side, label_zh))
        for event in self.events:
            kind = event.kind.value if event.kind else "other"
            rows.append(_row(event.date, kind, event.label or kind, event.side))
        for med in self.medications:
            label = "Medication: " + " ".join(x for x in (med.name, med.dose, med.frequency) if x)
            label += f" ({med.response})" if med.response else ""
            rows.append(_row(med.since, "treatment", label, None))
            if med.stopped is not None:
                rows.append(
                    _row(med.stopped, "treatment", f"Stopped: {med.name or 'medication'}", None)
                )
        for lab in self.labs:
            value = " ".join(x for x in (lab.value, lab.unit) if x)
            label = f"Lab: {lab.test or 'test'} {value}".rstrip()
            label += f" (ref {lab.reference_range})" if lab.reference_range else ""
            rows.append(_row(lab.date, "lab", label, None))
        return rows


def _row(
    date: PartialDate | None,
    kind: str,
    label: str,
    side: Side | None,
    label_zh: str | None = None,
) -> TimelineEvent:
    return TimelineEvent(
        date=date.as_timestamp() if date else pd.NaT,
        date_precision=date.precision if date else None,
        kind=kind,
        label=label,
        side=side.value if side else None,
        source=MANIFEST_NAME,
        label_zh=label_zh or label,
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
