"""The coordinator's command line runs the case notebook in a kernel it started early."""

from __future__ import annotations

import nbformat
import pytest

from workbench import open_case, samples
from workbench.cli.demo import apply_demo_review
from workbench.cli.main import main


@pytest.mark.slow
def test_notebook_execute_then_export_execute(tmp_path, capfd):
    source, ws, nb_path = samples.path("knee_oa_right"), tmp_path / "ws", tmp_path / "review.ipynb"
    assert main(["notebook", str(source), "-o", str(nb_path), "--workspace", str(ws),
                 "--execute"]) == 0  # fmt: skip
    out, err = capfd.readouterr()  # the kernel's own stderr too (fd level)
    assert "ran every cell" in out
    assert "without encryption" not in out + err  # CurveZMQ on the kernel's sockets
    nb = nbformat.read(nb_path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    # the kernel's start-up line left no trace: counts start at 1, no error, outputs present
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    apply_demo_review(open_case(source, workspace=ws), nb_path, "knee_oa_right")
    page = tmp_path / "opinion.html"
    assert main(["export", str(nb_path), "--execute", "-o", str(page)]) == 0
    assert "without encryption" not in "".join(capfd.readouterr())
    html = page.read_text(encoding="utf-8")
    assert '<figure class="key-image"' in html  # the key-image cell ran before the export
    assert "<script" not in html.lower()
    # the export prepared in a thread while the kernel ran makes the page the separate
    # command makes from the same executed notebook, byte for byte
    again = tmp_path / "again.html"
    assert main(["export", str(nb_path), "-o", str(again)]) == 0
    assert again.read_bytes() == page.read_bytes()


def test_export_execute_of_a_missing_notebook_names_it(tmp_path, capsys):
    missing = tmp_path / "nope.ipynb"
    assert main(["export", str(missing), "--execute"]) == 2
    assert "nope.ipynb" in capsys.readouterr().err


def test_export_execute_of_a_broken_notebook_is_refused_naming_it(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json", encoding="utf-8")
    assert main(["export", str(broken), "--execute"]) == 2
    err = capsys.readouterr().err
    assert "broken.ipynb" in err and "Cannot read notebook" in err
