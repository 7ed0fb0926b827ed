"""The opinion as a FHIR R4 bundle for record systems (optional extra ``fhir``).

One ``collection`` Bundle: a DiagnosticReport (the reviewer's conclusion text, the
review date, the reviewer as performer), one ImagingStudy per DICOM study of the case
(StudyInstanceUID as ``urn:oid:``), one Observation per measurement (its DICOM/SNOMED
concept, the value with its UCUM unit, ``derivedFrom`` its study) and a Patient that
carries only the case id. Every resource is built with the ``fhir.resources`` models of
FHIR R4B (``fhir.resources.R4B``; version 8 of the library is R5 at its top level), so
the library validates each one; R4B is the R4-compatible release. Resource ids are
stable: the same review gives the same bundle.

Without the extra, :func:`opinion_bundle` raises ``ImportError`` naming it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.imaging.measure import Measurement, MeasurementStore
from workbench.record.protocol import CaseRecord
from workbench.report import codes
from workbench.report.review import Review
from workbench.workspace import OUTPUTS, atomic_write

__all__ = ["FHIR_NAME", "opinion_bundle", "write_fhir_bundle"]

FHIR_NAME = "opinion.fhir.json"
UCUM = "http://unitsofmeasure.org"
_SYSTEMS = {
    "DCM": "http://dicom.nema.org/resources/ontology/DCM",
    "SCT": "http://snomed.info/sct",
    "LN": "http://loinc.org",
    "UCUM": UCUM,
}
_NAMESPACE = uuid.UUID("5b0f7a3e-8c1d-4a57-9c1f-6f0e2d3b4a10")


def _require() -> None:
    """ImportError naming the extra when fhir.resources is not installed."""
    try:
        import fhir.resources.R4B  # noqa: F401  (optional extra `fhir`)
    except ImportError as exc:
        raise ImportError(
            "The FHIR bundle needs the optional extra 'fhir' (fhir.resources): "
            "pip install 'workbench[fhir]'."
        ) from exc


def _make(model: Any, **fields: Any) -> Any:
    """A resource of *model* validated by the library (None fields left out)."""
    return model.model_validate({k: v for k, v in fields.items() if v is not None})


def _id(review: Review, *parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join([review.key, *parts])))


def _coding(concept: Any) -> dict[str, str]:
    scheme = str(concept.scheme_designator)
    system = _SYSTEMS.get(scheme, f"urn:dicom:scheme:{scheme}")
    return {"system": system, "code": str(concept.value), "display": str(concept.meaning)}


def _studies(case: CaseRecord) -> list[dict[str, Any]]:
    studies = case.studies
    dicom = studies[studies["source"] == "dicom"] if "source" in studies.columns else studies
    inst = case.instances
    out = []
    for row in dicom.itertuples(index=False):
        uids = inst.loc[inst["study_key"] == row.study_key, "StudyInstanceUID"].dropna()
        if uids.empty:
            continue
        out.append({"study_key": str(row.study_key), "uid": str(uids.iloc[0]),
                    "modality": str(getattr(row, "modality", "") or ""),
                    "date": getattr(row, "date", None),
                    "n_series": int(getattr(row, "n_series", 0) or 0),
                    "n_images": int(getattr(row, "n_images", 0) or 0),
                    "description": str(getattr(row, "description", "") or "")})  # fmt: skip
    return out


def _reportable(measurements: Iterable[Measurement]) -> list[Measurement]:
    kinds = {k.value for k in codes.MeasurementKind}
    return [m for m in measurements if m.kind in kinds]


def _date(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    try:
        return pd.Timestamp(value).date().isoformat()
    except (ValueError, TypeError):
        return None


def opinion_bundle(
    case: CaseRecord, review: Review, measurements: Iterable[Measurement] | None = None
) -> Any:
    """The review as a validated FHIR R4B ``Bundle`` (a ``fhir.resources`` model).

    Parameters
    ----------
    case : CaseRecord
        The case (studies, instances, workspace).
    review : Review
        Who reviewed when; ``review.conclusion`` becomes ``DiagnosticReport.conclusion``.
    measurements : iterable of Measurement, optional
        Default: the case's measurement store (calibrations are left out).

    Raises
    ------
    ImportError
        The optional extra ``fhir`` is not installed.
    pydantic.ValidationError
        A resource does not validate (a programming error).
    """
    _require()
    # optional extra `fhir`: imported here so the core works without it
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport
    from fhir.resources.R4B.imagingstudy import ImagingStudy
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient

    if measurements is None:
        measurements = list(MeasurementStore(case.workspace))
    patient_id = _id(review, "patient")
    case_id = {"system": "urn:workbench:case-id", "value": review.case_id or "unknown"}
    patient = _make(Patient, id=patient_id, identifier=[case_id])
    subject = {"reference": f"urn:uuid:{patient_id}"}
    studies = _studies(case)
    study_ref: dict[str, str] = {}
    resources: list[Any] = [patient]
    for study in studies:
        sid = _id(review, "study", study["uid"])
        study_ref[study["study_key"]] = f"urn:uuid:{sid}"
        started = _date(study["date"])
        resources.append(_make(ImagingStudy,
            id=sid, status="available", subject=subject,
            identifier=[{"system": "urn:dicom:uid", "value": f"urn:oid:{study['uid']}"}],
            modality=[{"system": "http://dicom.nema.org/resources/ontology/DCM",
                       "code": study["modality"]}] if study["modality"] else None,
            started=f"{started}T00:00:00Z" if started else None,
            numberOfSeries=study["n_series"] or None,
            numberOfInstances=study["n_images"] or None,
            description=study["description"] or None,
        ))  # fmt: skip
    series_study = dict(zip(case.series["series_key"], case.series["study_key"], strict=False))
    by_sop = dict(zip(case.instances["SOPInstanceUID"], case.instances["study_key"], strict=False))
    observations = []
    for m in _reportable(measurements):
        study_key = by_sop.get(m.sop_uid) or series_study.get(m.series_key)
        unit = codes.unit_code(m.unit)
        obs = _make(Observation,
            id=_id(review, "measurement", m.id),
            status="final",
            category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                   "observation-category", "code": "imaging"}]}],
            code={"coding": [_coding(codes.measurement_name(m.kind))], "text": m.kind},
            subject=subject,
            effectiveDateTime=review.review_date,
            valueQuantity={"value": round(float(m.value), 4), "unit": str(unit.meaning),
                           "system": UCUM, "code": str(unit.value)},
            derivedFrom=[{"reference": study_ref[study_key]}] if study_key in study_ref else None,
            note=[{"text": f"calibration: {m.calibration_source}"}] if m.calibration_source
            else None,
        )  # fmt: skip
        observations.append(obs)
    report_id = _id(review, "report")
    report = _make(DiagnosticReport,
        id=report_id,
        status="final",
        code={"coding": [{"system": "http://loinc.org", "code": "18748-4",
                          "display": "Diagnostic imaging study"}],
              "text": "Orthopedic second opinion"},
        subject=subject,
        effectiveDateTime=review.review_date,
        issued=f"{review.review_date}T00:00:00Z",
        performer=[{"display": review.reviewer or "Reviewer"}],
        imagingStudy=[{"reference": ref} for ref in study_ref.values()] or None,
        result=[{"reference": f"urn:uuid:{o.id}"} for o in observations] or None,
        conclusion=review.conclusion or None,
    )  # fmt: skip
    resources += observations
    entries = [{"fullUrl": f"urn:uuid:{report_id}", "resource": report}]
    entries += [{"fullUrl": f"urn:uuid:{r.id}", "resource": r} for r in resources]
    return _make(Bundle, id=_id(review, "bundle"), type="collection", entry=entries,
                  timestamp=f"{review.review_date}T00:00:00Z")  # fmt: skip


def write_fhir_bundle(case: CaseRecord, review: Review) -> Path:
    """Write :func:`opinion_bundle` as JSON to ``<workspace>/outputs/opinion.fhir.json``."""
    bundle = opinion_bundle(case, review)
    path = Path(case.workspace) / OUTPUTS / FHIR_NAME
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(json.loads(bundle.model_dump_json()), indent=2, ensure_ascii=False))
    return path
