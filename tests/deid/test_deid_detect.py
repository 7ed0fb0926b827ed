"""Detectors for identifiers nobody listed, and the cleaner and verifier that use them."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pydicom
import pytest
from conftest import dicom_file

from workbench.case import open_case
from workbench.cli.deid_cmd import deid_main
from workbench.deid.detect import find_identifiers, is_resident_id
from workbench.deid.iod import iod_types, resolve_for_type
from workbench.deid.pipeline import deidentify
from workbench.deid.text import DatePolicy, Identifiers, Redactor
from workbench.deid.verify import verify_deidentified

SECRET = "detect-secret-0123456789"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind.value, f.text) for f in find_identifiers(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "pt ZHOUXINYI, mother CHENLIHUA, tel 13912345678",
            [("name", "ZHOUXINYI"), ("name", "CHENLIHUA"), ("phone", "13912345678")],
        ),
        ("Patient Name: ZHANG SAN, seen", [("name", "ZHANG SAN")]),
        (
            "Seen by Dr. Okafor; referred by John Smith.",
            [("name", "Okafor"), ("name", "John Smith")],
        ),
        ("患者王小东右膝疼痛3月", [("name", "王小东")]),
        ("姓名：欧阳娜娜 性别：女", [("name", "欧阳娜娜")]),
        ("家属周欣怡签字", [("name", "周欣怡")]),
        ("Zhang^San=张^三", [("name", "Zhang^San"), ("name", "张^三")]),
        ("联系人：LI MING 139-1234-5678", [("name", "LI MING"), ("phone", "139-1234-5678")]),
        (
            "电话 010-87654321 或 (0755) 8765 4321",
            [("phone", "010-87654321"), ("phone", "(0755) 8765 4321")],
        ),
        (
            "+86 139 1234 5678 or +1 (212) 555-0100",
            [("phone", "+86 139 1234 5678"), ("phone", "+1 (212) 555-0100")],
        ),
        ("身份证号 11010519491231002X", [("resident_id", "11010519491231002X")]),
        ("old ID 110105491231002", [("resident_id", "110105491231002")]),
        ("mail wang.xd@example.com.cn", [("email", "wang.xd@example.com.cn")]),
        (
            "地址：北京市朝阳区建国路88号3单元502室",
            [("address", "北京市朝阳区建国路88号3单元502室")],
        ),
        ("lives at 221 Baker Street, London", [("address", "221 Baker Street, London")]),
        (
            "住院号:ZY2023-0456, 医保号 3301-88-7766",
            [("record_number", "ZY2023-0456"), ("record_number", "3301-88-7766")],
        ),
        (
            "MRN884422; accession ACC-55667",
            [("record_number", "884422"), ("record_number", "ACC-55667")],
        ),
    ],
)
def test_detectors_find_what_nobody_listed(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "MR SAG T2 FSE",
        "DR CHEST PA",
        "CT KNEE RIGHT 1.25 mm, 512 x 512, kVp 120",
        "Patient Position HFS",
        "患者于今年3月摔伤，患者曾于2020年手术，患者高血压",
        "右膝关节MRI：内侧半月板后角撕裂，黄韧带肥厚，骨骺区软骨区信号正常，后入路。",
        "1.2.840.10008.5.1.4.1.1.2 acquired 20230105",
        "Retain Patient Characteristics Option",
    ],
)
def test_detectors_leave_clinical_text_alone(text: str) -> None:
    assert find_identifiers(text) == []


def test_resident_id_check_digit() -> None:
    assert is_resident_id("11010519491231002X")
    assert not is_resident_id("110105194912310021")  # wrong check digit
    assert not is_resident_id("110105194913310025")  # no 13th month
    assert is_resident_id("110105491231002")  # the 15-digit form


def test_the_issue_example_loses_the_relative_and_the_phone() -> None:
    ids = Identifiers()
    ids.add_person_name("ZHOU^XINYI")
    cleaned = Redactor(ids, DatePolicy("shift", -100)).text(
        "pt ZHOUXINYI, mother CHENLIHUA, tel 13912345678"
    )
    assert cleaned == "pt [NAME], mother [NAME], tel [PHONE]"


def test_types_come_from_the_iod_tables() -> None:
    ct = iod_types(pydicom.uid.CTImageStorage)
    assert ct is not None and ct.iod == "ct-image"
    assert ct.type_of((), "ReferencedStudySequence") == "3"
    assert ct.type_of((), "StudyInstanceUID") == "1"
    assert ct.type_of(("ReferencedImageSequence",), "ReferencedSOPInstanceUID") == "1"
    assert resolve_for_type("X/Z/D", "3") == "X"
    assert resolve_for_type("X/Z/D", "2") == "Z"
    assert resolve_for_type("X/D", "1") == "D"
    assert resolve_for_type("Z", None) == "X"


def test_no_false_alarm_for_short_ids_against_numbers(tmp_path: Path, monkeypatch, capsys) -> None:
    """AccessionNumber 128 against Rows 128 and StudyID 134 against a US value."""
    source = tmp_path / "case"
    source.mkdir()
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.AccessionNumber = str(int(ds.Rows))
    ds.StudyID = "134"
    ds.NumberOfPhaseEncodingSteps = 134
    ds.save_as(source / "ct.dcm")
    shutil.copy2(dicom_file("MR_small.dcm"), source / "mr.dcm")
    case = open_case(source, workspace=tmp_path / "ws")
    deidentify(case, tmp_path / "out", shift_dates=-100, secret=SECRET)
    assert verify_deidentified(case, tmp_path / "out").empty
    raw = tmp_path / "raw"
    shutil.copytree(source, raw)
    found = verify_deidentified(case, raw, dates="shift")
    ct = found[found["path"] == "ct.dcm"]
    assert {"AccessionNumber", "StudyID"} <= set(ct["where"])
    assert not ct["where"].isin(["Rows", "Columns", "NumberOfPhaseEncodingSteps"]).any()
    monkeypatch.setenv("WORKBENCH_DEID_SECRET", SECRET)
    args = argparse.Namespace(
        source=source,
        dest=tmp_path / "cli",
        keep_dates=False,
        shift_dates=-100,
        pseudonym=None,
        workspace=tmp_path / "ws",
        keep_comments=False,
    )
    assert deid_main(args) == 0


REAL_FILES = (
    "CT_small.dcm",
    "MR_small.dcm",
    "liver_1frame.dcm",  # enhanced multi-frame: Source Image Sequence per frame (X/Z/U*)
    "rtplan.dcm",
    "rtstruct.dcm",
    "rtdose.dcm",
    "test-SR.dcm",
    "reportsi.dcm",
    "emri_small.dcm",
    "JPEG2000.dcm",
    "ExplVR_BigEnd.dcm",
    "nested_priv_SQ.dcm",
    "image_dfl.dcm",
    "SC_rgb.dcm",
    "US1_UNCR.dcm",
)


def test_real_files_give_no_false_alarm_and_no_new_dciodvfy_error(tmp_path: Path) -> None:
    """Third-party files as they are: the verifier finds nothing, dciodvfy nothing new."""
    from workbench.deid.verify import compare_dciodvfy

    source = tmp_path / "case"
    source.mkdir()
    for name in REAL_FILES:
        shutil.copy2(dicom_file(name), source / name)
    case = open_case(source, workspace=tmp_path / "ws")
    log = deidentify(case, tmp_path / "out", shift_dates=-100, secret=SECRET)
    assert (log["status"] == "written").sum() >= 8
    findings = verify_deidentified(case, tmp_path / "out")
    assert findings.empty, findings.to_string()
    errors = compare_dciodvfy(case, tmp_path / "out")
    if "note" not in errors.attrs:
        assert errors.empty, errors.to_string()


def test_kept_attributes_lose_known_names_and_ids(tmp_path: Path) -> None:
    source = tmp_path / "case"
    source.mkdir()
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.PatientName, ds.PatientID = "Zhang^Wei", "MRN-7788123"
    ds.ManufacturerModelName = "Zhang Wei MRN-7788123"  # K in Table E.1-1
    ds.save_as(source / "ct.dcm")
    case = open_case(source, workspace=tmp_path / "ws")
    deidentify(case, tmp_path / "out", shift_dates=-100, secret=SECRET)
    out = pydicom.dcmread(next((tmp_path / "out").rglob("*.dcm")))
    assert out.ManufacturerModelName == "[NAME] [ID]"
    assert out.Manufacturer == ds.Manufacturer
    raw = tmp_path / "raw"
    shutil.copytree(source, raw)
    found = verify_deidentified(case, raw, dates="shift")
    assert "ManufacturerModelName" in set(found["where"])
