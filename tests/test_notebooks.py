"""The example notebooks in notebooks/ run top to bottom and are committed without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_example_notebook_runs(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    assert all(
        not c.get("outputs") and not c.get("execution_count")
        for c in nb.cells
        if c.cell_type == "code"
    ), "commit notebooks without outputs"
    monkeypatch.chdir(tmp_path)
    NotebookClient(nb, timeout=180, kernel_name="python3", store_widget_state=False).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]


def test_intake_notebook_saves_and_clears_the_gap(tmp_path, monkeypatch):
    path = next(p for p in NOTEBOOKS if p.name == "intake_form.ipynb")
    nb = nbformat.read(path, as_version=4)
    monkeypatch.chdir(tmp_path)
    NotebookClient(nb, timeout=180, kernel_name="python3", store_widget_state=False).execute()
    status = nb.cells[3].outputs[0]["data"]["text/plain"]
    assert "Saved" in status
    gaps = nb.cells[4].outputs[0]["data"]["text/plain"]
    assert "no_function" not in gaps and "missing_report" in gaps
