"""A large first ingest: files and instances written once, with their sha256, in the background.

A case of at least ``DEFER_MIN_FILES`` files (no monkeypatching: the real large-case
path, through the process pool) returns its tables before the sha256 are complete; the
step that completes them holds the workspace lock, writes ``files`` and ``instances``
(Parquet and CSV) once, then the fingerprint. A failure of that step, or of the hashing
itself, is a problem row and a message, never an empty column passed off as a result.
"""

from __future__ import annotations

import csv
import errno
import os

import pydicom
import pytest
from conftest import checksums, dicom_file

from workbench import case as case_module
from workbench import open_case
from workbench.ingest import digests
from workbench.ingest.inventory import _batches
from workbench.workspace import read_table, wait_for_writes

N_DICOM = digests.DEFER_MIN_FILES + 6


@pytest.fixture(scope="module")
def large_case(tmp_path_factory):
    """*N_DICOM* distinct CT slices in two series and a report: the deferred sha256 path."""
    root = tmp_path_factory.mktemp("large") / "case"
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    for i in range(N_DICOM):
        series = root / f"se{i % 2}"
        series.mkdir(parents=True, exist_ok=True)
        ds.SeriesInstanceUID = f"1.2.826.0.1.3680043.9.7777.9{i % 2}"
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.9.7777.{i + 1}"
        ds.InstanceNumber = i + 1
        ds.save_as(series / f"IM{i:03d}")
    (root / "report.txt").write_text("CT right knee 2024-03-12: no fracture.\n")
    return root


def _by_path(frame, column="sha256"):
    return dict(zip(frame["path"], frame[column], strict=True))


def test_tables_read_back_after_a_large_ingest_carry_hashlib_sha256(tmp_path, large_case):
    expected = checksums(large_case)
    ws = tmp_path / "ws"
    case = open_case(large_case, workspace=ws, ocr=False)
    assert case._sha256 is not None  # the DICOM sha256 were completed after the tables
    assert _by_path(case.files) == expected
    assert all(case.instances["sha256"] == case.instances["path"].map(expected))
    assert "local" not in case.files.columns
    wait_for_writes()
    tables = ws / "tables"
    assert _by_path(read_table(tables, "files")) == expected
    on_disk = read_table(tables, "instances")
    assert len(on_disk) == N_DICOM and all(on_disk["sha256"] == on_disk["path"].map(expected))
    for name in ("files", "instances"):
        with open(tables / f"{name}.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert {row["path"]: row["sha256"] for row in rows} == {
            p: expected[p] for p in (r["path"] for r in rows)
        }
    for name in case_module.TABLES:  # every table and its CSV, then the fingerprint
        assert (tables / f"{name}.parquet").exists() and (tables / f"{name}.csv").exists()
    again = open_case(large_case, workspace=ws, ocr=False)
    assert again._sha256 is None  # current tables: nothing to complete, nothing rescanned
    for name in ("files", "instances", "series", "studies", "problems"):
        frame, other = getattr(case, name), getattr(again, name)
        assert frame.equals(other), name
        assert list(frame.dtypes) == list(other.dtypes), name


def test_an_open_during_the_background_step_waits_and_reads_complete_tables(tmp_path, large_case):
    ws = tmp_path / "ws"
    open_case(large_case, workspace=ws, ocr=False)
    again = open_case(large_case, workspace=ws, ocr=False)  # at once: the step still runs
    assert again._sha256 is None
    assert _by_path(again.files) == checksums(large_case)


