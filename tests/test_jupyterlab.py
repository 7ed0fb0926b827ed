"""The case notebook in a real JupyterLab, driven by Playwright as a reviewer would use it.

Starts ``jupyter lab`` on a free loopback port (random token, its own root, settings,
workspaces, config and runtime folders in ``tmp_path``), writes the knee sample's case
notebook there, opens it in headless Chromium, runs Run ▸ Run All Cells, then scrolls the
MR study's :class:`~workbench.SeriesViewer` with the keyboard (slider handle focused,
ArrowRight) and checks that the image on screen changes. Needs the Debian ``chromium``
package and JupyterLab; skipped without them unless ``CI`` is set (then it fails).
"""

from __future__ import annotations

import importlib.util
import json
import os
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

import pytest

from workbench.export import chromium

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
#: Every code cell shows ``[n]:`` (none pending ``[*]:``, none unrun ``[ ]:``).
ALL_CELLS_RAN = r"""() => {
  const prompts = [...document.querySelectorAll(
    '.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')];
  return prompts.length > 0 && prompts.every(p => /^\[\d+\]:$/.test(p.textContent.trim()));
}"""
#: The image has a new, loaded ``src`` that stayed the same for 400 ms (renders settled).
IMAGE_SETTLED = r"""([img, old]) => {
  const now = performance.now();
  if (img.src === old || !img.complete || img.naturalWidth === 0) {
    window.__wbSeen = undefined;
    return false;
  }
  if (!window.__wbSeen || window.__wbSeen.src !== img.src) {
    window.__wbSeen = {src: img.src, at: now};
    return false;
  }
  return now - window.__wbSeen.at > 400;
}"""


def _need(what: str, missing: bool) -> None:
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed; CI must provide it")
    pytest.skip(f"{what} is not installed (CI makes this fail)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    """Pids of the processes under *pid* (kernels run in their own session)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
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

    def stop(self) -> None:
        """Shut down the server and its kernels; kill whatever is left of them."""
        pids = _descendants(self.process.pid) if self.process.poll() is None else set()
        if self.process.poll() is None:
            request = urllib.request.Request(self.url("api/shutdown"), method="POST")
            try:
                urllib.request.urlopen(request, timeout=5).close()
                self.process.wait(timeout=10)
            except (urllib.error.URLError, OSError, subprocess.TimeoutExpired):
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)
        for pid in pids:  # kernels left behind (their own process group)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[JupyterLab]:
    _need("Chromium (Debian package 'chromium')", chromium() is None)
    _need("JupyterLab", importlib.util.find_spec("jupyterlab") is None)
    _need("Playwright (Python package)", importlib.util.find_spec("playwright") is None)
    server = JupyterLab(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def test_viewer_scrolls_in_jupyterlab(lab: JupyterLab, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    import workbench
    from workbench.case import open_case
    from workbench.notebook import build_review_notebook

    # the notebook is written while the server starts
    case = open_case(workbench.samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    build_review_notebook(case, lab.notebooks / "review.ipynb")
    mr = case.studies.loc[case.studies["modality"] == "MR", "study_key"]
    assert len(mr) == 1
    viewer_source = f"SeriesViewer(case, study_key={mr.iloc[0]!r})"
    lab.wait_ready()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(lab.url("lab/tree/review.ipynb"))
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)

            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            page.wait_for_function(ALL_CELLS_RAN, timeout=60_000, polling=250)
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()

            errors = page.locator(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
            ).filter(has_text="Traceback")
            assert errors.count() == 0, errors.first.inner_text()
            assert page.locator(".jupyter-widgets-error-widget").count() == 0

            cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=viewer_source)
            assert cell.count() == 1
            slider = cell.locator(".widget-hslider")
            image = cell.locator("img.widget-image:has(+ .widget-hbox .widget-hslider)")
            readout = slider.locator(".widget-readout")
            image.wait_for(state="visible")
            image.scroll_into_view_if_needed()
            series = cell.locator("select").nth(1).evaluate("s => s.options[s.selectedIndex].text")
            assert "SAG PD FS" in series.replace("\xa0", " ")
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
            )
            before_src = image.get_attribute("src") or ""
            before_png = image.screenshot(path=str(tmp_path / "viewer_before.png"))
            start = int(readout.inner_text())
            assert before_src.startswith("blob:")

            handle = slider.locator(".noUi-handle")
            handle.focus()
            for _ in range(3):
                handle.press("ArrowRight")
            page.wait_for_function(
                "([el, want]) => el.textContent.trim() === want",
                arg=[readout.element_handle(), str(start + 3)],
            )
            page.wait_for_function(
                IMAGE_SETTLED, arg=[image.element_handle(), before_src], polling=100
            )
            after_src = image.get_attribute("src") or ""
            after_png = image.screenshot(path=str(tmp_path / "viewer_after.png"))
        finally:
            browser.close()

    assert after_src.startswith("blob:") and after_src != before_src
    assert after_png != before_png
    assert len(after_png) > 20_000  # a real frame, not a blank box
