"""Hostile uploads: every bad file becomes a problem row, nothing crashes, nothing escapes.

The first half builds hostile inputs (damaged DICOM, malicious zips, bombs, odd
names), each from a real pydicom test file so the damage is the only unusual
thing about it. The tests put one in a case folder beside a good DICOM file and
open the case with the workspace at ``tmp_path / "ws"``; :func:`open_checked`
asserts what holds for every hostile input: no exception, the good file is still
indexed, the originals are byte-for-byte unchanged, nothing new appeared in
``tmp_path`` outside the workspace, and opening again returns equal tables.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import shutil
import struct
import subprocess
import sys
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pydicom
import pytest
from pydicom.data import get_charset_files, get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from workbench.case import Case, open_case
from workbench.errors import NothingUsableError, WorkbenchError

# === hostile inputs =====================================================================

CT_PATIENT = "1CT1"
MR_PATIENT = "4MR1"
GBK_NAME = "报告.txt"


def dicom_file(name: str) -> Path:
    """A pydicom test file (``get_testdata_file``, then the charset files)."""
    found = get_testdata_file(name) or (get_charset_files(name) or [None])[0]
    assert found is not None, f"pydicom test file {name!r} not found"
    return Path(str(found))


def dataset(name: str) -> Dataset:
    return pydicom.dcmread(dicom_file(name))


def to_bytes(ds: Dataset, *, implicit: bool = False) -> bytes:
    """*ds* as a DICOM file (preamble, meta, dataset)."""
    if implicit:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def good_ct() -> bytes:
    """CT_small under a new SOP Instance UID: same patient as the CT-based hostile files,
    but never a UID collision with them."""
    ds = dataset("CT_small.dcm")
    uid = generate_uid(entropy_srcs=["workbench-hostile-good"])
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    return to_bytes(ds)


def ct_bytes() -> bytes:
    return dicom_file("CT_small.dcm").read_bytes()


def value_offset(data: bytes, value: bytes) -> int:
    """Byte offset of the first occurrence of *value* (must exist)."""
    at = data.find(value)
    assert at > 0, value
    return at


# --- damaged DICOM ------------------------------------------------------------------


def text_as_dicom() -> bytes:
    return b"Patient report\nThis is not an image, only text saved as .dcm.\n" * 4


def truncated_in_pixels() -> bytes:
    data = ct_bytes()
    return data[: len(data) - 10_000]


def truncated_in_header() -> bytes:
    """CT_small cut in the middle of the value of PatientName."""
    data = ct_bytes()
    return data[: value_offset(data, b"CompressedSamples^CT1") + 7]


def truncated_in_meta() -> bytes:
    """CT_small cut in the middle of the file meta (inside the transfer syntax UID)."""
    data = ct_bytes()
    return data[: value_offset(data, ExplicitVRLittleEndian.encode()) + 5]


def absurd_length_implicit() -> bytes:
    """Implicit VR copy of CT_small whose (0010,0020) PatientID (LO) declares 0x7FFFFFF0 bytes."""
    data = to_bytes(dataset("CT_small.dcm"), implicit=True)
    tag = struct.pack("<HH", 0x0010, 0x0020)
    at = value_offset(data, tag)
    return data[: at + 4] + struct.pack("<I", 0x7FFFFFF0) + data[at + 8 :]


def absurd_length_explicit() -> bytes:
    """Explicit VR CT_small whose first sequence (SQ, 4-byte length) declares 0x7FFFFFF0 bytes."""
    data = ct_bytes()
    at = value_offset(data, b"SQ\x00\x00")
    return data[: at + 4] + struct.pack("<I", 0x7FFFFFF0) + data[at + 8 :]


def invalid_vr() -> bytes:
    """Explicit VR CT_small whose PatientID has VR bytes 01 02."""
    data = ct_bytes()
    at = value_offset(data, struct.pack("<HH", 0x0010, 0x0020) + b"LO")
    return data[: at + 4] + b"\x01\x02" + data[at + 6 :]


def invalid_vr_twice() -> bytes:
    """Two invalid VRs (PatientID, StudyID): beyond what the fast reader tolerates."""
    data = bytearray(invalid_vr())
    at = value_offset(bytes(data), struct.pack("<HH", 0x0020, 0x0010) + b"SH")
    data[at + 4 : at + 6] = b"\x01\x02"
    return bytes(data)


def _element(group: int, elem: int, vr: bytes, value: bytes) -> bytes:
    if len(value) % 2:
        value += b" " if vr != b"UI" else b"\x00"
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return (
            struct.pack("<HH", group, elem)
            + vr
            + b"\x00\x00"
            + struct.pack("<I", len(value))
            + value
        )
    return struct.pack("<HH", group, elem) + vr + struct.pack("<H", len(value)) + value


def deep_sequence_raw(depth: int = 500, *, defined_length: bool = False) -> bytes:
    """Explicit VR LE file whose private SQ (0029,1001) nests itself *depth* times.

    With ``defined_length`` every sequence and item carries its exact length instead
    of undefined length and delimiters.
    """
    ds = dataset("CT_small.dcm")
    base = to_bytes(ds)
    pixel_at = value_offset(base, struct.pack("<HH", 0x7FE0, 0x0010) + b"OW")
    head = base[:pixel_at]
    # strip everything from group 0029 on from the head, so tags stay in ascending order
    cut = head.find(struct.pack("<HH", 0x0029, 0x0010))
    if cut < 0:
        cut = len(head)
    creator = _element(0x0029, 0x0010, b"LO", b"HOSTILE")
    leaf = _element(0x0029, 0x1002, b"LO", b"bottom")
    body = leaf
    sq_tag = struct.pack("<HH", 0x0029, 0x1001) + b"SQ\x00\x00"
    item_tag = struct.pack("<HH", 0xFFFE, 0xE000)
    for _ in range(depth):
        if defined_length:
            item = item_tag + struct.pack("<I", len(body)) + body
            body = sq_tag + struct.pack("<I", len(item)) + item
        else:
            item = item_tag + b"\xff\xff\xff\xff" + body + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
            body = sq_tag + b"\xff\xff\xff\xff" + item + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    # the rest of the original dataset from group 0029 on is dropped: a short, valid tail
    return head[:cut] + creator + body + base[pixel_at:]


def deep_sequence_pydicom(depth: int = 200) -> bytes:
    """CT_small with ReferencedImageSequence nested *depth* deep, written by pydicom."""
    ds = dataset("CT_small.dcm")
    inner = Dataset()
    inner.PatientComments = "bottom"
    for _ in range(depth):
        outer = Dataset()
        outer.ReferencedImageSequence = Sequence([inner])
        inner = outer
    ds.ReferencedImageSequence = inner.ReferencedImageSequence
    ds.SOPInstanceUID = generate_uid(entropy_srcs=["deep"])
    return to_bytes(ds)


def unknown_transfer_syntax() -> bytes:
    ds = dataset("CT_small.dcm")
    ds.file_meta.TransferSyntaxUID = "1.2.3.4.5.6"
    buf = io.BytesIO()
    # the dataset stays explicit VR little endian; only the declared syntax is unknown
    ds.save_as(buf, enforce_file_format=True, implicit_vr=False, little_endian=True)
    return buf.getvalue()


def rows_too_large() -> bytes:
    """Native CT_small declaring twice its rows: pixel data shorter than Rows × Columns."""
    ds = dataset("CT_small.dcm")
    ds.Rows = ds.Rows * 2
    return to_bytes(ds)


def one_pixel_changed() -> bytes:
    data = bytearray(ct_bytes())
    data[-100] ^= 0xFF
    return bytes(data)


def corrupt_jpeg2000() -> bytes:
    """JPEG2000.dcm whose codestream, after the SIZ marker segment, is overwritten with noise.

    The encapsulation (items, lengths, delimiters) stays intact: only a decoder can tell.
    """
    data = bytearray(dicom_file("JPEG2000.dcm").read_bytes())
    soc = data.find(b"\xff\x4f\xff\x51")  # SOC then SIZ
    (length,) = struct.unpack_from("<I", data, soc - 4)  # the fragment's item length
    for i in range(soc + 60, soc + length - 2):  # keep the EOC marker
        data[i] = (i * 37 + 11) & 0xFF
    return bytes(data)


def undeclared_gb18030() -> bytes:
    """chrX2 (PatientName in GB18030) with (0008,0005) Specific Character Set removed."""
    ds = pydicom.dcmread(dicom_file("chrX2.dcm"))
    raw = ds["PatientName"].value.original_string
    del ds.SpecificCharacterSet
    ds.PatientName = raw
    data = to_bytes(ds)
    assert raw in data and b"GB18030" not in data
    return data


def big_pixel_file(path: Path, pixel_bytes: int = 300 * 1024 * 1024) -> None:
    """A CT whose native pixel data is *pixel_bytes* long, written sparse (fast, no disk)."""
    ds = dataset("CT_small.dcm")
    cols = 8192
    rows = pixel_bytes // (cols * 2)
    ds.Rows, ds.Columns = rows, cols
    ds.SOPInstanceUID = generate_uid(entropy_srcs=["big"])
    del ds.PixelData
    head = to_bytes(ds)
    length = rows * cols * 2
    with open(path, "wb") as fh:
        fh.write(head)
        fh.write(struct.pack("<HH", 0x7FE0, 0x0010) + b"OW\x00\x00" + struct.pack("<I", length))
        fh.truncate(fh.tell() + length)


# --- zips -----------------------------------------------------------------------------


def zip_bytes(members: list[tuple[zipfile.ZipInfo | str, bytes]], *, level: int = 6) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for info, data in members:
            zf.writestr(info, data)
    return buf.getvalue()


def with_member(archive: bytes, name: str, data: bytes) -> bytes:
    """*archive* with one more member appended; crafted entries are kept as they are."""
    buf = io.BytesIO(archive)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def zip_unsafe_paths() -> bytes:
    return zip_bytes([
        ("/etc/evil.txt", b"absolute\n"),
        ("../../evil.txt", b"climbing\n"),
        ("ok/../../evil2.txt", b"climbing inside\n"),
        ("fine.txt", b"harmless\n"),
    ])  # fmt: skip


def zip_symlink() -> bytes:
    link = zipfile.ZipInfo("link.txt")
    link.create_system = 3  # unix, so the mode bits count
    link.external_attr = 0o120777 << 16
    return zip_bytes([(link, b"/etc/passwd"), ("fine.txt", b"harmless\n")])


def zip_ratio_bomb(size: int = 50 * 1024 * 1024) -> bytes:
    return zip_bytes([("zeros.bin", bytes(size)), ("fine.txt", b"harmless\n")], level=9)


def _central_entries(data: bytes) -> list[int]:
    """Offsets of the central directory file headers."""
    out, at = [], data.find(b"PK\x01\x02")
    while at >= 0:
        out.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    return out


def zip_overlapping() -> bytes:
    """Two central directory entries pointing at the same local header."""
    data = bytearray(zip_bytes([("aaaa.bin", b"A" * 4096), ("bbbb.bin", b"B" * 4096)]))
    first, second = _central_entries(bytes(data))
    # local header offset lives at byte 42 of a central directory entry
    offset = struct.unpack_from("<I", data, first + 42)[0]
    struct.pack_into("<I", data, second + 42, offset)
    return bytes(data)


def zip_lying_size(real: int = 50 * 1024 * 1024, declared: int = 1000) -> bytes:
    """A member of *real* zeros whose central directory declares only *declared* bytes."""
    data = bytearray(zip_bytes([("liar.bin", bytes(real))], level=9))
    (entry,) = _central_entries(bytes(data))
    struct.pack_into("<I", data, entry + 24, declared)  # uncompressed size
    struct.pack_into("<I", data, 22, declared)  # and in the local header (at offset 0)
    return bytes(data)


def zip_nested(depth: int = 3) -> bytes:
    data = zip_bytes([("deepest.txt", b"bottom of the nest\n")])
    for level in range(depth - 1, 0, -1):
        data = zip_bytes([(f"level{level + 1}.zip", data)])
    return data


def zip_truncated() -> bytes:
    data = zip_bytes([("a.dcm", good_ct()), ("b.txt", b"text\n" * 1000)], level=0)
    return data[: len(data) // 2]


def zip_gbk_name() -> bytes:
    """A member named 报告.txt in GBK bytes with the UTF-8 flag (bit 11) clear."""
    raw = GBK_NAME.encode("gbk")
    placeholder = b"X" * (len(raw) - 4) + b".txt"
    assert len(placeholder) == len(raw)
    data = zip_bytes([(placeholder.decode(), "检查报告：右膝".encode("gbk"))])
    assert data.count(placeholder) == 2  # local header and central directory
    return data.replace(placeholder, raw)


def zip_duplicate_names() -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns on a duplicate name
        return zip_bytes([("same.txt", b"first version\n"), ("same.txt", b"second version\n")])


def zip_with_junk() -> bytes:
    return zip_bytes([("__MACOSX/._scan.dcm", ct_bytes()), (".DS_Store", b"\x00\x00\x00\x01Bud1")])


# --- images ---------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose IHDR declares *width* × *height* 8-bit grey pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def small_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buf, format="PNG")
    return buf.getvalue()


# --- folders --------------------------------------------------------------------------


def copy_dicomdir_tests(dest: Path) -> Path:
    """pydicom's ``dicomdirtests`` folder copied to *dest*."""
    src = dicom_file("DICOMDIR").parent
    shutil.copytree(src, dest)
    return dest


