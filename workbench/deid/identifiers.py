"""What identifies the patient in a case: gathered once, used to clean and to verify.

Names come from every PN element of every DICOM header (patient, other names,
physicians, operators, in sequences too) and from ``case.yaml``; IDs from the
patient, accession and procedure identifiers; dates of birth; addresses,
telephone numbers, institution and station names. The instance UIDs of the case
are gathered too: they are remapped wherever they appear and must not survive.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from workbench.deid.dataset import collect_uids, decode_text
from workbench.deid.text import Identifiers
from workbench.record.protocol import CaseRecord

__all__ = ["CaseIdentity", "case_identity", "manifest_names", "read_header", "walk"]

#: Keywords whose values identify a patient, a request or a procedure.
ID_KEYWORDS = frozenset(
    {
        "PatientID",
        "OtherPatientIDs",
        "IssuerOfPatientID",
        "AccessionNumber",
        "StudyID",
        "AdmissionID",
        "MedicalRecordLocator",
        "RequestedProcedureID",
        "PerformedProcedureStepID",
        "ScheduledProcedureStepID",
        "PlacerOrderNumberImagingServiceRequest",
        "FillerOrderNumberImagingServiceRequest",
        "ServiceEpisodeID",
        "InsurancePlanIdentification",
        "ClinicalTrialSubjectID",
        "ClinicalTrialSubjectReadingID",
        "PatientTelephoneNumbers",
        "DeviceSerialNumber",
    }
)
#: Keywords whose values identify a place or a person's circumstances.
OTHER_KEYWORDS = frozenset(
    {
        "PatientAddress",
        "InstitutionName",
        "InstitutionAddress",
        "InstitutionalDepartmentName",
        "ReferringPhysicianAddress",
        "ReferringPhysicianTelephoneNumbers",
        "PersonAddress",
        "PersonTelephoneNumbers",
        "StationName",
        "RegionOfResidence",
        "CountryOfResidence",
        "MilitaryRank",
        "BranchOfService",
        "PatientReligiousPreference",
    }
)


@dataclass
class CaseIdentity:
    """The identifying values of a case and its instance UIDs.

    Attributes
    ----------
    identifiers : Identifiers
    uids : frozenset of str
        Study, series, instance and frame of reference UIDs.
    patient_ids : tuple of str
        The distinct (0010,0020) *Patient ID* values, sorted (keys the default pseudonym).
    dates : frozenset of datetime.date
        Every other date in the headers (DA values, the date part of DT values).
    """

    identifiers: Identifiers
    uids: frozenset[str]
    patient_ids: tuple[str, ...]
    dates: frozenset[dt.date] = frozenset()


def read_header(path: Path) -> Dataset | None:
    """The header of a DICOM file (no pixels), or None when pydicom cannot read it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            decode_text(ds)
        except Exception:
            return None
    return ds


def walk(ds: Dataset, prefix: str = "") -> Iterator[tuple[str, pydicom.DataElement]]:
    """Every element of *ds* and of its sequences, with a path such as ``Seq[0].Keyword``."""
    for elem in ds:
        name = elem.keyword or f"({elem.tag.group:04X},{elem.tag.element:04X})"
        path = f"{prefix}{name}"
        yield path, elem
        if elem.VR == "SQ" and elem.value is not None:
            for i, item in enumerate(elem.value):
                yield from walk(item, f"{path}[{i}].")


def case_identity(case: CaseRecord) -> CaseIdentity:
    """Gather the identifying values and UIDs of *case* (DICOM headers and ``case.yaml``)."""
    ids = Identifiers()
    headers: list[Dataset] = []
    patient_ids: set[str] = set()
    dates: set[dt.date] = set()
    for path in _dicom_paths(case):
        ds = read_header(case.local_path(path))
        if ds is None:
            continue
        headers.append(ds)
        if str(ds.get("PatientID", "") or "").strip():
            patient_ids.add(str(ds.PatientID).strip())
        for _, elem in walk(ds):
            _add(ids, elem)
            if elem.VR in ("DA", "DT") and elem.keyword != "PatientBirthDate":
                dates |= _dates(elem.value)
    for name in manifest_names(case.manifest.model_dump(mode="json", exclude_none=True)):
        ids.add_plain_name(name)
    if case.manifest.case_id:
        ids.add_id(case.manifest.case_id)
    return CaseIdentity(
        ids, collect_uids(headers), tuple(sorted(patient_ids)), frozenset(dates - ids.birth_dates)
    )


def manifest_names(value: object, key: str = "") -> list[str]:
    """Every value of ``case.yaml`` under a key ``name`` or ``..._name`` (the patient,
    relatives, contacts, doctors: whatever sections the schema has)."""
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in manifest_names(v, str(k))]
    if isinstance(value, list):
        return [n for v in value for n in manifest_names(v, key)]
    if isinstance(value, str) and (key == "name" or key.endswith("_name")) and value.strip():
        return [value.strip()]
    return []


def _dates(value: object) -> set[dt.date]:
    values = value if isinstance(value, list | pydicom.multival.MultiValue) else [value]
    out = set()
    for v in values:
        text = str(v or "").strip()
        try:
            out.add(dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])))
        except ValueError:
            continue
    return out


def _dicom_paths(case: CaseRecord) -> list[str]:
    files = case.files
    return sorted(files.loc[files["kind"] == "dicom", "path"].astype(str))


def _add(ids: Identifiers, elem: pydicom.DataElement) -> None:
    if elem.VR == "SQ" or elem.value is None or elem.value == "":
        return
    values = (
        elem.value if isinstance(elem.value, list | pydicom.multival.MultiValue) else [elem.value]
    )
    keyword = elem.keyword
    for value in values:
        if elem.VR == "PN":
            ids.add_person_name(value)
        elif keyword == "PatientBirthDate":
            ids.add_birth_date(value)
        elif keyword in ID_KEYWORDS:
            ids.add_id(value)
        elif keyword in OTHER_KEYWORDS:
            ids.add_other(value)
