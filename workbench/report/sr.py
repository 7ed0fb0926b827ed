"""The measurement report: a Comprehensive 3D SR (TID 1500) of the reviewer's measurements.

One *Measurement and Qualitative Evaluation Group* (TID 1501) per measurement, as OHIF's
Cornerstone3D adapters write and read them: a tracking identifier naming the tool
(``Cornerstone3DTools@^0.1.0:Length``) and a stable tracking UID, the finding site and its
laterality, the value (TID 300) with its image coordinates as an *INFERRED FROM* SCOORD
on the source image, the calibration source and the workbench's measurement id. The
orthopedic kit (joint-space width, hip-knee-ankle angle, two-line angle, Meyerding slip,
centre-edge angle, leg-length difference) carries its exact measurement as the
*Measurement Method* and its details (compartment, varus/valgus, grade, longer leg) as
TEXT items (:mod:`workbench.report.codes`). The reviewer is the observer.
:func:`read_measurement_report` reads such a report back into the columns of
:meth:`workbench.imaging.measure.MeasurementStore.frame`.

Image coordinates: the workbench keeps (row, column) with the centre of the first pixel
at (0, 0); DICOM SCOORD keeps (column, row) with that centre at (0.5, 0.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pandas as pd
from highdicom.sr import CodedConcept
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from workbench.imaging.measure import Measurement
from workbench.report import codes as wcodes
from workbench.report.evidence import Evidence
from workbench.report.review import MANUFACTURER, Review
from workbench.report.shapes import pieces, points_back
from workbench.report.uids import stable_uid

__all__ = ["READ_COLUMNS", "measurement_report", "read_measurement_report", "reportable"]

SERIES_NUMBER = 9901
#: Columns of :func:`read_measurement_report` (those of the measurement table, then more).
READ_COLUMNS = [
    "id", "sop_uid", "frame", "kind", "value", "unit", "sd", "area", "calibration_source",
    "points", "finding_site", "laterality", "tracking_identifier", "tracking_uid", "details",
]  # fmt: skip
#: Details of the kit kinds written as TEXT items (and read back, as text).
_DETAILS = {
    wcodes.MeasurementKind.JOINT_SPACE: ("compartment",),
    wcodes.MeasurementKind.HKA: ("direction",),
    wcodes.MeasurementKind.MEYERDING: ("grade",),
    wcodes.MeasurementKind.LEG_LENGTH: ("longer",),
}


def reportable(measurements: Iterable[Measurement], evidence: Evidence) -> list[Measurement]:
    """The measurements that go into the report: a reportable kind, on an image at hand."""
    kinds = {k.value for k in wcodes.MeasurementKind}
    return [m for m in measurements if m.kind in kinds and m.sop_uid in evidence]


def _graphic_data(points: Sequence[tuple[float, float]]) -> np.ndarray:
    return np.array([[c + 0.5, r + 0.5] for r, c in points], dtype=float)


def _source(ds: Dataset, frame: int) -> hd.sr.SourceImageForRegion:
    frames = [int(frame)] if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1 else None
    return hd.sr.SourceImageForRegion(
        referenced_sop_class_uid=ds.SOPClassUID,
        referenced_sop_instance_uid=ds.SOPInstanceUID,
        referenced_frame_numbers=frames,
    )


def _text(name: CodedConcept, value: str) -> hd.sr.TextContentItem:
    return hd.sr.TextContentItem(
        name=name, value=value[:1024] or "none",
        relationship_type=hd.sr.RelationshipTypeValues.HAS_PROPERTIES,
    )  # fmt: skip


def _group(m: Measurement, ds: Dataset, row: Any, review: Review) -> Any:
    kind = wcodes.MeasurementKind(m.kind)
    coordinates = [
        hd.sr.CoordinatesForMeasurement(
            graphic_type=hd.sr.GraphicTypeValues(graphic),
            graphic_data=_graphic_data(points),
            source_image=_source(ds, m.frame),
        )
        for graphic, points in pieces(m.kind, m.points)
    ]
    main = hd.sr.Measurement(
        name=wcodes.measurement_name(kind),
        value=float(m.value),
        unit=wcodes.unit_code(m.unit),
        method=wcodes.measurement_method(kind),
        referenced_coordinates=coordinates,
    )
    main[0].ContentSequence.extend([
        _text(wcodes.CALIBRATION_SOURCE, m.calibration_source),
        _text(wcodes.MEASUREMENT_ID, m.id),
    ])  # fmt: skip
    for key in _DETAILS.get(kind, ()):
        if m.details.get(key) not in (None, ""):
            main[0].ContentSequence.append(_text(wcodes.detail_concept(key), str(m.details[key])))
    values = [main]
    if m.kind in wcodes.ROI_KINDS:
        if m.sd is not None:
            values.append(hd.sr.Measurement(codes.SCT.StandardDeviation, float(m.sd),
                                            wcodes.unit_code(m.unit)))  # fmt: skip
        if m.area is not None:
            area_unit = "mm2" if m.spacing is not None else "px2"
            values.append(hd.sr.Measurement(codes.SCT.Area, float(m.area),
                                            wcodes.unit_code(area_unit)))  # fmt: skip
    site = wcodes.finding_site(row.get("body_part") if row is not None else None)
    side = wcodes.laterality(row.get("side") if row is not None else None)
    sites = [hd.sr.FindingSite(anatomic_location=site, laterality=side)] if site else None
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=stable_uid(review.key, "measurement", m.id, m.sop_uid, m.frame),
            identifier=wcodes.tracking_identifier(kind),
        ),
        finding_type=codes.SCT.Finding,
        finding_sites=sites,
        measurements=values,
    )


def _observer(review: Review) -> hd.sr.ObservationContext:
    return hd.sr.ObservationContext(
        observer_person_context=hd.sr.ObserverContext(
            observer_type=codes.DCM.Person,
            observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                name=review.observer_name
            ),
        )
    )


def _evidence_order(datasets: list[Dataset], study_uid: str) -> list[Dataset]:
    """The report's own study first (highdicom takes patient and study from the first)."""
    return sorted(datasets, key=lambda ds: (ds.StudyInstanceUID != study_uid, ds.SOPInstanceUID))


