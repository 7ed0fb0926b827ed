"""The ingest path stays lean: what a plain case does not need is not imported.

``workbench ingest`` of a few files is dominated by start-up, so the libraries a
plain DICOM case does not use stay unloaded: pydicom (its first import loads every
pixel decoder; the header walker needs neither it nor its dictionary), pydantic and
YAML (no case.yaml, no readiness report), Pillow (no photo, no radiograph to read a
marker from), requests. A contract, not a timing: it fails when someone adds a
top-level import of one of them on the path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: pydicom's test files: explicit VR CT and MR, an implicit VR RT plan (sequences), and
#: JPEG 2000 and ultrasound J2K (compressed: the decoder question)
CASE_FILES = ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm", "US1_J2KR.dcm")
NOT_ON_THE_PATH = ("pydicom", "pydantic", "pydantic_core", "yaml", "PIL", "requests", "gdcm")

_REPORT = """
import json, sys
heavy = set(sys.argv[1].split(","))
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & heavy)))
"""
_INGEST = """
import sys
from workbench.cli.main import main
code = main(["ingest", sys.argv[2], "--workspace", sys.argv[3], "--no-progress"])
assert code == 0, code
"""


def _loaded(code: str, *args: str, home: Path) -> list[str]:
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", code + _REPORT, ",".join(NOT_ON_THE_PATH), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_case_facade_is_lean(tmp_path: Path) -> None:
    assert _loaded("import workbench.case, workbench.cli.report\n", home=tmp_path) == []


def test_a_plain_ingest_is_lean(make_case, tmp_path: Path) -> None:
    case = make_case(*CASE_FILES)
    home = tmp_path / "home"
    # the first ingest in a new environment asks pydicom which syntaxes it can decode
    first = _loaded(_INGEST, str(case), str(tmp_path / "ws1"), home=home)
    assert "pydicom" in first
    assert (home / "cache" / "decoders.json").is_file()
    # from then on an ingest of plain files needs none of them
    assert _loaded(_INGEST, str(case), str(tmp_path / "ws2"), home=home) == []
    from workbench.workspace import read_table

    one, two = (read_table(tmp_path / ws / "tables", "instances") for ws in ("ws1", "ws2"))
    # the remembered answers are pydicom's: the same column (the RT plan has no pixels)
    assert one["decodable"].tolist() == two["decodable"].tolist()
    assert one["decodable"].sum() == len(CASE_FILES) - 1


def test_the_manifest_of_a_case_without_one_is_made_when_asked(make_case, tmp_path: Path) -> None:
    from workbench.case import open_case
    from workbench.record.manifest import Manifest

    case = open_case(make_case("CT_small.dcm"), workspace=tmp_path / "ws", progress=False)
    assert case._manifest is None  # nothing built while opening
    assert case.manifest == Manifest()
    assert case.manifest.is_empty
    assert case.manifest is case.manifest  # made once
    assert case.timeline["kind"].tolist() == ["imaging"]
    assert not case.gaps.empty  # the readiness rules load when asked
