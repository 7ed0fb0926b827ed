"""Caches cannot run code when loaded; problems carry structured details (items 1 and 9)."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

from damage import tiny_dicom

from workbench.cache import load_cache, save_cache
from workbench.case import open_case
from workbench.problems import PROBLEM_COLUMNS, ProblemKind, problem_details


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_pickle_is_never_loaded(tmp_path):
    root = tmp_path / "case"
    tiny_dicom(root / "a.dcm")
    ws = tmp_path / "ws"
    marker = tmp_path / "pwned"
    (ws / "cache").mkdir(parents=True)
    payload = pickle.dumps((5, {"x": _Exploit(marker)}))
    for name in ("scan.pkl", "documents.pkl", "scan.json", "documents.json"):
        (ws / "cache" / name).write_bytes(payload)
    case = open_case(root, workspace=ws)
    assert not marker.exists()
    assert len(case.instances) == 1
    scan = json.loads((ws / "cache" / "scan.json").read_text(encoding="utf-8"))  # rewritten
    assert isinstance(scan, dict) and scan["version"]
    assert not marker.exists()


def test_a_tampered_json_cache_is_ignored_not_trusted(tmp_path):
    root = tmp_path / "case"
    tiny_dicom(root / "a.dcm", description="Knee XR")
    ws = tmp_path / "ws"
    open_case(root, workspace=ws)
    cache = ws / "cache" / "scan.json"
    data = json.loads(cache.read_text(encoding="utf-8"))
    for key in data["data"]:
        data["data"][key] = {"header": "not a dict", "problems": 7}
    cache.write_text(json.dumps(data), encoding="utf-8")
    (ws / "tables" / "fingerprint.json").unlink()  # force a rebuild from the cache
    case = open_case(root, workspace=ws)
    assert case.instances["StudyDescription"].tolist() == ["Knee XR"]


def test_cache_round_trip_and_version(tmp_path):
    path = tmp_path / "c.json"
    save_cache(path, {"k": {"a": [1, 2.5, None, "\udcff"]}}, 3)
    assert load_cache(path, 3) == {"k": {"a": [1, 2.5, None, "\udcff"]}}
    assert load_cache(path, 4) == {}
    assert load_cache(tmp_path / "c.pkl", 3) == {}


def test_multiple_patients_come_with_structured_details(tmp_path):
    root = tmp_path / "case"
    tiny_dicom(root / "a.dcm", patient_id="ONE. Everything here")  # a hostile ID
    tiny_dicom(root / "b.dcm", patient_id="TWO")
    tiny_dicom(root / "c.dcm", patient_id="TWO")
    case = open_case(root, workspace=tmp_path / "ws")
    assert list(case.problems.columns) == PROBLEM_COLUMNS
    row = case.problems[case.problems["kind"] == ProblemKind.MULTIPLE_PATIENTS].iloc[0]
    patients = problem_details(row["details"])["patients"]
    assert sorted((p["id"], p["images"]) for p in patients) == [
        ("ONE. Everything here", 1),
        ("TWO", 2),
    ]
    gap = case.gaps[case.gaps["code"] == "multiple_patients"]
    assert len(gap) == 1
    message = gap["message"].iloc[0]
    assert "ONE. Everything here (1 images)" in message and "TWO (2 images)" in message


def test_every_problem_kind_written_is_in_the_enum(tmp_path):
    import re

    known = {k.value for k in ProblemKind}
    package = Path(__file__).resolve().parents[1] / "workbench"
    pattern = re.compile(r'Problem\(\s*[^,]+,\s*"[a-z_]+",\s*"([a-z_]+)"', re.S)
    written = set()
    for path in package.rglob("*.py"):
        written |= set(pattern.findall(path.read_text(encoding="utf-8")))
        written |= set(re.findall(r'_problem\(\s*[^,]+,\s*"([a-z_]+)"', path.read_text()))
    assert written and written <= known, written - known
