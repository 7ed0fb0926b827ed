"""Two openers of one workspace, and a run killed half-way (issue 18, items 2 and 3).

Real processes: two ``open_case`` of one 2,000-member zip at once must both return
the complete case (the second waits for the first, with a message, then reads its
tables); a run killed with SIGKILL leaves nothing that the next open keeps.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from damage import tiny_dicom

from workbench.case import open_case
from workbench.errors import WorkspaceError
from workbench.workspace import LOCK_NAME, workspace_lock

_PLACEHOLDER = b"1.2.826.0.1.3680043.10.9999.888888"

_OPENER = """
import json, sys
from workbench.case import open_case
case = open_case(sys.argv[1], workspace=sys.argv[2])
print(json.dumps({"instances": len(case.instances), "files": len(case.files),
                  "kinds": sorted(set(case.problems["kind"])),
                  "paths": sorted(case.instances["path"])[:3]}))
"""


def _zip_of_tiny_dicoms(tmp_path: Path, n: int) -> Path:
    """A zip of *n* distinct tiny DICOM members (one template, a UID changed per member)."""
    template = tiny_dicom(tmp_path / "template.dcm", study_uid="1.2.3", series_uid="1.2.3.4")
    ds_bytes = template.read_bytes()
    import pydicom

    ds = pydicom.dcmread(template)
    uid = ds.SOPInstanceUID.encode()
    ds_bytes = ds_bytes.replace(uid + (b"\x00" if len(uid) % 2 else b""), _PLACEHOLDER)
    assert len(uid) + len(uid) % 2 == len(_PLACEHOLDER) or _PLACEHOLDER in ds_bytes
    archive = tmp_path / f"upload-{n}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            member = _PLACEHOLDER[:-6] + f"{i:06d}".encode()
            zf.writestr(f"CD/IMG{i:05d}.dcm", ds_bytes.replace(_PLACEHOLDER, member))
    template.unlink()
    return archive


def _opener(archive: Path, ws: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _OPENER, str(archive), str(ws)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_open_one_zip_at_once(tmp_path):
    archive = _zip_of_tiny_dicoms(tmp_path, 2000)
    ws = tmp_path / "ws"
    first, second = _opener(archive, ws), _opener(archive, ws)
    results = []
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert results[0] == results[1]
    assert results[0]["instances"] == 2000 and results[0]["files"] == 2001
    assert "zip_corrupt" not in results[0]["kinds"] and "unreadable" not in results[0]["kinds"]


def test_a_second_opener_waits_with_a_message(tmp_path):
    archive = _zip_of_tiny_dicoms(tmp_path, 20)
    ws = tmp_path / "ws"
    ws.mkdir()
    with workspace_lock(ws):
        proc = _opener(archive, ws)
        first_line: list[str] = []
        reader = threading.Thread(target=lambda: first_line.append(proc.stderr.readline()))
        reader.start()
        reader.join(timeout=120)  # the opener says it waits, and waits, while we hold the lock
        assert first_line and proc.poll() is None
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    message = first_line[0]
    assert "is in use by process" in message and str(ws) in message and "waiting" in message
    assert json.loads(out)["instances"] == 20


def test_a_lock_held_too_long_is_a_workspace_error(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from filelock import FileLock\n"
         f"lock = FileLock({str(ws / LOCK_NAME)!r}); lock.acquire(); print('held', flush=True)\n"
         "time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(WorkspaceError, match=r"still in use .* another folder"),
            workspace_lock(ws, timeout=0.3),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_run_leaves_nothing_the_next_open_keeps(tmp_path):
    archive = _zip_of_tiny_dicoms(tmp_path, 400)
    ws = tmp_path / "ws"
    proc = _opener(archive, ws)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it while it unpacks or scans
        if any((ws / "archives").glob("*.partial-*")) or (ws / "cache").exists():
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    (ws / "tables").mkdir(parents=True, exist_ok=True)
    (ws / "tables" / ".files.parquet.x1y2.tmp").write_bytes(b"half")  # as an atomic write leaves
    case = open_case(archive, workspace=ws)
    leftovers = [p for p in ws.rglob("*") if p.name.endswith(".tmp") or ".partial-" in p.name]
    assert leftovers == []
    clean = open_case(archive, workspace=tmp_path / "clean")
    assert len(case.instances) == len(clean.instances) == 400
    assert case.files.drop(columns=[]).equals(clean.files)
    assert case.problems.equals(clean.problems)


def test_a_short_wait_goes_unsaid_and_a_long_one_is_announced(tmp_path, capfd):
    """A notebook's kernel and the command running it re-open one case at the same moment:
    a wait of a fraction of a second is not worth a message."""
    ws = tmp_path / "ws"
    ws.mkdir()

    def holder(held: threading.Event, hold: float) -> None:
        with workspace_lock(ws):
            held.set()
            time.sleep(hold)

    for hold, said in ((0.3, False), (1.6, True)):
        held = threading.Event()
        thread = threading.Thread(target=holder, args=(held, hold))
        thread.start()
        held.wait(10)
        with workspace_lock(ws):  # waits for the holder (another open file description)
            pass
        thread.join()
        err = capfd.readouterr().err
        assert ("is in use by process" in err) is said, (hold, err)
