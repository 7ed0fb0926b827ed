"""Content identity (BLAKE3) at scan time, sha256 completed after the tables.

Every original keeps a content hash from the first moment; what is handed to others
(``case.files["sha256"]``, the tables and CSVs in the workspace) is sha256 of the very
bytes indexed, including after a re-open and a re-scan from the cache.
"""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from blake3 import blake3
from conftest import checksums, dicom_file

from workbench import open_case
from workbench.ingest import digests
from workbench.ingest.inventory import scan_file
from workbench.ingest.sources import SourceFile
from workbench.workspace import read_table, wait_for_writes


def _case(tmp_path, n_dicom: int = 6):
    """A folder of *n_dicom* distinct CT slices, a copy of one, a report and a photo."""
    root = tmp_path / "case"
    (root / "ct").mkdir(parents=True)
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    for i in range(n_dicom):
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.9.7777.{i + 1}"
        ds.InstanceNumber = i + 1
        ds.save_as(root / "ct" / f"IM{i:03d}")
    (root / "ct" / "copy_of_IM000").write_bytes((root / "ct" / "IM000").read_bytes())
    (root / "report.txt").write_text("MRI right knee 2024-03-12: medial meniscus tear.\n")
    (root / "big.bin").write_bytes(os.urandom(200_000))  # several read chunks
    return root


@pytest.fixture
def deferred(monkeypatch):
    """Defer the sha256 of DICOM files for cases of any size (the large-case path)."""
    monkeypatch.setattr(digests, "DEFER_MIN_FILES", 1)


def _by_path(frame, column):
    return dict(zip(frame["path"], frame[column], strict=True))


def _blake3(path) -> str:
    return blake3(path.read_bytes()).hexdigest()


def test_deferred_sha256_equals_hashlib_for_every_file(tmp_path, deferred):
    root = _case(tmp_path)
    ws = tmp_path / "ws"
    case = open_case(root, workspace=ws, ocr=False)
    assert case._sha256 is not None  # the DICOM sha256 were left to the completion
    expected = checksums(root)
    assert _by_path(case.files, "sha256") == expected
    assert _by_path(case.files, "content_id") == {p: _blake3(root / p) for p in expected}
    instances = case.instances
    assert len(instances) == 6  # the copy is counted once
    assert all(instances["sha256"] == instances["path"].map(expected))
    assert all(instances["content_id"] == instances["path"].map(_by_path(case.files, "content_id")))
    dup = case.problems[case.problems["kind"] == "duplicate"]
    assert list(dup["path"]) == ["ct/copy_of_IM000"]


