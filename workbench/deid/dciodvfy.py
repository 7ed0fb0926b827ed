"""Compare David Clunie's ``dciodvfy`` on each original and its de-identified copy.

:func:`compare_dciodvfy` lists the ``Error -`` lines a copy has and its original
had not (the exit code of dciodvfy is not used: it does not reflect the errors
found).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from workbench.record.protocol import CaseRecord

__all__ = ["LOG_NAME", "compare_dciodvfy", "dciodvfy_errors"]

LOG_NAME = "DEIDENTIFICATION.csv"


def compare_dciodvfy(source_case: CaseRecord, dest: str | Path) -> pd.DataFrame:
    """``dciodvfy`` errors of each output DICOM file that its original does not have.

    Returns
    -------
    pandas.DataFrame
        Columns ``dest_path`` and ``error``. When dciodvfy is not installed the
        frame is empty and ``attrs["note"]`` says so and how to install it.
    """
    out = pd.DataFrame(columns=["dest_path", "error"])
    binary = shutil.which("dciodvfy")
    if binary is None:
        out.attrs["note"] = (
            "dciodvfy not found: the comparison with the originals was skipped. Install "
            "dicom3tools (Debian: apt-get install dicom3tools) to run it."
        )
        return out
    dest = Path(dest)
    log = pd.read_csv(dest / LOG_NAME, dtype=str, keep_default_na=False)
    written = log[(log["kind"] == "dicom") & (log["status"] == "written")]
    by_sha = dict(zip(source_case.files["sha256"], source_case.files["path"], strict=False))
    pairs = [
        (source_case.local_path(by_sha[row.source_sha256]), dest / row.dest_path)
        for row in written.itertuples()
        if row.source_sha256 in by_sha
    ]

    def errors_of(pair: tuple[Path, Path]) -> list[str]:
        before, after = (
            Counter(dciodvfy_errors(binary, pair[0])),
            Counter(dciodvfy_errors(binary, pair[1])),
        )
        return sorted((after - before).elements())

    with ThreadPoolExecutor(max_workers=2) as pool:
        found = list(pool.map(errors_of, pairs))
    rows = [
        {"dest_path": after.relative_to(dest).as_posix(), "error": error}
        for (_, after), errors in zip(pairs, found, strict=True)
        for error in errors
    ]
    return pd.DataFrame(rows, columns=["dest_path", "error"])


_VALUE = re.compile(r"<[^>]*>|\[[^\]]*\]|\d+(?:\.\d+)*")


def dciodvfy_errors(binary: str, path: Path) -> list[str]:
    """The ``Error -`` lines of dciodvfy, with values and numbers blanked for comparison."""
    try:
        run = subprocess.run([binary, str(path)], capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [f"dciodvfy could not run: {exc}"]
    text = (run.stdout + run.stderr).decode("utf-8", "replace")
    return [_normalise(line) for line in text.splitlines() if line.strip().startswith("Error - ")]


def _normalise(line: str) -> str:
    keep_names = re.sub(r"<([A-Za-z' ()/-]+)>", r"«\1»", line.strip())
    return _VALUE.sub("…", keep_names).replace("«", "<").replace("»", ">")
