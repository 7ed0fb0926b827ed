"""DICOMweb: push to a real Orthanc, read it back, and fail clearly on bad servers."""

from __future__ import annotations

import http.server
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest
import requests

sys.path.insert(0, str(Path(__file__).parents[1]))
from orthanc_server import PLUGINS, OrthancServer, free_port, orthanc_binary

from workbench.case import open_case
from workbench.errors import PacsError
from workbench.pacs.dicomweb import complete_marker, fetch_to_folder, push, split_url

SAMPLE = Path(__file__).parents[2] / "sample_cases" / "lumbar_spine_zh"
#: Columns that depend on where the files are, not on what they hold.
_LOCATION = ["path", "series_key", "study_key", "local", "file_key", "size", "mtime_ns"]


def _need_orthanc() -> None:
    missing = orthanc_binary() is None or not Path(PLUGINS, "libOrthancDicomWeb.so").exists()
    if missing:
        message = "Orthanc or its DICOMweb plugin is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; .ci/run must apt-get install orthanc orthanc-dicomweb")
        pytest.skip(f"{message} (apt-get install orthanc orthanc-dicomweb); CI makes this fail")


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    _need_orthanc()
    with OrthancServer(tmp_path_factory.mktemp("orthanc")) as server:
        yield server


@pytest.fixture(scope="module")
def folder_case(tmp_path_factory: pytest.TempPathFactory):
    if not SAMPLE.exists():
        pytest.skip("sample case lumbar_spine_zh not generated (make samples)")
    return open_case(SAMPLE, workspace=tmp_path_factory.mktemp("ws-folder"))


@pytest.fixture(scope="module")
def pushed(orthanc: OrthancServer, folder_case) -> pd.DataFrame:
    return push(folder_case, "dicomweb+" + orthanc.dicomweb_url, auth=orthanc.auth)


def _count(orthanc: OrthancServer) -> int:
    answer = requests.get(f"{orthanc.base_url}/statistics", auth=orthanc.auth, timeout=5)
    return int(answer.json()["CountInstances"])


def _comparable(table: pd.DataFrame, key: str = "SOPInstanceUID") -> pd.DataFrame:
    keep = [c for c in table.columns if c not in _LOCATION]
    out = table[keep].sort_values(key).reset_index(drop=True)
    return out.astype(object).where(out.notna(), None).astype("string")


# --- a real server -----------------------------------------------------------------------


def test_push_stores_each_instance_once(orthanc: OrthancServer, folder_case, pushed) -> None:
    assert (pushed["status"] == "stored").all(), pushed.to_string()
    assert len(pushed) == folder_case.instances["SOPInstanceUID"].nunique()
    again = push(folder_case, orthanc.dicomweb_url, auth=orthanc.auth)
    assert (again["status"] == "already_present").all()
    assert _count(orthanc) == len(pushed)


def test_open_over_dicomweb_matches_the_folder(
    orthanc: OrthancServer, folder_case, pushed, tmp_path: Path
) -> None:
    for n, study in enumerate(sorted(folder_case.instances["StudyInstanceUID"].unique())):
        cache = fetch_to_folder(
            f"dicomweb+{orthanc.dicomweb_url}", tmp_path / f"s{n}", study=study, auth=orthanc.auth
        )
        assert complete_marker(cache).is_file()
        remote = open_case(cache, workspace=tmp_path / f"ws{n}")
        local = folder_case.instances[folder_case.instances["StudyInstanceUID"] == study]
        pd.testing.assert_frame_equal(_comparable(remote.instances), _comparable(local))
        series = folder_case.series[folder_case.series["study_key"].isin(local["study_key"])]
        pd.testing.assert_frame_equal(
            _comparable(remote.series, "SeriesInstanceUID"),
            _comparable(series, "SeriesInstanceUID"),
        )
        by_sop = dict(
            zip(remote.instances["SOPInstanceUID"], remote.instances["path"], strict=True)
        )
        for row in local.itertuples():
            mine = pydicom.dcmread(folder_case.local_path(row.path))
            theirs = pydicom.dcmread(remote.local_path(by_sop[row.SOPInstanceUID]))
            assert np.array_equal(mine.pixel_array, theirs.pixel_array)
            assert str(theirs.PatientName) == str(mine.PatientName)  # GB18030 text survives


