"""The project's own contracts: layers, public API, environment.yml in step with pyproject."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

import workbench

ROOT = Path(__file__).resolve().parent.parent

#: Modules of the core: no matplotlib, no ipywidgets, no nbconvert.
CORE = [
    "workbench.case", "workbench.ingest", "workbench.sources", "workbench.inventory",
    "workbench.dicom_header", "workbench.dicom_index", "workbench.dicomdir",
    "workbench.pixel_check", "workbench.vocab", "workbench.errors", "workbench.problems",
    "workbench.dicom_values", "workbench._pickle_cache",
    "workbench.workspace", "workbench.samples", "workbench.manifest", "workbench.documents",
    "workbench.records", "workbench.timeline", "workbench.readiness", "workbench.laterality",
    "workbench.triage", "workbench.summary", "workbench.organize", "workbench.comparison",
    "workbench.imaging", "workbench.geometry", "workbench.windowing", "workbench.viewer_state",
    "workbench.mpr", "workbench.measure", "workbench._series_frames", "workbench._bytecache",
    "workbench.deid", "workbench.deid_verify", "workbench.dicomweb", "workbench.deid_profile",
    "workbench.deid_keys", "workbench.deid_text", "workbench.deid_dicom",
    "workbench.deid_identifiers",
]  # fmt: skip
FORBIDDEN_IN_CORE = ("matplotlib", "ipywidgets", "nbconvert", "nbformat", "IPython")


def test_core_does_not_import_render_or_widgets():
    code = (
        "import sys, importlib\n"
        f"for m in {CORE!r}:\n"
        "    importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN_IN_CORE!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imports {out.stdout.strip()}"


def test_public_api_is_curated():
    public = {name for name in dir(workbench) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(workbench, name)).__name__ == "module"}
    assert set(workbench.__all__) == (public - modules) | {"samples"}
    assert len(workbench.__all__) <= 30
    for name in workbench.__all__:
        assert getattr(workbench, name).__doc__, f"{name} has no docstring"


def test_importing_workbench_stays_in_the_core():
    code = (
        "import sys, workbench; print(','.join(m for m in sys.modules if m.split('.')[0] in "
        f"{FORBIDDEN_IN_CORE!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _name(requirement: str) -> str:
    for sep in "<>=!~[; ":
        requirement = requirement.split(sep)[0]
    return requirement.lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    env_reqs = {r for r in pip if not r.startswith("-e")}
    assert env_reqs == set(project["dependencies"])
    assert "python=3.11" in env["dependencies"]


def test_python_m_workbench_runs():
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "--help"], capture_output=True, text=True, check=True
    )
    assert "ingest" in out.stdout
