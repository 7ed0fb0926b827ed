"""The planted corpus (tests/deid_corpus.py): nothing left, nothing broken, nothing missed.

One small corpus is built and de-identified once for the module: CT, MR, SR,
ultrasound and secondary capture from pydicom and pydicom-data, a GB18030 and
an ISO 2022 GB2312 file, a GB18030 report and case.yaml, with needles in
standard attributes, descriptions, comments, private and UN elements,
sequences three deep, SR content, overlays, preambles and the text files.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import deid_corpus
import pandas as pd
import pydicom
import pytest

from workbench.case import Case, open_case
from workbench.deid.keys import remap_uid
from workbench.deid.pipeline import deidentify, review_folder
from workbench.deid.verify import compare_dciodvfy, verify_deidentified

SECRET = "corpus-secret-0123456789"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("corpus")
    needles = deid_corpus.build(base)
    case = open_case(base / "case", workspace=base / "ws")
    log = deidentify(case, base / "out", shift_dates=-100, secret=SECRET)
    return {"base": base, "case": case, "needles": needles, "log": log, "dest": base / "out"}


def _outputs(corpus: dict) -> list[Path]:
    review = review_folder(corpus["case"])
    return sorted(p for root in (corpus["dest"], review) for p in root.rglob("*") if p.is_file())


def test_the_corpus_covers_ten_location_classes(corpus: dict) -> None:
    classes = {n.location for n in corpus["needles"]}
    assert len(classes) >= 12, classes
    assert {"un", "nested", "sr", "preamble", "gb18030", "iso2022", "case.yaml"} <= classes


def test_no_needle_left_in_outputs_or_review_copies(corpus: dict) -> None:
    left = {}
    for path in _outputs(corpus):
        raw = path.read_bytes()
        found = deid_corpus.values_in(raw, dicom=raw[128:132] == b"DICM")
        if found:
            left[path.name] = sorted(found)
    assert not left, left
    held = corpus["log"][corpus["log"]["status"] == "held_back"]
    assert set(held["source_path"]) >= {"US1_UNCR.dcm", "SC_rgb.dcm"}
    assert len(list(review_folder(corpus["case"]).rglob("*.dcm"))) >= 2


def test_the_verifier_finds_nothing_on_the_clean_output(corpus: dict) -> None:
    findings = verify_deidentified(corpus["case"], corpus["dest"])
    assert findings.empty, findings.to_string()


def test_no_new_dciodvfy_error(corpus: dict) -> None:
    errors = compare_dciodvfy(corpus["case"], corpus["dest"])
    if "note" in errors.attrs:
        pytest.skip(errors.attrs["note"])
    assert errors.empty, errors.to_string()


def test_no_new_dciodvfy_error_in_review_copies(corpus: dict) -> None:
    from workbench.deid.dciodvfy import dciodvfy_errors

    binary = shutil.which("dciodvfy")
    if binary is None:
        pytest.skip("dciodvfy not installed (apt-get install dicom3tools)")
    log = corpus["log"]
    for row in log[log["reason"].str.contains("copy for review: ")].itertuples():
        after = dciodvfy_errors(binary, Path(row.reason.split("copy for review: ", 1)[1]))
        before = dciodvfy_errors(binary, corpus["base"] / "case" / row.source_path)
        assert not set(after) - set(before), (row.source_path, set(after) - set(before))


def test_the_verifier_flags_every_needle_in_a_copy_that_skipped_cleaning(corpus: dict) -> None:
    copy = corpus["base"] / "uncleaned"
    if not copy.exists():
        deid_corpus.copy_source(corpus["base"] / "case", copy)
    findings = verify_deidentified(
        corpus["case"], copy, dates="shift", review=corpus["base"] / "no-review"
    )
    missed = [n for n in corpus["needles"] if not deid_corpus.flagged(n, findings)]
    assert not missed, missed[:5]
    assert len(corpus["needles"]) > 150
    kinds = set(findings["what"])
    assert {"name", "phone", "resident_id", "email", "address", "id", "birth date"} <= kinds
    sr = findings[(findings["path"] == "test-SR.dcm") & findings["where"].str.contains("Content")]
    assert sr["tag"].str.startswith("(0040,A730)[").any()  # tag paths name each level


def test_the_verifier_scans_review_copies(corpus: dict, tmp_path: Path) -> None:
    review = tmp_path / "review"
    shutil.copytree(review_folder(corpus["case"]), review)
    copy = next(review.rglob("*.dcm"))
    ds = pydicom.dcmread(copy)
    ds.ImageComments = f"call mother on {deid_corpus.OTHER_MOBILE}"
    ds.save_as(copy)
    findings = verify_deidentified(corpus["case"], corpus["dest"], review=review)
    assert list(findings["copy"].unique()) == ["review"]
    row = findings[findings["what"] == "phone"].iloc[0]
    assert row["path"] == copy.as_posix() and row["where"] == "ImageComments"
    assert row["tag"] == "(0020,4000)"


def test_held_back_files_name_the_folder_of_their_review_copy(corpus: dict) -> None:
    log = corpus["log"]
    folder = str(review_folder(corpus["case"]))
    for row in log[log["source_path"].isin(["US1_UNCR.dcm", "SC_rgb.dcm"])].itertuples():
        assert f"header-cleaned copy for review: {folder}/DICOM/" in row.reason
        copy = Path(row.reason.split("copy for review: ", 1)[1])
        assert copy.is_absolute() and copy.is_file() and copy.parent.is_dir()


def test_references_follow_the_uid_map_and_optional_attributes_go(corpus: dict) -> None:
    original = pydicom.dcmread(corpus["base"] / "case" / "CT_small.dcm")
    out = [pydicom.dcmread(p) for p in corpus["dest"].rglob("*.dcm")]
    ct = next(
        ds for ds in out if ds.SOPInstanceUID == remap_uid(original.SOPInstanceUID, SECRET.encode())
    )
    ref = ct.ReferencedStudySequence  # X/Z, Type 3 in the CT IOD: kept, UIDs remapped
    assert len(ref) == 1
    assert ref[0].ReferencedSOPInstanceUID == remap_uid(original.StudyInstanceUID, SECRET.encode())
    assert ref[0].ReferencedSOPInstanceUID == ct.StudyInstanceUID
    assert "InstitutionName" not in ct  # X/Z/D, Type 3 here: removed
    assert ct.AccessionNumber == ""  # Z, Type 2: empty
    assert "ImageComments" not in ct and "PatientComments" not in ct  # not needed by a reviewer


def test_keep_comments_keeps_them_cleaned(corpus: dict) -> None:
    dest = corpus["base"] / "with-comments"
    deidentify(corpus["case"], dest, shift_dates=-100, secret=SECRET, keep_comments=True)
    found = [pydicom.dcmread(p) for p in dest.rglob("*.dcm")]
    comments = {str(ds.get("ImageComments", "")) for ds in found}
    assert "pt [NAME], mother [NAME], tel [PHONE]" in comments
    patient = {str(ds.get("PatientComments", "")) for ds in found}
    assert "身份证 [ID], e-mail [EMAIL]" in patient
    assert verify_deidentified(corpus["case"], dest).empty


def test_text_files_and_case_yaml_are_cleaned_of_unlisted_people(corpus: dict) -> None:
    report = (corpus["dest"] / "documents" / "report.txt").read_text("utf-8")
    assert "家属：[NAME]，电话：[PHONE]，住址：[ADDRESS]" in report
    assert "身份证号：[ID]" in report and "右膝关节 MRI：内侧半月板后角撕裂。" in report
    assert "出生日期：[BIRTH DATE]" in report and "检查日期：2022-09-27" in report  # -100 days
    manifest = (corpus["dest"] / "case.yaml").read_text("utf-8")
    assert "母亲[NAME]陪同" in manifest and "[PHONE]" in manifest and "[EMAIL]" in manifest
    assert "Her mother [NAME] asks" in manifest


def test_case_stays_untouched(corpus: dict) -> None:
    case: Case = corpus["case"]
    for row in pd.DataFrame(case.files).itertuples():
        data = (corpus["base"] / "case" / row.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256
