"""The fast paths of indexing give the same results as the plain ones."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import pydicom
import pytest
from conftest import dicom_file

from workbench import workspace
from workbench.dicom import header
from workbench.ingest.inventory import scan_file
from workbench.ingest.sources import SourceFile


def _source(path) -> SourceFile:
    st = os.stat(path)
    return SourceFile(path.name, str(path), st.st_size, st.st_mtime_ns)


@pytest.mark.parametrize("size", [10, 64 * 1024, 64 * 1024 + 1, 700_000])
def test_sha256_of_every_byte_with_the_hashing_thread(tmp_path, size):
    path = tmp_path / "blob.bin"
    data = os.urandom(size)
    path.write_bytes(data)
    assert scan_file(_source(path)).sha256 == hashlib.sha256(data).hexdigest()


def test_dicom_hashed_and_parsed_at_once(tmp_path):
    src = dicom_file("MR2_J2KR.dcm")  # larger than one chunk: the rest hashed in the thread
    path = tmp_path / "mr.dcm"
    path.write_bytes(src.read_bytes())
    out = scan_file(_source(path))
    assert out.kind == "dicom" and out.header is not None
    assert out.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert out.header["Rows"] == 1024


def test_remembered_values_are_copies_and_keep_their_issues(tmp_path):
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    del ds.SpecificCharacterSet
    ds.InstitutionName = "Hôpital"  # non-ASCII without (0008,0005): an issue every time
    path = tmp_path / "ct.dcm"
    ds.save_as(path)
    data = path.read_bytes()
    first, second = header.walk_bytes(data), header.walk_bytes(data)
    assert first is not None and second is not None
    for h in (first, second):
        assert [kind for kind, _ in h.issues] == ["undeclared_charset"]
    assert first.values == second.values
    first.values["ImagePositionPatient"].append(99.0)
    assert second.values["ImagePositionPatient"] != first.values["ImagePositionPatient"]


def test_written_table_equals_the_table_read_back(tmp_path):
    frame = pd.DataFrame(
        {
            "path": ["a", "b"],
            "date": pd.to_datetime(["2024-01-02", None]).astype("datetime64[s]"),
            "n": [1, 2],
            "x": [np.nan, 1.5],
            "flag": pd.array([True, None], dtype="boolean"),
            "spacing": [[0.5, 0.5], None],
        }
    )
    written = workspace.write_table(frame, tmp_path, "t")
    pd.testing.assert_frame_equal(written, workspace.read_table(tmp_path, "t"))
    assert (tmp_path / "t.csv").exists()


def test_csv_of_a_long_table_is_finished_in_the_background(tmp_path):
    rows = workspace.BACKGROUND_CSV_ROWS + 1
    frame = pd.DataFrame({"path": [f"f{i}" for i in range(rows)], "v": range(rows)})
    written = workspace.write_table(frame, tmp_path, "long")
    assert len(written) == rows
    workspace.wait_for_writes(tmp_path)
    back = pd.read_csv(tmp_path / "long.csv", encoding="utf-8-sig")
    assert len(back) == rows and back["path"].iloc[-1] == f"f{rows - 1}"


def test_remembered_values_depend_on_the_character_set(tmp_path):
    """The same raw bytes under two character sets are two values (the memo is per set)."""
    raw = "张伟".encode("gb18030")
    decoded = {}
    for charset in ("GB18030", "ISO_IR 100", "GB18030"):
        ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
        ds.SpecificCharacterSet = charset
        ds.InstitutionName = raw.decode("latin-1")  # placeholder, replaced by the raw bytes
        ds["InstitutionName"].value = raw
        path = tmp_path / f"{charset}.dcm"
        ds.save_as(path)
        found = header.walk_bytes(path.read_bytes())
        assert found is not None
        decoded.setdefault(charset, set()).add(found.values["InstitutionName"])
    assert decoded["GB18030"] == {"张伟"}
    assert decoded["ISO_IR 100"] == {raw.decode("latin-1")}


def test_series_and_study_sums_equal_pandas_group_sums(tmp_path):
    """The series and study rows, summed up from plain column lists, agree with pandas'
    own group sums over a varied corpus (pydicom's test files: 40-odd series of every
    kind, missing values, multi-frame, lists)."""
    from workbench.ingest import index, pipeline

    src = pipeline.resolve_source(dicom_file("CT_small.dcm").parent)
    scanned, _ = pipeline.scan_source(src, tmp_path / "ws", verify=False, progress=False)
    instances = pd.DataFrame(index.instance_rows(scanned, []), columns=index.INSTANCE_COLUMNS)
    series = index.series_table(instances).set_index("series_key")
    groups = instances.groupby("series_key")
    assert len(series) == groups.ngroups > 20
    assert series["n_images"].to_dict() == groups.size().to_dict()
    assert series["n_frames"].to_dict() == groups["frame_count"].sum().astype(int).to_dict()
    assert series["decodable"].to_dict() == groups["decodable"].all().to_dict()
    spacing = instances["PixelSpacing"].notna() | instances["ImagerPixelSpacing"].notna()
    assert (
        series["has_spacing"].to_dict() == spacing.groupby(instances["series_key"]).any().to_dict()
    )
    first_modality = groups["Modality"].agg(
        lambda v: next((m for m in v if isinstance(m, str) and m), "")
    )
    assert series["Modality"].to_dict() == first_modality.to_dict()
    studies = index.study_table(instances, series.reset_index()).set_index("study_key")
    assert studies["n_images"].to_dict() == instances.groupby("study_key").size().to_dict()
    assert studies["n_series"].to_dict() == series.groupby("study_key").size().to_dict()


def test_the_collector_is_paused_for_the_ingest_and_restored_after(tmp_path, monkeypatch):
    import gc

    from workbench.case import open_case
    from workbench.ingest import pipeline

    root = tmp_path / "case"
    root.mkdir()
    (root / "a.dcm").write_bytes(dicom_file("CT_small.dcm").read_bytes())
    seen = []
    real = pipeline.build_tables

    def build(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "build_tables", build)
    assert gc.isenabled()
    open_case(root, workspace=tmp_path / "ws", ocr=False)
    assert seen == [False] and gc.isenabled()

    def fail(*args, **kwargs):
        raise RuntimeError("a bug in the table code")

    monkeypatch.setattr(pipeline, "build_tables", fail)
    with pytest.raises(RuntimeError):
        open_case(root, workspace=tmp_path / "ws2", ocr=False)
    assert gc.isenabled()  # back on after a failure too
    gc.disable()
    try:
        with pipeline.collector_paused():
            pass
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
