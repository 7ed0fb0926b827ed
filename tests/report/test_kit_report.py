"""The orthopedic kit in the TID 1500 measurement report: written, validated, read back."""

from __future__ import annotations

import shutil
import subprocess

import highdicom as hd
import numpy as np
import pydicom
import pytest

from workbench import samples
from workbench.case import open_case
from workbench.imaging import measure, ortho
from workbench.report import codes as wcodes
from workbench.report.objects import write_review_objects
from workbench.report.review import Review
from workbench.report.sr import read_measurement_report
from workbench.view.key_images import save_key_image

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
        measure.roi_box(film, 0, (260, 150), (200, 60), shape="ellipse"),  # corners any way
        measure.roi_box(film, 0, (30, 20), (70, 90), shape="rectangle"),
    ]  # fmt: skip
    for m in made:
        store.add(m)
    sop, frame = film.sop_uids[0]
    record = {"caption": "Medial joint space", "series_key": film.series_key, "index": 0,
              "sop_uid": sop, "frame": frame, "window": [2000.0, 4000.0], "side": "right",
              "measurements": [made[0].to_json(), made[5].to_json()]}  # fmt: skip
    save_key_image(case.workspace, b"\x89PNG\r\n\x1a\n", record)
    written = write_review_objects(case, REVIEW)
    assert written.skipped == [], written.skipped
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
        box = (np.min(m.points, axis=0), np.max(m.points, axis=0))  # the ROI box's corners
        want = np.array(box if m.kind.startswith("roi_") else m.points, float)
        assert np.abs(want - np.array(row["points"])).max() < 1e-3, m.kind
        if m.kind.startswith("roi_"):
            assert row["sd"] == pytest.approx(m.sd) and row["area"] == pytest.approx(m.area)
    details = {m.kind: back.loc[m.id, "details"] for m in made}
    assert details["joint_space"] == {"compartment": "medial"}
    assert details["meyerding"] == {"grade": "II"}  # 36 of 120 px: 30 %
    assert details["leg_length"] == {"longer": "2"}
    assert details["hka"]["direction"] in ("varus", "valgus")
    assert details["length"] == {} and details["roi_ellipse"] == {}
    assert back.loc[made[0].id, "tracking_identifier"] == "Workbench@1:JointSpaceWidth"
    assert back.loc[made[6].id, "tracking_identifier"] == "Cornerstone3DTools@^0.1.0:Length"
    assert back.loc[made[7].id, "tracking_identifier"].endswith(":EllipticalROI")
    assert back.loc[made[8].id, "tracking_identifier"].endswith(":RectangleROI")


def test_kit_values_use_standard_names_and_a_method_naming_the_measurement(kit) -> None:
    _, made, path = kit
    sr = hd.sr.srread(path)
    groups = sr.content.get_image_measurement_groups()
    by_id = {}
    for group in groups:
        value = group.get_measurements()[0]  # the main value (ROIs add SD and area)
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
def test_kit_objects_pass_dciodvfy(kit) -> None:
    _, _, path = kit
    for written in sorted(path.parent.glob("*.dcm")):  # the SR, the KOS and the GSPS
        out = subprocess.run(["dciodvfy", "-new", str(written)], capture_output=True, text=True)
        errors = [x for x in (out.stdout + out.stderr).splitlines() if x.startswith("Error")]
        assert errors == [], (written.name, errors)


def test_two_lines_are_drawn_as_two_lines_not_one_polyline(kit) -> None:
    _, made, path = kit
    sr = hd.sr.srread(path)
    shapes = {}
    for group in sr.content.get_image_measurement_groups():
        value = group.get_measurements()[0]  # the main value (ROIs add SD and area)
        value_id = next(
            c.TextValue
            for c in value[0].ContentSequence
            if c.ValueType == "TEXT"
            and c.ConceptNameCodeSequence[0].value == wcodes.MEASUREMENT_ID.value
        )
        shapes[value_id] = [(str(c.graphic_type.value), len(np.reshape(c.value, (-1, 2))))
                            for c in value.referenced_coordinates]  # fmt: skip
    kinds = {m.kind: m.id for m in made}
    assert shapes[kinds["joint_space"]] == [("POLYLINE", 2), ("POLYLINE", 2)]
    assert shapes[kinds["line_angle"]] == [("POLYLINE", 2), ("POLYLINE", 2)]
    assert shapes[kinds["leg_length"]] == [("POLYLINE", 2), ("MULTIPOINT", 2)]
    assert shapes[kinds["center_edge"]] == [("MULTIPOINT", 3)]
    assert shapes[kinds["hka"]] == [("POLYLINE", 3)]
    assert shapes[kinds["roi_ellipse"]] == [("ELLIPSE", 4)]
    assert shapes[kinds["roi_rectangle"]] == [("POLYLINE", 5)]  # closed
    # the key image's presentation state draws the same pieces
    gsps = pydicom.dcmread(path.parent / "presentation_state_01.dcm")
    drawn = [(str(g.GraphicType), int(g.NumberOfGraphicPoints))
             for layer in gsps.GraphicAnnotationSequence
             for g in getattr(layer, "GraphicObjectSequence", [])]  # fmt: skip
    assert sorted(drawn) == sorted(  # joint space: two lines; leg length: a line, two points
        [("POLYLINE", 2), ("POLYLINE", 2), ("POLYLINE", 2), ("POINT", 1), ("POINT", 1)]
    )
