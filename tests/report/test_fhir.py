"""The opinion as a FHIR R4 (R4B) bundle, validated by fhir.resources."""

from __future__ import annotations

import json
import sys

import pytest

from workbench import samples
from workbench.case import open_case
from workbench.imaging.measure import MeasurementStore
from workbench.report.fhir import opinion_bundle, write_fhir_bundle
from workbench.report.review import Review
from workbench.widgets.series_viewer import SeriesViewer

pytest.importorskip("fhir.resources.R4B")
from fhir.resources.R4B.bundle import Bundle

REVIEW = Review("SAMPLE001", "Dr Reviewer", "2024-09-10", "Medial wear; replacement reasonable.")


@pytest.fixture(scope="module")
def knee(tmp_path_factory: pytest.TempPathFactory):
    case = open_case(samples.path("knee_oa_right"), workspace=tmp_path_factory.mktemp("ws"))
    dx = case.studies[case.studies["modality"] == "DX"].sort_values("date")
    viewer = SeriesViewer(case, study_key=str(dx["study_key"].iloc[-1]))
    viewer.measure_length((200, 120), (212.5, 121))
    viewer.measure_angle((50, 60), (150, 100), (260, 90))
    return case


def test_bundle_validates_and_holds_report_studies_observations(knee) -> None:
    path = write_fhir_bundle(knee, REVIEW)
    assert path.parent.name == "outputs" and path.name == "opinion.fhir.json"
    data = json.loads(path.read_text())
    bundle = Bundle.model_validate(data)  # the library validates it again on reading
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds[0] == "DiagnosticReport" and "Patient" in kinds
    report = bundle.entry[0].resource
    assert report.conclusion == REVIEW.conclusion
    dicom = knee.studies[knee.studies["source"] == "dicom"]
    assert kinds.count("ImagingStudy") == len(dicom) == len(report.imagingStudy)
    observations = [e.resource for e in bundle.entry if e.resource.get_resource_type()
                    == "Observation"]  # fmt: skip
    stored = [m for m in MeasurementStore(knee.workspace) if m.kind != "calibration"]
    assert len(observations) == len(stored) == len(report.result) == 2
    units = {o.valueQuantity.code for o in observations}
    assert units == {"mm", "deg"}
    assert all(o.valueQuantity.system == "http://unitsofmeasure.org" for o in observations)
    assert all(o.derivedFrom for o in observations)
    uids = {str(i.identifier[0].value) for e in bundle.entry
            if (i := e.resource).get_resource_type() == "ImagingStudy"}  # fmt: skip
    assert all(u.startswith(("urn:oid:1.", "urn:oid:2.")) for u in uids)
    assert "Wang" not in path.read_text() and "SAMPLE001" in path.read_text()


def test_bundle_ids_are_stable(knee) -> None:
    a = opinion_bundle(knee, REVIEW).model_dump_json()
    b = opinion_bundle(knee, REVIEW).model_dump_json()
    assert a == b


def test_without_the_extra_the_error_names_it(knee, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fhir.resources.R4B", None)
    with pytest.raises(ImportError, match=r"extra 'fhir'.*workbench\[fhir\]"):
        opinion_bundle(knee, REVIEW)
