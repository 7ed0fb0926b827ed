"""Every sample's case notebook runs top to bottom in a real kernel and exports cleanly."""

from __future__ import annotations

import nbformat
import pytest

from workbench import open_case, samples
from workbench.cli.demo import execute_notebook, prepare_notebook
from workbench.export.opinion import export_opinion


@pytest.mark.slow
@pytest.mark.parametrize("name", samples.names())
def test_case_notebook_runs_and_exports(name, tmp_path):
    case = open_case(samples.path(name), workspace=tmp_path / "ws")
    path = execute_notebook(prepare_notebook(case, tmp_path / "review.ipynb", name))
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert "widgets" not in nb.metadata  # widget state is never stored
    mimes = {m for o in outputs for m in o.get("data", {})}
    assert "image/png" in mimes  # viewers and key images survive as static images
    viewers = [c for c in nb.cells if "Viewer(" in c.source]
    assert viewers, "one viewer per study"
    page = export_opinion(path, tmp_path / "opinion.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    if case.manifest.questions:
        assert case.manifest.questions[0][:20] in page


@pytest.mark.slow
def test_a_kernel_left_to_shut_down_later_is_shut_down(tmp_path):
    """``shutdown="later"`` (the export's): the outputs are written at once, the kernel
    goes away in a thread while the command makes the page."""
    import threading

    from workbench.notebook import FULL_COLLECTION_EVERY
    from workbench.notebook.kernel import start_kernel
    from workbench.notebook.run import execute_notebook

    path = tmp_path / "one.ipynb"
    # the batch kernel collects fully less often, and its start-up line left no name
    cell = "6 * 7, __import__('gc').get_threshold()[2], 'gc' in dir()"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)]), path)
    kernel = start_kernel(tmp_path)
    execute_notebook(path, kernel=kernel, shutdown="later")
    cell = nbformat.read(path, as_version=4).cells[0]
    assert cell.outputs[0]["data"]["text/plain"] == f"(42, {FULL_COLLECTION_EVERY}, False)"
    assert cell.execution_count == 1
    for thread in threading.enumerate():
        if thread.name == "kernel-shutdown":
            thread.join(timeout=30)
    assert not kernel.manager.is_alive()
