"""A real JupyterLab for the browser tests (and the reading-room benchmark).

:class:`JupyterLab` runs ``jupyter lab`` on a free loopback port with a random token and
everything it writes (settings, workspaces, config, runtime) under one folder; the
helpers open a notebook in Playwright's page, run all its cells and read back what the
reading-room viewer stores. The ``lab`` fixture (``tests/conftest.py``) starts one
server per test session.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "ALL_CELLS_RAN",
    "CHROMIUM_ARGS",
    "ROWS",
    "RUN_OVER",
    "STDERR",
    "TO_CLIENT",
    "WINDOWED",
    "JupyterLab",
    "need",
    "open_and_run",
    "open_notebook",
    "run_all_cells",
    "stored",
    "wait_stored",
]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
#: Every code cell shows ``[n]:`` (none pending ``[*]:``, none unrun ``[ ]:``).
ALL_CELLS_RAN = r"""() => {
  const prompts = [...document.querySelectorAll(
    '.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim());
  return prompts.length > 0 && prompts.every(p => /^\[\d+\]:$/.test(p));
}"""
#: Run All is over: every cell ran, or one failed (stderr output) and none is pending.
RUN_OVER = r"""stderr => {
  const prompts = [...document.querySelectorAll(
    '.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim());
  const ran = prompts.length > 0 && prompts.every(p => /^\[\d+\]:$/.test(p));
  return ran || (!prompts.includes('[*]:') && document.querySelector(stderr) !== null);
}"""


def need(what: str, missing: bool) -> None:
    """Skip without *what* (fail under ``CI``, which must provide it)."""
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed; CI must provide it")
    pytest.skip(f"{what} is not installed (CI makes this fail)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _processes() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, start time) of every process in /proc."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[int(stat.parent.name)] = (int(fields[1]), fields[19])
    return out


def _descendants(pid: int) -> dict[int, str]:
    """pid → start time of the processes under *pid* (kernels run in their own session)."""
    table = _processes()
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, started) in table.items():
            if ppid == parent and child not in found:
                found[child] = started
                todo.append(child)
    return found


class JupyterLab:
    """``jupyter lab`` in its own process group, with everything it writes under *root*."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.notebooks = root / "notebooks"
        self.notebooks.mkdir(parents=True)
        settings = root / "settings" / "@jupyterlab"
        news = {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}
        (settings / "apputils-extension").mkdir(parents=True)
        (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps(news)
        )
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log = open(root / "jupyterlab.log", "wb")  # noqa: SIM115 - closed in stop()
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(root / "config"),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "IPYTHONDIR": str(root / "ipython"),
        }
        cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.notebooks}", "--ServerApp.open_browser=False",
            "--ServerApp.allow_root=True", "--ServerApp.terminals_enabled=False",
            "--ServerApp.jpserver_extensions=jupyter_lsp=False",
            "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--LabApp.user_settings_dir={root / 'settings'}",
            f"--LabApp.workspaces_dir={root / 'workspaces'}",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}?token={self.token}"

    def log_tail(self) -> str:
        self.log.flush()
        return (self.root / "jupyterlab.log").read_text(errors="replace")[-3000:]

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"jupyter lab did not answer in {timeout} s:\n{self.log_tail()}")

    def end_sessions(self) -> None:
        """Shut down every kernel session (as closing the notebook and its kernel does)."""
        with urllib.request.urlopen(self.url("api/sessions"), timeout=5) as answer:
            sessions = json.loads(answer.read())
        for session in sessions:
            request = urllib.request.Request(self.url(f"api/sessions/{session['id']}"),
                                             method="DELETE")  # fmt: skip
            urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        """Shut down the server and its kernels; kill whatever is left of them."""
        pids = _descendants(self.process.pid) if self.process.poll() is None else {}
        if self.process.poll() is None:
            request = urllib.request.Request(self.url("api/shutdown"), method="POST")
            try:
                urllib.request.urlopen(request, timeout=5).close()
                self.process.wait(timeout=10)
            except (urllib.error.URLError, OSError, subprocess.TimeoutExpired):
                pass
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        alive = _processes()
        for pid, started in pids.items():  # kernels left behind (their own process group)
            if pid in alive and alive[pid][1] == started:  # the same process, not a reused pid
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.log.close()


