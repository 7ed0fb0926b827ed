"""A fresh machine's first run: a clean terminal, honest skips, hints that name real commands."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from workbench import samples
from workbench.cli import main


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
