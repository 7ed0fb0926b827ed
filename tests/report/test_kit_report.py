"""The orthopedic kit in the TID 1500 measurement report: written, validated, read back."""

from __future__ import annotations

import shutil
import subprocess

import highdicom as hd
import numpy as np
import pytest

from workbench import samples
from workbench.case import open_case
from workbench.imaging import measure, ortho
from workbench.report import codes as wcodes
from workbench.report.objects import write_review_objects
from workbench.report.review import Review
from workbench.report.sr import read_measurement_report

REVIEW = Review("KNEE-001", "Sample Reviewer", "2024-09-10")


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory):
    """Every kit kind measured on the knee sample's newest standing film, then reported."""
    ws = tmp_path_factory.mktemp("kit") / "ws"
    case = open_case(samples.path("knee_oa_right"), workspace=ws)
    dx = case.series[case.series["Modality"] == "DX"]
    series = dx.iloc[-1]
    film = case.load_series(str(series["series_key"]))
    store = measure.MeasurementStore(case.workspace)
    made = [
        ortho.joint_space(film, 0, ((200, 80), (200, 140)), ((220, 80), (220, 140)),
                          compartment="medial", series=series),
        ortho.hka(film, 0, (20, 120), (200, 130), (380, 120), side="right"),
        ortho.line_angle(film, 0, ((50, 40), (50, 200)), ((60, 40), (140, 200))),
        ortho.meyerding(film, 0, (300, 60), (300, 180), (290, 96)),
        ortho.center_edge(film, 0, (150, 60), (110, 40), (150, 200)),
        ortho.leg_length(film, 0, (100, 30), (100, 210), (160, 60), (175, 180)),
        measure.length(film, 0, (10, 10), (10, 90)),
    ]  # fmt: skip
    for m in made:
        store.add(m)
    written = write_review_objects(case, REVIEW)
    path = next(p for p in written.paths if p.name == "measurement_report.dcm")
    return store, made, path


def test_every_kit_kind_reads_back_with_its_value_points_and_details(kit) -> None:
    _, made, path = kit
    back = read_measurement_report(path).set_index("id")
    assert len(back) == len(made)
    for m in made:
        row = back.loc[m.id]
        assert row["kind"] == m.kind and row["unit"] == m.unit
        assert row["value"] == pytest.approx(m.value, abs=1e-6)
        assert row["calibration_source"] == m.calibration_source
        assert np.abs(np.array(m.points, float) - np.array(row["points"])).max() < 1e-3
    details = {m.kind: back.loc[m.id, "details"] for m in made}
    assert details["joint_space"] == {"compartment": "medial"}
    assert details["meyerding"] == {"grade": "II"}  # 36 of 120 px: 30 %
    assert details["leg_length"] == {"longer": "2"}
    assert details["hka"]["direction"] in ("varus", "valgus")
    assert details["length"] == {}
    assert back.loc[made[0].id, "tracking_identifier"] == "Workbench@1:JointSpaceWidth"
    assert back.loc[made[-1].id, "tracking_identifier"] == "Cornerstone3DTools@^0.1.0:Length"


def test_kit_values_use_standard_names_and_a_method_naming_the_measurement(kit) -> None:
    _, made, path = kit
    sr = hd.sr.srread(path)
    groups = sr.content.get_image_measurement_groups()
    by_id = {}
    for group in groups:
        (value,) = group.get_measurements()
        ids = [
            c.TextValue
            for c in value[0].ContentSequence
            if c.ValueType == "TEXT"
            and c.ConceptNameCodeSequence[0].value == wcodes.MEASUREMENT_ID.value
        ]
        by_id[ids[0]] = value
    kinds = {m.id: m.kind for m in made}
    names = {kinds[i]: (v.name.value, v.name.scheme_designator) for i, v in by_id.items()}
    assert names["joint_space"] == ("103355008", "SCT")  # Width
    assert names["hka"] == names["center_edge"] == names["line_angle"] == ("1483009", "SCT")
    assert names["leg_length"] == ("121206", "DCM")  # Distance
    assert names["meyerding"] == ("meyerding-slip", "99WBENCH")
    methods = {kinds[i]: v.method for i, v in by_id.items()}
    assert methods["length"] is None
    assert methods["center_edge"].value == "center-edge-angle"
    slip = next(v for i, v in by_id.items() if kinds[i] == "meyerding")
    assert slip.unit.value == "%" and slip.unit.scheme_designator == "UCUM"


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dicom3tools not installed")
def test_kit_report_passes_dciodvfy(kit) -> None:
    _, _, path = kit
    out = subprocess.run(["dciodvfy", "-new", str(path)], capture_output=True, text=True)
    errors = [x for x in (out.stdout + out.stderr).splitlines() if x.startswith("Error")]
    assert errors == [], errors
