"""The source registry: local readers by path, remote readers by URL prefix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench import open_case, samples
from workbench.ingest import registry
from workbench.ingest.pipeline import resolve_source
from workbench.ingest.registry import SourceKind


def test_local_readers_claim_folder_zip_and_dicomdir(tmp_path):
    folder = samples.path("knee_oa_right")
    assert resolve_source(folder).kind is SourceKind.FOLDER
    upload = samples.path("messy_upload")
    assert resolve_source(upload).kind is SourceKind.ZIP
    cd = tmp_path / "cd"
    cd.mkdir()
    shutil.copy(upload, cd / "DICOMDIR;1")  # an ISO 9660 name claims by name alone
    resolved = resolve_source(cd / "DICOMDIR;1")
    assert resolved.kind is SourceKind.DICOMDIR and resolved.root == cd.resolve()


def test_a_registered_remote_reader_opens_its_prefix(tmp_path, monkeypatch):
    calls: list[tuple[str, dict[str, object]]] = []

    def fetch(url: str, workspace: object, **options: object) -> tuple[Path, Path]:
        calls.append((url, options))
        return samples.path("knee_oa_right"), tmp_path / "ws"

    monkeypatch.setattr(registry, "_REMOTE", dict(registry._REMOTE))
    registry.register_remote("test+", fetch)
    case = open_case("test+memory://study", study="1.2.3")
    assert calls == [("test+memory://study", {"study": "1.2.3", "patient": None, "auth": None})]
    assert len(case.studies) and case.workspace == tmp_path / "ws"


def test_dicomweb_is_registered_by_the_facade():
    assert registry.remote_reader_for("dicomweb+http://127.0.0.1:1/dicom-web") is not None
    assert registry.remote_reader_for(Path("dicomweb+http")) is None


def test_a_plain_file_is_refused_with_the_fix(tmp_path):
    lone = tmp_path / "report.txt"
    lone.write_text("x")
    with pytest.raises(Exception, match="single file, not a case"):
        resolve_source(lone)
