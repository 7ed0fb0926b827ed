"""One table of the speed targets from ``benchmarks/results/*.json``, each beside its peer.

Run after the benchmarks (``make bench`` does); prints the table and writes
``benchmarks/results/summary.md``. A result file that is missing is listed as not run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

Row = tuple[str, str, str, str, str, str]  # measurement, ours, peer, ratio, target, status


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def _status(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def startup(r: dict[str, Any]) -> list[Row]:
    s, q = r["seconds"], r["ratios_to_python"]
    peer = f"{s['python']['min_s']:.3f} s (python -c pass)"
    return [
        ("workbench --help", f"{s['help']['min_s']:.3f} s", peer,
         f"{q['help']['ratio_of_min']:.1f}x", f"<= {q['help']['target']:.0f}x",
         _status(q["help"]["ok"])),
        ("workbench ingest, 5 files", f"{s['ingest']['min_s']:.3f} s", peer,
         f"{q['ingest_5_files']['ratio_of_min']:.1f}x" + _cpu(q["ingest_5_files"]),
         f"<= {q['ingest_5_files']['target']:.0f}x", _status(q["ingest_5_files"]["ok"])),
        *_nbformat_rows(s, q, peer),
    ]  # fmt: skip


def _cpu(ratios: dict[str, Any]) -> str:
    """`` (CPU 24.0x)``: the ratio of CPU seconds, when the benchmark recorded them."""
    return f" (CPU {ratios['cpu_ratio_of_min']:.1f}x)" if "cpu_ratio_of_min" in ratios else ""


def _nbformat_rows(s: dict[str, Any], q: dict[str, Any], peer: str) -> list[Row]:
    if "nbformat_lean" not in s or "nbformat" not in s:
        return []
    return [
        ("import nbformat as notebook commands do", f"{s['nbformat_lean']['min_s']:.3f} s",
         f"{s['nbformat']['min_s']:.3f} s (plain import nbformat)",
         f"{s['nbformat_lean']['min_s'] / s['nbformat']['min_s']:.2f}", "-", "reported"),
        ("  the same against python -c pass", f"{s['nbformat_lean']['min_s']:.3f} s", peer,
         f"{q['import_nbformat_lean']['ratio_of_min']:.1f}x", "-", "reported"),
    ]  # fmt: skip


def ingest(r: dict[str, Any]) -> list[Row]:
    dd, cold, warm = r["dcmdump"], r["ingest_cold_workspace"], r["reingest_warm_workspace"]
    ratio, n = r["ratio_ingest_to_dcmdump"], r["machine"]["cpu_count"]
    par = dd.get(f"parallel_P{n}_files_per_s", 0.0)
    rows: list[Row] = [
        (f"first ingest, {r['case']['files']} files", f"{cold['files_per_s']:,.0f} files/s",
         f"{dd['files_per_s']:,.0f} files/s (dcmdump, 10 tags)", f"{ratio['value']:.2f}",
         f">= {ratio['target']}", _status(ratio["value"] >= ratio["target"])),
    ]  # fmt: skip
    if "target_vs_parallel" in ratio:
        rows.append(
            ("first ingest vs one dcmdump per core", f"{cold['files_per_s']:,.0f} files/s",
             f"{par:,.0f} files/s ({n} dcmdump)", f"{ratio['vs_parallel_dcmdump']:.2f}",
             f">= {ratio['target_vs_parallel']}",
             _status(ratio["vs_parallel_dcmdump"] >= ratio["target_vs_parallel"]))
        )  # fmt: skip
    rows.append(
        ("re-ingest", f"{warm['files_per_s']:,.0f} files/s", "-", "-",
         f">= {warm['target_files_per_s']:,}",
         _status(warm["files_per_s"] >= warm["target_files_per_s"]))
    )  # fmt: skip
    return rows


def _halvings(n: int) -> str:
    return f"{n} halving{'' if n == 1 else 's'}"


def first_view(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name, f in r["files"].items():
        levels = f" ({_halvings(f['levels'])})" if "levels" in f else ""
        rows.append(
            (f"first view {name} at {f['display_size']} px{levels}",
             f"{f['display_frame_s']['min']:.3f} s",
             f"{f['full_decode_s']['min']:.3f} s (full decode)",
             f"{f['ratio']:.2f} (CPU {f.get('cpu_ratio', float('nan')):.2f})",
             f"<= {f['target']}", _status(f["ok"]))
        )  # fmt: skip
        if "thumbnail_ratio" in f:
            rows.append(
                (f"thumbnail {name} at 96 px ({_halvings(f['thumbnail_levels'])})",
                 f"{f['thumbnail_96_s']['min']:.3f} s",
                 f"{f['full_decode_s']['min']:.3f} s (full decode)",
                 f"{f['thumbnail_ratio']:.2f}", f"<= {f['target']}",
                 _status(f["thumbnail_ok"]))
            )  # fmt: skip
    return rows


def notebook(r: dict[str, Any]) -> list[Row]:
    p = r.get("cli_pipeline_knee")
    if not p:
        return []
    ours, peer = p["workbench"], p["nbconvert"]
    rows: list[Row] = [
        ("notebook + execute + export (knee, CLI, case ingested)", f"{ours['total_s']:.1f} s",
         f"{peer['total_s']:.1f} s (jupyter nbconvert route)",
         f"{p['ratio_to_nbconvert_route']:.2f}", f"<= {p['target_s']:.0f} s",
         _status(p["ok"]))
    ]  # fmt: skip
    if "from_upload_s" in ours:
        rows.append(
            ("  the same from the upload (+ first ingest)", f"{ours['from_upload_s']:.1f} s",
             f"{peer['from_upload_s']:.1f} s (jupyter nbconvert route)",
             f"{ours['from_upload_s'] / peer['from_upload_s']:.2f}", "-", "reported")
        )  # fmt: skip
    if "pdf_s" in p:
        rows.append(("  optional PDF (--pdf, Chromium), apart", f"{p['pdf_s']:.1f} s", "-", "-",
                     "-", "reported"))  # fmt: skip
    return rows


def volume(r: dict[str, Any]) -> list[Row]:
    if "workbench_array_s" not in r or "sitk_s" not in r:
        return []
    n = r.get("ct_frames", "?")
    return [
        (f"CT volume read, {n} frames", f"{r['workbench_array_s']:.2f} s "
         f"({r['workbench_peak_over_volume']:.1f}x memory)",
         f"{r['sitk_s']:.2f} s ({r['sitk_peak_over_volume']:.1f}x memory, SimpleITK)",
         f"{r['workbench_array_s'] / r['sitk_s']:.2f}", "-", "reported")
    ]  # fmt: skip


SOURCES: list[tuple[str, Callable[[dict[str, Any]], list[Row]]]] = [
    ("startup.json", startup),
    ("ingest.json", ingest),
    ("first_view.json", first_view),
    ("notebook_cli.json", notebook),
    ("notebook.json", notebook),
    ("volume.json", volume),
]


def _newest_pipeline() -> str | None:
    """The notebook result file with the newer command-line pipeline (either can have it)."""
    found = [(d.get("generated", ""), n) for n in ("notebook_cli.json", "notebook.json")
             if (d := _load(n)) is not None and d.get("cli_pipeline_knee")]  # fmt: skip
    return max(found)[1] if found else None


def main() -> int:
    rows: list[Row] = []
    pipeline = _newest_pipeline()
    for name, make in SOURCES:
        if make is notebook and name != (pipeline or "notebook_cli.json"):
            continue
        data = _load(name)
        if data is None:
            rows.append((name, "not run", "", "", "", ""))
            continue
        found = make(data)
        machine = data.get("machine")
        loads = machine.get("loadavg_at_start") if isinstance(machine, dict) else None
        load = (loads or data.get("loadavg_at_start") or ["?"])[0]
        rows += [(*row[:5], f"{row[5]} (load {load})") for row in found]
    header: Row = ("measurement", "ours", "peer", "ratio", "target", "status")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    (RESULTS / "summary.md").write_text(
        "# Speed targets, each beside its peer\n\nMade by `benchmarks/summarize.py` from the "
        "JSON files beside it (`make bench`). Ratios are from the best runs of one "
        "benchmark run, the peer measured in the same run; load is the machine's load "
        "average when it started (2 cores).\n\n" + text
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