def test_completed_sha256_is_saved_with_the_tables_and_their_csv(tmp_path, deferred):
    root = _case(tmp_path)
    ws = tmp_path / "ws"
    open_case(root, workspace=ws, ocr=False)
    wait_for_writes()
    expected = checksums(root)
    on_disk = read_table(ws / "tables", "files")
    assert _by_path(on_disk, "sha256") == expected
    assert set(read_table(ws / "tables", "instances")["sha256"]) <= set(expected.values())
    with open(ws / "tables" / "files.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {row["path"]: row["sha256"] for row in csv.DictReader(fh)}
    assert rows == expected
    again = open_case(root, workspace=ws, ocr=False)  # tables current: nothing to complete
    assert again._sha256 is None
    assert _by_path(again.files, "sha256") == expected


def test_rescan_from_the_cache_finds_the_completed_sha256(tmp_path, deferred):
    root = _case(tmp_path)
    ws = tmp_path / "ws"
    open_case(root, workspace=ws, ocr=False)
    wait_for_writes()
    (root / "notes.txt").write_text("Pain on stairs since March.\n")  # tables stale, scan cached
    case = open_case(root, workspace=ws, ocr=False)
    assert case._sha256 is None  # every sha256 came from the cache by content_id
    assert _by_path(case.files, "sha256") == checksums(root)


def test_a_file_changed_before_its_sha256_gets_none_rather_than_another(tmp_path):
    path = tmp_path / "IM1"
    path.write_bytes(dicom_file("CT_small.dcm").read_bytes())
    st = path.stat()
    scanned = scan_file(
        SourceFile("IM1", str(path), st.st_size, st.st_mtime_ns), dicom_sha256=False
    )
    assert scanned.kind == "dicom" and scanned.sha256 == ""
    assert scanned.content_id == _blake3(path)
    assert digests.checked_sha256(path, scanned.content_id) == checksums(tmp_path)["IM1"]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, other bytes
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same mtime
    assert digests.checked_sha256(path, scanned.content_id) == ""
    completion = digests.Sha256Completion({scanned.content_id: str(path)})
    assert completion.result() == {scanned.content_id: ""}
    assert digests.checked_sha256(tmp_path / "gone", scanned.content_id) == ""


def test_changed_with_same_size_and_mtime_is_handled_as_before(tmp_path, deferred):
    """The tables are keyed by path, size and mtime: such a change is not seen on re-open
    (as before), and the sha256 given stays that of the bytes that were indexed."""
    root = _case(tmp_path)
    ws = tmp_path / "ws"
    first = open_case(root, workspace=ws, ocr=False)
    indexed = _by_path(first.files, "sha256")
    wait_for_writes()
    target = root / "ct" / "IM003"
    st = target.stat()
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = open_case(root, workspace=ws, ocr=False)
    assert _by_path(again.files, "sha256") == indexed


def test_small_case_gets_every_sha256_in_the_scan(tmp_path):
    root = _case(tmp_path, n_dicom=3)
    case = open_case(root, workspace=tmp_path / "ws", ocr=False)
    assert case._sha256 is None
    assert _by_path(case.files, "sha256") == checksums(root)


def test_scan_file_feeds_both_hashes_from_one_read(tmp_path):
    path = tmp_path / "mr.dcm"
    path.write_bytes(dicom_file("MR2_J2KR.dcm").read_bytes())  # longer than the first read
    st = path.stat()
    out = scan_file(SourceFile("mr.dcm", str(path), st.st_size, st.st_mtime_ns))
    assert out.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert out.content_id == _blake3(path)
    assert out.size == st.st_size


def test_fill_and_known_ignore_malformed_entries(tmp_path):
    import pandas as pd

    good = "a" * 64
    digests.save_known(tmp_path, {good: "b" * 64, "c" * 64: ""})
    (tmp_path / "other.json").write_text("{}")
    assert digests.load_known(tmp_path) == {good: "b" * 64}
    frame = pd.DataFrame({"sha256": ["", "x"], "content_id": [good, good]})
    assert list(digests.fill(frame, {good: "b" * 64})["sha256"]) == ["b" * 64, "x"]


def test_changed_before_the_completion_is_a_problem_row_without_sha256(
    tmp_path, deferred, monkeypatch
):
    from workbench import case as case_module

    root = _case(tmp_path)
    target = root / "ct" / "IM002"
    real = case_module._start_hashing

    def change_then_hash(space, scanned):
        st = target.stat()
        data = bytearray(target.read_bytes())
        data[-1] ^= 0xFF  # same size, same mtime: only the bytes tell
        target.write_bytes(bytes(data))
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
        return real(space, scanned)

    monkeypatch.setattr(case_module, "_start_hashing", change_then_hash)
    case = open_case(root, workspace=tmp_path / "ws", ocr=False)
    sha = _by_path(case.files, "sha256")
    assert sha["ct/IM002"] == ""
    assert all(v for k, v in sha.items() if k != "ct/IM002")
    changed = case.problems[case.problems["kind"] == "changed_since_read"]
    assert list(changed["path"]) == ["ct/IM002"]
    assert "changed after it was read" in changed["message"].iloc[0]
    wait_for_writes()


def _large_files(tmp_path, n: int) -> list[SourceFile]:
    """*n* distinct files longer than the first read (a CT slice with 200 kB of pixels)."""
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.Rows = ds.Columns = 320  # 320 x 320 x 2 bytes
    out = []
    for i in range(n):
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.9.7778.{i + 1}"
        ds.PixelData = os.urandom(320 * 320 * 2)
        path = tmp_path / f"IM{i:03d}"
        ds.save_as(path)
        st = path.stat()
        out.append(SourceFile(path.name, str(path), st.st_size, st.st_mtime_ns))
    return out


def test_pool_workers_hash_mapped_files_as_a_read_does(tmp_path):
    """In the pool the rest of a file is hashed through a memory map: the same digests."""
    from workbench.ingest.inventory import scan

    files = _large_files(tmp_path, 70)
    results = scan(files, workers=2)
    for sf, out in zip(files, results, strict=True):
        data = Path(sf.local).read_bytes()
        assert out.content_id == blake3(data).hexdigest(), sf.path
        assert out.sha256 == hashlib.sha256(data).hexdigest(), sf.path
        assert out.size == len(data) and out.header is not None and not out.problems


def test_a_file_cut_short_while_mapped_costs_what_was_left_a_second_read(tmp_path, monkeypatch):
    """SIGBUS: the file shrinks under the map, the worker dies; a second pool reads what was
    left without maps (not one file per process), and the rest of the case is whole."""
    import faulthandler
    import mmap as mmap_module

    from workbench.ingest import inventory

    files = _large_files(tmp_path, 70)
    victim = files[13].local
    real_mmap = mmap_module.mmap

    def shrinking(fileno, length, **kwargs):
        mapped = real_mmap(fileno, length, **kwargs)
        if os.readlink(f"/proc/self/fd/{fileno}") == victim:
            faulthandler.disable()  # the worker's death is expected: no traceback dump
            os.truncate(victim, 70_000)  # another program rewrites the file meanwhile
        return mapped

    monkeypatch.setattr(inventory.mmap, "mmap", shrinking)
    isolated = []
    real_isolated = inventory._scan_isolated
    monkeypatch.setattr(
        inventory, "_scan_isolated", lambda sf, *a: isolated.append(sf) or real_isolated(sf, *a)
    )
    results = inventory.scan(files, workers=2)
    assert not isolated  # a second pool, reading without maps, did what was left
    assert len(results) == 70
    for sf, out in zip(files, results, strict=True):
        data = Path(sf.local).read_bytes()
        assert out.content_id == blake3(data).hexdigest(), sf.path
    intact = [out for out in results if out.path != files[13].path]
    assert all(out.header is not None and not out.problems for out in intact)
    assert results[13].size == 70_000  # what is on disk now, read whole


def test_a_mapped_scan_finds_what_a_read_finds(tmp_path):
    """The pool maps files longer than the first chunk; the serial scan reads them. Both
    give the same row for intact slices, slices cut short in the header or the pixels,
    flipped header bytes, and files of other kinds."""
    import dataclasses
    import random

    from PIL import Image

    from workbench.ingest.inventory import scan

    files = _large_files(tmp_path, 50)
    rng = random.Random(3)
    data = Path(files[0].local).read_bytes()
    extra = {}
    for k, cut in enumerate((70_000, 100_001, len(data) - 1, 65_537)):
        extra[f"cut{k}.dcm"] = data[:cut]
    for k in range(10):
        buf = bytearray(data)
        for _ in range(3):
            buf[rng.randrange(132, 1500)] = rng.randrange(256)
        extra[f"flip{k}.dcm"] = bytes(buf)
    extra["notes.txt"] = ("Knee pain since 2021. " * 5000).encode()
    extra["report.pdf"] = b"%PDF-1.4\n" + os.urandom(100_000)
    extra["blob.bin"] = os.urandom(90_000)
    for name, content in extra.items():
        (tmp_path / name).write_bytes(content)
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (300, 300, 3), np.uint8)).save(
        tmp_path / "photo.png"
    )
    for name in [*extra, "photo.png"]:
        path = tmp_path / name
        st = path.stat()
        files.append(SourceFile(name, str(path), st.st_size, st.st_mtime_ns))
    assert len(files) >= 64  # enough for the pool (fewer are scanned in this process)
    pooled = scan(files, workers=2)
    for sf, got in zip(files, pooled, strict=True):
        assert dataclasses.asdict(got) == dataclasses.asdict(scan_file(sf)), sf.path
