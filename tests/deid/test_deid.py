"""De-identification: PS3.15 Basic Profile with options, verified independently."""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pydicom
import pytest
from pydicom.data import get_charset_files, get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from workbench.case import Case, open_case
from workbench.cli.deid_cmd import deid_main
from workbench.deid.keys import load_secret, remap_uid
from workbench.deid.pipeline import LOG_NAME, deidentify
from workbench.deid.profile import action_table, basic_profile
from workbench.deid.verify import compare_dciodvfy, verify_deidentified
from workbench.errors import DeidentificationError

SECRET = "test-secret-0123456789"
ZH_NAME = "王小东"
IR58_PN = b"Zhang^XiaoDong=\x1b$)A\xd5\xc5^\x1b$)A\xd0\xa1\xb6\xab="  # PS3.5 Annex K example


# --- a case with identifiers planted everywhere ------------------------------------------


def dicom_file(name: str) -> Path:
    """A pydicom test file (bundled, or a character set sample)."""
    found = get_testdata_file(name) or (get_charset_files(name) or [None])[0]
    assert found is not None, f"pydicom test file {name!r} not found"
    return Path(str(found))


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under *folder*, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _ct(name: str = "CT_small.dcm") -> Dataset:
    ds = pydicom.dcmread(dicom_file(name))
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = "Zhang^San=张^三"
    ds.PatientID = "MRN-884422"
    ds.PatientBirthDate = "19700412"
    ds.OtherPatientNames = "Chang^Sam"
    ds.AccessionNumber = "ACC-55667"
    ds.InstitutionName = "Riverside Orthopaedic Hospital"
    ds.OperatorsName = "Okafor^Ngozi"
    ds.StudyDate = "20230105"
    return ds


def _write(ds: Dataset, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def build_case(root: Path) -> dict[str, str]:
    """Write the planted case under *root*; return the original UIDs the tests follow."""
    ct1 = _ct()
    ct1.StudyDescription = "Zhang San right knee CT"
    ct1.SeriesDescription = "MRN-884422 knee, born 1970-04-12"
    ct1.ImageComments = "Patient ZHANG SAN (张三) consented; accession ACC-55667"
    ct1.add_new(0x00091010, "LO", "Zhang San in a private tag")
    ct1.private_block(0x0011, "ACME CORP", create=True).add_new(0x01, "LO", "张三 private")
    ct1.add_new(0x60000010, "US", 8)
    ct1.add_new(0x60000011, "US", 8)
    ct1.add_new(0x60003000, "OW", b"\x00" * 8)
    ct1.add_new(0x60004000, "LT", "overlay by Zhang San")
    deep = Dataset()
    deep.PersonName = "Zhang^San"
    deep.TextValue = "Seen by Dr Okafor for Zhang San"
    middle = Dataset()
    middle.RequestedProcedureDescription = "Knee MRI for Zhang San"
    middle.ContentSequence = Sequence([deep])
    ct1.RequestAttributesSequence = Sequence([middle])
    _write(ct1, root / "张三" / "ct1.dcm")

    ct2 = _ct()
    ct2.SeriesInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["series-2"])
    ct2.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["sop-2"])
    ref = Dataset()
    ref.SeriesInstanceUID = ct1.SeriesInstanceUID
    ct2.ReferencedSeriesSequence = Sequence([ref])
    _write(ct2, root / "张三" / "ct2.dcm")

    gb = pydicom.dcmread(dicom_file("chrX2.dcm"))  # GB18030: Wang^XiaoDong=王^小东
    gb.BurnedInAnnotation = "NO"
    gb.PatientID = "GB-7781"
    gb.StudyDescription = "王小东 右膝 MRI"
    _write(gb, root / "gb18030.dcm")

    ir58 = _ct()
    ir58.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["ir58"])
    ir58.SpecificCharacterSet = ["", "ISO 2022 IR 58"]
    ir58[0x00100010] = pydicom.DataElement(0x00100010, "PN", IR58_PN)
    desc = b"\x1b$)A" + "张小东 腰椎".encode("gb2312")
    ir58[0x00081030] = pydicom.DataElement(0x00081030, "LO", desc)
    _write(ir58, root / "ir58.dcm")

    burned = _ct()
    burned.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["burned"])
    burned.BurnedInAnnotation = "YES"
    _write(burned, root / "burned.dcm")
    shutil.copy2(dicom_file("US1_UNCR.dcm"), root / "us.dcm")
    shutil.copy2(dicom_file("SC_rgb.dcm"), root / "sc.dcm")

    report = (
        f"姓名：{ZH_NAME}  出生日期：1970-04-12  检查日期：2023-01-05\n"
        "右膝关节 MRI：内侧半月板后角撕裂。\n"
        "Patient: Xiao Dong WANG (MRN-884422). Zhang San is a different patient.\n"
    )
    (root / "report_gb.txt").write_bytes(report.encode("gb18030"))
    (root / "scan.pdf").write_bytes(b"%PDF-1.4\n% not really a pdf\n")
    (root / "case.yaml").write_text(
        f"case_id: HOSP-2024-0099\npatient:\n  name: {ZH_NAME}\n  sex: M\n  birth_year: 1970\n"
        f"main_concern: {ZH_NAME} has right knee pain\npain_history:\n  onset: 2022-06\n"
        "questions:\n  - Should Xiao Dong have an operation?\n",
        encoding="utf-8",
    )
    return {"series1": ct1.SeriesInstanceUID, "study": ct1.StudyInstanceUID}


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Case, dict[str, str], Path]:
    base = tmp_path_factory.mktemp("deid")
    uids = build_case(base / "case")
    case = open_case(base / "case", workspace=base / "ws")
    return case, uids, base