def dicomdir_with_parent_reference(src: Path, dest: Path, target: str) -> None:
    """Rewrite the DICOMDIR at *src* to *dest*: its first image record points at
    ``../../target`` (the other records' offsets go stale; readers must cope)."""
    ds = pydicom.dcmread(src)
    for record in ds.DirectoryRecordSequence:
        if record.DirectoryRecordType == "IMAGE":
            record.ReferencedFileID = ["..", "..", target]
            break
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pydicom: '..' is not a valid CS value
        ds.save_as(dest, enforce_file_format=True)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# === tests ==============================================================================

GOOD = "good.dcm"
#: Tables compared when a case is opened twice (those the Case of this version has).
TABLES = ("files", "instances", "series", "studies", "documents", "timeline", "problems")


# --- helpers --------------------------------------------------------------------------


def tree(root: Path, *, skip: str = "ws") -> dict[str, str]:
    """Everything under *root* (links not followed, ``root/skip`` left out): path → content."""
    out: dict[str, str] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        if here == root:
            dirs[:] = [d for d in dirs if d != skip]
        for name in dirs + files:
            path = here / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = f"link -> {os.readlink(path)}"
            elif path.is_file():
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def open_checked(
    source: Path, tmp_path: Path, *, verify: bool = False, good: str | None = GOOD
) -> Case:
    """open_case(source) with the checks every hostile input must pass."""
    before = tree(tmp_path)
    started = time.monotonic()
    case = open_case(source, workspace=tmp_path / "ws", verify=verify)
    assert time.monotonic() - started < 30, "ingest took far too long (a hang?)"
    assert tree(tmp_path) == before, "originals changed, or files written outside the workspace"
    if good is not None:
        assert len(case.instances) >= 1
        assert good in set(case.instances["path"]), "the good file is no longer indexed"
    for path, digest in zip(case.files["path"], case.files["sha256"], strict=True):
        local = case.local_path(path)
        assert hashlib.sha256(local.read_bytes()).hexdigest() == digest, path
    again = open_case(source, workspace=tmp_path / "ws", verify=verify)
    for name in TABLES:
        if hasattr(case, name):
            # values only: dtypes and None/NaN are compared in test_reopen_keeps_dtypes
            pd.testing.assert_frame_equal(
                _values(getattr(case, name)), _values(getattr(again, name)), obj=name
            )
    assert tree(tmp_path) == before
    for parent in (tmp_path, tmp_path.parent, tmp_path.parent.parent):
        assert not list(parent.glob("evil*")), f"an archive member escaped into {parent}"
    assert not Path("/etc/evil.txt").exists()
    return case