def test_fetch_by_patient_and_resume(
    orthanc: OrthancServer, folder_case, pushed, tmp_path: Path
) -> None:
    patient = str(folder_case.instances["PatientID"].iloc[0])
    cache = fetch_to_folder(
        orthanc.dicomweb_url, tmp_path / "c", patient=patient, auth=orthanc.auth
    )
    files = sorted(cache.glob("*/*/*.dcm"))
    assert len(files) == folder_case.instances["SOPInstanceUID"].nunique()
    lost = files[3].read_bytes()
    files[3].unlink()
    complete_marker(cache).unlink()
    fetch_to_folder(orthanc.dicomweb_url, tmp_path / "c", patient=patient, auth=orthanc.auth)
    assert files[3].read_bytes() == lost and complete_marker(cache).is_file()


def test_push_resumes_without_duplicates(orthanc: OrthancServer, tmp_path: Path) -> None:
    half = tmp_path / "half"
    files = sorted(SAMPLE.glob("DICOM/**/*.dcm")) if SAMPLE.exists() else []
    if not files:
        pytest.skip("sample case lumbar_spine_zh not generated")
    for n, path in enumerate(files):
        ds = pydicom.dcmread(path)
        ds.PatientID = "RESUME-1"
        ds.StudyInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["resume-study"])
        ds.SeriesInstanceUID = pydicom.uid.generate_uid(
            entropy_srcs=["resume", ds.SeriesInstanceUID]
        )
        ds.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["resume", str(n)])
        folder = tmp_path / "all" if n % 2 else half
        for target in {folder, tmp_path / "all"}:
            target.mkdir(exist_ok=True)
            ds.save_as(target / f"{n:03d}.dcm", enforce_file_format=True)
    before = _count(orthanc)
    first = push(
        open_case(half, workspace=tmp_path / "w1"), orthanc.dicomweb_url, auth=orthanc.auth
    )
    rest = push(
        open_case(tmp_path / "all", workspace=tmp_path / "w2"),
        orthanc.dicomweb_url,
        auth=orthanc.auth,
    )
    assert (first["status"] == "stored").all()
    assert set(rest.loc[rest["status"] == "already_present", "SOPInstanceUID"]) == set(
        first["SOPInstanceUID"]
    )
    assert (rest["status"] != "failed").all()
    assert _count(orthanc) - before == len(files)


def test_wrong_credentials(orthanc: OrthancServer, tmp_path: Path) -> None:
    with pytest.raises(PacsError, match=r"refused the credentials \(HTTP 401\).*user name"):
        fetch_to_folder(orthanc.dicomweb_url, tmp_path, patient="x", auth=("reviewer", "wrong"))


def test_credentials_in_the_url(orthanc: OrthancServer, folder_case, pushed, tmp_path) -> None:
    host = orthanc.dicomweb_url.replace("http://", f"dicomweb+http://{orthanc.user}:")
    url = host.replace("@", "%40").replace("127.0.0.1", f"{orthanc.password}@127.0.0.1", 1)
    assert split_url(url)[1] == orthanc.auth
    study = str(folder_case.instances["StudyInstanceUID"].iloc[0])
    assert complete_marker(fetch_to_folder(url, tmp_path / "u", study=study)).exists()


def test_unknown_study(orthanc: OrthancServer, tmp_path: Path) -> None:
    with pytest.raises(PacsError, match=r"has no study 1\.2\.3\.4; check the UID"):
        fetch_to_folder(orthanc.dicomweb_url, tmp_path, study="1.2.3.4", auth=orthanc.auth)


# --- servers that misbehave ---------------------------------------------------------------


