"""The ``workbench`` command ends without module teardown, and loses nothing doing so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_SCRIPT = """
import atexit, sys, threading, time
from pathlib import Path
from workbench.cli.shutdown import exit_now

out = Path(sys.argv[1])

def late_writer():  # a background writer still busy when the command is done
    time.sleep(0.3)
    out.write_text("written")

threading.Thread(target=late_writer, daemon=False).start()
from concurrent.futures import ThreadPoolExecutor
pool = ThreadPoolExecutor(2)  # idle workers: stopped by the interpreter's exit hook
pool.submit(lambda: None).result()
atexit.register(lambda: print("exit handler ran"))
sys.stdout.write("x" * 200_000 + "\\n")  # buffered, not yet flushed
exit_now(3)
"""


def test_exit_now_waits_runs_handlers_and_flushes(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path / "late.txt")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert (tmp_path / "late.txt").read_text() == "written"
    assert done.stdout.startswith("x" * 200_000 + "\n")
    assert done.stdout.rstrip().endswith("exit handler ran")


def test_the_command_line_still_exits_with_its_code(make_case, tmp_path: Path) -> None:
    case = make_case("CT_small.dcm", "MR_small.dcm")
    ws = tmp_path / "ws"
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "ingest", str(case), "--workspace", str(ws)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f"(tables in {ws / 'tables'})")
    assert (ws / "tables" / "instances.csv").read_text(encoding="utf-8-sig").count("\n") == 3
    missing = subprocess.run(
        [sys.executable, "-m", "workbench", "ingest", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 2
    assert "nowhere" in missing.stderr
