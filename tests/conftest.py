"""Shared fixtures: real DICOM files from pydicom and pydicom-data, copied into tmp_path."""

from __future__ import annotations

import hashlib
import importlib.util
import multiprocessing
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_lab import JupyterLab, need
from pydicom.data import get_charset_files, get_testdata_file


def dicom_file(name: str) -> Path:
    """A pydicom test file (bundled or from pydicom-data), failing loudly when absent."""
    found = get_testdata_file(name) or (get_charset_files(name) or [None])[0]
    if found is None:
        raise FileNotFoundError(f"pydicom test file {name!r} not found; install pydicom-data")
    return Path(str(found))


def at_once(target: Callable[..., None], *arg_sets: tuple[Any, ...], timeout: float = 60) -> None:
    """Run ``target(*args)`` for each of *arg_sets* in forked processes started together
    (each waits for the others to be up), and check that every one exited cleanly."""
    context = multiprocessing.get_context("fork")
    start = context.Event()

    def run(*args: Any) -> None:
        start.wait(10)
        target(*args)

    procs = [context.Process(target=run, args=args) for args in arg_sets]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(timeout)
        assert proc.exitcode == 0, f"{proc.name} exited with {proc.exitcode}"


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under *folder* (links not followed)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def make_case(tmp_path: Path):
    """Copy named pydicom test files into a case folder: ``make_case("CT_small.dcm", ...)``."""

    def _make(*names: str, folder: str = "case") -> Path:
        root = tmp_path / folder
        root.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy2(dicom_file(name), root / name)
        return root

    return _make


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Default workspaces go to a temporary WORKBENCH_HOME, never the real home."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture
def full_decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the volume's full-frame decodes (every full pixel read goes through _decode)."""
    from workbench.imaging import volume

    calls: list[int] = []
    original = volume._decode

    def counting(source: object, index: int) -> object:
        calls.append(index)
        return original(source, index)

    monkeypatch.setattr(volume, "_decode", counting)
    return calls


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """One real JupyterLab for the session's browser tests (``browser_lab.py``); each test
    opens its own notebook in its own JupyterLab workspace."""
    from workbench.export.opinion import chromium

    need("Chromium (Debian package 'chromium')", chromium() is None)
    need("JupyterLab", importlib.util.find_spec("jupyterlab") is None)
    need("Playwright (Python package)", importlib.util.find_spec("playwright") is None)
    server = JupyterLab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.stop()
