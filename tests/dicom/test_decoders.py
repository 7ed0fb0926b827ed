"""Decoder availability: pydicom's answer, remembered per environment in the workbench home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.dicom import decoders

SYNTAXES = [
    "1.2.840.10008.1.2",  # implicit VR little endian
    "1.2.840.10008.1.2.4.50",  # JPEG baseline
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
    "1.2.840.10008.1.2.5",  # RLE lossless
    "1.2.840.10008.5.1.4.1.1.2",  # CT Image Storage: a UID, but no transfer syntax
    "1.2.3.4.5",  # unknown
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(decoders, "_KNOWN", {})
    return tmp_path / "home"


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new process: nothing remembered in memory."""
    monkeypatch.setattr(decoders, "_KNOWN", {})


def test_answers_are_pydicoms_and_are_remembered(home: Path, monkeypatch) -> None:
    asked = {ts: decoders.syntax_support(ts) for ts in SYNTAXES}
    assert asked == {ts: decoders.ask_pydicom(ts) for ts in SYNTAXES}
    assert asked["1.2.840.10008.1.2"].available is True
    assert asked["1.2.3.4.5"].available is None
    assert asked["1.2.840.10008.5.1.4.1.1.2"].available is None
    assert "JPEG 2000" in asked["1.2.840.10008.1.2.4.90"].name
    assert (home / "cache" / decoders.CACHE_NAME).is_file()

    _forget(monkeypatch)

    def never(ts: str) -> decoders.SyntaxSupport:
        raise AssertionError(f"pydicom asked again about {ts}")

    monkeypatch.setattr(decoders, "ask_pydicom", never)
    assert {ts: decoders.syntax_support(ts) for ts in SYNTAXES} == asked


def test_a_changed_environment_asks_again(home: Path, monkeypatch) -> None:
    decoders.syntax_support(SYNTAXES[0])
    _forget(monkeypatch)
    monkeypatch.setattr(decoders, "environment_key", lambda: "another environment")
    asked = []
    real = decoders.ask_pydicom

    def counting(ts: str) -> decoders.SyntaxSupport:
        asked.append(ts)
        return real(ts)

    monkeypatch.setattr(decoders, "ask_pydicom", counting)
    assert decoders.syntax_support(SYNTAXES[0]).available is True
    assert asked == [SYNTAXES[0]]


def test_environments_sharing_a_home_keep_their_answers(home: Path, monkeypatch) -> None:
    """Two virtual environments, one workbench home: neither makes the other ask again."""
    for env in ("venv-a", "venv-b"):
        monkeypatch.setattr(decoders, "environment_key", lambda env=env: env)
        _forget(monkeypatch)
        decoders.syntax_support(SYNTAXES[0])

    def never(ts: str) -> decoders.SyntaxSupport:
        raise AssertionError(f"pydicom asked again about {ts}")

    monkeypatch.setattr(decoders, "ask_pydicom", never)
    for env in ("venv-a", "venv-b"):
        monkeypatch.setattr(decoders, "environment_key", lambda env=env: env)
        _forget(monkeypatch)
        assert decoders.syntax_support(SYNTAXES[0]).available is True


def test_only_the_last_environments_are_kept(home: Path, monkeypatch) -> None:
    monkeypatch.setattr(decoders, "ask_pydicom", lambda ts: decoders.SyntaxSupport(True, ts))
    for i in range(decoders.MAX_ENVIRONMENTS + 3):
        monkeypatch.setattr(decoders, "environment_key", lambda i=i: f"env-{i}")
        _forget(monkeypatch)
        decoders.syntax_support(SYNTAXES[0])
    stored = json.loads((home / "cache" / decoders.CACHE_NAME).read_text())
    kept = list(stored["data"]["environments"])
    assert kept == [f"env-{i}" for i in range(3, decoders.MAX_ENVIRONMENTS + 3)]


def test_environment_key_follows_installs(tmp_path: Path, monkeypatch) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(decoders, "_site_folders", lambda: [str(site)])
    before = decoders.environment_key()
    assert decoders.environment_key() == before
    (site / "pylibjpeg_openjpeg-2.4.0.dist-info").mkdir()  # a decoder plugin installed
    assert decoders.environment_key() != before


@pytest.mark.parametrize(
    "content",
    [b"not json", b'{"version": 2, "data": {"environments": 3}}', b'{"version": 2, "data": '
     b'{"environments": {"x": {"1.2.840.10008.1.2": {"available": "yes"}}}}}',
     b'{"version": 2, "data": {"environments": {"x": [1]}}}'],
)  # fmt: skip
def test_an_unusable_cache_is_not_trusted(home: Path, monkeypatch, content: bytes) -> None:
    file = home / "cache" / decoders.CACHE_NAME
    file.parent.mkdir(parents=True)
    file.write_bytes(content)
    monkeypatch.setattr(decoders, "environment_key", lambda: "x")
    assert decoders.syntax_support("1.2.840.10008.1.2") == decoders.ask_pydicom("1.2.840.10008.1.2")


def test_a_read_only_home_still_answers(home: Path, monkeypatch) -> None:
    home.mkdir()
    (home / "cache").write_text("a file where the cache folder would be")
    assert decoders.syntax_support("1.2.840.10008.1.2").available is True
