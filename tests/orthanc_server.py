"""A real Orthanc with its DICOMweb plugin, on a free loopback port, for tests and benchmarks.

Debian: ``apt-get install orthanc orthanc-dicomweb``. The server gets a
temporary storage folder and a generated configuration: HTTP on 127.0.0.1 only,
authentication on with one test user, the DICOM port disabled, the plugins from
``/usr/share/orthanc/plugins``::

    with OrthancServer(tmp_path) as server:
        push(case, server.dicomweb_url, auth=server.auth)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import requests

PLUGINS = "/usr/share/orthanc/plugins"
USER, PASSWORD = "reviewer", "test-password-4711"


def orthanc_binary() -> str | None:
    """The Orthanc executable, or None when it is not installed."""
    return shutil.which("Orthanc") or (
        "/usr/sbin/Orthanc" if os.access("/usr/sbin/Orthanc", os.X_OK) else None
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OrthancServer:
    """Start Orthanc in *root* (storage, index, configuration, log); stop it on exit."""

    def __init__(
        self,
        root: Path,
        *,
        user: str = USER,
        password: str = PASSWORD,
        base_config: dict[str, object] | None = None,
    ) -> None:
        binary = orthanc_binary()
        if binary is None:
            raise FileNotFoundError("Orthanc is not installed (apt-get install orthanc)")
        self.binary = binary
        self.root = Path(root)
        self.user, self.password = user, password
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.base_config = dict(base_config or {})

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.base_url}/dicom-web"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)

    def config(self) -> dict[str, object]:
        """*base_config* (if any) with this server's folders, port, user and plugins."""
        own: dict[str, object] = {
            "Name": "workbench-test",
            "StorageDirectory": str(self.root / "storage"),
            "IndexDirectory": str(self.root / "index"),
            "StorageCompression": False,
            "HttpServerEnabled": True,
            "HttpPort": self.port,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {self.user: self.password},
            "DicomServerEnabled": False,
            "DicomPort": free_port(),
            "Plugins": self.base_config.get("Plugins", [PLUGINS]),
            "SaveJobs": False,
        }
        dicomweb = {
            "Enable": True,
            "Root": "/dicom-web/",
            "EnableWado": False,
            "StudiesMetadata": "MainDicomTags",
            "SeriesMetadata": "Full",
        }
        base = dict(self.base_config.get("DicomWeb") or {})  # type: ignore[call-overload]
        return {**self.base_config, **own, "DicomWeb": {**dicomweb, **base, "Ssl": False}}

    def start(self, timeout: float = 30) -> OrthancServer:
        """Write the configuration, start the server and wait until it answers."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "orthanc.json"
        path.write_text(json.dumps(self.config(), indent=2))
        log = (self.root / "orthanc.log").open("wb")
        self.process = subprocess.Popen(
            [self.binary, str(path)], stdout=log, stderr=subprocess.STDOUT, cwd=self.root
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start:\n{self.log_tail()}")
            try:
                answer = requests.get(f"{self.base_url}/system", auth=self.auth, timeout=1)
                if answer.ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Orthanc did not answer within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 10 s)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / "orthanc.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> OrthancServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
