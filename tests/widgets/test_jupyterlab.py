"""The case notebook in a real JupyterLab, driven by Playwright as a reviewer would use it.

Starts ``jupyter lab`` on a free loopback port (random token, its own root, settings,
workspaces, config and runtime folders in ``tmp_path``), writes the knee sample's case
notebook there, opens it in headless Chromium, runs Run ▸ Run All Cells, then scrolls the
MR study's :class:`~workbench.SeriesViewer` with the keyboard (slider handle focused,
ArrowRight) and checks that the image on screen changes. Needs the Debian ``chromium``
package and JupyterLab; skipped without them unless ``CI`` is set (then it fails).
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
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
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pytest
from PIL import Image

from workbench.export.opinion import chromium

if TYPE_CHECKING:
    from playwright.sync_api import Locator

pytestmark = pytest.mark.slow

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
#: The bytes behind the ``<img>``'s blob URL, base64.
BLOB_BYTES = """async img => {
  const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
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


class Shown(NamedTuple):
    """What the viewer's ``<img>`` shows: its blob URL, JPEG bytes, pixels, screenshot."""

    src: str
    jpeg: bytes
    pixels: np.ndarray
    screenshot: bytes


def _shown(image: Locator, path: Path) -> Shown:
    """Read the displayed image back from the browser (and save its screenshot to *path*)."""
    src = image.get_attribute("src") or ""
    jpeg = base64.b64decode(image.evaluate(BLOB_BYTES))
    pixels = np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"))
    return Shown(src, jpeg, pixels, image.screenshot(path=str(path)))


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
    from workbench.notebook.build import build_review_notebook

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
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.set_default_timeout(30_000)
            page.goto(lab.url("lab/tree/review.ipynb"))
            idle = page.locator("#jp-main-statusbar").get_by_text(re.compile(r"^Python.*\| Idle$"))
            idle.wait_for(timeout=60_000)

            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            page.wait_for_function(RUN_OVER, arg=STDERR, timeout=60_000, polling=250)
            idle.wait_for()

            errors = page.locator(STDERR).filter(has_text=re.compile(r"Traceback|\w+Error:"))
            assert errors.count() == 0, errors.first.inner_text()
            assert page.locator(".jupyter-widgets-error-widget").count() == 0
            assert page.evaluate(ALL_CELLS_RAN), "Run All Cells did not run every cell"

            cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=viewer_source)
            assert cell.count() == 1
            slider = cell.locator("img.widget-image + .widget-hbox .widget-hslider")
            image = cell.locator("img.widget-image:has(+ .widget-hbox .widget-hslider)")
            readout = slider.locator(".widget-readout")
            image.wait_for(state="visible")
            image.scroll_into_view_if_needed()
            series = cell.locator("select").nth(1).evaluate("s => s.options[s.selectedIndex].text")
            assert "SAG PD FS" in series.replace("\xa0", " ")
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
            )
            start = int(readout.inner_text())
            before = _shown(image, tmp_path / "viewer_before.png")

            def settled(want: int, previous: Shown, name: str) -> Shown:
                """Wait until the slider reads *want* and the new image stopped changing."""
                page.wait_for_function(
                    "([el, want]) => el.textContent.trim() === want",
                    arg=[readout.element_handle(), str(want)],
                )
                page.wait_for_function(
                    IMAGE_SETTLED, arg=[image.element_handle(), previous.src], polling=100
                )
                return _shown(image, tmp_path / f"{name}.png")

            handle = slider.locator(".noUi-handle")
            handle.focus()
            for _ in range(3):
                handle.press("ArrowRight")
            after = settled(start + 3, before, "viewer_after")

            cell.get_by_title("next slice").click()  # the ▶ button: kernel moves the slider
            last = settled(start + 4, after, "viewer_next")

            image.hover()  # one wheel notch over the image: one slice further (ipyevents)
            page.mouse.wheel(0, 120)
            wheeled = settled(start + 5, last, "viewer_wheel")
        finally:
            browser.close()

    for shown in (before, after, last):
        assert shown.src.startswith("blob:")
        assert shown.jpeg.startswith(b"\xff\xd8")  # the viewer's live image is JPEG
        assert shown.pixels.shape == (640, 640)  # DEFAULT_SIZE, square MR matrix
        assert shown.pixels.std() > 20  # an image, not a blank frame
    assert after.src != before.src
    assert after.jpeg != before.jpeg
    assert np.abs(after.pixels.astype(int) - before.pixels).mean() > 2  # another slice
    assert after.screenshot != before.screenshot
    assert last.jpeg != after.jpeg and last.screenshot != after.screenshot
    assert wheeled.jpeg != last.jpeg and wheeled.screenshot != last.screenshot


def test_export_in_the_kernel_saves_the_notebook_first(lab: JupyterLab) -> None:
    """An edit not yet saved reaches the file: the kernel's save request runs JupyterLab's
    save (workbench.export.freshness.save_in_jupyterlab) before the export reads it."""
    import nbformat
    from playwright.sync_api import sync_playwright

    path = lab.notebooks / "save.ipynb"
    note = nbformat.v4.new_markdown_cell("Old text.")
    run = nbformat.v4.new_code_cell(
        "from pathlib import Path\nfrom workbench.export.freshness import save_in_jupyterlab\n"
        "print('saved:', save_in_jupyterlab(Path('save.ipynb').resolve(), timeout=30))"
    )
    nb = nbformat.v4.new_notebook(cells=[note, run])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, path)
    lab.wait_ready()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(30_000)
            page.goto(lab.url("lab/tree/save.ipynb"))
            idle = page.locator("#jp-main-statusbar").get_by_text(re.compile(r"^Python.*\| Idle$"))
            idle.wait_for(timeout=60_000)
            markdown = page.locator(".jp-Notebook .jp-MarkdownCell").first
            markdown.dblclick()
            editor = markdown.locator(".cm-content")
            editor.click()
            page.keyboard.press("Control+End")
            page.keyboard.type(" Unsaved edit.")
            code = page.locator(".jp-Notebook .jp-CodeCell").first
            code.click()
            page.keyboard.press("Shift+Enter")
            page.locator(".jp-OutputArea-output").filter(has_text="saved:").wait_for(timeout=60_000)
            printed = page.locator(".jp-OutputArea-output").filter(has_text="saved:").inner_text()
        finally:
            browser.close()
    assert "saved: True" in printed
    assert "Unsaved edit." in path.read_text(encoding="utf-8")
