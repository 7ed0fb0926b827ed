"""The project's own contracts: layers, public API, environment.yml in step with pyproject."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import workbench

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN_IN_CORE = ("matplotlib", "ipywidgets", "nbconvert", "nbformat", "IPython")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the project's contracts on the package under *root*."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache",
         "--config", str(ROOT / "pyproject.toml")],
        cwd=root, capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": ""},
    )  # fmt: skip


def test_layers_are_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


VIOLATIONS = {
    # a plotting library inside a method of the core's façade
    "workbench/case.py": "\n\ndef _plot():\n    import matplotlib.pyplot  # noqa\n",
    # the core importing a widget helper
    "workbench/readiness/triage.py": (
        "\n\ndef _w():\n    from workbench.widgets import compare  # noqa\n"
    ),
    # an import hidden under TYPE_CHECKING
    "workbench/imaging/volume.py": (
        "\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from workbench.widgets.series_viewer import SeriesViewer  # noqa\n"
    ),
    # matplotlib in the terminal report's dependencies (render below cli is fine; core is not)
    "workbench/record/timeline.py": "\nimport matplotlib  # noqa\n",
    # the core reaching up to the façade
    "workbench/ingest/pipeline.py": (
        "\n\ndef _c():\n    from workbench.case import open_case  # noqa\n"
    ),
}


@pytest.mark.parametrize("module", sorted(VIOLATIONS))
def test_a_violation_of_the_layers_fails_the_build(tmp_path, module):
    shutil.copytree(ROOT / "workbench", tmp_path / "workbench",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    with (tmp_path / module).open("a", encoding="utf-8") as fh:
        fh.write(VIOLATIONS[module])
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, f"{module}: the violation passed\n{result.stdout[-2000:]}"
    assert "BROKEN" in result.stdout


def test_importing_the_core_pulls_in_no_upper_library():
    code = (
        "import sys, importlib, pkgutil, workbench\n"
        "core = ['case', 'organize', 'readiness', 'deid', 'pacs', 'view', 'imaging', 'record',"
        " 'ingest', 'dicom']\n"
        "for name in core:\n"
        "    m = importlib.import_module('workbench.' + name)\n"
        "    for info in pkgutil.walk_packages(getattr(m, '__path__', []), m.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
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


def test_importing_workbench_and_the_cli_loads_no_table_or_dicom_library():
    # start-up: argument parsing comes before pandas, pydicom and pydantic (lazy names)
    code = (
        "import sys, workbench, workbench.cli.main\n"
        "heavy = ('pandas', 'pydicom', 'pydantic', 'numpy', 'pyarrow', 'nbformat')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
        "assert workbench.open_case.__module__ == 'workbench.case'\n"
        "assert workbench.Case.__name__ == 'Case'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"eager imports: {out.stdout.strip()}"


def test_notebook_commands_skip_only_the_rfc3987_grammar():
    code = (
        "import sys\n"
        "from workbench.cli.main import _without_format_grammar\n"
        "_without_format_grammar()\n"
        "import nbformat\n"
        "from nbformat.v4 import new_notebook\n"
        "nbformat.validate(new_notebook())\n"
        "print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_the_lock_pins_every_declared_dependency_within_its_range():
    """A fresh machine installs only ``requirements.lock``: every requirement of
    pyproject.toml (core, ``fhir`` and ``dev``) is pinned there, inside its range, so a
    change of a range without ``make lock`` fails here, not on a coordinator's laptop."""
    import re

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock, re.M)
    pins = {canonicalize_name(name): version for name, version in found}
    extras = project["optional-dependencies"]
    declared = [*project["dependencies"], *extras["fhir"], *extras["dev"]]
    checked = 0
    for text in declared:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name == "workbench" or (req.marker and not req.marker.evaluate()):
            continue
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[name]}, outside {req.specifier}; "
            "run `make lock`"
        )
        checked += 1
    assert checked >= 20
