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

from workbench.record.manifest.fields import EventKind, OnsetKind, TreatmentKind
from workbench.record.manifest.load import MAX_MANIFEST_BYTES, load_manifest, parse_manifest
from workbench.record.manifest.partial_date import PartialDate
from workbench.record.manifest.schema import (
    MANIFEST_NAME,
    Complaint,
    Event,
    Manifest,
    PainHistory,
    PatientInfo,
    Surgery,
    TimelineEvent,
    Treatment,
)
from workbench.record.manifest.story import (
    FunctionStatus,
    Lab,
    Medication,
    PainMark,
    ScoreEntry,
    SleepStatus,
    SportStatus,
    StairsStatus,
    WorkStatus,
)
from workbench.record.manifest.write import dump_manifest, write_template

__all__ = [
    "MANIFEST_NAME",
    "MAX_MANIFEST_BYTES",
    "Complaint",
    "Event",
    "EventKind",
    "FunctionStatus",
    "Lab",
    "Manifest",
    "Medication",
    "OnsetKind",
    "PainHistory",
    "PainMark",
    "PartialDate",
    "PatientInfo",
    "ScoreEntry",
    "SleepStatus",
    "SportStatus",
    "StairsStatus",
    "Surgery",
    "TimelineEvent",
    "Treatment",
    "TreatmentKind",
    "WorkStatus",
    "dump_manifest",
    "load_manifest",
    "parse_manifest",
    "write_template",
]
