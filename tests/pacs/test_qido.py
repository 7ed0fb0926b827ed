"""QIDO-RS queries reach a real Orthanc as they were meant: wildcards, spaces, symbols, Chinese."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
import requests
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

sys.path.insert(0, str(Path(__file__).parents[1]))
from orthanc_server import PLUGINS, OrthancServer, orthanc_binary

from workbench.case import open_case
from workbench.pacs.dicomweb import list_studies, push
from workbench.pacs.qido import build_query, encode_value, expand, keep, matches

#: (PatientID, PatientName, StudyDescription) of the studies on the server; the decoys
#: differ from a target only where the query is widened.
STUDIES = [
    ("H10-0042", "Wang^Wei", "knee AP & lateral"),
    ("H10-0043", "Li^Na", "knee AP + lateral"),  # decoy: '&' and '+' both widen to '?'
    ("H11-0001", "Zhang^San", "膝关节 正位"),
    ("H11-0002", "Zhao^Si", "膝关节 侧位"),  # decoy: widened, the Chinese matches both
    ("H1%2A", "Percent^Literal", "100% done"),
    ("H12-0001", "Wang Wei", "name decoy"),  # decoy: '^' and ' ' both widen to '?'
]


# --- the query string, without a server -----------------------------------------------------


def test_wildcards_travel_raw() -> None:
    q = build_query({"PatientID": "H10-*", "AccessionNumber": "A?1"})
    assert q.text == "PatientID=H10-*&AccessionNumber=A?1"
    assert q.widened == {}
    name = build_query({"PatientName": "Wang^W*"})  # urllib3 would send '^' as %5E
    assert name.text == "PatientName=Wang?W*&includefield=PatientName"
    assert name.widened == {"PatientName": "Wang^W*"}


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("knee AP", "knee?AP"),
        ("a&b=c#d+e%f", "a?b?c?d?e?f"),
        ("膝关节 正位", "*"),
        ("ärzt*", "*"),
        ("tab\there", "tab?here"),
    ],
)
def test_characters_that_cannot_travel_raw_become_wildcards(value: str, sent: str) -> None:
    assert encode_value(value) == sent
    q = build_query({"StudyDescription": value})
    assert q.text == f"StudyDescription={sent}&includefield=StudyDescription"
    assert q.widened == {"StudyDescription": value}


def test_keys_cannot_smuggle_parameters() -> None:
    for key in ("PatientID&x=1", "Not A Keyword", "NoSuchKeyword", ""):
        with pytest.raises(ValueError, match="not a DICOM keyword or tag"):
            build_query({key: "1"})
    assert build_query({"00100020": "P1"}).text == "00100020=P1"
    with pytest.raises(ValueError, match="list of values"):
        build_query({"Modality": "CR\\DX"})
    assert expand({"Modality": "CR\\DX"}) == [{"Modality": "CR"}, {"Modality": "DX"}]


def test_client_side_check_uses_dicom_wildcards() -> None:
    assert matches("H10-*", "H10-0042") and not matches("H10-*", "H11-0001")
    assert matches("knee AP & lateral", "KNEE ap & LATERAL")  # Orthanc is case-insensitive
    assert not matches("knee AP & lateral", "knee AP + lateral")
    assert matches("a.b", "a.b") and not matches("a.b", "axb")  # regex characters are literal
    pn = {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Wang^Wei", "Ideographic": "王^伟"}]}}
    assert keep([pn], {"PatientName": "王^伟"}) == [pn]
    assert keep([pn], {"PatientName": "王^芳"}) == []


# --- against Orthanc ---------------------------------------------------------------------


def _need_orthanc() -> None:
    if orthanc_binary() is None or not Path(PLUGINS, "libOrthancDicomWeb.so").exists():
        message = "Orthanc or its DICOMweb plugin is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; .ci/run must apt-get install orthanc orthanc-dicomweb")
        pytest.skip(f"{message} (apt-get install orthanc orthanc-dicomweb); CI makes this fail")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    _need_orthanc()
    folder = tmp_path_factory.mktemp("qido-case")
    template = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    for i, (pid, name, description) in enumerate(STUDIES):
        ds = template.copy()
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientID, ds.PatientName, ds.StudyDescription = pid, name, description
        ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.save_as(folder / f"study{i}.dcm")
    # the example's configuration: "DefaultEncoding": "Utf8" (Latin1, Orthanc's default,
    # answers QIDO-RS with the Chinese descriptions dropped)
    config = json.loads((Path(__file__).parents[2] / "examples" / "orthanc.json").read_text())
    with OrthancServer(tmp_path_factory.mktemp("qido-orthanc"), base_config=config) as orthanc:
        case = open_case(folder, workspace=tmp_path_factory.mktemp("qido-ws"))
        result = push(case, "dicomweb+" + orthanc.dicomweb_url, auth=orthanc.auth)
        assert set(result["status"]) == {"stored"}
        yield orthanc


def _found(server: OrthancServer, **filters: str) -> list[str]:
    studies = list_studies("dicomweb+" + server.dicomweb_url, filters, auth=server.auth)
    return sorted(s["StudyDescription"] for s in studies)


def test_orthanc_reads_percent_encoding_literally(server: OrthancServer) -> None:
    """The trap itself: a client library's encoded wildcard finds nothing on Orthanc 1.10."""
    url, query = f"{server.dicomweb_url}/studies", {"PatientID": "H10-*"}
    answer = requests.get(url, params=query, auth=server.auth, timeout=10)
    assert "H10-%2A" in answer.url and answer.json() == []
    assert _found(server, PatientID="H10-*") == ["knee AP & lateral", "knee AP + lateral"]


def test_wildcards_match_on_the_server(server: OrthancServer) -> None:
    assert _found(server, PatientID="H10-004?") == ["knee AP & lateral", "knee AP + lateral"]
    assert _found(server, PatientID="H11-*", PatientName="Zh*") == ["膝关节 侧位", "膝关节 正位"]
    assert _found(server, PatientName="Wang^Wei") == ["knee AP & lateral"]
    assert _found(server, PatientName="wang^w*") == ["knee AP & lateral"]


def test_spaces_symbols_and_chinese_find_exactly_the_study(server: OrthancServer) -> None:
    assert _found(server, StudyDescription="knee AP & lateral") == ["knee AP & lateral"]
    assert _found(server, StudyDescription="knee AP + lateral") == ["knee AP + lateral"]
    assert _found(server, StudyDescription="膝关节 正位") == ["膝关节 正位"]
    assert _found(server, StudyDescription="膝关节*") == ["膝关节 侧位", "膝关节 正位"]
    assert _found(server, PatientID="H1%2A") == ["100% done"]  # a literal '%', not an escape
    assert _found(server, StudyDescription="knee AP") == []


def test_a_list_value_finds_each(server: OrthancServer) -> None:
    assert _found(server, PatientID="H10-0042\\H11-0002") == ["knee AP & lateral", "膝关节 侧位"]


def test_open_case_by_patient_wildcard(server: OrthancServer, tmp_path: Path) -> None:
    case = open_case("dicomweb+" + server.dicomweb_url, patient="H11-*", auth=server.auth,
                     workspace=tmp_path / "ws")  # fmt: skip
    assert sorted(case.instances["PatientID"]) == ["H11-0001", "H11-0002"]