def test_a_failure_of_the_hashing_is_a_problem_row_and_the_next_open_completes_it(
    tmp_path, large_case, monkeypatch
):
    real = digests.checked_sha256
    calls = []

    def fail_on_the_third(local, content_id):
        calls.append(local)
        if len(calls) == 3:
            raise MemoryError("no memory left for the hash")
        return real(local, content_id)

    monkeypatch.setattr(digests, "checked_sha256", fail_on_the_third)
    ws = tmp_path / "ws"
    case = open_case(large_case, workspace=ws, ocr=False)
    sha = _by_path(case.files)
    missing = [p for p, v in sha.items() if not v]
    assert missing  # the hashing stopped: some files have no sha256 ...
    expected = checksums(large_case)
    assert all(v == expected[p] for p, v in sha.items() if v)  # ... and none a wrong one
    kinds = list(case.problems["kind"])
    assert "changed_since_read" not in kinds  # it is not the files' fault
    row = case.problems[case.problems["kind"] == "sha256_incomplete"]
    assert len(row) == 1 and f"{len(missing)} file(s)" in row["message"].iloc[0]
    assert (
        "MemoryError" in row["message"].iloc[0] and "Open the case again" in row["message"].iloc[0]
    )
    wait_for_writes()
    monkeypatch.setattr(digests, "checked_sha256", real)
    again = open_case(large_case, workspace=ws, ocr=False)
    assert _by_path(again.files) == expected
    assert "sha256_incomplete" not in set(again.problems["kind"])


def test_a_failure_of_the_background_save_is_reported_and_nothing_stale_stays(
    tmp_path, large_case, monkeypatch, capsys
):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(case_module, "write_parquet", disk_full)
    ws = tmp_path / "ws"
    case = open_case(large_case, workspace=ws, ocr=False)
    expected = checksums(large_case)
    assert _by_path(case.files) == expected  # the tables in memory are complete
    wait_for_writes()
    assert "could not be saved in the workspace" in capsys.readouterr().err
    row = case.problems[case.problems["kind"] == "tables_not_saved"]
    assert len(row) == 1 and "no space left" in row["message"].iloc[0]
    assert not (ws / "tables" / "files.parquet").exists()
    monkeypatch.undo()
    again = open_case(large_case, workspace=ws, ocr=False)  # not current: read again
    assert _by_path(again.files) == expected
    assert "tables_not_saved" not in set(again.problems["kind"])


@pytest.mark.parametrize(("files", "workers"), [(0, 2), (1, 2), (63, 2), (2000, 2), (5000, 4)])
def test_guided_batches_cover_every_file_once_and_shrink(files, workers):
    todo = list(range(files))
    batches = _batches(todo, workers)  # type: ignore[arg-type]
    assert [i for b in batches for i in b] == todo
    sizes = [len(b) for b in batches]
    assert all(16 <= n <= 256 for n in sizes[:-1])
    assert sizes == sorted(sizes, reverse=True)


def test_a_touched_file_known_to_the_workspace_keeps_its_sha256_on_disk(tmp_path, large_case):
    """Scanned again (new mtime) but its content known by content_id: the tables are built
    with its sha256, saved at once with their CSVs, and nothing is left to complete."""
    ws = tmp_path / "ws"
    open_case(large_case, workspace=ws, ocr=False)
    wait_for_writes()
    target = large_case / "se0" / "IM000"
    st = target.stat()
    try:
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        again = open_case(large_case, workspace=ws, ocr=False)
        assert again._sha256 is None
        expected = checksums(large_case)
        assert _by_path(again.files) == expected
        wait_for_writes()
        assert _by_path(read_table(ws / "tables", "files")) == expected
        with open(ws / "tables" / "files.csv", encoding="utf-8-sig", newline="") as fh:
            assert {r["path"]: r["sha256"] for r in csv.DictReader(fh)} == expected
    finally:
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_the_background_step_leaves_the_callers_temporary_files(tmp_path, large_case):
    """The step holds the lock while the caller goes on (writing a notebook into the
    workspace, say): it must not clear that half-written file as a stale one."""
    ws = tmp_path / "ws"
    open_case(large_case, workspace=ws, ocr=False)
    mine = ws / ".review.ipynb.x1y2z3.tmp"  # as atomic_write names its temporary file
    mine.write_text("half-written")
    wait_for_writes()
    assert mine.read_text() == "half-written"
