"""A full, read-only or foreign workspace is the workspace's fault, never an original's.

ENOSPC and friends are simulated by making the writer raise ``OSError(errno.ENOSPC)``
(no tmpfs needed): the result must be one :class:`WorkspaceError` sentence naming the
workspace and what to free, exit code 2 from the CLI, and nothing recorded or cached
about the originals, so the next open after space is freed is a clean ingest.
"""

from __future__ import annotations

import errno
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet
import pytest
from damage import tiny_dicom

from workbench.case import open_case
from workbench.cli.main import main
from workbench.errors import WorkspaceError
from workbench.ingest import sources
from workbench.workspace import remove_stale_temps, workspace_error


def _folder(tmp_path: Path, n: int = 3) -> Path:
    root = tmp_path / "case"
    for i in range(n):
        tiny_dicom(root / f"IM{i}.dcm", instance=i)
    return root


def _zip(tmp_path: Path, n: int = 5) -> Path:
    folder = _folder(tmp_path / "src", n)
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, f"CD/{path.name}")
    return archive


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "is full"),
        (errno.EDQUOT, "quota"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_the_message_names_the_workspace_and_the_fix(tmp_path, code, words):
    err = workspace_error(tmp_path / "ws", OSError(code, "x"))
    text = str(err)
    assert isinstance(err, WorkspaceError) and isinstance(err, OSError) and err.errno == code
    assert str(tmp_path / "ws") in text and words in text and "--workspace" in text
    assert text.count(". ") == 0 and text.endswith(")."), "one sentence"


def test_disk_full_while_writing_tables_of_a_folder(tmp_path, monkeypatch, capsys):
    root = _folder(tmp_path)
    ws = tmp_path / "ws"
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _disk_full)
    monkeypatch.setattr(pyarrow.parquet, "write_table", _disk_full)  # the writer used
    with pytest.raises(WorkspaceError, match=r"is full .* free space"):
        open_case(root, workspace=ws)
    assert main(["ingest", str(root), "--workspace", str(ws), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("workbench: The workspace") and str(ws.resolve()) in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    monkeypatch.undo()
    case = open_case(root, workspace=ws)
    assert len(case.instances) == 3 and case.problems.empty


def test_disk_full_while_unpacking_is_not_a_corrupt_zip(tmp_path, monkeypatch):
    archive = _zip(tmp_path)
    ws = tmp_path / "ws"
    real = sources._copy_member
    calls = {"n": 0}

    def copy_member(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(sources, "_copy_member", copy_member)
    with pytest.raises(WorkspaceError, match="is full"):
        open_case(archive, workspace=ws)
    monkeypatch.undo()
    case = open_case(archive, workspace=ws)  # space freed: nothing of the failure remains
    assert len(case.instances) == 5
    assert "zip_corrupt" not in set(case.problems["kind"])
    assert not list((ws / "archives").glob("*.partial-*"))


def test_disk_full_inside_the_member_writer(tmp_path, monkeypatch):
    """The real writer (not a patched copier) hitting ENOSPC on write()."""
    archive = _zip(tmp_path)
    real_open = sources._open_for_writing

    class FullFile:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    from contextlib import contextmanager

    @contextmanager
    def open_full(dest):
        with real_open(dest) as fh:
            yield FullFile(fh)

    monkeypatch.setattr(sources, "_open_for_writing", open_full)
    with pytest.raises(WorkspaceError, match="is full"):
        open_case(archive, workspace=tmp_path / "ws")


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_read_only_or_foreign_workspace(tmp_path, monkeypatch, code):
    root = _folder(tmp_path)
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(code, "refused")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(WorkspaceError) as info:
        open_case(root, workspace=tmp_path / "ws")
    assert str((tmp_path / "ws").resolve()) in str(info.value)


def test_temporary_files_of_an_interrupted_run_are_removed(tmp_path):
    root = _folder(tmp_path)
    ws = tmp_path / "ws"
    open_case(root, workspace=ws)
    stale = [
        ws / "tables" / ".files.parquet.abc123.tmp",
        ws / "cache" / ".scan.json.zz.tmp",
        ws / "dicomweb" / "k" / "1.2" / "3.4" / ".part-xyz",
    ]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half-written")
    (ws / "archives" / "abc.partial-4242" / "m").mkdir(parents=True)
    case = open_case(root, workspace=ws)
    assert len(case.instances) == 3
    assert not any(p.exists() for p in stale)
    assert not (ws / "archives" / "abc.partial-4242").exists()
    assert remove_stale_temps(ws) == 0


def test_a_full_disk_writing_the_notebook_is_exit_2_not_a_traceback(tmp_path, monkeypatch, capsys):
    import nbformat

    root = _folder(tmp_path)
    out = tmp_path / "out" / "review.ipynb"

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out))

    monkeypatch.setattr(nbformat, "write", full)
    code = main(["notebook", str(root), "-o", str(out), "--workspace", str(tmp_path / "ws")])
    assert code == 2
    err = capsys.readouterr().err
    assert "is full" in err and str(out.parent) in err and "Traceback" not in err


def test_a_finished_workspace_this_user_may_only_read_still_opens(tmp_path, monkeypatch):
    from filelock import FileLock

    root = _folder(tmp_path)
    ws = tmp_path / "ws"
    open_case(root, workspace=ws)

    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(ws / ".workbench.lock"))

    monkeypatch.setattr(FileLock, "acquire", refuse)
    case = open_case(root, workspace=ws)  # the tables are current: nothing to write
    assert len(case.instances) == 3
