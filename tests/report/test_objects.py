"""The review's DICOM objects: TID 1500 SR, KOS and GSPS, validated, read back and stored.

On the knee sample (two standing films, an MRI) and on a case made of NEMA files
(pydicom-data: CR radiograph, MR, RGB ultrasound) in tmp_path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import highdicom as hd
import pandas as pd
import pydicom
import pytest
from conftest import dicom_file

from workbench import samples
from workbench.case import open_case
from workbench.imaging import measure
from workbench.report.objects import key_views, write_review_objects
from workbench.report.review import Review
from workbench.report.sr import read_measurement_report
from workbench.report.uids import ROOT
from workbench.view.key_images import read_key_images, save_key_image

REVIEW = Review("KNEE-001", "Sample Reviewer", "2024-09-10")
COMPARED = ["id", "sop_uid", "frame", "kind", "unit", "calibration_source"]


def _key_image(case, volume, caption, chosen, *, window=(2000.0, 4000.0)):
    sop, frame = volume.sop_uids[0]
    record = {
        "caption": caption,
        "series_key": volume.series_key,
        "index": 0,
        "sop_uid": sop,
        "frame": frame,
        "window": list(window),
        "side": "right",
        "measurements": [m.to_json() for m in chosen],
    }
    return save_key_image(case.workspace, b"\x89PNG\r\n\x1a\n", record)


@pytest.fixture(scope="module")
def knee(tmp_path_factory: pytest.TempPathFactory):
    """The knee sample with measurements on both standing films and the MRI, three snapshots."""
    ws = tmp_path_factory.mktemp("knee") / "ws"
    case = open_case(samples.path("knee_oa_right"), workspace=ws)
    store = measure.MeasurementStore(case.workspace)
    dates = case.studies[["study_key", "date"]].rename(columns={"date": "study_date"})
    dx = case.series[case.series["Modality"] == "DX"].merge(dates, on="study_key")
    dx = dx.sort_values("study_date")
    prior, current = (
        case.load_series(k) for k in (dx["series_key"].iloc[0], dx["series_key"].iloc[-1])
    )
    mr = case.load_series(str(case.series[case.series["Modality"] == "MR"]["series_key"].iloc[0]))
    joint = store.add(measure.length(current, 0, (200, 120), (212.5, 121)))
    alignment = store.add(measure.angle(current, 0, (50, 60), (150, 100), (260, 90)))
    store.add(measure.cobb(current, 0, ((10, 10), (14, 60)), ((80, 10), (70, 60))))
    store.add(measure.roi(mr, 0, (40, 40), 6))
    store.add(measure.calibrate(current, 0, (0, 0), (0, 100), 25.0).as_measurement())
    before = store.add(measure.length(prior, 0, (200, 120), (216, 121)))
    _key_image(case, current, "Standing AP, latest", [joint])
    _key_image(case, prior, "Standing AP, prior", [before])
    _key_image(case, current, "Standing AP, latest film", [joint, alignment])  # retaken
    written = write_review_objects(case, REVIEW)
    return case, store, written


def _by_name(written):
    return {p.name: p for p in written.paths}


def test_objects_written_beside_the_page(knee) -> None:
    case, _, written = knee
    names = sorted(_by_name(written))
    assert names == [
        "key_images.dcm",
        "measurement_report.dcm",
        "presentation_state_01.dcm",
        "presentation_state_02.dcm",
    ]
    assert all(p.parent == case.workspace / "outputs" for p in written.paths)
    assert written.skipped == []


def test_measurement_report_reads_back_into_the_measurement_table(knee) -> None:
    _case, store, written = knee
    sr = hd.sr.srread(_by_name(written)["measurement_report.dcm"])
    assert isinstance(sr, hd.sr.Comprehensive3DSR)
    back = read_measurement_report(_by_name(written)["measurement_report.dcm"])
    table = store.frame()
    table = table[table["kind"] != "calibration"]
    merged = table.merge(back, on="id", suffixes=("", "_sr"))
    assert len(merged) == len(table) == len(back) == 5
    for column in COMPARED[1:]:
        assert list(merged[column]) == list(merged[f"{column}_sr"]), column
    assert merged["value"].sub(merged["value_sr"]).abs().max() < 1e-6
    for a, b in zip(merged["points"], merged["points_sr"], strict=True):
        assert pd.DataFrame(a).sub(pd.DataFrame(b)).abs().to_numpy().max() < 1e-3
    roi = merged[merged["kind"] == "roi"].iloc[0]
    assert roi["sd"] == pytest.approx(roi["sd_sr"]) and roi["area"] == pytest.approx(roi["area_sr"])
    assert set(back["tracking_identifier"]) == {
        "Cornerstone3DTools@^0.1.0:Length",
        "Cornerstone3DTools@^0.1.0:Angle",
        "Cornerstone3DTools@^0.1.0:CobbAngle",
        "Cornerstone3DTools@^0.1.0:CircleROI",
    }
    assert set(back["finding_site"]) == {"Knee"} and set(back["laterality"]) == {"Right"}
    assert back["tracking_uid"].str.startswith(ROOT).all()
    observer = sr.content.get_observer_contexts()[0]
    assert "Sample Reviewer" in str(observer.observer_identifying_attributes[0].value)


def test_key_object_selection_lists_each_key_image_once_with_captions(knee) -> None:
    _case, _, written = knee
    kos = pydicom.dcmread(_by_name(written)["key_images.dcm"])
    assert kos.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.59"
    items = kos.ContentSequence
    images = [i for i in items if i.ValueType == "IMAGE"]
    assert len(images) == 2  # the retaken snapshot replaced the first one
    text = next(i for i in items if i.ValueType == "TEXT").TextValue
    assert "Standing AP, latest film" in text and "Standing AP, prior" in text
    assert "Standing AP, latest\n" not in text + "\n"


def test_presentation_states_carry_window_annotations_and_laterality(knee) -> None:
    _case, store, written = knee
    gsps = pydicom.dcmread(_by_name(written)["presentation_state_02.dcm"])
    assert gsps.Modality == "PR" and gsps.Laterality == "R"
    voi = gsps.SoftcopyVOILUTSequence[0]
    assert (float(voi.WindowCenter), float(voi.WindowWidth)) == (2000.0, 4000.0)
    annotation = gsps.GraphicAnnotationSequence[0]
    assert len(annotation.GraphicObjectSequence) == 2  # the two chosen measurements
    texts = [t.UnformattedTextValue for t in annotation.TextObjectSequence]
    assert any(t.endswith(" mm") for t in texts) and any(t.endswith("°") for t in texts)
    current = store.frame().iloc[0]
    assert annotation.ReferencedImageSequence[0].ReferencedSOPInstanceUID == current["sop_uid"]


def test_uids_are_stable_when_exported_again(knee, tmp_path) -> None:
    case, _, written = knee
    first = {p.name: pydicom.dcmread(p) for p in written.paths}
    again = write_review_objects(case, REVIEW, tmp_path / "again")
    second = {p.name: pydicom.dcmread(p) for p in again.paths}
    for name, ds in first.items():
        assert ds.SOPInstanceUID == second[name].SOPInstanceUID, name
        assert ds.SeriesInstanceUID == second[name].SeriesInstanceUID, name
        assert ds.SOPInstanceUID.startswith(ROOT)
    other = write_review_objects(
        case, Review("KNEE-001", "Other Reviewer", "2024-09-11"), tmp_path / "other"
    )
    assert {pydicom.dcmread(p).SOPInstanceUID for p in other.paths}.isdisjoint(
        ds.SOPInstanceUID for ds in first.values()
    )


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dicom3tools not installed")
def test_dciodvfy_reports_no_error(knee) -> None:
    _, _, written = knee
    for path in written.paths:
        out = subprocess.run(["dciodvfy", "-new", str(path)], capture_output=True, text=True)
        errors = [
            line for line in (out.stdout + out.stderr).splitlines() if line.startswith("Error")
        ]
        assert errors == [], f"{path.name}: {errors}"


@pytest.fixture(scope="module")
def nema(tmp_path_factory: pytest.TempPathFactory):
    """A case of NEMA files: a CR radiograph, an MR slice, an RGB ultrasound."""
    root = tmp_path_factory.mktemp("nema")
    folder = root / "case"
    folder.mkdir()
    for name in ("RG1_UNCR.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm"):
        shutil.copy2(dicom_file(name), folder / name)
    case = open_case(folder, workspace=root / "ws")
    store = measure.MeasurementStore(case.workspace)
    volumes = {
        str(r.Modality): case.load_series(str(r.series_key)) for r in case.series.itertuples()
    }
    views = []
    for modality, vol in volumes.items():
        m = store.add(measure.length(vol, 0, (10, 10), (40, 50)))
        views.append(_key_image(case, vol, f"{modality} key image", [m], window=(100.0, 200.0)))
    return case, store, write_review_objects(case, REVIEW)


def test_nema_case_objects(nema) -> None:
    case, store, written = nema
    names = sorted(p.name for p in written.paths)
    assert "measurement_report.dcm" in names and "key_images.dcm" in names
    assert len([n for n in names if n.startswith("presentation_state_")]) == 2
    assert len(written.skipped) == 1 and "RGB" in written.skipped[0]  # the ultrasound
    back = read_measurement_report(case.workspace / "outputs" / "measurement_report.dcm")
    assert sorted(back["id"]) == sorted(store.frame()["id"])
    if shutil.which("dciodvfy"):
        for path in written.paths:
            out = subprocess.run(["dciodvfy", "-new", str(path)], capture_output=True, text=True)
            assert not [
                x for x in (out.stdout + out.stderr).splitlines() if x.startswith("Error")
            ], path.name


def test_an_image_not_in_the_case_is_left_out_and_said(nema, tmp_path) -> None:
    case, store, _ = nema
    stray = measure.Measurement(
        "length", ((0, 0), (0, 5)), "1.2.3.999", 1, 5.0, "mm", "PixelSpacing"
    )
    store.add(stray)
    try:
        written = write_review_objects(case, REVIEW, tmp_path / "out")
        assert any("1.2.3.999" in s and "not an image of this case" in s for s in written.skipped)
        back = read_measurement_report(tmp_path / "out" / "measurement_report.dcm")
        assert stray.id not in set(back["id"])
    finally:
        store.remove(stray.id)


def test_key_views_keep_the_latest_snapshot_per_image(knee) -> None:
    case, store, _ = knee
    views = key_views(read_key_images(case.workspace), store)
    assert [v.caption for v in views] == ["Standing AP, prior", "Standing AP, latest film"]
    assert [len(v.measurements) for v in views] == [1, 2]


def test_stored_in_orthanc_over_stow_rs_and_retrieved(knee, tmp_path) -> None:
    """``push`` sends the images and the three kinds of object; WADO-RS gives them back."""
    from dicomweb_client.api import DICOMwebClient
    from orthanc_server import PLUGINS, OrthancServer, orthanc_binary

    from workbench.pacs.dicomweb import push

    if orthanc_binary() is None or not Path(PLUGINS, "libOrthancDicomWeb.so").exists():
        if os.environ.get("CI"):
            pytest.fail("Orthanc with its DICOMweb plugin is needed (apt-get install orthanc)")
        pytest.skip("Orthanc or its DICOMweb plugin is not installed")
    case, _store, written = knee
    with OrthancServer(tmp_path / "orthanc") as server:
        result = push(case, "dicomweb+" + server.dicomweb_url, auth=server.auth)
        assert set(result["status"]) == {"stored"}, result[result["status"] != "stored"]
        sent = {pydicom.dcmread(p).SOPInstanceUID: p.name for p in written.paths}
        assert sent.keys() <= set(result["SOPInstanceUID"])
        client = DICOMwebClient(server.dicomweb_url)
        client._session.auth = server.auth
        for path in written.paths:
            ds = pydicom.dcmread(path)
            back = client.retrieve_instance(
                ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
            )
            assert back.SOPClassUID == ds.SOPClassUID
            if path.name == "measurement_report.dcm":
                table = read_measurement_report(back)
                assert sorted(table["id"]) == sorted(read_measurement_report(path)["id"])
        again = push(case, "dicomweb+" + server.dicomweb_url, auth=server.auth)
        assert set(again["status"]) == {"already_present"}


def test_a_prior_current_snapshot_gives_one_key_view_per_pane(knee) -> None:
    _case, store, _ = knee
    frame = store.frame()
    current, prior = frame.iloc[0], frame[frame["id"] == store.frame()["id"].iloc[-1]].iloc[0]
    panes = [
        {"sop_uid": prior["sop_uid"], "frame": 1, "window": [1000, 2000], "side": "right",
         "measurements": [{"id": prior["id"]}]},
        {"sop_uid": current["sop_uid"], "frame": 1, "window": [2000, 4000], "side": "right",
         "measurements": [{"id": current["id"]}]},
        {"series_key": "mpr-only", "sop_uid": "", "index": 3},  # a reformat: no image to cite
    ]  # fmt: skip
    table = pd.DataFrame([{"caption": "Prior and current", "series_key": "a | b",
                           "panes": panes, "measurements": []}])  # fmt: skip
    views = key_views(table, store)
    assert [v.sop_uid for v in views] == [prior["sop_uid"], current["sop_uid"]]
    assert [v.caption for v in views] == ["Prior and current"] * 2
    assert [v.window for v in views] == [(1000.0, 2000.0), (2000.0, 4000.0)]
    assert [[m.id for m in v.measurements] for v in views] == [[prior["id"]], [current["id"]]]


def test_a_key_image_taken_back_leaves_the_dicom_objects(tmp_path) -> None:
    from workbench.view.key_images import remove_key_image

    case = open_case(samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    dx = case.series[case.series["Modality"] == "DX"]
    first, second = (case.load_series(k) for k in dx["series_key"].iloc[:2])
    _key_image(case, first, "kept", [])
    mistake = _key_image(case, second, "taken back", [])
    assert remove_key_image(case, mistake.metadata["number"])
    written = write_review_objects(case, REVIEW, tmp_path / "out")
    kos = pydicom.dcmread(_by_name(written)["key_images.dcm"])
    images = [i for i in kos.ContentSequence if i.ValueType == "IMAGE"]
    assert len(images) == 1
    text = next(i for i in kos.ContentSequence if i.ValueType == "TEXT").TextValue
    assert "kept" in text and "taken back" not in text
    assert len([p for p in written.paths if p.name.startswith("presentation_state")]) == 1