def _values(frame: pd.DataFrame) -> pd.DataFrame:
    """*frame* as plain objects with every missing value None (dtypes are compared apart)."""
    return frame.astype(object).where(frame.notna(), None)


def kinds_of(case: Case, path: str) -> set[str]:
    return set(case.problems.loc[case.problems["path"] == path, "kind"])


def assert_problem(case: Case, path: str, *kinds: str) -> None:
    """A problem row for *path* of one of *kinds*, whose message names the file."""
    rows = case.problems[(case.problems["path"] == path) & case.problems["kind"].isin(kinds)]
    assert not rows.empty, (
        f"no {kinds} problem for {path!r}; got {case.problems[['path', 'kind']].to_dict('records')}"
    )
    name = path.split("#")[0].rsplit("/", 1)[-1]
    for message in rows["message"]:
        assert name in message, f"message does not name {name!r}: {message}"


def make_case(tmp_path: Path, files: dict[str, bytes], *, folder: str = "case") -> Path:
    """A case folder with the good DICOM file and *files*."""
    root = tmp_path / folder
    write(root / GOOD, good_ct())
    for name, data in files.items():
        write(root / name, data)
    return root


# --- one bad file beside a good one -----------------------------------------------------

BAD_FILES = [
    # name, generator, acceptable kinds
    ("empty.dcm", lambda: b"", {"empty_file"}),
    ("notes.dcm", text_as_dicom, {"not_dicom"}),
    ("cut_in_pixels.dcm", truncated_in_pixels, {"truncated"}),
    ("cut_in_header.dcm", truncated_in_header, {"truncated", "unreadable_dicom"}),
    ("cut_in_meta.dcm", truncated_in_meta, {"truncated"}),
    ("absurd_implicit.dcm", absurd_length_implicit, {"absurd_length"}),
    ("absurd_explicit.dcm", absurd_length_explicit, {"absurd_length"}),
    ("bad_vr.dcm", invalid_vr, {"invalid_vr"}),
    ("bad_vrs.dcm", invalid_vr_twice, {"invalid_vr"}),
    ("deep_pydicom.dcm", deep_sequence_pydicom, {"too_deep"}),
    ("unknown_syntax.dcm", unknown_transfer_syntax, {"unknown_transfer_syntax"}),
    ("short_pixels.dcm", rows_too_large, {"pixel_size_mismatch"}),
    ("huge.png", png_bomb, {"image_bomb"}),
    ("photo.jpg", lambda: b"not a photo, only text\n" * 8, {"wrong_extension"}),
    ("really_png.jpg", small_png, {"wrong_extension"}),
    ("broken.zip", zip_truncated, {"zip_corrupt"}),
]


