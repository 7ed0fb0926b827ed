"""The intake form in a real JupyterLab: fill fields, click the pain map, save, reopen.

Uses the session's ``lab`` fixture (``tests/conftest.py``: JupyterLab on loopback,
headless Debian Chromium through Playwright).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from browser_lab import JupyterLab, lab_page, open_notebook, run_all_cells

from workbench.record.manifest import load_manifest

pytestmark = pytest.mark.slow


def _notebook(path: Path, case_dir: Path) -> None:
    nb = nbformat.v4.new_notebook()
    source = (
        "from workbench.widgets.intake_form import IntakeForm\n"
        f"form = IntakeForm({str(case_dir)!r})\nform"
    )
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_intake_form_with_pain_map_in_jupyterlab(lab: JupyterLab, tmp_path: Path) -> None:

    case_dir = tmp_path / "case"
    case_dir.mkdir()
    (case_dir / "case.yaml").write_text("case_id: PW-1\n", encoding="utf-8")
    _notebook(lab.notebooks / "intake.ipynb", case_dir)
    lab.wait_ready()

    with lab_page(1400, 1600) as (page, _):
        idle = open_notebook(page, lab, "intake.ipynb")

        def run_all() -> None:
            run_all_cells(page, idle)

        def field(name: str):
            return (
                page.locator(".widget-text")
                .filter(has=page.locator("label", has_text=re.compile(f"^{re.escape(name)}$")))
                .locator("input")
            )

        run_all()
        region = "svg.wb-body-map ellipse[data-region='{}'][data-side='{}']"
        knee = page.locator(region.format("knee_medial", "left"))
        knee.wait_for(state="visible")
        assert field("Case id").input_value() == "PW-1"

        field("Main concern").fill("Left inner knee pain on stairs")
        field("Walking distance (m)").fill("800")
        knee.click()  # chosen kind: pain (the default)
        page.locator(".wb-pain-kinds button[data-kind='numbness']").click()
        page.locator(region.format("calf", "right")).click()
        page.locator("svg.wb-body-map ellipse[data-region='lower_back']").click()
        page.wait_for_function(
            "n => document.querySelectorAll('svg.wb-body-map .wb-marked').length === n", arg=3
        )
        page.get_by_role("button", name="Save case.yaml").click()
        page.locator(".widget-html", has_text=re.compile("^Saved")).wait_for()

        saved, problems = load_manifest(case_dir / "case.yaml")
        assert problems == []
        assert saved.main_concern == "Left inner knee pain on stairs"
        assert saved.function is not None and saved.function.walking_distance_m == 800
        marks = {(m.region.value, m.side.value if m.side else None, m.kind.value)
                 for m in saved.pain_map}  # fmt: skip
        assert marks == {
            ("knee_medial", "left", "pain"),
            ("calf", "right", "numbness"),
            ("lower_back", None, "numbness"),
        }

        run_all()  # reopen: a new form from the saved case.yaml
        page.locator(region.format("knee_medial", "left") + "[data-kind='pain']").wait_for()
        assert page.locator("svg.wb-body-map .wb-marked").count() == 3
        assert field("Walking distance (m)").input_value() == "800"
        assert field("Main concern").input_value() == "Left inner knee pain on stairs"