@pytest.fixture(scope="module")
def shifted(planted: tuple[Case, dict[str, str], Path]) -> tuple[Case, Path, pd.DataFrame]:
    case, _, base = planted
    before = checksums(base / "case")
    log = deidentify(case, base / "out", shift_dates=-30, secret=SECRET)
    assert checksums(base / "case") == before, "the source changed"
    return case, base / "out", log


def _outputs(dest: Path) -> list[Dataset]:
    return [pydicom.dcmread(p) for p in sorted(dest.glob("DICOM/*/*/*.dcm"))]


def _by_description(dest: Path, text: str) -> Dataset:
    found = [ds for ds in _outputs(dest) if text in str(ds.get("StudyDescription", ""))]
    assert len(found) == 1, [str(ds.get("StudyDescription")) for ds in _outputs(dest)]
    return found[0]


# --- the profile ---------------------------------------------------------------------


def test_action_table_comes_from_the_standard() -> None:
    exact, masked, edition = basic_profile()
    assert len(exact) > 500 and edition.startswith("dicomfields_")
    assert any(mask == 0xFF000000 for _, mask, _ in masked)  # curves (50xx,xxxx)
    table = action_table(dates="remove")
    assert table.action(0x00100010) == "Z"  # Patient's Name
    assert table.action(0x00101010) == "K"  # Patient's Age (Retain Patient Characteristics)
    assert table.action(0x0008103E) == "C"  # Series Description (Clean Descriptors)
    assert table.action(0x00080020) == "Z"  # Study Date, no temporal option
    assert table.action(0x00100030) == "Z"  # birth date: never kept, even with dates
    assert action_table(dates="keep").action(0x00100030) == "Z"
    assert action_table(dates="keep").action(0x0008002A) == "K"
    assert table.action(0x60003000) == "X"  # Overlay Data


# --- one run, checked every way --------------------------------------------------------


def test_nothing_identifying_is_left(shifted: tuple[Case, Path, pd.DataFrame]) -> None:
    case, dest, _ = shifted
    leaks = verify_deidentified(case, dest)
    assert leaks.empty, leaks.to_string()


