"""Measurements in mm with their calibration source, flags, and the JSON sidecar."""

from __future__ import annotations

import json

import numpy as np
import pytest
from imaging_builders import only_series, open_folder, projection

from workbench.errors import PixelDataError, WorkspaceError
from workbench.imaging.measure import (
    Calibration,
    Measurement,
    MeasurementStore,
    angle,
    calibrate,
    cobb,
    joint_space_flags,
    length,
    roi,
)
from workbench.imaging.volume import Volume, load_series


def xray(tmp_path, workspace, **kwargs) -> tuple[Volume, object]:
    projection(tmp_path / "case" / "xr.dcm", **kwargs)
    case = open_folder(tmp_path / "case", workspace)
    key = only_series(case)
    row = case.series.set_index("series_key").loc[key].copy()
    row["series_key"] = key
    return load_series(case, key), row


# --- lengths and calibration sources ----------------------------------------------------


def test_length_with_pixel_spacing(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace, pixel_spacing=(0.5, 0.5))
    m = length(volume, 0, (10, 20), (10, 120))
    assert m.value == pytest.approx(50.0) and m.unit == "mm"
    assert m.calibration_source == "PixelSpacing" and m.flags == ()
    assert (m.sop_uid, m.frame) == volume.sop_uids[0] and m.spacing == (0.5, 0.5)


def test_length_with_magnification_corrected_imager_spacing(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace, imager_spacing=(0.2, 0.2), magnification=1.25)
    m = length(volume, 0, (0, 0), (100, 0))
    assert m.value == pytest.approx(16.0) and m.unit == "mm"
    assert m.calibration_source == ("ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor")
    assert "magnification factor" in m.note


def test_length_at_the_detector_is_labelled(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace, imager_spacing=(0.2, 0.2))
    m = length(volume, 0, (0, 0), (0, 100))
    assert m.value == pytest.approx(20.0) and m.unit == "mm"
    assert m.calibration_source == "ImagerPixelSpacing"
    assert "detector_plane" in m.flags and "not corrected for magnification" in m.note


def test_no_calibration_gives_pixels_never_mm(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace)
    m = length(volume, 0, (0, 0), (60, 80))
    assert m.value == pytest.approx(100.0) and m.unit == "px"
    assert m.calibration_source == "none" and m.spacing is None
    assert "uncalibrated" in m.flags and "mm" not in m.unit


def test_anisotropic_spacing(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace, pixel_spacing=(0.5, 0.25))
    assert length(volume, 0, (0, 0), (30, 40)).value == pytest.approx(np.hypot(15, 10))


def test_user_calibration(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace)
    cal = calibrate(volume, 0, (10, 10), (10, 90), known_mm=40.0)  # 80 px = 40 mm
    assert cal.mm_per_px == pytest.approx((0.5, 0.5)) and cal.source == "user calibration"
    m = length(volume, 0, (0, 0), (100, 0), calibration=cal)
    assert m.value == pytest.approx(50.0) and m.unit == "mm"
    assert m.calibration_source == "user calibration" and "40 mm line" in m.note


def test_user_calibration_keeps_the_header_aspect(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace, imager_spacing=(0.2, 0.1))
    cal = calibrate(volume, 0, (0, 0), (0, 100), known_mm=12.0)  # 100 columns = 12 mm
    assert cal.mm_per_px == pytest.approx((0.24, 0.12))


def test_calibration_rejects_nonsense(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace)
    with pytest.raises(ValueError, match="positive"):
        calibrate(volume, 0, (0, 0), (0, 10), known_mm=0)
    with pytest.raises(ValueError, match="no length"):
        calibrate(volume, 0, (5, 5), (5, 5), known_mm=10)


# --- weight bearing ---------------------------------------------------------------------


def test_supine_knee_film_flags_joint_space(tmp_path, workspace):
    volume, row = xray(tmp_path, workspace, pixel_spacing=(0.2, 0.2), description="KNEE RT AP")
    assert row["body_part"] == "knee" and row["weight_bearing"] is not True
    m = length(volume, 0, (50, 50), (65, 50), series=row)
    assert m.flags == ("non_weight_bearing_joint_space",) and "weight-bearing" in m.note


def test_standing_knee_film_is_not_flagged(tmp_path, workspace):
    volume, row = xray(tmp_path, workspace, pixel_spacing=(0.2, 0.2))  # "KNEE RT AP STANDING"
    assert bool(row["weight_bearing"]) is True
    assert length(volume, 0, (50, 50), (65, 50), series=row).flags == ()


def test_joint_space_flags_only_for_knee_and_hip_radiographs():
    assert joint_space_flags({"Modality": "CR", "body_part": "hip", "weight_bearing": False})
    assert not joint_space_flags({"Modality": "MR", "body_part": "knee", "weight_bearing": None})
    assert not joint_space_flags({"Modality": "DX", "body_part": "lumbar_spine"})
    assert joint_space_flags(None) == ()


# --- angles and ROI ---------------------------------------------------------------------


