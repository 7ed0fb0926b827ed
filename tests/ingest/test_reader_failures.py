"""Every failure reading one original is that file's problem row (issue 18, item 1 and 8).

Each damaged file sits beside a good one: the case must open, the good file must be
indexed, and the damaged one must have a problem row naming it.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
import pytest
from conftest import dicom_file
from damage import relabel_syntax, replace_once, tiny_dicom
from PIL import Image

from workbench.case import open_case
from workbench.dicom.header import CappedFile, HeaderError, read_header
from workbench.ingest import inventory
from workbench.ingest.inventory import scan, scan_file
from workbench.ingest.sources import SourceFile
from workbench.problems import ProblemKind

DEFLATED = "1.2.840.10008.1.2.1.99"


class PanicException(BaseException):
    """What pyo3 raises when Rust code panics (a BaseException, not an Exception)."""


def _case_with(tmp_path: Path, name: str, data: bytes) -> Path:
    root = tmp_path / "case"
    root.mkdir()
    shutil.copy2(dicom_file("CT_small.dcm"), root / "good.dcm")
    (root / name).write_bytes(data)
    return root


def _open(root: Path, tmp_path: Path, **kw):
    case = open_case(root, workspace=tmp_path / "ws", **kw)
    assert "good.dcm" in set(case.instances["path"])
    return case


def _ct() -> bytes:
    return dicom_file("CT_small.dcm").read_bytes()


def _meta_vr_xx(data: bytes) -> bytes:
    """(0002,0001) File Meta Information Version with VR 'XX' (pydicom: NotImplementedError)."""
    return replace_once(data, b"\x02\x00\x01\x00OB", b"\x02\x00\x01\x00XX")


def _with_long_element(tmp_path: Path, length: int) -> bytes:
    """CT_small with a private OB element whose length field says *length*, meta VR 'XX'."""
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.add_new(0x00091010, "OB", b"\x00" * 8)
    path = tmp_path / "long.dcm"
    ds.save_as(path)
    data = path.read_bytes()
    at = data.index(b"\x09\x00\x10\x10OB")
    data = data[: at + 8] + struct.pack("<I", length) + data[at + 12 :]
    return _meta_vr_xx(data)


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("deflated.dcm", lambda tmp: relabel_syntax(_ct(), DEFLATED)),  # zlib.error
        ("meta_vr.dcm", lambda tmp: _meta_vr_xx(_ct())),  # Unknown Value Representation
        ("null_charset.dcm", lambda tmp: replace_once(_ct(), b"ISO_IR 100", b"ISO_\x00R 100")),
        ("odd_us.dcm", lambda tmp: _meta_vr_xx(  # US of 3 bytes: BytesLengthException
            replace_once(_ct(), b"\x28\x00\x10\x00US\x02\x00", b"\x28\x00\x10\x00US\x03\x00"))),
        ("huge.dcm", lambda tmp: _with_long_element(tmp, 0xFFFFFFF0)),
    ],
)  # fmt: skip
def test_damaged_header_is_a_problem_row(tmp_path, name, damage):
    root = _case_with(tmp_path, name, damage(tmp_path))
    case = _open(root, tmp_path)
    assert name in set(case.files["path"])
    rows = case.problems[case.problems["path"] == name]
    in_index = name in set(case.instances["path"])
    assert in_index or not rows.empty, "a damaged file is indexed or has a problem row"
    for message in rows["message"]:
        assert name in message


def test_a_huge_length_field_allocates_only_what_the_file_holds(tmp_path):
    data = _with_long_element(tmp_path, 0xFFFFFFF0)
    path = tmp_path / "huge.dcm"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with contextlib.suppress(HeaderError):  # refused is fine; 4 GiB allocated is not
            read_header(path, data[:65536], len(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024**2


def test_capped_file_never_reads_past_its_end(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    with CappedFile(path) as fh:
        fh.seek(90)
        assert fh.read(2**40) == b"x" * 10
        assert fh.read(5) == b""


def _source(path: Path, logical: str) -> SourceFile:
    st = path.stat()
    return SourceFile(logical, str(path), st.st_size, st.st_mtime_ns)


def test_base_exception_from_a_native_reader_is_a_problem_row(tmp_path, monkeypatch):
    path = tiny_dicom(tmp_path / "a.dcm")

    def panic(*args, **kwargs):
        raise PanicException("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(inventory, "read_header", panic)
    out = scan_file(_source(path, "a.dcm"))
    assert [p.kind for p in out.problems] == [ProblemKind.READER_FAILED]
    assert "PanicException" in out.problems[0].message and "'a.dcm'" in out.problems[0].message


@pytest.mark.parametrize("fatal", [KeyboardInterrupt, SystemExit, GeneratorExit])
def test_interrupts_pass_through(tmp_path, monkeypatch, fatal):
    path = tiny_dicom(tmp_path / "a.dcm")

    def stop(*args, **kwargs):
        raise fatal()

    monkeypatch.setattr(inventory, "read_header", stop)
    with pytest.raises(fatal):
        scan_file(_source(path, "a.dcm"))


def test_panic_under_verify_in_worker_processes(tmp_path, monkeypatch):
    """verify=True in a pool of 2 workers: a decoder panic in one file, the rest verified."""
    files = [_source(tiny_dicom(tmp_path / f"{i:03d}.dcm", instance=i), f"{i:03d}.dcm")
             for i in range(70)]  # fmt: skip
    import pydicom.pixels

    real = pydicom.pixels.iter_pixels

    def iter_pixels(src, **kwargs):
        if str(src).endswith("007.dcm"):
            raise PanicException("decoder panicked")
        return real(src, **kwargs)

    monkeypatch.setattr(pydicom.pixels, "iter_pixels", iter_pixels)
    results = scan(files, verify=True, workers=2)  # workers are forked: they see the patch
    kinds = {s.path: [p.kind for p in s.problems] for s in results}
    assert kinds["007.dcm"] == ["pixel_decode_failed"]
    assert all(not k for path, k in kinds.items() if path != "007.dcm")


def test_a_worker_that_dies_costs_only_its_file(tmp_path, monkeypatch):
    import os

    files = [_source(tiny_dicom(tmp_path / f"{i:03d}.dcm", instance=i), f"{i:03d}.dcm")
             for i in range(70)]  # fmt: skip
    real = inventory.read_header

    def crash(file, head, size):
        if str(file).endswith("013.dcm"):
            os._exit(1)  # a segfault in a native decoder, as the pool sees it
        return real(file, head, size)

    monkeypatch.setattr(inventory, "read_header", crash)
    results = scan(files, workers=2)
    broken = {s.path for s in results if s.problems}
    assert broken == {"013.dcm"}
    assert sum(s.header is not None for s in results) == 69


def _one_bit_truncated(tmp_path: Path) -> bytes:
    ds = pydicom.dcmread(dicom_file("liver_1frame.dcm"))
    assert ds.BitsAllocated == 1
    ds.PixelData = ds.PixelData[: len(ds.PixelData) // 2]  # declared length follows the cut
    path = tmp_path / "one_bit.dcm"
    ds.save_as(path)
    return path.read_bytes()


def test_truncated_one_bit_pixels_fail_verify(tmp_path):
    root = _case_with(tmp_path, "seg.dcm", _one_bit_truncated(tmp_path))
    case = _open(root, tmp_path, verify=True)
    rows = case.problems[case.problems["path"] == "seg.dcm"]
    assert "pixel_size_mismatch" in set(rows["kind"]), rows


@pytest.mark.parametrize("bits", [8, 16])
def test_truncated_native_pixels_fail_verify_at_every_depth(tmp_path, bits):
    ds = pydicom.dcmread(dicom_file("CT_small.dcm" if bits == 16 else "OBXXXX1A.dcm"))
    ds.PixelData = ds.PixelData[: len(ds.PixelData) - 64]
    path = tmp_path / "cut.dcm"
    ds.save_as(path)
    root = _case_with(tmp_path, "cut.dcm", path.read_bytes())
    case = _open(root, tmp_path, verify=True)
    assert "pixel_size_mismatch" in set(case.problems[case.problems["path"] == "cut.dcm"]["kind"])


def test_no_meta_dataset_is_dicom(tmp_path):
    root = _case_with(tmp_path, "no_meta.dcm", dicom_file("no_meta.dcm").read_bytes())
    case = _open(root, tmp_path)
    assert case.files.set_index("path").loc["no_meta.dcm", "kind"] == "dicom"
    row = case.instances.set_index("path").loc["no_meta.dcm"]
    assert row["Modality"] == "CT"
    assert "not_dicom" not in set(case.problems["kind"])


def test_truncated_jpeg_photo_is_a_problem_row(tmp_path):
    photo = tmp_path / "photo.jpg"
    noise = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    Image.fromarray(noise).save(photo, quality=90)  # the header survives the cut
    data = photo.read_bytes()
    root = _case_with(tmp_path, "IMG_0001.jpg", data[: len(data) * 2 // 3])
    (root / "IMG_0002.jpg").write_bytes(data)
    case = _open(root, tmp_path)
    kinds = case.problems.groupby("path")["kind"].apply(set).to_dict()
    assert "image_truncated" in kinds.get("IMG_0001.jpg", set())
    assert "image_truncated" not in kinds.get("IMG_0002.jpg", set())


@pytest.mark.parametrize("name", ["report\u202efdp.exe", "scan\u200b.dcm", "a\x1b[31mred.txt"])
def test_names_with_direction_or_control_characters(tmp_path, name):
    root = _case_with(tmp_path, name, b"plain text\n")
    case = _open(root, tmp_path)
    rows = case.problems[(case.problems["path"] == name) & (case.problems["kind"] == "unsafe_name")]
    assert len(rows) == 1
    message = rows["message"].iloc[0]
    hidden = [ch for ch in name if not ch.isprintable()]
    assert hidden and not any(ch in message for ch in hidden)  # shown escaped: \u202e ...
    assert f"\\u{ord(hidden[0]):04x}" in message


def test_unreadable_original_is_not_a_workspace_fault(tmp_path, monkeypatch):
    path = tiny_dicom(tmp_path / "a.dcm")
    real_open = open

    def deny(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    out = scan_file(_source(path, "a.dcm"))
    assert [p.kind for p in out.problems] == ["unreadable"]
