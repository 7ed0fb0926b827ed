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

>>> from workbench.record.manifest import parse_manifest
>>> m = parse_manifest("complaint: {body_part: 膝关节, side: 右}\\npain_history: {onset: 2024-03}")
>>> m.complaint.side, m.complaint.body_part, str(m.pain_history.onset)
(<Side.RIGHT: 'right'>, <BodyPart.KNEE: 'knee'>, '2024-03')
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING

#: The file name of a case's manifest.
MANIFEST_NAME = "case.yaml"

if TYPE_CHECKING:
    from workbench.record.manifest.fields import EventKind, OnsetKind, TreatmentKind
    from workbench.record.manifest.load import (
        MAX_MANIFEST_BYTES,
        load_manifest,
        parse_manifest,
    )
    from workbench.record.manifest.partial_date import PartialDate
    from workbench.record.manifest.schema import (
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

#: Where each public name lives. The submodules are imported on first use of a name, so
#: that a case without case.yaml is opened without importing pydantic or building a model
#: (start-up); ``from workbench.record.manifest import Manifest`` works as before.
_MODULES = {
    "fields": "EventKind OnsetKind TreatmentKind",
    "load": "MAX_MANIFEST_BYTES load_manifest parse_manifest",
    "partial_date": "PartialDate",
    "schema": "Complaint Event Manifest PainHistory PatientInfo Surgery TimelineEvent Treatment",
    "story": "FunctionStatus Lab Medication PainMark ScoreEntry SleepStatus SportStatus "
    "StairsStatus WorkStatus",
    "write": "dump_manifest write_template",
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names.split()}

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


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
