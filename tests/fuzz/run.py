"""``make fuzz``: thousands of mutants, figures printed (and written with ``--json``).

    python tests/fuzz/run.py --mutants 5000 --seed 1 [--as-limit-gib 3] [--json out.json]

``--as-limit-gib`` caps the address space (as the issue's report did): a read that asks
for more memory than the file could hold then shows as a refused allocation or an
escape instead of passing unnoticed on a large machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for fuzz.mutate

from fuzz.mutate import run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutants", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-limit-gib", type=float, default=3.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.as_limit_gib:
        limit = int(args.as_limit_gib * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    with tempfile.TemporaryDirectory(prefix="workbench-fuzz-") as tmp:
        report = run(args.mutants, Path(tmp), seed=args.seed)
    print(report.summary())
    for escape in report.escapes:
        print("  escape:", escape)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "seed": args.seed,
                    "tried": report.tried,
                    "escapes": report.escapes,
                    "slowest_file": report.slowest[1],
                    "slowest_ms": round(report.slowest[0] * 1000, 1),
                    "peak_memory_mib": round(report.peak_memory_mib(), 1),
                    "problem_rows": report.problem_rows,
                    "seconds": round(report.seconds, 1),
                },
                indent=2,
            )
        )
    return 1 if report.escapes else 0


if __name__ == "__main__":
    sys.exit(main())
