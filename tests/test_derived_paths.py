"""No two originals share a derived path; the MANIFEST always matches the copy (item 4)."""

from __future__ import annotations

import csv
import hashlib
import warnings
import zipfile
from pathlib import Path

from damage import tiny_dicom
from PIL import Image

from workbench.case import open_case
from workbench.organize import organize


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_photos_with_one_name_get_two_copies(tmp_path):
    root = tmp_path / "case"
    for folder, colour in (("phone", (255, 0, 0)), ("scanner", (0, 0, 255)), ("Phone2", (0, 9, 0))):
        (root / folder).mkdir(parents=True)
        Image.new("RGB", (32, 32), colour).save(root / folder / "IMG_0001.jpg")
    Image.new("RGB", (32, 32), (1, 2, 3)).save(root / "phone" / "img_0001.JPG")  # case only
    tiny_dicom(root / "a.dcm")
    case = open_case(root, workspace=tmp_path / "ws")
    dest = organize(case, tmp_path / "out")
    with open(dest / "MANIFEST.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    copies = [r["copy"] for r in rows]
    assert len(copies) == len({c.casefold() for c in copies}), copies
    photos = [r for r in rows if r["copy"].startswith("photos/")]
    assert len(photos) == 4
    for row in rows:
        assert _sha(dest / row["copy"]) == row["sha256"], row
    originals = {r["original"] for r in photos}
    assert originals == {"phone/IMG_0001.jpg", "scanner/IMG_0001.jpg", "Phone2/IMG_0001.jpg",
                         "phone/img_0001.JPG"}  # fmt: skip
    again = organize(case, tmp_path / "out")  # idempotent
    assert (again / "MANIFEST.csv").read_bytes() == (dest / "MANIFEST.csv").read_bytes()


def test_zip_members_a_a_and_a_hash_2_are_three_files(tmp_path):
    bodies = [tiny_dicom(tmp_path / f"src{i}.dcm", instance=i).read_bytes() for i in range(3)]
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicate name is the point
        zf.writestr("a.dcm", bodies[0])
        zf.writestr("a.dcm", bodies[1])
        zf.writestr("a.dcm#2", bodies[2])
    case = open_case(archive, workspace=tmp_path / "ws")
    members = case.files[case.files["member_of"] == "upload.zip"]
    assert len(members) == 3 and members["path"].is_unique
    assert set(members["sha256"]) == {hashlib.sha256(b).hexdigest() for b in bodies}
    for row in members.itertuples(index=False):
        assert _sha(case.local_path(row.path)) == row.sha256
    assert len(case.instances) == 3


def test_deidentified_copies_of_two_originals_with_one_uid_are_both_kept(tmp_path):
    """Same SOP Instance UID, different pixels (a UID collision): two outputs, not one."""
    import pydicom

    from workbench.deid.pipeline import deidentify

    root = tmp_path / "case"
    first = tiny_dicom(root / "a" / "IM1.dcm", study_uid="1.2.3", series_uid="1.2.3.4")
    ds = pydicom.dcmread(first)
    ds.PixelData = bytes(reversed(ds.PixelData))  # other pixels, same UIDs
    (root / "b").mkdir()
    ds.save_as(root / "b" / "IM1.dcm")
    case = open_case(root, workspace=tmp_path / "ws")
    assert "uid_collision" in set(case.problems["kind"])
    log = deidentify(case, tmp_path / "out", shift_dates=-30, secret="s" * 32)
    rows = log[log["source_path"].isin(["a/IM1.dcm", "b/IM1.dcm"])]
    assert len(rows) == 2 and "duplicate" not in set(rows["status"])
    outputs = []
    for row in rows.itertuples(index=False):
        if row.status == "held_back":  # secondary captures: a header-cleaned copy for review
            rel = row.reason.split("deid-review/", 1)[1]
            outputs.append(tmp_path / "ws" / "deid-review" / rel)
        else:
            outputs.append(tmp_path / "out" / row.dest_path)
    assert len(set(outputs)) == 2 and all(p.is_file() for p in outputs)
    assert _sha(outputs[0]) != _sha(outputs[1])
