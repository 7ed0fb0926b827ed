"""Coded concepts for the measurement report: names, units, finding sites, laterality.

Measurement kinds of :mod:`workbench.imaging.measure` map to SNOMED CT names and to the
tracking identifiers that OHIF's Cornerstone3D adapters rehydrate
(``Cornerstone3DTools@^0.1.0:<Tool>``). What has no standard code (the calibration
source, the workbench's measurement id) uses the private scheme ``99WBENCH``, which
readers that do not know it skip.

>>> tracking_identifier("length")
'Cornerstone3DTools@^0.1.0:Length'
>>> finding_site("knee").meaning, laterality("right").meaning
('Knee', 'Right')
"""

from __future__ import annotations

from enum import StrEnum

from highdicom.sr import CodedConcept
from pydicom.sr.codedict import codes

__all__ = [
    "CALIBRATION_SOURCE",
    "MEASUREMENT_ID",
    "MeasurementKind",
    "finding_site",
    "kind_of_tracking_identifier",
    "laterality",
    "measurement_name",
    "tracking_identifier",
    "unit_code",
]

#: Prefix of the tracking identifiers OHIF (Cornerstone3D) reads back as its own tools.
TRACKING_PREFIX = "Cornerstone3DTools@^0.1.0:"
PRIVATE_SCHEME = "99WBENCH"


class MeasurementKind(StrEnum):
    """The measurement kinds that go into the report (calibrations stay in the sidecar)."""

    LENGTH = "length"
    ANGLE = "angle"
    COBB = "cobb"
    ROI = "roi"


_TOOLS = {
    MeasurementKind.LENGTH: "Length",
    MeasurementKind.ANGLE: "Angle",
    MeasurementKind.COBB: "CobbAngle",
    MeasurementKind.ROI: "CircleROI",
}
_NAMES = {
    MeasurementKind.LENGTH: codes.SCT.Length,
    MeasurementKind.ANGLE: codes.SCT.Angle,
    MeasurementKind.COBB: codes.SCT.CobbAngle,
    MeasurementKind.ROI: codes.SCT.Mean,
}
_UNITS = {
    "mm": CodedConcept("mm", "UCUM", "millimeter"),
    "px": CodedConcept("{pixels}", "UCUM", "pixels"),
    "deg": CodedConcept("deg", "UCUM", "degree"),
    "HU": CodedConcept("[hnsf'U]", "UCUM", "Hounsfield unit"),
    "a.u.": CodedConcept("1", "UCUM", "no units"),
    "mm2": CodedConcept("mm2", "UCUM", "square millimeter"),
    "px2": CodedConcept("{pixels}", "UCUM", "pixels"),
}
_SITES = {
    "knee": codes.SCT.Knee,
    "hip": codes.SCT.Hip,
    "shoulder": codes.SCT.Shoulder,
    "ankle": codes.SCT.AnkleJoint,
    "foot": codes.SCT.Foot,
    "elbow": codes.SCT.ElbowJoint,
    "wrist": codes.SCT.WristJoint,
    "hand": codes.SCT.Hand,
    "cervical_spine": codes.SCT.CervicalSpine,
    "thoracic_spine": codes.SCT.ThoracicSpine,
    "lumbar_spine": codes.SCT.LumbarSpine,
    "pelvis": codes.SCT.Pelvis,
    "femur": codes.SCT.Femur,
    "tibia": codes.SCT.Tibia,
    "humerus": codes.SCT.Humerus,
    "forearm": codes.SCT.Forearm,
    "chest": codes.SCT.Chest,
    "head": codes.SCT.Head,
}
_SIDES = {"left": codes.SCT.Left, "right": codes.SCT.Right, "bilateral": codes.SCT.Bilateral}
#: Body parts that come in pairs (Laterality is required on their images).
PAIRED = frozenset(
    {"knee", "hip", "shoulder", "ankle", "foot", "elbow", "wrist", "hand", "femur", "tibia",
     "humerus", "forearm"}
)  # fmt: skip

#: TEXT item under each measurement: where its millimetres come from.
CALIBRATION_SOURCE = CodedConcept("calibration-source", PRIVATE_SCHEME, "Calibration source")
#: TEXT item under each measurement: the id of the measurement in the workbench's sidecar.
MEASUREMENT_ID = CodedConcept("measurement-id", PRIVATE_SCHEME, "Workbench measurement id")


def tracking_identifier(kind: str) -> str:
    """``Cornerstone3DTools@^0.1.0:<Tool>`` for a measurement kind."""
    return TRACKING_PREFIX + _TOOLS[MeasurementKind(kind)]


def kind_of_tracking_identifier(identifier: str) -> MeasurementKind | None:
    """Inverse of :func:`tracking_identifier` (None for another tool's identifier)."""
    for kind, tool in _TOOLS.items():
        if identifier == TRACKING_PREFIX + tool:
            return kind
    return None


def measurement_name(kind: str) -> CodedConcept:
    """The concept name of the main value of a measurement kind."""
    code = _NAMES[MeasurementKind(kind)]
    return CodedConcept(code.value, code.scheme_designator, code.meaning)


def unit_code(unit: str) -> CodedConcept:
    """UCUM code of a unit of :class:`workbench.imaging.measure.Measurement`."""
    try:
        return _UNITS[unit]
    except KeyError:
        raise ValueError(
            f"No UCUM code for the unit {unit!r}; known: {', '.join(_UNITS)}."
        ) from None


def unit_of_code(code: CodedConcept) -> str:
    """Inverse of :func:`unit_code` (first match)."""
    for unit, concept in _UNITS.items():
        if concept.value == code.value and concept.scheme_designator == code.scheme_designator:
            return unit
    return str(code.value)


def finding_site(body_part: str | None) -> CodedConcept | None:
    """SNOMED CT code of a body part of :mod:`workbench.vocab`, or None when unknown."""
    code = _SITES.get(str(body_part or ""))
    return None if code is None else CodedConcept(code.value, code.scheme_designator, code.meaning)


def laterality(side: str | None) -> CodedConcept | None:
    """SNOMED CT code of a side (``left``, ``right``, ``bilateral``), or None."""
    code = _SIDES.get(str(side or ""))
    return None if code is None else CodedConcept(code.value, code.scheme_designator, code.meaning)