def test_planted_identifiers_are_gone(shifted: tuple[Case, Path, pd.DataFrame]) -> None:
    _, dest, _ = shifted
    ct1 = _by_description(dest, "right knee CT")
    assert str(ct1.StudyDescription) == "[NAME] right knee CT"
    assert str(ct1.SeriesDescription) == "[ID] knee, born [BIRTH DATE]"
    assert "[NAME]" in str(ct1.ImageComments) and "Zhang" not in str(ct1.ImageComments)
    assert str(ct1.PatientName) == str(ct1.PatientID) and str(ct1.PatientID).startswith("ANON-")
    assert ct1.PatientBirthDate == "" and "OtherPatientNames" not in ct1
    assert ct1.InstitutionName == "" and ct1.AccessionNumber == ""
    assert not any(elem.tag.is_private for elem in ct1), "private tags survived"
    assert not any(0x6000 <= elem.tag.group <= 0x601E for elem in ct1), "overlay survived"
    middle = ct1.RequestAttributesSequence[0]
    assert str(middle.RequestedProcedureDescription) == "Knee MRI for [NAME]"
    deep = middle.ContentSequence[0]
    assert str(deep.PersonName) == "ANONYMIZED"
    assert str(deep.TextValue) == "Seen by Dr [NAME] for [NAME]"
    assert ct1.PatientSex and ct1.PatientAge  # Retain Patient Characteristics


def test_headers_say_how(shifted: tuple[Case, Path, pd.DataFrame]) -> None:
    _, dest, _ = shifted
    for path in sorted(dest.glob("DICOM/*/*/*.dcm")):
        raw = path.read_bytes()
        assert raw[:128] == bytes(128) and raw[128:132] == b"DICM"
        ds = pydicom.dcmread(io.BytesIO(raw))
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.SpecificCharacterSet == "ISO_IR 192"
        assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
        codes = [i.CodeValue for i in ds.DeidentificationMethodCodeSequence]
        assert codes == ["113100", "113107", "113108", "113105"]
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID


def test_chinese_text_is_kept_and_rewritten_as_utf8(shifted: tuple[Case, Path, pd.DataFrame]):
    _, dest, _ = shifted
    gb = _by_description(dest, "右膝")
    assert str(gb.StudyDescription) == "[NAME] 右膝 MRI"
    ir58 = _by_description(dest, "腰椎")
    assert str(ir58.StudyDescription) == "[NAME] 腰椎"  # 张小东 from the IR 58 PN's groups
    raw = next(p for p in dest.glob("DICOM/*/*/*.dcm") if "腰椎".encode() in p.read_bytes())
    assert b"\x1b$)A" not in raw.read_bytes()
    text = (dest / "documents" / "report_gb.txt").read_text("utf-8")
    assert "右膝关节 MRI：内侧半月板后角撕裂。" in text
    assert ZH_NAME not in text and "WANG" not in text and "MRN-884422" not in text
    assert "出生日期：[BIRTH DATE]" in text and "检查日期：2022-12-06" in text  # shifted -30 d


def test_uids_are_remapped_consistently(
    planted: tuple[Case, dict[str, str], Path], shifted: tuple[Case, Path, pd.DataFrame]
) -> None:
    _, uids, _ = planted
    _, dest, _ = shifted
    new_series = remap_uid(uids["series1"], SECRET.encode())
    ct1 = _by_description(dest, "right knee CT")
    assert ct1.SeriesInstanceUID == new_series
    referring = [ds for ds in _outputs(dest) if "ReferencedSeriesSequence" in ds]
    assert [str(ds.ReferencedSeriesSequence[0].SeriesInstanceUID) for ds in referring] == [
        new_series
    ]
    assert {ds.StudyInstanceUID for ds in _outputs(dest)} >= {
        remap_uid(uids["study"], SECRET.encode())
    }
    assert all(str(ds.SOPInstanceUID).startswith("2.25.") for ds in _outputs(dest))


