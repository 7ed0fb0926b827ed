"""A fresh machine's first run: a clean terminal, honest skips, hints that name real commands."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import workbench
from workbench import hints, samples
from workbench.cli import demo
from workbench.cli.main import main
from workbench.errors import ExportError

ROOT = Path(__file__).resolve().parent.parent


class Terminal(io.StringIO):
    """A stream that says it is a terminal (tqdm then draws and erases its bar)."""

    def isatty(self) -> bool:
        return True


def screen(text: str) -> list[str]:
    """The lines a terminal shows for *text*: a carriage return goes back to column 0."""
    lines = []
    for raw in text.split("\n"):
        line: list[str] = []
        for part in raw.split("\r"):
            line[: len(part)] = part
        lines.append("".join(line).rstrip())
    return lines


def test_screen_keeps_what_a_terminal_keeps() -> None:
    assert screen("indexing 0%\r           \rCase: x\n") == ["Case: x", ""]
    assert screen("indexing 100%\nCase: x") == ["indexing 100%", "Case: x"]


def ingest(tmp_path: Path) -> int:
    source = str(samples.path("knee_oa_right"))
    return main(["ingest", source, "--workspace", str(tmp_path / "ws")])


def test_progress_bar_is_erased_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()  # stdout and stderr on one screen, as in a shell
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setattr(sys, "stderr", terminal)
    assert ingest(tmp_path) == 0
    written = terminal.getvalue()
    assert "indexing" in written  # the bar was drawn ...
    shown = [line for line in screen(written) if line]
    assert shown[0].startswith("Case: "), shown[:3]  # ... and nothing of it is left
    assert not any("indexing" in line or "file/s" in line for line in shown)


def test_no_progress_bar_in_a_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ingest(tmp_path) == 0  # captured streams are not terminals, like `make demo > log`
    out, err = capsys.readouterr()
    assert out.startswith("Case: ")
    assert "indexing" not in err and "\r" not in err and "%|" not in err, err[:200]


def backticked(text: str) -> list[str]:
    """The commands a message names (between backticks)."""
    return re.findall(r"`([^`]+)`", text)


def executable(word: str) -> str | None:
    """The file a shell runs for *word* (a path, or a name found on PATH)."""
    found = word if "/" in word else shutil.which(word)
    return found if found and os.access(found, os.X_OK) else None


def assert_opens_in_jupyterlab(command: str, notebook: Path) -> None:
    argv = shlex.split(command)
    assert executable(argv[0]), f"{argv[0]!r} in {command!r} is not a command"
    encrypted = "--KernelManager.transport_encryption=auto"  # the kernel's sockets, as make lab
    assert argv[1:-1] in (["lab", encrypted], ["-m", "jupyterlab", encrypted]), command
    assert Path(argv[-1]).resolve() == notebook.resolve(), command
    version = subprocess.run([*argv[:-1], "--version"], capture_output=True, text=True)
    assert version.returncode == 0, f"{command}: {version.stderr[-500:]}"


@pytest.mark.slow
def test_notebook_hints_open_and_export_that_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook = tmp_path / "reviews" / "knee review.ipynb"  # a space: the hint must quote it
    notebook.parent.mkdir()
    source = str(samples.path("knee_oa_right"))
    args = ["notebook", source, "-o", str(notebook), "--workspace", str(tmp_path / "ws")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "make lab" not in out  # opens the demo's notebook, not this one
    lab, export = backticked(out)
    assert_opens_in_jupyterlab(lab, notebook)
    argv = shlex.split(export)
    assert executable(argv[0]), export
    assert argv[-2] == "export" and Path(argv[-1]).resolve() == notebook.resolve(), export
    done = subprocess.run(argv, capture_output=True, text=True)  # finds it, refuses: no answers
    assert done.returncode == 2 and "has no answer written" in done.stderr, done.stderr


def test_notebook_says_how_to_export_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = workbench.open_case(samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    path = workbench.build_review_notebook(case, tmp_path / "my review.ipynb")
    first = nbformat.read(path, as_version=4).cells[0].source
    tag, call, shell = backticked(first)
    assert tag == "workbench-hide"
    assert call == "workbench.export_opinion('my review.ipynb')"
    assert shell == "workbench export 'my review.ipynb'"
    monkeypatch.chdir(tmp_path)  # JupyterLab runs the kernel in the notebook's folder
    with pytest.raises(ExportError, match="has no answer written"):
        eval(call, {"workbench": workbench})


def test_make_lab_opens_the_notebook_it_is_given() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    notebook = "/tmp/elsewhere/review.ipynb"
    dry = subprocess.run(["make", "-n", "-C", str(ROOT), "lab", f"NOTEBOOK={notebook}"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert f"jupyter lab --KernelManager.transport_encryption=auto '{notebook}'" in dry
    assert "workbench.cli.demo" not in dry  # the demo runs only for the demo's own notebook
    default = subprocess.run(["make", "-n", "-C", str(ROOT), "lab"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert (
        "lab --KernelManager.transport_encryption=auto 'workspace/knee_oa_right/review.ipynb'"
        in default
    )


@pytest.mark.slow
def test_demo_reports_what_it_made_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    nothing = tmp_path / "bin"
    nothing.mkdir()
    monkeypatch.setenv("PATH", str(nothing))  # no Chromium on PATH (nor anything else)
    assert demo.main(["knee_oa_right", "--workspace", str(tmp_path / "ws")]) == 0
    out, err = capfd.readouterr()  # file descriptors: the kernel's output is caught too
    folder = tmp_path / "ws" / "knee_oa_right"
    assert "without encryption" not in out + err  # the kernel's sockets are encrypted
    assert "indexing" not in err and "%|" not in err  # no bar frames in a log
    report = out[out.index("Done in ") :]
    made, rest = report.split("Skipped:\n")
    skipped, after = rest.split("Next:\n")
    assert f"opinion    {folder / 'opinion.html'}  (1 key image)" in made
    assert "pdf" not in made and not (folder / "opinion.pdf").exists()
    [line] = skipped.splitlines()  # the PDF only: the knee sample has a key image and answers
    assert line.startswith(
        "  pdf        Chromium is not installed (no chromium, chromium-browser, google-chrome "
        "on PATH); run `apt-get install chromium` (Debian, as root), then run `"
    )
    install, again = backticked(line)
    assert install == "apt-get install chromium"
    argv = shlex.split(again)
    assert executable(argv[0]) and argv[1:5] == ["-m", "workbench.cli.demo", "knee_oa_right",
                                                 "--workspace"]  # fmt: skip
    assert Path(argv[5]).resolve() == (tmp_path / "ws").resolve()
    lab = after.splitlines()[0].split(":  ")[1]
    assert_opens_in_jupyterlab(lab, folder / "review.ipynb")


def test_missing_sample_names_the_command_that_makes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(samples.SAMPLE_ROOT / "generate.py", tmp_path / "generate.py")
    monkeypatch.setattr(samples, "SAMPLE_ROOT", tmp_path)
    with pytest.raises(workbench.CaseNotFoundError) as missing:
        samples.path("lumbar_spine_zh")
    [command] = backticked(str(missing.value))
    argv = shlex.split(command)
    assert argv == [shlex.split(hints.python())[0], str(tmp_path / "generate.py")], command
    assert executable(argv[0]), command  # this environment's Python (test_samples runs it)
