"""Opening cases from folders, zips and DICOMDIRs: tables, values and the originals' safety."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pydicom
import pytest
from conftest import checksums, dicom_file

from workbench.case import open_case
from workbench.errors import CaseNotFoundError, NothingUsableError, WorkspaceError


def test_chinese_person_name_gb18030(make_case, workspace):
    case = open_case(make_case("chrX2.dcm", "chrX1.dcm"), workspace=workspace)
    names = dict(zip(case.instances["path"], case.instances["PatientName"], strict=True))
    assert names["chrX2.dcm"] == "Wang^XiaoDong=王^小东"
    assert names["chrX1.dcm"] == "Wang^XiaoDong=王^小東"
    assert case.problems[case.problems["kind"] == "undeclared_charset"].empty


def test_iso2022_gb2312_and_utf8(make_case, workspace):
    # chrSQEncoding: ISO 2022 escapes inside sequences; chrH32/chrI2: ISO 2022 multi-byte
    case = open_case(make_case("chrH32.dcm", "chrI2.dcm", "chrJapMulti.dcm"), workspace=workspace)
    for path in ("chrH32.dcm", "chrI2.dcm", "chrJapMulti.dcm"):
        expected = str(pydicom.dcmread(dicom_file(path)).PatientName)
        got = case.instances.set_index("path").loc[path, "PatientName"]
        assert got == expected


def test_nema_cr_tibia_is_right(make_case, workspace):
    root = make_case("RG3_UNCR.dcm", "RG3_J2KR.dcm")
    case = open_case(root, workspace=workspace)
    assert set(case.series["side"]) == {"right"}
    study = case.studies.iloc[0]
    assert study["side"] == "right"
    assert study["modality"] == "CR"
    assert bool(case.instances["decodable"].all())


def test_tables_have_the_contract_columns(make_case, workspace):
    case = open_case(make_case("CT_small.dcm", "MR_small.dcm"), workspace=workspace)
    for col in ("path", "size", "sha256", "kind"):
        assert col in case.files.columns
    for col in (
        "path",
        "frame_count",
        "transfer_syntax",
        "decodable",
        "PatientName",
        "PatientID",
        "StudyInstanceUID",
    ):
        assert col in case.instances.columns
    for col in (
        "series_key",
        "study_key",
        "Modality",
        "SeriesDescription",
        "n_images",
        "body_part",
        "side",
        "weight_bearing",
    ):
        assert col in case.series.columns
    for col in (
        "study_key",
        "date",
        "modality",
        "body_part",
        "side",
        "description",
        "facility",
        "n_series",
        "n_images",
        "has_original_dicom",
        "has_report",
        "weight_bearing",
        "source",
    ):
        assert col in case.studies.columns
    assert list(case.problems.columns) == ["path", "stage", "kind", "message", "details"]
    assert pd.api.types.is_datetime64_any_dtype(case.studies["date"])
    assert case.studies["date"].is_monotonic_increasing
    ct = case.instances.set_index("path").loc["CT_small.dcm"]
    assert ct["Rows"] == 128 and ct["frame_count"] == 1
    assert ct["PixelSpacing"] == pytest.approx([0.661468, 0.661468])


def test_sha256_matches_and_originals_untouched(make_case, workspace):
    root = make_case("CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm")
    before = checksums(root)
    mtimes = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    case = open_case(root, workspace=workspace)
    assert checksums(root) == before
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == mtimes
    assert dict(zip(case.files["path"], case.files["sha256"], strict=True)) == before
    assert not any(workspace.is_relative_to(p) for p in [root])


def test_headerless_and_extensionless_files_recognised(tmp_path, workspace):
    root = tmp_path / "usb"
    root.mkdir()
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.save_as(root / "IM0001", enforce_file_format=False)  # keep as is, no extension
    raw = dicom_file("CT_small.dcm").read_bytes()
    (root / "NOPREAMBLE").write_bytes(raw[132:][: len(raw)])  # meta + dataset, no preamble
    case = open_case(root, workspace=workspace)
    assert set(case.files["kind"]) == {"dicom"}
    # same SOP Instance UID, different bytes (one without preamble): both kept, both flagged
    assert len(case.instances) == 2
    assert set(case.instances["has_preamble"]) == {True, False}
    collided = case.problems[case.problems["kind"] == "uid_collision"]
    assert set(collided["path"]) == {"IM0001", "NOPREAMBLE"}


def test_zip_source_is_unpacked_in_workspace(make_case, tmp_path, workspace):
    root = make_case("CT_small.dcm", "MR_small.dcm")
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in root.iterdir():
            zf.write(f, f"usb/{f.name}")
    case = open_case(archive, workspace=workspace)
    assert set(case.files["path"]) == {
        "upload.zip",
        "upload.zip/usb/CT_small.dcm",
        "upload.zip/usb/MR_small.dcm",
    }
    assert len(case.instances) == 2
    local = case.local_path("upload.zip/usb/CT_small.dcm")
    assert local.is_relative_to(workspace)
    assert local.read_bytes() == (root / "CT_small.dcm").read_bytes()


def test_dicomdir_folder_and_file(tmp_path, workspace):
    src = Path(dicom_file("DICOMDIR")).parent
    root = tmp_path / "cd"
    shutil.copytree(src, root)
    for extra in root.glob("DICOMDIR-*"):
        extra.unlink()
    by_folder = open_case(root, workspace=workspace)
    by_file = open_case(root / "DICOMDIR", workspace=tmp_path / "ws2")
    # every file under the folder is indexed; the two DICOMDIRs (top, TINY_ALPHA) list them all
    assert len(by_folder.instances) == len(by_file.instances) == 81
    assert (by_folder.files["kind"] == "dicomdir").sum() == 2
    assert by_folder.files["in_dicomdir"].sum() == 81
    assert by_folder.problems[by_folder.problems["stage"] == "dicomdir"].empty
    assert by_folder.files.set_index("path").loc["DICOMDIR", "kind"] == "dicomdir"


def test_reopen_uses_the_cache(make_case, workspace):
    root = make_case("CT_small.dcm", "MR_small.dcm")
    first = open_case(root, workspace=workspace)
    stamp = (workspace / "tables" / "fingerprint.json").stat().st_mtime_ns
    again = open_case(root, workspace=workspace)
    assert (workspace / "tables" / "fingerprint.json").stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(first.studies, again.studies)
    pd.testing.assert_frame_equal(first.instances, again.instances)
    shutil.copy2(dicom_file("JPEG2000.dcm"), root / "new.dcm")
    third = open_case(root, workspace=workspace)
    assert len(third.instances) == 3


def test_missing_source_and_empty_folder(tmp_path, workspace):
    with pytest.raises(CaseNotFoundError, match="does not exist"):
        open_case(tmp_path / "nope", workspace=workspace)
    (tmp_path / "empty").mkdir()
    with pytest.raises(NothingUsableError, match="No files found under"):
        open_case(tmp_path / "empty", workspace=workspace)
    (tmp_path / "lone.dcm").write_bytes(dicom_file("CT_small.dcm").read_bytes())
    with pytest.raises(NothingUsableError, match="single file"):
        open_case(tmp_path / "lone.dcm", workspace=workspace)


def test_workspace_inside_source_is_refused(make_case):
    root = make_case("CT_small.dcm")
    with pytest.raises(WorkspaceError, match="inside the case source"):
        open_case(root, workspace=root / "ws")


def test_default_workspace_is_under_workbench_home(make_case, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    case = open_case(make_case("CT_small.dcm"))
    assert case.workspace.is_relative_to(tmp_path / "home" / "workspaces")
    assert (case.workspace / "tables" / "studies.parquet").exists()


def test_tables_written_and_csv_formula_safe(tmp_path, workspace):
    root = tmp_path / "case"
    root.mkdir()
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.StudyDescription = '=HYPERLINK("http://x")'
    ds.save_as(root / "a.dcm")
    open_case(root, workspace=workspace)
    text = (workspace / "tables" / "studies.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert pd.read_parquet(workspace / "tables" / "studies.parquet")["description"][0].startswith(
        "=HYPERLINK"
    )
