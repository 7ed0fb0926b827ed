"""A hostile DICOMweb server (issue 18, item 7), played by http.server in a thread.

Every answer has a total deadline and a size ceiling: a body trickling one byte at a
time and an endless body both end in a :class:`PacsError` naming the server; a
password never appears in a message or in the workspace; instances the QIDO answer did
not list (or listed under another study) are refused and the fetch is not complete.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest
from damage import tiny_dicom

from workbench.case import open_case
from workbench.errors import CaseNotFoundError, PacsError
from workbench.pacs.dicomweb import PacsLimits, complete_marker, fetch_to_folder

STUDY, SERIES = "1.2.826.0.1.3680043.10.77.1", "1.2.826.0.1.3680043.10.77.1.1"
FAST = PacsLimits(
    connect_timeout_s=2, read_timeout_s=2, json_deadline_s=1.0, json_bytes=256 * 1024,
    multipart_deadline_s=1.0, multipart_bytes=2 * 2**20, part_bytes=2**20,
)  # fmt: skip
BOUNDARY = "xyzBOUNDARYxyz"


class _State:
    mode = "ok"
    instances: ClassVar[dict[str, bytes]] = {}
    extra: bytes = b""


def _instance(tmp: Path, sop_study: str, name: str) -> tuple[str, bytes]:
    import pydicom

    path = tiny_dicom(tmp / name, study_uid=sop_study, series_uid=SERIES)
    return str(pydicom.dcmread(path).SOPInstanceUID), path.read_bytes()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forever(self, kind: str, unit: bytes, pause: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(10**12))
        self.end_headers()
        try:
            while True:
                self.wfile.write(unit)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            return

    def do_GET(self):
        mode = _State.mode
        path = self.path.split("?")[0]
        if path.endswith("/studies"):
            if mode == "json_trickle":
                return self._forever("application/dicom+json", b" ", 0.2)
            if mode == "json_endless":
                return self._forever("application/dicom+json", b"[" * 65536, 0)
            if mode == "echo":
                self.send_response(500)
                body = f"bad request from {self.headers.get('Authorization')}".encode()
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return None
            body = [{"0020000D": {"vr": "UI", "Value": [STUDY]}}]
            return self._send(json.dumps(body).encode(), "application/dicom+json")
        if path.endswith("/instances"):
            body = [
                {"00080018": {"vr": "UI", "Value": [sop]},
                 "0020000E": {"vr": "UI", "Value": [SERIES]}}
                for sop in sorted(_State.instances)
            ]  # fmt: skip
            return self._send(json.dumps(body).encode(), "application/dicom+json")
        kind = f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'
        if mode == "trickle":
            return self._forever(kind, b"x", 0.2)
        if mode == "endless":
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.end_headers()  # no length, no boundary ever: read until the ceiling
            try:
                self.wfile.write(
                    f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode()
                )
                while True:
                    self.wfile.write(b"\x00" * 65536)
            except OSError:
                return None
        parts = list(_State.instances.values())
        if mode == "unlisted":
            parts.append(_State.extra)
        if mode == "foreign":
            parts = [_State.extra]
        body = (
            b"".join(
                f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode() + p + b"\r\n"
                for p in parts
            )
            + f"--{BOUNDARY}--\r\n".encode()
        )
        return self._send(body, kind)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pacs")
    sop, data = _instance(tmp, STUDY, "listed.dcm")
    _State.instances = {sop: data}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/dicom-web"
    httpd.shutdown()


@pytest.fixture
def mode(server):
    def _set(name: str, extra: bytes = b"") -> str:
        _State.mode, _State.extra = name, extra
        return server

    yield _set
    _State.mode, _State.extra = "ok", b""


def test_a_well_behaved_server_still_works(mode, tmp_path):
    url = mode("ok")
    folder = fetch_to_folder(url, tmp_path / "cache", study=STUDY, limits=FAST)
    assert complete_marker(folder).exists() and len(list(folder.rglob("*.dcm"))) == 1


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("trickle", "not complete after 1 s"),
        ("json_trickle", "not complete after 1 s"),
        ("endless", "grew beyond"),
        ("json_endless", "grew beyond"),
    ],
)
def test_slow_or_endless_answers_end_in_a_pacs_error(mode, tmp_path, name, words):
    url = mode(name)
    start = time.monotonic()
    with pytest.raises(PacsError, match=words) as info:
        fetch_to_folder(url, tmp_path / "cache", study=STUDY, limits=FAST)
    assert time.monotonic() - start < 10
    assert url.split("/dicom-web")[0] in str(info.value)
    assert not complete_marker(tmp_path / "cache").exists()


def test_unlisted_instance_is_refused(mode, tmp_path):
    _, extra = _instance(tmp_path, STUDY, "unlisted.dcm")
    url = mode("unlisted", extra)
    with pytest.raises(PacsError, match="had not listed") as info:
        fetch_to_folder(url, tmp_path / "cache", study=STUDY, limits=FAST)
    stored = list((tmp_path / "cache").rglob("*.dcm"))
    assert len(stored) == 1 and stored[0].stem in _State.instances
    assert not complete_marker(tmp_path / "cache").exists()
    assert url.split("/dicom-web")[0] in str(info.value)


def test_instance_claiming_another_study_is_refused(mode, tmp_path):
    """The listed SOP Instance UID, but under a study the QIDO answer did not list."""
    import pydicom

    listed_sop = next(iter(_State.instances))
    path = tiny_dicom(tmp_path / "foreign.dcm", study_uid="1.2.826.0.1.3680043.10.77.2")
    ds = pydicom.dcmread(path)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = listed_sop
    ds.save_as(path)
    url = mode("foreign", path.read_bytes())
    with pytest.raises(PacsError, match="had not listed"):
        fetch_to_folder(url, tmp_path / "cache", study=STUDY, limits=FAST)
    assert list((tmp_path / "cache").rglob("*.dcm")) == []
    assert not complete_marker(tmp_path / "cache").exists()


def test_a_password_is_never_echoed(mode, tmp_path):
    url = mode("echo").replace("http://", "dicomweb+http://reviewer:S3cretPW@")
    ws = tmp_path / "ws"
    with pytest.raises(PacsError) as info:
        open_case(url, workspace=ws, study=STUDY)
    assert "S3cretPW" not in str(info.value) and "reviewer:" not in str(info.value)
    for path in ws.rglob("*"):
        if path.is_file():
            assert b"S3cretPW" not in path.read_bytes(), path
    plain = url.removeprefix("dicomweb+")  # given as a path by mistake
    with pytest.raises(CaseNotFoundError) as missing:
        open_case(plain, workspace=ws)
    assert "S3cretPW" not in str(missing.value)
