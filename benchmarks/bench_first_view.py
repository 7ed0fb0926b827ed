"""First view of a JPEG 2000 image at display size: reduced decode vs the full decode.

Run ``python benchmarks/bench_first_view.py`` (or ``make bench``). For each pydicom-data
JPEG 2000 file, in fresh volumes (nothing cached), one after the other in each round:

- the peer: ``Volume.frame(0)``, the full-resolution decode (what the first view cost
  before: decode everything, then average it down);
- ``Volume.display_frame(0, max_size)``, the first view at display size (1,000 pixels for
  the radiographs): a reduced-resolution decode of the codestream (target: at most 0.35x
  the full decode of the same file);
- a series-picker thumbnail (96 pixels) without and after a full decode (target: the
  thumbnail, too, at most 0.35x the full decode).

What "first view" means here: the image at the display size the viewer asks for, decoded
from the codestream's own lower resolution (``levels`` halvings, as many as fit; the
rest of the reduction by area). Every file here is larger than its display size (the
radiographs 1,760 to 1,955 rows at 1,000 pixels; the 1,024-row MR at 512, the size its
viewport has), so every first view is a reduced decode; an image already at or below
its display size would be shown from its full decode, and only its thumbnail reduced.
OpenJPEG decodes with one thread per core (``OPJ_NUM_THREADS``, set by the workbench
unless the user did), as gdcm's full decode does; the figures record the value.

Wall times and CPU times (all threads: gdcm's full JPEG 2000 decode uses both cores,
OpenJPEG's reduced decode through Pillow one) are both reported; on a busy machine the
CPU ratio moves least.

The reduced image is compared with the area mean of the full decode (mean absolute
difference as a share of the value range). Minimum and median of ``--repeat`` rounds;
ratios from the minima. Figures go to ``benchmarks/results/first_view.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_common import machine, write_results

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "first_view.json"
sys.path.insert(0, str(ROOT))
TARGET_RATIO = 0.35
#: (pydicom-data file, display size)
FILES = (
    ("RG1_J2KR.dcm", 1000),
    ("RG1_J2KI.dcm", 1000),
    ("RG3_J2KR.dcm", 1000),
    ("MR2_J2KR.dcm", 512),
)


CPU: list[float] = []


def timed(fn: Any) -> tuple[float, Any]:
    """Wall seconds of *fn* (its CPU seconds, all threads, are appended to :data:`CPU`)."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    CPU.append(time.process_time() - c0)
    return wall, out


def one_file(name: str, size: int, repeat: int) -> dict[str, Any]:
    from pydicom.data import get_testdata_file

    from workbench.imaging.reduced import levels_for
    from workbench.imaging.volume import area_reduce, load_files, reduction_factor
    from workbench.render.frame import thumbnail

    path = get_testdata_file(name)
    if path is None:
        raise SystemExit(f"{name} not found: install pydicom-data")
    full_s, reduced_s, thumb_s, thumb_full_s = [], [], [], []
    full_cpu, reduced_cpu = [], []
    reduced = full = None
    for _ in range(max(1, repeat)):
        t, full = timed(lambda: load_files([path]).frame(0))
        full_s.append(t)
        full_cpu.append(CPU[-1])
        t, reduced = timed(lambda: load_files([path]).display_frame(0, size))
        reduced_s.append(t)
        reduced_cpu.append(CPU[-1])
        t, _ = timed(lambda: thumbnail(load_files([path]), size=96))
        thumb_s.append(t)
        volume = load_files([path])
        t, _ = timed(lambda v=volume: (v.frame(0), thumbnail(v, size=96)))
        thumb_full_s.append(t)
    assert full is not None and reduced is not None
    factor = reduction_factor(full.shape, size)
    expected = area_reduce(full, factor)
    value_range = float(full.max() - full.min()) or 1.0
    diff = np.abs(reduced.astype(np.float64) - expected)
    ratio = min(reduced_s) / min(full_s)
    thumb_ratio = min(thumb_s) / min(full_s)
    return {
        "rows_columns": list(full.shape),
        "display_size": size,
        "display_shape": list(reduced.shape),
        "full_decode_s": {"min": min(full_s), "median": statistics.median(full_s)},
        "display_frame_s": {"min": min(reduced_s), "median": statistics.median(reduced_s)},
        "ratio": ratio,
        "ratio_of_median": statistics.median(reduced_s) / statistics.median(full_s),
        "full_decode_cpu_s": min(full_cpu),
        "display_frame_cpu_s": min(reduced_cpu),
        "cpu_ratio": min(reduced_cpu) / min(full_cpu),
        "target": TARGET_RATIO,
        "ok": ratio <= TARGET_RATIO,
        "levels": levels_for(factor),
        "thumbnail_levels": levels_for(reduction_factor(full.shape, 96)),
        "thumbnail_ratio": thumb_ratio,
        "thumbnail_ok": thumb_ratio <= TARGET_RATIO,
        "thumbnail_96_s": {"min": min(thumb_s), "median": statistics.median(thumb_s)},
        "thumbnail_96_with_full_decode_s": {
            "min": min(thumb_full_s),
            "median": statistics.median(thumb_full_s),
        },
        "mean_abs_diff_of_range": float(diff.mean() / value_range),
        "p99_abs_diff_of_range": float(np.percentile(diff, 99) / value_range),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds per file (default 3)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    from pydicom.data import get_testdata_file

    from workbench.imaging.volume import load_files

    load_files([get_testdata_file("MR2_J2KR.dcm")]).display_frame(0, 256)  # imports, once
    files = {name: one_file(name, size, args.repeat) for name, size in FILES}
    results = {
        "generated": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "machine": machine(load),
        "peer": "Volume.frame(0): the full decode of the same file",
        "opj_num_threads": os.environ.get("OPJ_NUM_THREADS"),
        "files": files,
    }
    print(
        f"\n{os.cpu_count()} CPUs, load average at start {load[0]:.1f}\n\n"
        f"{'file':<14} {'size':>5} {'lvl':>3} {'full s':>7} {'first view s':>13} {'ratio':>6} "
        f"{'cpu ratio':>9} {'thumb s':>8} {'ratio':>6} {'thumb+full s':>13} {'diff':>7}  "
        f"target <= {TARGET_RATIO}"
    )
    for name, f in files.items():
        print(
            f"{name:<14} {f['display_size']:>5} {f['levels']:>3} {f['full_decode_s']['min']:>7.3f} "
            f"{f['display_frame_s']['min']:>13.3f} {f['ratio']:>6.2f} {f['cpu_ratio']:>9.2f} "
            f"{f['thumbnail_96_s']['min']:>8.3f} {f['thumbnail_ratio']:>6.2f} "
            f"{f['thumbnail_96_with_full_decode_s']['min']:>13.3f} "
            f"{100 * f['mean_abs_diff_of_range']:>6.2f}%  "
            f"{'ok' if f['ok'] and f['thumbnail_ok'] else 'ABOVE TARGET'}"
        )
    write_results(args.output, results, 5)
    print(f"OPJ_NUM_THREADS={results['opj_num_threads']}")
    print(f"\nwritten: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
