"""Coded concepts for the measurement report: names, units, finding sites, laterality.

Measurement kinds of :mod:`workbench.imaging.measure` map to SNOMED CT names and to the
tracking identifiers that OHIF's Cornerstone3D adapters rehydrate
(``Cornerstone3DTools@^0.1.0:<Tool>``). What has no standard code (the calibration
source, the workbench's measurement id) uses the private scheme ``99WBENCH``, which
readers that do not know it skip.

The orthopedic kit (:mod:`workbench.imaging.ortho`) has no concepts of its own in
SNOMED CT or DICOM (PS3.16 lists none for joint-space width, the hip-knee-ankle or
centre-edge angle, Meyerding slip or leg-length difference). Each is reported under the
standard concept its value is (SCT *Width*, SCT *Angle*, DCM *Distance*), with the
exact measurement as the TID 300 *Measurement Method* from ``99WBENCH``
(:func:`measurement_method`); the slip, a percentage no standard concept names, has its
``99WBENCH`` name. Their tracking identifiers (``Workbench@1:<Tool>``) are not
Cornerstone's: OHIF shows their values without claiming them as its own tools.

>>> tracking_identifier("length")
'Cornerstone3DTools@^0.1.0:Length'
>>> tracking_identifier("hka"), measurement_method("hka").meaning
('Workbench@1:HipKneeAnkleAngle', 'Hip-knee-ankle angle (mechanical axis)')
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
    "detail_concept",
    "finding_site",
    "kind_of_tracking_identifier",
    "laterality",
    "measurement_method",
    "measurement_name",
    "tracking_identifier",
    "unit_code",
]

#: Prefix of the tracking identifiers OHIF (Cornerstone3D) reads back as its own tools.
TRACKING_PREFIX = "Cornerstone3DTools@^0.1.0:"
#: The region kinds: a mean with its SD and area.
ROI_KINDS = frozenset({"roi", "roi_ellipse", "roi_rectangle"})
#: Prefix of the tracking identifiers of the orthopedic kit (no Cornerstone tool matches).
KIT_PREFIX = "Workbench@1:"
PRIVATE_SCHEME = "99WBENCH"


class MeasurementKind(StrEnum):
    """The measurement kinds that go into the report (calibrations stay in the sidecar)."""

    LENGTH = "length"
    ANGLE = "angle"
    COBB = "cobb"
    ROI = "roi"
    ROI_ELLIPSE = "roi_ellipse"
    ROI_RECTANGLE = "roi_rectangle"
    JOINT_SPACE = "joint_space"
    HKA = "hka"
    LINE_ANGLE = "line_angle"
    MEYERDING = "meyerding"
    CENTER_EDGE = "center_edge"
    LEG_LENGTH = "leg_length"


_TOOLS = {
    MeasurementKind.LENGTH: "Length",
    MeasurementKind.ANGLE: "Angle",
    MeasurementKind.COBB: "CobbAngle",
    MeasurementKind.ROI: "CircleROI",
    MeasurementKind.ROI_ELLIPSE: "EllipticalROI",
    MeasurementKind.ROI_RECTANGLE: "RectangleROI",
}
#: The orthopedic kit: tool name, method code, method meaning.
_KIT = {
    MeasurementKind.JOINT_SPACE: ("JointSpaceWidth", "joint-space-width",
                                  "Joint-space width (minimum distance between bone contours)"),
    MeasurementKind.HKA: ("HipKneeAnkleAngle", "hip-knee-ankle-angle",
                          "Hip-knee-ankle angle (mechanical axis)"),
    MeasurementKind.LINE_ANGLE: ("TwoLineAngle", "two-line-angle", "Angle between two lines"),
    MeasurementKind.MEYERDING: ("MeyerdingSlip", "meyerding-slip",
                                "Meyerding slip percentage"),
    MeasurementKind.CENTER_EDGE: ("CenterEdgeAngle", "center-edge-angle",
                                  "Centre-edge angle (Wiberg)"),
    MeasurementKind.LEG_LENGTH: ("LegLengthDifference", "leg-length-difference",
                                 "Leg-length difference (landmarks from a pelvic line)"),
}  # fmt: skip
_NAMES = {
    MeasurementKind.LENGTH: codes.SCT.Length,
    MeasurementKind.ANGLE: codes.SCT.Angle,
    MeasurementKind.COBB: codes.SCT.CobbAngle,
    MeasurementKind.ROI: codes.SCT.Mean,
    MeasurementKind.ROI_ELLIPSE: codes.SCT.Mean,
    MeasurementKind.ROI_RECTANGLE: codes.SCT.Mean,
    MeasurementKind.JOINT_SPACE: codes.SCT.Width,
    MeasurementKind.HKA: codes.SCT.Angle,
    MeasurementKind.LINE_ANGLE: codes.SCT.Angle,
    MeasurementKind.CENTER_EDGE: codes.SCT.Angle,
    MeasurementKind.LEG_LENGTH: codes.DCM.Distance,
}
_UNITS = {
    "mm": CodedConcept("mm", "UCUM", "millimeter"),
    "px": CodedConcept("{pixels}", "UCUM", "pixels"),
    "deg": CodedConcept("deg", "UCUM", "degree"),
    "%": CodedConcept("%", "UCUM", "percent"),
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
    """``Cornerstone3DTools@^0.1.0:<Tool>`` (``Workbench@1:<Tool>`` for the kit) of a kind."""
    member = MeasurementKind(kind)
    if member in _KIT:
        return KIT_PREFIX + _KIT[member][0]
    return TRACKING_PREFIX + _TOOLS[member]


def kind_of_tracking_identifier(identifier: str) -> MeasurementKind | None:
    """Inverse of :func:`tracking_identifier` (None for another tool's identifier)."""
    for kind in MeasurementKind:
        if identifier == tracking_identifier(kind):
            return kind
    return None


def measurement_name(kind: str) -> CodedConcept:
    """The concept name of the main value of a measurement kind."""
    member = MeasurementKind(kind)
    if member not in _NAMES:  # the slip: no standard concept names a slip percentage
        _, value, meaning = _KIT[member]
        return CodedConcept(value, PRIVATE_SCHEME, meaning)
    code = _NAMES[member]
    return CodedConcept(code.value, code.scheme_designator, code.meaning)


def measurement_method(kind: str) -> CodedConcept | None:
    """The TID 300 *Measurement Method* of a kit kind (``99WBENCH``), None for the others."""
    found = _KIT.get(MeasurementKind(kind))
    return None if found is None else CodedConcept(found[1], PRIVATE_SCHEME, found[2])


def kind_of_method(value: str | None) -> MeasurementKind | None:
    """The kit kind whose :func:`measurement_method` code is *value*, or None."""
    for kind, (_, code, _meaning) in _KIT.items():
        if value == code:
            return kind
    return None


def detail_concept(key: str) -> CodedConcept:
    """TEXT item under a kit measurement: one of its details (``compartment``, ``grade``...)."""
    return CodedConcept(f"detail-{key}", PRIVATE_SCHEME, key.replace("_", " ").capitalize())


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
