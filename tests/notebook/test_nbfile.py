"""Notebook files: nbformat without the RFC 3987 grammar, and a strict check of user files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from workbench.errors import ExportError
from workbench.notebook import nbfile
from workbench.notebook.nbfile import read_notebook, validate_notebook, write_notebook


def _notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Case"), nbformat.v4.new_code_cell("1 + 1")]
    )
    return write_notebook(nb, tmp_path / "review.ipynb")


def test_a_valid_notebook_is_read_back(tmp_path):
    nb = read_notebook(_notebook(tmp_path))
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        (lambda d: d["cells"][0].update(cell_type="bogus"), "cells"),
        (lambda d: d["cells"][1].update(outputs="not a list"), "cells"),
        (lambda d: d["cells"][1].pop("source"), "cells"),
        (lambda d: d.pop("metadata"), "metadata"),
    ],
)
def test_a_malformed_notebook_from_a_user_is_refused_naming_the_file(tmp_path, damage, where):
    path = _notebook(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    damage(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    # nbformat's own reader only logs this; ours refuses, naming the file and the schema
    with pytest.raises(ExportError, match=r"'.*review\.ipynb' is not a valid notebook") as info:
        read_notebook(path)
    assert "nbformat 4 schema" in str(info.value)


def test_not_json_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ExportError, match=r"Cannot read notebook '.*broken\.ipynb'"):
        read_notebook(path)


def test_validate_catches_what_the_reviewer_broke_in_memory():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0]["execution_count"] = "seven"
    with pytest.raises(ExportError, match="not a valid notebook"):
        validate_notebook(nb, "mine.ipynb")


def test_notebook_modules_import_nbformat_without_the_rfc3987_grammar():
    # a fresh process: the notebook layer is imported first, as every command does
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "import workbench.notebook.build, workbench.notebook.nbfile as f\n"
        "import nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x')])\n"
        "nb.cells[0]['outputs'] = 'bad'\n"
        "try:\n"
        "    f.validate_notebook(nb)\n"
        "except Exception as exc:\n"
        "    refused = type(exc).__name__\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'), 'jsonschema' in sys.modules, refused)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "True", "ExportError"]


def test_writing_is_strict_and_leaves_no_file(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbfile.code_cell("x"), nbfile.markdown_cell("# y")])
    nb.cells[0]["outputs"] = [{"output_type": "nonsense"}]
    target = tmp_path / "out.ipynb"
    with pytest.raises(ExportError, match=r"out\.ipynb' is not a valid notebook.*Nothing was"):
        write_notebook(nb, target)
    assert not target.exists()


def test_cells_made_without_the_per_cell_check_match_nbformats_own():
    ours, theirs = nbfile.code_cell("1 + 1"), nbformat.v4.new_code_cell("1 + 1")
    assert set(ours) == set(theirs) and ours.outputs == [] and ours.execution_count is None
    mine, its = nbfile.markdown_cell("# a"), nbformat.v4.new_markdown_cell("# a")
    assert set(mine) == set(its) and mine.source == "# a"
    assert ours.id != nbfile.code_cell("1 + 1").id  # a fresh id for each cell
    validate_notebook(nbformat.v4.new_notebook(cells=[ours, mine]))
