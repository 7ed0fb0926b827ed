"""Refusals that protect the patient: template text, side conflicts, unsaved content,
and an edited notebook that `workbench notebook` would overwrite."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import nbformat
import pytest
from builders import knee_case_folder, write_pdf

from workbench.case import open_case
from workbench.cli.main import main
from workbench.errors import ExportError, NotebookExistsError
from workbench.export import freshness
from workbench.export.opinion import export_opinion
from workbench.notebook.build import ANSWER_PLACEHOLDER, build_review_notebook
from workbench.notebook.contract import CellTag, cell_meta, cell_tags, fingerprint


def answer_all(path: Path, *, sections: bool = True, keep: str = "") -> None:
    """Answer every question; write every section except *keep* in the reviewer's words."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell_meta(cell)
        if CellTag.ANSWER in cell_tags(cell):
            cell.source = cell.source.replace(ANSWER_PLACEHOLDER, "My answer.")
        elif sections and meta.get("template") and meta.get("section") != keep:
            cell.source = cell.source.split("\n", 1)[0] + "\n\nThe reviewer's own words."
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def knee(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("refusals")
    return open_case(knee_case_folder(root / "case"), workspace=root / "ws")


@pytest.fixture
def notebook(knee, tmp_path: Path) -> Path:
    return build_review_notebook(knee, tmp_path / "review.ipynb")


def test_every_cell_tag_is_a_celltag(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    used = {t for c in nb.cells for t in cell_tags(c)}
    assert used <= {str(t) for t in CellTag}
    assert CellTag.OPINION in used and CellTag.ANSWER in used and CellTag.FIGURE in used


def test_template_instructions_are_refused_naming_the_section(notebook: Path) -> None:
    answer_all(notebook, sections=False)
    with pytest.raises(ExportError) as info:
        export_opinion(notebook)
    message = str(info.value)
    for section in ("What the images show", "Do the images match the symptoms?",
                    "About the proposed treatment", "Options without surgery"):  # fmt: skip
        assert f"the section '{section}' still holds the template's instructions" in message
    assert "has no answer written" not in message


def test_instruction_left_beside_own_text_reflowed_is_still_refused(notebook: Path) -> None:
    answer_all(notebook, keep="options")
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if cell_meta(c).get("section") == "options")
    # the reviewer wrote text and kept the instruction, re-wrapped and without italics
    cell.source = ("## Options without surgery\n\nPhysiotherapy first.\n\nWhich non-surgical\n"
                   "options are   reasonable?")  # fmt: skip
    nbformat.write(nb, notebook)
    with pytest.raises(ExportError, match=r"section 'Options without surgery' still holds"):
        export_opinion(notebook)
    # the detection is the cell's own record, not the English sentence: drop it and it passes
    cell.metadata["workbench"]["template"] = [fingerprint("something else")]
    nbformat.write(nb, notebook)
    assert export_opinion(notebook).exists()


def test_template_text_is_recorded_as_fingerprints(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    images = next(c for c in nb.cells if cell_meta(c).get("section") == "images")
    assert cell_meta(images)["template"] == [fingerprint("Describe what the original images show.")]
    limits = next(c for c in nb.cells if cell_meta(c).get("section") == "limits")
    assert "template" not in cell_meta(limits)  # patient-facing text, not an instruction


@pytest.fixture(scope="module")
def conflict_case(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("conflict")
    folder = knee_case_folder(root / "case")
    write_pdf(folder / "xr_report.pdf", ["RADIOLOGY REPORT", "Exam date: 2024-03-10",
                                         "X-RAY LEFT KNEE"])  # fmt: skip
    case = open_case(folder, workspace=root / "ws")
    assert "side_conflict" in set(case.gaps["code"])
    return case


def _conflict_cell(nb):
    return next(c for c in nb.cells if CellTag.SIDE_CONFLICT in cell_tags(c))


def test_side_conflict_acknowledged_by_tag(conflict_case, tmp_path: Path) -> None:
    path = build_review_notebook(conflict_case, tmp_path / "review.ipynb")
    answer_all(path)
    with pytest.raises(ExportError, match=r"side conflict of study st-\w+ is not acknowledged"):
        export_opinion(path)
    nb = nbformat.read(path, as_version=4)
    _conflict_cell(nb).metadata["tags"].append(str(CellTag.SIDE_CHECKED))
    nbformat.write(nb, path)
    assert export_opinion(path).exists()


def test_side_conflict_box_ticked_counts_a_quoted_bracket_does_not(
    conflict_case, tmp_path: Path
) -> None:
    path = build_review_notebook(conflict_case, tmp_path / "review.ipynb")
    answer_all(path)
    nb = nbformat.read(path, as_version=4)
    cell = _conflict_cell(nb)
    cell.source = cell.source.replace("- [ ]", "`- [x` (ticked later)\n\n- [ ]")
    nbformat.write(nb, path)
    with pytest.raises(ExportError, match="not acknowledged"):
        export_opinion(path)
    cell.source = cell.source.replace("- [ ]", "- [x]")
    nbformat.write(nb, path)
    assert export_opinion(path).exists()


# --- unsaved content ------------------------------------------------------------------


def test_cli_refuses_a_newer_checkpoint_and_force_exports(notebook: Path, capsys) -> None:
    answer_all(notebook)
    checkpoint = freshness.checkpoint_of(notebook)
    checkpoint.parent.mkdir()
    checkpoint.write_text(notebook.read_text().replace("My answer.", "A newer answer."))
    later = notebook.stat().st_mtime + 60
    os.utime(checkpoint, (later, later))
    assert main(["export", str(notebook)]) == 2
    err = capsys.readouterr().err
    assert "review-checkpoint.ipynb" in err and "Ctrl+S" in err and "--force" in err
    assert main(["export", str(notebook), "--force"]) == 0
    # a checkpoint that only repeats the file (jupyter_server copies it on save) is fine
    checkpoint.write_bytes(notebook.read_bytes())
    os.utime(checkpoint, (later, later))
    assert main(["export", str(notebook)]) == 0


class _FakeServer(BaseHTTPRequestHandler):
    sessions: ClassVar[list[dict]] = []
    modified = ""

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != "token secret":
            self.send_response(403)
            self.end_headers()
            return
        body = (self.sessions if self.path.startswith("/api/sessions")
                else {"last_modified": self.modified})  # fmt: skip
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_open_in_a_running_server_with_later_kernel_activity(
    notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_all(notebook)
    server = HTTPServer(("127.0.0.1", 0), _FakeServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    info = {"url": f"http://127.0.0.1:{server.server_port}/", "token": "secret",
            "root_dir": str(notebook.parent), "pid": os.getpid()}  # fmt: skip
    (runtime / "jpserver-1.json").write_text(json.dumps(info))
    stamp = datetime.fromtimestamp(notebook.stat().st_mtime, UTC)
    _FakeServer.modified = stamp.isoformat()
    later = datetime.fromtimestamp(notebook.stat().st_mtime + 120, UTC).isoformat()
    _FakeServer.sessions = [{"path": "review.ipynb", "kernel": {"last_activity": later}}]
    try:
        with pytest.raises(
            ExportError, match=r"'review.ipynb' is open in JupyterLab .* kernel ran"
        ):
            export_opinion(notebook)
        assert export_opinion(notebook, force=True).exists()
        saved = {"last_activity": stamp.isoformat()}
        _FakeServer.sessions = [{"path": "review.ipynb", "kernel": saved}]
        assert export_opinion(notebook).exists()  # nothing ran after the save
    finally:
        server.shutdown()


def test_in_its_kernel_the_export_saves_first(
    notebook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel displays the save request; the front end's save (here: a thread that
    writes what JupyterLab holds) lands before the export reads the file."""
    import IPython.display

    answer_all(notebook, sections=False)  # the file on disk still has template text
    held = nbformat.read(notebook, as_version=4)
    for cell in held.cells:
        if cell_meta(cell).get("template") and CellTag.ANSWER not in cell_tags(cell):
            cell.source = cell.source.split("\n", 1)[0] + "\n\nWritten, not yet saved."
    shown = []

    def front_end(obj: object) -> None:
        shown.append(obj)
        threading.Timer(0.3, lambda: nbformat.write(held, notebook)).start()

    monkeypatch.setattr(freshness, "_kernel_session_path", lambda: notebook.resolve())
    monkeypatch.setattr(IPython.display, "display", front_end)
    html = export_opinion(notebook).read_text(encoding="utf-8")
    assert "Written, not yet saved." in html
    assert type(shown[0]).__name__ == "SaveRequest"


def test_in_its_kernel_no_save_means_a_refusal(
    notebook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython.display

    answer_all(notebook)
    monkeypatch.setattr(freshness, "_kernel_session_path", lambda: notebook.resolve())
    monkeypatch.setattr(IPython.display, "display", lambda obj: None)
    monkeypatch.setattr(freshness, "SAVE_TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(ExportError, match=r"did not save 'review.ipynb'.*\(Ctrl\+S\) first"):
        freshness.save_in_jupyterlab(notebook, timeout=0.5)
    assert time.monotonic() - started < 5
    assert export_opinion(notebook, save=False).exists()


def test_another_notebooks_kernel_does_not_wait(
    notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(freshness, "_kernel_session_path", lambda: tmp_path / "other.ipynb")
    assert freshness.save_in_jupyterlab(notebook) is False


# --- workbench notebook never overwrites an edited notebook ------------------------


def test_notebook_command_keeps_an_edited_notebook(knee, tmp_path: Path, capsys) -> None:
    out = tmp_path / "review.ipynb"
    args = ["notebook", str(knee.source), "--workspace", str(knee.workspace), "-o", str(out)]
    assert main(args) == 0
    assert main(args) == 0  # unedited: written again
    answer_all(out)
    edited = out.read_bytes()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "--force" in err and "edited" in err
    assert out.read_bytes() == edited
    assert main([*args, "--force"]) == 0
    assert ANSWER_PLACEHOLDER in out.read_text()


def test_build_refuses_a_file_that_is_not_a_case_notebook(knee, tmp_path: Path) -> None:
    other = tmp_path / "mine.ipynb"
    other.write_text("my own notes")
    with pytest.raises(NotebookExistsError, match=r"mine\.ipynb.*--force"):
        build_review_notebook(knee, other)
    assert other.read_text() == "my own notes"
