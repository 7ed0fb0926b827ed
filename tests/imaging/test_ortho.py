"""The orthopedic measurement kit: pure geometry, then measurements on a real frame."""

from __future__ import annotations

import math

import pytest
from pydicom.data import get_testdata_file

from workbench.errors import MeasurementError
from workbench.imaging import measure, ortho
from workbench.imaging.volume import load_files

SPACING = 0.661468  # CT_small's (0028,0030) Pixel Spacing


@pytest.fixture(scope="module")
def ct():
    return load_files([get_testdata_file("CT_small.dcm")])


def test_segment_and_polyline_distance():
    assert ortho.segment_distance(((0, 0), (0, 10)), ((3, 2), (3, 8)))[0] == 3.0
    d, p, q = ortho.segment_distance(((0, 0), (0, 10)), ((-1, 5), (1, 5)))  # they cross
    assert d == 0.0 and p == q == (0.0, 5.0)
    d, p, q = ortho.polyline_distance([(0, 0), (0, 5), (0, 10)], [(4, 0), (2, 5), (4, 10)])
    assert d == 2.0 and p == (0.0, 5.0) and q == (2.0, 5.0)
    with pytest.raises(MeasurementError):
        ortho.polyline_distance([(0, 0)], [(1, 1), (2, 2)])


def test_joint_space_in_mm_with_compartment_and_flag(ct):
    femur = [(40, 10), (50, 60), (40, 110)]
    tibia = [(60, 10), (56, 60), (60, 110)]
    m = ortho.joint_space(ct, 0, femur, tibia, compartment="medial")
    assert m.kind == "joint_space" and m.unit == "mm"
    assert m.value == pytest.approx(6 * SPACING)
    assert m.calibration_source == "PixelSpacing" and m.label == "medial joint space"
    (r1, c1), (r2, c2) = m.details["closest"]
    assert (r1, c1, r2, c2) == pytest.approx((50.0, 60.0, 56.0, 60.0))
    assert m.details["n1"] == 3
    supine = {"Modality": "DX", "body_part": "knee", "weight_bearing": False}
    flagged = ortho.joint_space(ct, 0, femur, tibia, compartment="lateral", series=supine)
    assert measure.NON_WEIGHT_BEARING in flagged.flags and "weight-bearing" in flagged.note
    standing = {"Modality": "DX", "body_part": "knee", "weight_bearing": True}
    assert not ortho.joint_space(ct, 0, femur, tibia, series=standing).flags
    with pytest.raises(MeasurementError, match="compartment"):
        ortho.joint_space(ct, 0, femur, tibia, compartment="middle")


def test_hka_angle_and_direction(ct):
    straight = ortho.hka(ct, 0, (0, 50), (60, 50), (120, 50))
    assert straight.value == pytest.approx(180.0) and straight.details["deviation"] == 0
    bent = ortho.hka(ct, 0, (0, 50), (60, 60), (120, 50))
    assert bent.value == pytest.approx(180 - 2 * math.degrees(math.atan(10 / 60)))
    assert bent.unit == "deg" and bent.details["direction"] == "undetermined"  # no orientation


def test_hka_direction_from_orientation(ct):
    # axial CT: image right is the patient's left; a right leg's midline is towards larger cols
    assert ct.geometry.orientation is not None
    knee_medial = ortho.hka(ct, 0, (0, 50), (60, 60), (120, 50), side="right")
    knee_lateral = ortho.hka(ct, 0, (0, 50), (60, 40), (120, 50), side="right")
    assert knee_medial.details["direction"] == "valgus"
    assert knee_lateral.details["direction"] == "varus"
    assert (
        ortho.hka(ct, 0, (0, 50), (60, 60), (120, 50), side="left").details["direction"] == "varus"
    )


def test_line_angle_meyerding_center_edge_leg_length(ct):
    la = ortho.line_angle(ct, 0, ((0, 0), (0, 10)), ((0, 0), (10, 10)))
    assert la.value == pytest.approx(45.0) and la.unit == "deg"
    obtuse = ortho.line_angle(ct, 0, ((0, 0), (0, 10)), ((0, 0), (10, -10)))
    assert obtuse.value == pytest.approx(45.0)  # the acute angle between the lines

    slip = ortho.meyerding(ct, 0, (60, 20), (60, 60), (50, 30))
    assert slip.value == pytest.approx(25.0) and slip.unit == "%"
    assert slip.details["grade"] == "II"
    assert [ortho.meyerding_grade(p) for p in (10, 49, 60, 100, 120)] == ["I", "II", "III",
                                                                          "IV", "V"]  # fmt: skip

    # head centre (80, 40), other head at (80, 100): medial is +col; edge 20 up, 10 lateral
    ce = ortho.center_edge(ct, 0, (80, 40), (60, 30), (80, 100))
    assert ce.value == pytest.approx(math.degrees(math.atan2(10, 20)))
    covered = ortho.center_edge(ct, 0, (80, 40), (60, 50), (80, 100))
    assert covered.value < 0  # edge medial of the vertical: dysplasia reads negative

    lld = ortho.leg_length(ct, 0, (20, 10), (20, 110), (70, 30), (76, 90))
    assert lld.value == pytest.approx(6 * SPACING) and lld.unit == "mm"
    assert lld.details["longer"] == 2 and lld.calibration_source == "PixelSpacing"


def test_kit_uses_the_user_calibration(ct):
    cal = measure.calibrate(ct, 0, (10, 10), (10, 110), 50.0)
    m = ortho.leg_length(ct, 0, (20, 10), (20, 110), (70, 30), (76, 90), calibration=cal)
    assert m.calibration_source == "user calibration" and m.value == pytest.approx(3.0)
    with pytest.raises(MeasurementError):
        ortho.center_edge(ct, 0, (80, 40), (60, 30), (80, 40))
