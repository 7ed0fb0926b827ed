"""De-identification side by side: needles left and new dciodvfy errors, per tool.

    python benchmarks/bench_deid.py [--small]

Builds the planted corpus of ``tests/deid_corpus.py`` in a temporary folder
(pydicom's test files and pydicom-data's NEMA, ultrasound and secondary-capture
samples; needles in standard attributes, descriptions, comments, private and
UN elements, sequences three deep, SR content, overlays, the preamble,
``case.yaml``, a GB18030 report, GB18030 and ISO 2022 GB2312 names), then runs:

* ``workbench``: :func:`workbench.deidentify` with ``shift_dates=-100`` (its
  outputs and the header-cleaned review copies of held-back images);
* ``dicom-anonymizer`` (default PS3.15 rules, private tags deleted);
* ``deid`` (its default ``dicom`` recipe, private tags removed) and ``dicognito``
  (in place, defaults) when they are installed (they are not in the lock:
  ``pip install --target /tmp/peers deid dicognito`` and ``PYTHONPATH=/tmp/peers``);
* Orthanc's ``/instances/{id}/anonymize`` (default profile) when Orthanc is installed.

For each tool: the needles still found in what it wrote (raw bytes outside the
pixel data, in UTF-8, GB18030, GB2312 and UTF-16, any letter case), counted once
per planted file and value, split into DICOM and text files (tools that only
read DICOM leave text files as they are), and the dciodvfy ``Error`` lines
each output has and its original had not. Also whether the workbench verifier
flags every needle in a copy of the corpus that skipped cleaning. Writes
``benchmarks/results/deid.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import deid_corpus
from orthanc_server import OrthancServer, orthanc_binary

from workbench.case import open_case
from workbench.deid.dciodvfy import dciodvfy_errors
from workbench.deid.pipeline import deidentify, review_folder
from workbench.deid.verify import verify_deidentified

RESULTS = Path(__file__).resolve().parent / "results" / "deid.json"


def count_left(needles: list[deid_corpus.Needle], outputs: dict[str, list[Path]]) -> dict:
    """Needles (file, value) still in the outputs of each source file."""
    planted = {(n.file, n.value) for n in needles}
    left: set[tuple[str, str]] = set()
    for source, paths in outputs.items():
        for path in paths:
            raw = path.read_bytes()
            for value in deid_corpus.values_in(raw, dicom=raw[128:132] == b"DICM"):
                if (source, value) in planted:
                    left.add((source, value))
    text = {"report.txt", "case.yaml"}
    return {
        "planted": len(planted),
        "left": len(left),
        "left_dicom": sum(1 for f, _ in left if f not in text),
        "left_text": sum(1 for f, _ in left if f in text),
        "left_examples": sorted(f"{f}: {v[:2]}…" for f, v in left)[:12],
    }


def new_errors(pairs: list[tuple[Path, Path]]) -> int:
    binary = shutil.which("dciodvfy")
    if binary is None:
        return -1
    total = 0
    for before, after in pairs:
        if after.read_bytes()[128:132] != b"DICM":
            continue
        total += sum(
            (
                Counter(dciodvfy_errors(binary, after)) - Counter(dciodvfy_errors(binary, before))
            ).values()
        )
    return total


def dicoms(case: Path) -> list[Path]:
    return sorted(p for p in case.iterdir() if p.suffix == ".dcm")


def as_is(case: Path) -> dict[str, list[Path]]:
    """Text files a DICOM-only tool does not touch: they go out as they are."""
    return {p.name: [p] for p in case.iterdir() if p.suffix in (".txt", ".yaml")}


def run_workbench(case: Path, work: Path) -> tuple[dict[str, list[Path]], list]:
    opened = open_case(case, workspace=work / "ws")
    dest = work / "out"
    log = deidentify(opened, dest, shift_dates=-100, secret="bench-secret-0123456789")
    review = review_folder(opened)
    outputs: dict[str, list[Path]] = {}
    pairs = []
    by_sha = dict(zip(opened.files["sha256"], opened.files["path"], strict=False))
    for row in log.itertuples():  # the log's paths are redacted: the sha256 says which file
        source = str(by_sha[row.source_sha256])
        if row.dest_path:
            out = dest / row.dest_path
        elif "copy for review: " in row.reason:
            out = Path(row.reason.split("copy for review: ", 1)[1])
        else:
            continue
        outputs.setdefault(source, []).append(out)
        if row.kind == "dicom":
            pairs.append((case / source, out))
    assert review.is_dir()
    return outputs, pairs


def run_dicom_anonymizer(case: Path, work: Path) -> tuple[dict[str, list[Path]], list]:
    from dicomanonymizer import anonymize  # optional peer

    out = work / "dicom-anonymizer"
    out.mkdir()
    outputs, pairs = as_is(case), []
    for path in dicoms(case):
        target = out / path.name
        try:
            anonymize(str(path), str(target), {}, True)
        except Exception:  # a peer failing on a file: it wrote nothing
            continue
        outputs[path.name] = [target]
        pairs.append((path, target))
    return outputs, pairs


def run_dicognito(case: Path, work: Path) -> tuple[dict[str, list[Path]], list]:
    out = work / "dicognito"
    shutil.copytree(case, out)
    subprocess.run([sys.executable, "-m", "dicognito", str(out)], check=False, capture_output=True)
    outputs = {p.name: [p] for p in out.iterdir()}
    return outputs, [(case / p.name, p) for p in dicoms(out)]


def run_deid(case: Path, work: Path) -> tuple[dict[str, list[Path]], list]:
    from deid.dicom import get_files, replace_identifiers  # optional peer

    out = work / "deid"
    out.mkdir()
    files = list(get_files(str(case)))
    replace_identifiers(
        dicom_files=files, save=True, output_folder=str(out), remove_private=True, overwrite=True
    )
    outputs = as_is(case) | {p.name: [p] for p in out.glob("*.dcm")}
    return outputs, [(case / p.name, p) for p in out.glob("*.dcm")]


def run_orthanc(case: Path, work: Path) -> tuple[dict[str, list[Path]], list]:
    out = work / "orthanc"
    out.mkdir()
    outputs, pairs = as_is(case), []
    with OrthancServer(work / "orthanc-server") as server:
        for path in dicoms(case):
            r = requests.post(
                f"{server.base_url}/instances", data=path.read_bytes(), auth=server.auth, timeout=60
            )
            if not r.ok:
                continue
            instance = r.json()["ID"]
            a = requests.post(
                f"{server.base_url}/instances/{instance}/anonymize",
                json={},
                auth=server.auth,
                timeout=60,
            )
            if not a.ok:
                continue
            target = out / path.name
            target.write_bytes(a.content)
            outputs[path.name] = [target]
            pairs.append((path, target))
    return outputs, pairs


def verifier_on_uncleaned(case: Path, work: Path, needles: list[deid_corpus.Needle]) -> dict:
    """The verifier on a copy of the corpus that skipped cleaning: is every needle flagged?"""
    opened = open_case(case, workspace=work / "ws-verify")
    copy = work / "uncleaned"
    deid_corpus.copy_source(case, copy)
    findings = verify_deidentified(opened, copy, dates="shift", review=work / "none")
    missed = [
        f"{n.file} {n.location} {n.where} {n.value[:2]}…"
        for n in needles
        if not deid_corpus.flagged(n, findings)
    ]
    return {"needles": len(needles), "missed": len(missed), "missed_examples": missed[:10]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="the tests' small corpus")
    args = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="bench-deid-") as tmp:
        work = Path(tmp)
        names = deid_corpus.SMALL if args.small else deid_corpus.FULL
        names += () if args.small else deid_corpus.deid_data_files()
        needles = deid_corpus.build(work, names)
        case = work / "case"
        tools = {
            "workbench": (run_workbench, True),
            "dicom-anonymizer": (run_dicom_anonymizer, importlib.util.find_spec("dicomanonymizer")),
            "deid": (run_deid, importlib.util.find_spec("deid")),
            "dicognito": (run_dicognito, importlib.util.find_spec("dicognito")),
            "orthanc": (run_orthanc, orthanc_binary()),
        }
        for name, (run, available) in tools.items():
            if not available:
                results[name] = {"note": "not installed"}
                print(f"{name:18s} not installed")
                continue
            start = time.perf_counter()
            outputs, pairs = run(case, work)
            seconds = time.perf_counter() - start
            row = count_left(needles, outputs) | {
                "new_dciodvfy_errors": new_errors(pairs),
                "dicom_outputs": len(pairs),
                "seconds": round(seconds, 2),
            }
            results[name] = row
            print(
                f"{name:18s} needles left {row['left']:3d}/{row['planted']} "
                f"(DICOM {row['left_dicom']}, text {row['left_text']}), "
                f"new dciodvfy errors {row['new_dciodvfy_errors']}, {row['dicom_outputs']} "
                f"DICOM outputs, {seconds:.1f} s"
            )
        results["verifier_on_uncleaned_copy"] = verifier_on_uncleaned(case, work, needles)
        print("verifier on an uncleaned copy:", results["verifier_on_uncleaned_copy"])
        results["corpus"] = {
            "dicom_files": len(dicoms(case)),
            "text_files": 2,
            "needles": len(needles),
            "location_classes": sorted({n.location for n in needles}),
            "deid_data": (
                f"{len(deid_corpus.deid_data_files())} files"
                if deid_corpus.deid_data_files()
                else "not installed; pydicom's US and SC files stand in"
            ),
        }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