def test_images_that_may_show_names_are_held_back(
    shifted: tuple[Case, Path, pd.DataFrame],
) -> None:
    case, dest, log = shifted
    held = log.set_index("source_path").loc[["burned.dcm", "us.dcm", "sc.dcm", "scan.pdf"]]
    assert (held["status"] == "held_back").all()
    assert held.loc["burned.dcm", "reason"].startswith("(0028,0301) Burned In Annotation is YES")
    assert held.loc["us.dcm", "reason"].startswith("ultrasound image without")
    assert held.loc["sc.dcm", "reason"].startswith("secondary capture image without")
    assert (held["dest_path"] == "").all()
    assert len(list(dest.glob("DICOM/*/*/*.dcm"))) == 4
    assert len(list((case.workspace / "deid-review").rglob("*.dcm"))) == 3


def test_the_log(shifted: tuple[Case, Path, pd.DataFrame]) -> None:
    case, dest, log = shifted
    on_disk = pd.read_csv(dest / LOG_NAME, dtype=str, keep_default_na=False)
    assert list(on_disk.columns) == list(log.columns)
    assert len(on_disk) == len(case.files)
    assert set(on_disk["source_sha256"]) == set(case.files["sha256"])
    assert "张三" not in (dest / LOG_NAME).read_text("utf-8")  # the folder name is redacted
    written = on_disk[on_disk["status"] == "written"]
    for row in written.itertuples():
        assert hashlib.sha256((dest / row.dest_path).read_bytes()).hexdigest() == row.dest_sha256


def test_case_yaml_is_de_identified(shifted: tuple[Case, Path, pd.DataFrame]) -> None:
    _, dest, _ = shifted
    text = (dest / "case.yaml").read_text("utf-8")
    assert ZH_NAME not in text and "HOSP-2024-0099" not in text and "1970" not in text
    assert "[NAME] has right knee pain" in text and "Should [NAME] have an operation?" in text
    assert "onset: 2022-05" in text  # June 2022 moved 30 days back


def test_second_run_is_byte_identical(
    planted: tuple[Case, dict[str, str], Path], shifted: tuple[Case, Path, pd.DataFrame]
) -> None:
    case, _, base = planted
    _, dest, _ = shifted
    deidentify(case, base / "again", shift_dates=-30, secret=SECRET)
    assert checksums(base / "again") == checksums(dest)
    deidentify(case, base / "again", shift_dates=-30, secret=SECRET)  # into its own output
    assert checksums(base / "again") == checksums(dest)


# --- options and refusals ---------------------------------------------------------------


def test_date_options(planted: tuple[Case, dict[str, str], Path]) -> None:
    case, _, base = planted
    deidentify(case, base / "keep", keep_dates=True, secret=SECRET)
    kept = _by_description(base / "keep", "right knee CT")
    assert kept.StudyDate == "20230105" and kept.LongitudinalTemporalInformationModified == (
        "UNMODIFIED"
    )
    assert [i.CodeValue for i in kept.DeidentificationMethodCodeSequence][1] == "113106"
    assert verify_deidentified(case, base / "keep").empty
    deidentify(case, base / "removed", secret=SECRET, pseudonym="CASE-17")
    removed = _by_description(base / "removed", "right knee CT")
    assert removed.StudyDate == "" and str(removed.PatientName) == "CASE-17"
    assert "检查日期：[DATE]" in (base / "removed/documents/report_gb.txt").read_text("utf-8")
    assert verify_deidentified(case, base / "removed").empty
    with pytest.raises(DeidentificationError, match="exclude each other"):
        deidentify(case, base / "x", keep_dates=True, shift_dates=3, secret=SECRET)


