"""The example notebooks in notebooks/ run top to bottom and are committed without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def _text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_example_notebook_runs(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(c.outputs or c.execution_count for c in code), "commit without outputs"
    monkeypatch.chdir(tmp_path)
    NotebookClient(nb, timeout=180, kernel_name="python3", store_widget_state=False).execute()
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    if path.name == "intake_form.ipynb":
        # the form saved case.yaml, and re-opening the case no longer reports the gap
        assert "Saved" in _text(code[1])
        assert "no_function" not in _text(code[2]) and "missing_report" in _text(code[2])
