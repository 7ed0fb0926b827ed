"""Start-up of the command line, side by side with a bare interpreter start.

Run ``python benchmarks/bench_startup.py`` (or ``make bench``). Each round runs, one after
the other (so a busy machine slows all alike):

- ``python -c pass`` with the same interpreter (the peer);
- ``workbench --help``: argument parsing only (target: within 8x the peer);
- ``workbench ingest`` of a 5-file case (pydicom's CT, MR, RT plan, JPEG 2000 and
  ultrasound test files) into a new workspace (target: within 25x the peer);
- ``workbench ingest`` of the same case again (tables current: the re-open path);
- ``import nbformat`` as the notebook commands import it (through
  ``workbench.notebook.nbfile``, jsonschema's RFC 3987 grammar left out, one notebook
  validated with fastjsonschema), and plainly, for reference.

The minimum and the median of ``--repeat`` rounds are reported; ratios are taken from
the minima (the least disturbed runs) and from the medians. The CPU seconds (user +
system) of each command are recorded beside its wall time: on a busy machine they move
less, and their ratio says what the command itself costs. Figures are printed and
written to ``benchmarks/results/startup.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import machine, write_results

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "startup.json"
TARGET_HELP = 8.0
TARGET_INGEST = 25.0
CASE_FILES = ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm", "US1_J2KR.dcm")
#: nbformat as every notebook command loads it: through the package's notebook files module
#: (:mod:`workbench.notebook.nbfile`: no RFC 3987 grammar), one notebook checked
NBFORMAT_LEAN = (
    "import workbench.notebook.nbfile as f, nbformat; "
    "f.validate_notebook(nbformat.v4.new_notebook())"
)


def _workbench() -> list[str]:
    script = Path(sys.executable).with_name("workbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "workbench"]


def five_file_case(folder: Path) -> Path:
    from pydicom.data import get_testdata_file

    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(CASE_FILES):
        found = get_testdata_file(name)
        if found is None:
            raise SystemExit(f"pydicom test file {name} not found (install pydicom-data)")
        shutil.copy(str(found), folder / f"IM{i:04d}.dcm")
    return folder


def wall(cmd: list[str], cpu: list[float] | None = None) -> float:
    """Wall seconds of *cmd*; its CPU seconds (user + system) appended to *cpu*."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed


def summary(values: list[float]) -> dict[str, Any]:
    return {"min_s": min(values), "median_s": statistics.median(values), "runs_s": values}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds (default 7)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    wb = _workbench()
    runs: dict[str, list[float]] = {
        k: [] for k in ("python", "help", "ingest", "reingest", "nbformat_lean", "nbformat")
    }
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    with tempfile.TemporaryDirectory(prefix="wb-bench-startup-") as tmp:
        case = five_file_case(Path(tmp) / "case")
        wall([*wb, "--help"])  # byte-compile, warm the page cache
        for r in range(max(1, args.repeat)):
            ws = Path(tmp) / f"ws{r}"
            runs["python"].append(wall([sys.executable, "-c", "pass"], cpu["python"]))
            runs["help"].append(wall([*wb, "--help"], cpu["help"]))
            ingest = [*wb, "ingest", str(case), "--workspace", str(ws), "--no-progress"]
            runs["ingest"].append(wall(ingest, cpu["ingest"]))
            runs["reingest"].append(wall(ingest, cpu["reingest"]))
            lean = [sys.executable, "-c", NBFORMAT_LEAN]
            runs["nbformat_lean"].append(wall(lean, cpu["nbformat_lean"]))
            plain = [sys.executable, "-c", "import nbformat"]
            runs["nbformat"].append(wall(plain, cpu["nbformat"]))
    figures = {name: summary(values) for name, values in runs.items()}
    for name, values in cpu.items():  # CPU seconds: less moved by a busy machine than wall
        figures[name]["cpu_min_s"] = min(values)
        figures[name]["cpu_median_s"] = statistics.median(values)
    peer_min, peer_median = figures["python"]["min_s"], figures["python"]["median_s"]

    def ratio(name: str, target: float | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ratio_of_min": figures[name]["min_s"] / peer_min,
            "ratio_of_median": figures[name]["median_s"] / peer_median,
            "cpu_ratio_of_min": figures[name]["cpu_min_s"] / figures["python"]["cpu_min_s"],
        }
        if target is not None:
            out["target"] = target
            out["ok"] = out["ratio_of_min"] <= target
        return out

    results = {
        "generated": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "machine": machine(load),
        "peer": "python -c pass (same interpreter)",
        "case_files": list(CASE_FILES),
        "seconds": figures,
        "ratios_to_python": {
            "help": ratio("help", TARGET_HELP),
            "ingest_5_files": ratio("ingest", TARGET_INGEST),
            "reingest_5_files": ratio("reingest", None),
            "import_nbformat_lean": ratio("nbformat_lean", None),
            "import_nbformat": ratio("nbformat", None),
        },
    }
    print_table(results)
    write_results(args.output, results, 4)
    print(f"\nwritten: {args.output}")
    return 0


def print_table(r: dict[str, Any]) -> None:
    m, s, q = r["machine"], r["seconds"], r["ratios_to_python"]
    print(
        f"\n{m['cpu_count']} CPUs, Python {m['python']}, load average at start "
        f"{m['loadavg_at_start'][0]}"
    )
    print(
        f"\n{'command':<36} {'min s':>7} {'median s':>9} {'x python':>9} {'cpu s':>6} "
        f"{'cpu x':>6}  target"
    )
    rows = [
        ("python -c pass (peer)", "python", None),
        ("workbench --help", "help", "help"),
        ("workbench ingest (5 files, new)", "ingest", "ingest_5_files"),
        ("workbench ingest (5 files, again)", "reingest", "reingest_5_files"),
        ("import nbformat (no RFC 3987 grammar)", "nbformat_lean", "import_nbformat_lean"),
        ("import nbformat (plain)", "nbformat", "import_nbformat"),
    ]
    for label, key, rkey in rows:
        ratio = q[rkey]["ratio_of_min"] if rkey else 1.0
        cpu_ratio = q[rkey]["cpu_ratio_of_min"] if rkey else 1.0
        target = ""
        if rkey and "target" in q[rkey]:
            target = f"<= {q[rkey]['target']:.0f}x " + ("ok" if q[rkey]["ok"] else "ABOVE TARGET")
        print(
            f"{label:<36} {s[key]['min_s']:>7.3f} {s[key]['median_s']:>9.3f} {ratio:>8.1f}x "
            f"{s[key]['cpu_min_s']:>6.3f} {cpu_ratio:>5.1f}x  {target}"
        )


if __name__ == "__main__":
    sys.exit(main())