@pytest.mark.parametrize(("name", "make", "kinds"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_becomes_a_problem(tmp_path, name, make, kinds):
    case = open_checked(make_case(tmp_path, {name: make()}), tmp_path)
    assert_problem(case, name, *kinds)
    assert name in set(case.files["path"]), "every original is listed in files"
    assert kinds_of(case, GOOD) == set(), "the good file picked up a problem"


def test_truncated_files_are_not_decodable(tmp_path):
    case = open_checked(
        make_case(tmp_path, {"cut.dcm": truncated_in_pixels(), "rows.dcm": rows_too_large()}),
        tmp_path,
    )
    decodable = dict(zip(case.instances["path"], case.instances["decodable"], strict=True))
    assert decodable == {GOOD: True, "cut.dcm": False, "rows.dcm": False}


def test_invalid_vr_keeps_the_real_values(tmp_path):
    # one bad VR must not turn the rest of the header into one garbage PatientID
    case = open_checked(make_case(tmp_path, {"bad_vr.dcm": invalid_vr()}), tmp_path)
    row = case.instances.set_index("path").loc["bad_vr.dcm"]
    assert row["PatientID"] == CT_PATIENT
    assert row["Rows"] == 128
    assert "multiple_patients" not in set(case.problems["kind"])


def test_deep_nesting_neither_hangs_nor_recurses(tmp_path):
    files = {f"deep{i}.dcm": deep_sequence_raw(500 + i) for i in range(3)}
    files["deep_defined.dcm"] = deep_sequence_raw(2000, defined_length=True)
    started = time.monotonic()
    case = open_checked(make_case(tmp_path, files), tmp_path)
    assert time.monotonic() - started < 10
    for name in files:
        assert_problem(case, name, "too_deep")
        assert name not in set(case.instances["path"])


def test_undecodable_jpeg2000_found_only_with_verify(tmp_path):
    root = make_case(tmp_path, {"j2k.dcm": corrupt_jpeg2000()})
    case = open_checked(root, tmp_path)
    assert "pixel_decode_failed" not in kinds_of(case, "j2k.dcm")
    verified = open_checked(root, tmp_path, verify=True)
    assert_problem(verified, "j2k.dcm", "pixel_decode_failed")
    row = verified.instances.set_index("path").loc["j2k.dcm"]
    assert not row["decodable"]
    assert verified.instances.set_index("path").loc[GOOD, "decodable"]


def test_undeclared_chinese_charset(tmp_path):
    case = open_checked(make_case(tmp_path, {"chinese.dcm": undeclared_gb18030()}), tmp_path)
    assert_problem(case, "chinese.dcm", "undeclared_charset")
    name = case.instances.set_index("path").loc["chinese.dcm", "PatientName"]
    assert name == "Wang^XiaoDong=王^小东"


# --- archives -------------------------------------------------------------------------

# Generators are deterministic; the zip bombs take a second to build, so build each once.
gen = functools.cache

ZIPS = {
    "unsafe.zip": (
        gen(zip_unsafe_paths),
        {
            "etc/evil.txt": {"unsafe_path"},
            "../../evil.txt": {"unsafe_path"},
            "ok/../../evil2.txt": {"unsafe_path"},
        },
    ),
    "link.zip": (gen(zip_symlink), {"link.txt": {"zip_link"}}),
    "ratio.zip": (gen(zip_ratio_bomb), {"zeros.bin": {"zip_bomb"}}),
    "overlap.zip": (gen(zip_overlapping), {"aaaa.bin": {"zip_bomb"}, "bbbb.bin": {"zip_bomb"}}),
    "liar.zip": (gen(zip_lying_size), {"liar.bin": {"zip_bomb", "zip_corrupt"}}),
    "nest.zip": (gen(zip_nested), {"level2.zip/level3.zip": {"zip_too_deep"}}),
}


@pytest.mark.parametrize("as_source", [False, True], ids=["in_folder", "as_source"])
@pytest.mark.parametrize("zip_name", list(ZIPS))
def test_hostile_zip(tmp_path, zip_name, as_source):
    make, expected = ZIPS[zip_name]
    if as_source:  # the zip is the upload itself; the good file travels inside it
        source = write(tmp_path / zip_name, with_member(make(), GOOD, good_ct()))
        good = f"{zip_name}/{GOOD}"
    else:
        source = make_case(tmp_path, {zip_name: make()})
        good = GOOD
    case = open_checked(source, tmp_path, good=good)
    paths = set(case.files["path"])
    for member, kinds in expected.items():
        path = f"{zip_name}/{member}"
        assert_problem(case, path, *kinds)
        if "zip_too_deep" not in kinds:
            assert path not in paths, f"refused member {path} was unpacked"
    # bombs stay bounded: nothing near the 50 MB they would unpack to
    assert folder_bytes(tmp_path / "ws") < 10 * 1024 * 1024


def test_zip_nested_three_deep_stops_at_the_limit(tmp_path):
    case = open_checked(make_case(tmp_path, {"nest.zip": zip_nested(3)}), tmp_path)
    files = case.files.set_index("path")
    assert files.loc["nest.zip/level2.zip", "kind"] == "archive"
    assert files.loc["nest.zip/level2.zip/level3.zip", "kind"] == "archive"
    assert not any(p.endswith("deepest.txt") for p in files.index)
    assert_problem(case, "nest.zip/level2.zip/level3.zip", "zip_too_deep")


def test_truncated_zip_as_source_is_refused_naming_the_file(tmp_path):
    source = write(tmp_path / "upload.zip", zip_truncated())
    before = tree(tmp_path)
    with pytest.raises(WorkbenchError) as info:
        open_case(source, workspace=tmp_path / "ws")
    assert isinstance(info.value, NothingUsableError)
    assert "upload.zip" in str(info.value)
    assert tree(tmp_path) == before


def test_gbk_member_names_are_decoded(tmp_path):
    case = open_checked(make_case(tmp_path, {"cn.zip": zip_gbk_name()}), tmp_path)
    assert f"cn.zip/{GBK_NAME}" in set(case.files["path"])
    assert any("报告" in p for p in case.files["path"])


def test_same_member_name_twice_keeps_both(tmp_path):
    case = open_checked(make_case(tmp_path, {"dup.zip": zip_duplicate_names()}), tmp_path)
    files = case.files.set_index("path")
    assert files.loc["dup.zip/same.txt", "size"] == len(b"first version\n")
    assert files.loc["dup.zip/same.txt#2", "size"] == len(b"second version\n")
    assert files.loc["dup.zip/same.txt", "sha256"] != files.loc["dup.zip/same.txt#2", "sha256"]


# --- folders: links, junk -------------------------------------------------------------


def test_links_are_listed_not_followed(tmp_path):
    root = make_case(tmp_path, {})
    write(tmp_path / "outside" / "secret.dcm", dicom_file("MR_small.dcm").read_bytes())
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")
    os.symlink(tmp_path / "outside" / "secret.dcm", root / "secret.dcm")
    os.symlink(tmp_path / "outside", root / "outside_dir")
    case = open_checked(root, tmp_path)
    assert_problem(case, "a", "symlink_loop")
    assert_problem(case, "b", "symlink_loop")
    assert_problem(case, "secret.dcm", "link_outside")
    assert_problem(case, "outside_dir", "link_outside")
    assert set(case.files["path"]) == {GOOD}
    assert set(case.instances["PatientID"]) == {CT_PATIENT}


def test_gbk_file_names_on_disk_are_decoded(tmp_path):
    # a Chinese Windows zip unpacked on Linux leaves names that are GBK bytes, not UTF-8
    root = make_case(tmp_path, {})
    raw_root = os.fsencode(root)
    folder = os.path.join(raw_root, "影像".encode("gbk"))
    os.mkdir(folder)
    with open(os.path.join(folder, b"ct.dcm"), "wb") as fh:
        fh.write(one_pixel_changed())
    with open(os.path.join(raw_root, GBK_NAME.encode("gbk")), "wb") as fh:
        fh.write("右膝".encode("gbk"))
    with open(os.path.join(raw_root, b"\xff\xfe.txt"), "wb") as fh:
        fh.write(b"neither UTF-8 nor GBK\n")
    case = open_checked(root, tmp_path)
    paths = set(case.files["path"])
    assert {GOOD, "影像/ct.dcm", GBK_NAME} <= paths
    assert len(paths) == 4
    assert "影像/ct.dcm" in set(case.instances["path"])


def test_named_pipe_is_listed_never_opened(tmp_path):
    root = make_case(tmp_path, {})
    os.mkfifo(root / "pipe.dcm")  # opening it would block forever
    case = open_checked(root, tmp_path)
    assert_problem(case, "pipe.dcm", "not_a_file")


def test_os_junk_is_listed_as_junk_not_indexed(tmp_path):
    root = make_case(
        tmp_path,
        {
            "__MACOSX/._scan.dcm": ct_bytes(),
            ".DS_Store": b"\x00\x00\x00\x01Bud1",
            "junk.zip": zip_with_junk(),
        },
    )
    case = open_checked(root, tmp_path)
    kinds = dict(zip(case.files["path"], case.files["kind"], strict=True))
    for path in (
        "__MACOSX/._scan.dcm",
        ".DS_Store",
        "junk.zip/__MACOSX/._scan.dcm",
        "junk.zip/.DS_Store",
    ):
        assert kinds[path] == "junk"
        assert kinds_of(case, path) == set()
    assert list(case.instances["path"]) == [GOOD]


# --- several files together -----------------------------------------------------------


def test_uid_collision_and_duplicate(tmp_path):
    root = make_case(
        tmp_path,
        {
            "ct_a.dcm": ct_bytes(),
            "ct_b.dcm": one_pixel_changed(),
            "ct_copy.dcm": ct_bytes(),
        },
    )
    case = open_checked(root, tmp_path)
    indexed = list(case.instances["path"])
    assert sorted(indexed) == ["ct_a.dcm", "ct_b.dcm", GOOD]
    assert_problem(case, "ct_a.dcm", "uid_collision")
    assert_problem(case, "ct_b.dcm", "uid_collision")
    assert_problem(case, "ct_copy.dcm", "duplicate")
    assert "uid_collision" not in kinds_of(case, "ct_copy.dcm")
    files = case.files.set_index("path")
    assert files.loc["ct_copy.dcm", "duplicate_of"] == "ct_a.dcm"


def test_two_patients(tmp_path):
    root = make_case(tmp_path, {"mr.dcm": dicom_file("MR_small.dcm").read_bytes()})
    case = open_checked(root, tmp_path)
    rows = case.problems[case.problems["kind"] == "multiple_patients"]
    assert len(rows) == 1
    message = rows["message"].iloc[0]
    assert CT_PATIENT in message and MR_PATIENT in message
    assert len(case.instances) == 2


# --- DICOMDIR ---------------------------------------------------------------------------


def test_dicomdir_missing_file_and_unlisted_extra(tmp_path):
    root = copy_dicomdir_tests(tmp_path / "cd")
    (root / "77654033" / "CR1" / "6154").unlink()
    write(root / GOOD, good_ct())
    case = open_checked(root, tmp_path)
    missing = case.problems[
        (case.problems["kind"] == "dicomdir_missing_file")
        & (case.problems["path"] == "77654033/CR1/6154")
    ]
    assert "DICOMDIR 'DICOMDIR' lists '77654033/CR1/6154'" in " ".join(missing["message"])
    assert_problem(case, "77654033/CR1/6154", "dicomdir_missing_file")
    files = case.files.set_index("path")
    assert not files.loc[GOOD, "in_dicomdir"]
    assert files.loc["77654033/CR2/6247", "in_dicomdir"]
    assert GOOD in set(case.instances["path"])


def test_dicomdir_reference_outside_its_folder(tmp_path):
    root = copy_dicomdir_tests(tmp_path / "outer" / "cd")
    dicomdir_with_parent_reference(root / "DICOMDIR", root / "DICOMDIR", "target.dcm")
    write(root / GOOD, good_ct())
    # the file the hostile record points at (../../target.dcm) exists: it must not be read
    write(tmp_path / "target.dcm", dicom_file("MR_small.dcm").read_bytes())
    case = open_checked(root, tmp_path)
    assert_problem(case, "DICOMDIR", "dicomdir_outside")
    outside = case.problems[case.problems["kind"] == "dicomdir_outside"]
    assert any("../../target.dcm" in m for m in outside["message"])
    assert all(not p.startswith("..") for p in case.files["path"])
    assert MR_PATIENT not in set(case.instances["PatientID"])
    # the image whose record was rewritten is still indexed, just not listed
    assert "77654033/CR1/6154" in set(case.instances["path"])


# --- memory -----------------------------------------------------------------------------

_PEAK_SCRIPT = """
import sys
from workbench.case import open_case

def peak_kib():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))

for source, workspace, expected in zip(*[iter(sys.argv[1:])] * 3):
    case = open_case(source, workspace=workspace)
    assert len(case.instances) == int(expected), case.problems.to_dict("records")
    print(peak_kib())
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_large_pixel_data_memory_bounded(tmp_path):
    small = make_case(tmp_path, {}, folder="small")
    big = make_case(tmp_path, {}, folder="big")
    big_pixel_file(big / "big.dcm")  # ~300 MB of pixel data, sparse on disk
    assert (big / "big.dcm").stat().st_size > 300_000_000
    # one process: the small case sets the baseline peak, then the big case may raise it
    runs = [str(small), str(tmp_path / "ws" / "small"), "1"]
    runs += [str(big), str(tmp_path / "ws" / "big"), "2"]
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, *runs],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    base, peak = (int(v) for v in done.stdout.split()[-2:])
    assert peak - base < 100 * 1024, f"peak grew by {(peak - base) // 1024} MiB"


# --- re-opening -------------------------------------------------------------------------


def test_reopen_keeps_dtypes(tmp_path):
    root = make_case(tmp_path, {"mr.dcm": dicom_file("MR_small.dcm").read_bytes()})
    first = open_case(root, workspace=tmp_path / "ws")
    again = open_case(root, workspace=tmp_path / "ws")
    for name in TABLES:
        if hasattr(first, name):
            pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name), obj=name)