def test_refuses_a_destination_inside_the_source_or_not_empty(
    planted: tuple[Case, dict[str, str], Path],
) -> None:
    case, _, base = planted
    with pytest.raises(DeidentificationError, match="overlaps the case source"):
        deidentify(case, base / "case" / "out", secret=SECRET)
    (base / "busy").mkdir()
    (base / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(DeidentificationError, match="not empty"):
        deidentify(case, base / "busy", secret=SECRET)
    assert (base / "busy" / "notes.txt").read_text() == "mine"


def test_secret_file_is_created_private_and_reused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("WORKBENCH_DEID_SECRET", raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    first = load_secret()
    path = tmp_path / "home" / "deid-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret() == first and len(first) >= 32
    monkeypatch.setenv("WORKBENCH_DEID_SECRET", "from-the-environment")
    assert load_secret() == b"from-the-environment"
    monkeypatch.delenv("WORKBENCH_DEID_SECRET")
    os.chmod(path, 0o644)
    with pytest.raises(DeidentificationError, match="chmod 600"):
        load_secret()


# --- the verifier finds what is there -------------------------------------------------------


def test_verifier_finds_planted_leaks_in_every_encoding(
    planted: tuple[Case, dict[str, str], Path], shifted: tuple[Case, Path, pd.DataFrame]
) -> None:
    case, _, base = planted
    _, dest, _ = shifted
    leaky = base / "leaky"
    shutil.copytree(dest, leaky)
    (leaky / "documents" / "gb.txt").write_bytes(f"x {ZH_NAME} y".encode("gb18030"))
    (leaky / "documents" / "u16.txt").write_bytes("note: Okafor".encode("utf-16-le"))
    (leaky / "documents" / "latin.txt").write_bytes(b"Zhang San")
    target = _by_description(leaky, "right knee CT")
    target.ReferencedSeriesSequence = Sequence([Dataset()])
    target.ReferencedSeriesSequence[0].SeriesDescription = "MRN-884422"
    path = next(p for p in leaky.glob("DICOM/*/*/*.dcm") if b"right knee CT" in p.read_bytes())
    target.save_as(path, enforce_file_format=True)
    leaks = verify_deidentified(case, leaky)
    found = {(row.path.split("/")[-1], row.what, row.encoding) for row in leaks.itertuples()}
    assert ("gb.txt", "name", "gb18030") in found
    assert ("u16.txt", "name", "utf-16-le") in found
    assert ("latin.txt", "name", "utf-8") in found
    assert (path.name, "id", "element") in found
    assert any(w.startswith("ReferencedSeriesSequence[0]") for w in leaks["where"])


# --- validation against the originals --------------------------------------------------------


def test_dciodvfy_finds_no_new_errors(shifted: tuple[Case, Path, pd.DataFrame]) -> None:
    case, dest, _ = shifted
    errors = compare_dciodvfy(case, dest)
    if "note" in errors.attrs:
        pytest.skip(errors.attrs["note"])
    assert errors.empty, errors.to_string()


def test_command_line(planted: tuple[Case, dict[str, str], Path], monkeypatch, capsys) -> None:
    _, _, base = planted
    monkeypatch.setenv("WORKBENCH_DEID_SECRET", SECRET)
    args = argparse.Namespace(
        source=base / "case",
        dest=base / "cli",
        keep_dates=False,
        shift_dates=-7,
        pseudonym=None,
        workspace=base / "ws",
    )
    assert deid_main(args) == 0
    out, err = capsys.readouterr()
    assert "Verified: no original identifying value" in out
    assert "us.dcm: ultrasound image without" in err


@pytest.mark.parametrize("name", ["lumbar_spine_zh", "messy_upload"])
def test_sample_cases(name: str, tmp_path: Path) -> None:
    """GB18030 headers and a Chinese report; a zip with a damaged file and junk."""
    source = Path(__file__).parents[2] / "sample_cases" / name
    if not source.exists():
        pytest.skip(f"sample case {name} not generated (make samples)")
    case = open_case(source, workspace=tmp_path / "ws")
    log = deidentify(case, tmp_path / "out", shift_dates=12, secret=SECRET)
    assert verify_deidentified(case, tmp_path / "out").empty
    errors = compare_dciodvfy(case, tmp_path / "out")
    assert errors.empty, errors.to_string()
    assert (log["status"] == "written").sum() >= 10
    if name == "messy_upload":
        reasons = log.set_index("source_path")["reason"]
        assert reasons["upload.zip/corrupt/IM_BROKEN.dcm"].startswith("the original is damaged")
