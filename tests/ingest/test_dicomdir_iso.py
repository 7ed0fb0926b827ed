"""DICOMDIR records resolve as CD readers resolve them (issue 18, item 8).

pydicom's DICOMDIR test tree is copied with every file renamed ``NAME;1`` (the ISO 9660
version suffix many CD copies keep), and with names in lower case: all images are
found through the DICOMDIR and no record is reported missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import dicom_file

from workbench.case import open_case
from workbench.dicom.dicomdir import iso9660_key


def _tree(tmp_path: Path, rename) -> Path:
    source = dicom_file("DICOMDIR").parent
    root = tmp_path / "cd"
    root.mkdir(parents=True)
    shutil.copy2(source / "DICOMDIR", root / rename("DICOMDIR"))
    for folder in ("77654033", "98892001", "98892003"):
        for path in sorted((source / folder).rglob("*")):
            if path.is_file():
                rel = path.relative_to(source)
                target = root / rel.parent / rename(rel.name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    return root


def _plain(tmp_path: Path):
    return open_case(_tree(tmp_path / "plain", lambda n: n), workspace=tmp_path / "ws-plain")


@pytest.mark.parametrize(
    "rename",
    [lambda n: f"{n};1", lambda n: n.lower(), lambda n: f"{n.lower()};1"],
    ids=["version-suffix", "lower-case", "both"],
)
def test_iso9660_names_resolve(tmp_path, rename):
    plain = _plain(tmp_path)
    case = open_case(_tree(tmp_path, rename), workspace=tmp_path / "ws")
    missing = case.problems[case.problems["kind"] == "dicomdir_missing_file"]
    assert missing.empty, missing["path"].head().tolist()
    assert len(case.instances) == len(plain.instances) > 0
    dicom = case.files[case.files["kind"] == "dicom"]
    assert dicom["in_dicomdir"].all()


def test_a_really_missing_file_is_still_reported(tmp_path):
    root = _tree(tmp_path, lambda n: f"{n};1")
    victim = sorted(p for p in root.rglob("*;1") if "DICOMDIR" not in p.name)[0]
    victim.unlink()
    case = open_case(root, workspace=tmp_path / "ws")
    missing = case.problems[case.problems["kind"] == "dicomdir_missing_file"]
    assert len(missing) == 1
    assert iso9660_key(missing["path"].iloc[0]) == iso9660_key(victim.relative_to(root).as_posix())


def test_iso9660_key():
    assert iso9660_key("CD/DICOM/IM0001;1") == "cd/dicom/im0001"
    assert iso9660_key("CD/README.;1") == "cd/readme"
    assert iso9660_key("CD/a;12/b") == "cd/a/b"