#: Client (x, y) of full-resolution pixel (row, col) on the viewer's canvas.
TO_CLIENT = """([root, rc]) => {
  const v = root.wbViewer, a = v.slice.meta.aspect || 1;
  const p = v.matrix().transformPoint(new DOMPoint(rc[1] + 0.5, (rc[0] + 0.5) * a));
  const rect = v.canvas.getBoundingClientRect();
  return [rect.left + p.x * rect.width / parseFloat(v.canvas.style.width),
          rect.top + p.y * rect.height / parseFloat(v.canvas.style.height)];
}"""
#: The native-resolution windowed image (grey, one byte per pixel) and the window used.
WINDOWED = """root => {
  const v = root.wbViewer, c = v.image;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const grey = [];
  for (let i = 0; i < d.length; i += 4) grey.push(d[i]);
  return {w: c.width, h: c.height, grey, center: v.view.center, width: v.view.width,
          zoom: v.view.zoom, pan: v.view.pan, index: v.view.index};
}"""
ROWS = "([r, n]) => r.querySelectorAll('.wb-list tr[data-id]').length === n"


def stored(workspace: Path) -> list[dict]:
    """Every measurement in the workspace's ``measurements.json`` (none when unreadable)."""
    try:
        data = json.loads((workspace / "measurements.json").read_text())
    except (OSError, ValueError):
        return []
    return [m for frames in data["measurements"].values() for ms in frames.values() for m in ms]


def wait_stored(workspace: Path, count: int, timeout: float = 10.0) -> list[dict]:
    """The stored measurements once there are *count* of them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = stored(workspace)
        if len(found) == count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} stored measurements, found {stored(workspace)}")


@contextlib.contextmanager
def lab_page(width: int, height: int) -> Iterator[tuple[Any, list[str]]]:
    """A headless Chromium page of *width* x *height* for JupyterLab, and the console
    errors and page errors it logs (a list filled as they come); closed on leaving."""
    from playwright.sync_api import sync_playwright

    from workbench.export.opinion import chromium

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(30_000)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            yield page, problems
        finally:
            browser.close()


def open_notebook(page: Any, lab: JupyterLab, name: str, *, timeout: float = 60_000) -> Any:
    """Open notebook *name* in its own JupyterLab workspace; return the status bar's
    "Idle" locator once the kernel is idle."""
    # a workspace of its own, reset: no tab of another test's notebook comes back
    page.goto(lab.url(f"lab/workspaces/{Path(name).stem}/tree/{name}") + "&reset")
    idle = page.locator("#jp-main-statusbar").get_by_text(re.compile(r"^Python.*\| Idle$"))
    idle.wait_for(timeout=timeout)
    return idle


def run_all_cells(page: Any, idle: Any, *, timeout: float = 60_000) -> None:
    """Run ▸ Run All Cells, wait until the kernel is idle again; no cell may print a
    traceback and every code cell must have run."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(RUN_OVER, arg=STDERR, timeout=timeout, polling=250)
    idle.wait_for()
    errors = page.locator(STDERR).filter(has_text=re.compile(r"Traceback|\w+Error:"))
    assert errors.count() == 0, errors.first.inner_text()
    assert page.evaluate(ALL_CELLS_RAN), "Run All Cells did not run every cell"


def open_and_run(page: Any, lab: JupyterLab, name: str) -> Any:
    """Open notebook *name* in its own JupyterLab workspace, run all cells, return the
    viewer's root once it has painted (no cell may print a traceback)."""
    run_all_cells(page, open_notebook(page, lab, name))
    root = page.locator(".wb-viewer").first  # a layout holds several
    root.wait_for(state="visible")
    page.wait_for_function("r => r.wbViewer && r.wbViewer.slice && r.wbViewer.painted > 0",
                           arg=root.element_handle())  # fmt: skip
    return root