def measurement_report(
    measurements: Sequence[Measurement], evidence: Evidence, review: Review
) -> hd.sr.Comprehensive3DSR:
    """A Comprehensive 3D SR of *measurements* (use :func:`reportable` to pick them).

    The report belongs to the study of the newest measured image (the current study);
    images of other studies are cited as other evidence. Its series UID is derived from
    the review, its instance UID from the review and the measurements it holds, so an
    unchanged review exported again gives the same object.

    Raises
    ------
    ValueError
        No measurement to report.
    """
    if not measurements:
        raise ValueError("No measurement to report: measure on an image of the case first.")
    groups = [
        _group(m, evidence.headers[m.sop_uid], evidence.rows.get(m.sop_uid), review)
        for m in measurements
    ]
    datasets = list({m.sop_uid: evidence.headers[m.sop_uid] for m in measurements}.values())
    current = max(datasets, key=lambda ds: (str(ds.get("StudyDate") or ""), ds.StudyInstanceUID))
    report = hd.sr.MeasurementReport(
        observation_context=_observer(review),
        procedure_reported=codes.SCT.ImagingProcedure,
        imaging_measurements=groups,
        title=codes.cid7021.ImagingMeasurementReport,
    )
    content_key = "|".join(f"{m.id}:{m.value:.6g}:{m.points}" for m in measurements)
    return hd.sr.Comprehensive3DSR(
        evidence=_evidence_order(datasets, current.StudyInstanceUID),
        content=report,
        series_instance_uid=stable_uid(review.key, "sr-series", current.StudyInstanceUID),
        series_number=SERIES_NUMBER,
        sop_instance_uid=stable_uid(review.key, "sr", content_key),
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        is_final=False,
        is_verified=False,
        series_description="Second-opinion measurements",
        content_date=review.dicom_date or None,
        content_time="000000" if review.dicom_date else None,
    )


def _texts(item: Dataset) -> dict[str, str]:
    out = {}
    for child in getattr(item, "ContentSequence", []):
        if child.ValueType == "TEXT":
            concept = child.ConceptNameCodeSequence[0]
            code = getattr(concept, "value", None) or concept.CodeValue
            out[str(code)] = str(child.TextValue)
    return out


def _code_meaning(concept: Any) -> str:
    return str(getattr(concept, "meaning", "") or "")


def read_measurement_report(source: str | Path | Dataset) -> pd.DataFrame:
    """The measurements of a TID 1500 report, one row each (columns :data:`READ_COLUMNS`).

    Reads with :func:`highdicom.sr.srread` (or takes a dataset) and walks the image
    measurement groups. Groups of another tool (not ``Cornerstone3DTools``) are read
    with ``kind`` empty.
    """
    sr = hd.sr.srread(source) if not isinstance(source, Dataset) else source
    if not isinstance(sr, hd.sr.Comprehensive3DSR | hd.sr.ComprehensiveSR | hd.sr.EnhancedSR):
        sr = hd.sr.Comprehensive3DSR.from_dataset(sr)
    rows = []
    content: Any = sr.content
    for group in content.get_image_measurement_groups():
        identifier = str(group.tracking_identifier or "")
        kind = wcodes.kind_of_tracking_identifier(identifier)
        found = group.get_measurements()
        if not found:
            continue
        by_name = {m.name.value: m for m in found}
        main = found[0]
        texts = _texts(main[0])
        points: list[list[float]] = []  # the pieces' points, in order
        sop, frame = "", 1
        for coordinates in main.referenced_coordinates:
            data = np.asarray(coordinates.value, dtype=float).reshape(-1, 2)
            points += [[float(y) - 0.5, float(x) - 0.5] for x, y in data]
            image = coordinates.ContentSequence[0]
            ref = image.ReferencedSOPSequence[0]
            sop = str(ref.ReferencedSOPInstanceUID)
            frame = int(getattr(ref, "ReferencedFrameNumber", 1) or 1)
        if kind is not None:
            points = points_back(kind.value, points)
        sd = by_name.get(codes.SCT.StandardDeviation.value)
        area = by_name.get(codes.SCT.Area.value)
        sites = group.finding_sites
        prefix = wcodes.detail_concept("").value
        details = {k.removeprefix(prefix): v for k, v in texts.items() if k.startswith(prefix)}
        rows.append({
            "id": texts.get(wcodes.MEASUREMENT_ID.value, ""),
            "sop_uid": sop,
            "frame": frame,
            "kind": kind.value if kind else "",
            "value": float(main.value),
            "unit": wcodes.unit_of_code(main.unit),
            "sd": float(sd.value) if sd is not None else None,
            "area": float(area.value) if area is not None else None,
            "calibration_source": texts.get(wcodes.CALIBRATION_SOURCE.value, ""),
            "points": points,
            "finding_site": _code_meaning(sites[0].value) if sites else "",
            "laterality": _code_meaning(sites[0].laterality) if sites and sites[0].laterality
            else "",
            "tracking_identifier": identifier,
            "tracking_uid": str(group.tracking_uid or ""),
            "details": details,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=READ_COLUMNS)