def test_angle(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace, pixel_spacing=(0.5, 0.5))
    m = angle(volume, 0, (0, 10), (10, 10), (10, 30))
    assert m.value == pytest.approx(90.0) and m.unit == "deg"
    assert m.points == ((0.0, 10.0), (10.0, 10.0), (10.0, 30.0))


def test_angle_uses_physical_space(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace, pixel_spacing=(1.0, 0.5))
    # 45° on the pixel grid is atan(1.0 / 0.5) from the horizontal in millimetres
    m = angle(volume, 0, (10, 20), (20, 10), (20, 20))
    assert m.value == pytest.approx(np.degrees(np.arctan2(1.0, 0.5)))


def test_cobb_angle(tmp_path, workspace):
    volume, _ = xray(tmp_path, workspace, pixel_spacing=(0.3, 0.3))

    def line(deg: float, row: float) -> tuple[tuple[float, float], tuple[float, float]]:
        dr, dc = -np.sin(np.radians(deg)) * 50, np.cos(np.radians(deg)) * 50
        return ((row, 100.0), (row + dr, 100.0 + dc))

    m = cobb(volume, 0, line(10, 40), line(-20, 160))
    assert m.value == pytest.approx(30.0) and m.kind == "cobb" and len(m.points) == 4
    reversed_end = (line(10, 40)[1], line(10, 40)[0])  # the order of clicks does not matter
    assert cobb(volume, 0, reversed_end, line(-20, 160)).value == pytest.approx(30.0)
    assert cobb(volume, 0, line(55, 40), line(-50, 160)).value == pytest.approx(105.0)


def test_roi_on_ct_is_in_hounsfield_units(make_case, workspace):
    case = open_folder(make_case("CT_small.dcm"), workspace)
    volume = load_series(case, only_series(case))
    m = roi(volume, 0, (64, 64), 10)
    rr, cc = np.ogrid[:128, :128]
    inside = volume.frame(0)[(rr - 64) ** 2 + (cc - 64) ** 2 <= 100].astype(np.float64)
    assert m.unit == "HU" and m.value == pytest.approx(inside.mean())
    assert m.sd == pytest.approx(inside.std(ddof=1))
    assert m.area == pytest.approx(inside.size * 0.661468**2)
    assert m.calibration_source == "PixelSpacing"


def test_roi_on_colour_refuses(make_case, workspace):
    case = open_folder(make_case("SC_rgb.dcm"), workspace)
    volume = load_series(case, only_series(case))
    with pytest.raises(PixelDataError, match="colour"):
        roi(volume, 0, (50, 50), 5)


# --- the sidecar ------------------------------------------------------------------------


def test_store_round_trip(tmp_path, workspace):
    volume, row = xray(tmp_path, workspace, pixel_spacing=(0.5, 0.5), description="KNEE AP")
    store = MeasurementStore(workspace)
    first = store.add(length(volume, 0, (0, 0), (0, 100), series=row))
    store.add(angle(volume, 0, (0, 10), (10, 10), (10, 30)))
    cal = calibrate(volume, 0, (0, 0), (0, 50), known_mm=20)
    store.add(cal)

    again = MeasurementStore(workspace)
    sop, frame = volume.sop_uids[0]
    found = again.for_frame(sop, frame)
    assert [m.kind for m in found] == ["length", "angle", "calibration"]
    assert found[0] == first
    assert again.calibration_for(sop, frame) == Calibration(
        cal.mm_per_px, 20.0, cal.points, sop, frame
    )
    data = json.loads((workspace / "measurements.json").read_text())
    assert list(data["measurements"]) == [sop]
    assert list(data["measurements"][sop]) == [str(frame)]
    assert not [p for p in workspace.iterdir() if p.name.endswith(".tmp")]

    table = again.frame()
    assert list(table["kind"]) == ["length", "angle", "calibration"]
    assert {"value", "unit", "calibration_source", "flags", "sop_uid", "frame"} <= set(table)
    assert table.loc[0, "flags"] == "non_weight_bearing_joint_space"

    assert again.remove(first.id) and not again.remove("nope")
    assert len(MeasurementStore(workspace)) == 2
    assert again.for_frame("unknown", 1) == []


def test_store_update(tmp_path):
    store = MeasurementStore(tmp_path)
    m = store.add(Measurement("length", ((0, 0), (0, 1)), "1.2", 1, 1.0, "px", "none"))
    from dataclasses import replace

    store.update(replace(m, note="medial joint space"))
    assert MeasurementStore(tmp_path).for_frame("1.2", 1)[0].note == "medial joint space"
    with pytest.raises(KeyError, match="No measurement"):
        store.update(replace(m, id="other"))


def test_corrupt_sidecar_is_not_overwritten(tmp_path):
    path = tmp_path / "measurements.json"
    path.write_text("{ not json")
    with pytest.raises(WorkspaceError, match="not a valid measurement file"):
        MeasurementStore(tmp_path)
    assert path.read_text() == "{ not json"


def test_empty_store_frame_has_columns(tmp_path):
    table = MeasurementStore(tmp_path).frame()
    assert table.empty and "calibration_source" in table.columns