def test_unreachable_server(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/dicom-web"
    with pytest.raises(PacsError, match=r"Cannot reach .*127\.0\.0\.1.*check the host and port"):
        fetch_to_folder(url, tmp_path, study="1.2.3")


class _Garbage(http.server.BaseHTTPRequestHandler):
    """Answers by the first path segment: json (malformed), truncated, missing."""

    instance = b""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        mode = self.path.split("/")[1]
        if mode == "missing":
            self.send_error(404)
        elif mode == "json":
            self._send(200, "application/dicom+json", b'[{"0020000D": {"vr": "UI", "Val')
        elif "/series/" in self.path:  # truncated: WADO-RS answer cut mid-part
            self.send_response(200)
            self.send_header(
                "Content-Type", 'multipart/related; type="application/dicom"; boundary=XyZ'
            )
            self.send_header("Connection", "close")
            self.end_headers()
            part = b"--XyZ\r\nContent-Type: application/dicom\r\n\r\n" + self.instance
            self.wfile.write(part[: len(part) // 2])
        elif "/instances" in self.path:
            item = {"00080018": {"vr": "UI", "Value": ["1.2.3.4.5"]}}
            item["0020000E"] = {"vr": "UI", "Value": ["1.2.3.4"]}
            self._send(200, "application/dicom+json", json.dumps([item]).encode())
        else:
            body = json.dumps([{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}]).encode()
            self._send(200, "application/dicom+json", body)

    def _send(self, code: int, kind: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def garbage_server() -> Iterator[str]:
    from pydicom.data import get_testdata_file

    _Garbage.instance = Path(str(get_testdata_file("CT_small.dcm"))).read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_malformed_json(garbage_server: str, tmp_path: Path) -> None:
    with pytest.raises(PacsError, match=r"sent a malformed answer while searching studies"):
        fetch_to_folder(f"{garbage_server}/json", tmp_path, study="1.2.3")


def test_not_a_dicomweb_root(garbage_server: str, tmp_path: Path) -> None:
    with pytest.raises(PacsError, match=r"HTTP 404.*ends with the DICOMweb root"):
        fetch_to_folder(f"{garbage_server}/missing", tmp_path, study="1.2.3")


def test_truncated_multipart_is_not_a_complete_case(garbage_server: str, tmp_path: Path) -> None:
    with pytest.raises(PacsError, match=r"cut its answer short.*run the same command again"):
        fetch_to_folder(f"{garbage_server}/cut", tmp_path / "c", study="1.2.3")
    assert not complete_marker(tmp_path / "c").exists()
    assert not list((tmp_path / "c").rglob("*.dcm"))


def test_not_a_dicomweb_url() -> None:
    with pytest.raises(PacsError, match="is not a DICOMweb address"):
        split_url("ftp://example/dicom-web")


def test_the_example_configuration_serves_dicomweb(tmp_path: Path, folder_case) -> None:
    """examples/orthanc.json, with this machine's folders and port, takes a push and a fetch."""
    _need_orthanc()
    example = json.loads((Path(__file__).parents[2] / "examples" / "orthanc.json").read_text())
    assert example["AuthenticationEnabled"] and example["DicomWeb"]["Enable"]
    with OrthancServer(tmp_path / "orthanc", base_config=example) as server:
        stored = push(folder_case, server.dicomweb_url, auth=server.auth)
        assert (stored["status"] == "stored").all()
        study = str(folder_case.instances["StudyInstanceUID"].iloc[0])
        fetch_to_folder(server.dicomweb_url, tmp_path / "cache", study=study, auth=server.auth)
        assert complete_marker(tmp_path / "cache").exists()


def test_push_command(orthanc: OrthancServer, folder_case, pushed, monkeypatch, capsys) -> None:
    import argparse

    from workbench.cli.push_cmd import push_main

    monkeypatch.setenv("WORKBENCH_PACS_USER", orthanc.user)
    monkeypatch.setenv("WORKBENCH_PACS_PASSWORD", orthanc.password)
    args = argparse.Namespace(source=SAMPLE, url="dicomweb+" + orthanc.dicomweb_url, workspace=None)
    assert push_main(args) == 0
    assert f"0 stored, {len(pushed)} already on the server, 0 failed" in capsys.readouterr().out
