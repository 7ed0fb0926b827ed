"""Generators of hostile inputs: damaged DICOM, malicious zips, bombs, odd names.

Every function returns bytes (or writes into a folder it is given) and starts,
where it can, from a real pydicom test file, so the damage is the only thing
that is unusual about it. Used by ``test_hostile.py``.
"""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import pydicom
from conftest import dicom_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

CT_PATIENT = "1CT1"
MR_PATIENT = "4MR1"
GBK_NAME = "报告.txt"


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
    """JPEG2000.dcm with its codestream (after the SIZ marker segment) overwritten."""
    data = bytearray(dicom_file("JPEG2000.dcm").read_bytes())
    soc = data.find(b"\xff\x4f\xff\x51")
    assert soc > 0
    start = soc + 60
    end = len(data) - 4
    for i in range(start, end):
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
    import warnings

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


def dicomdir_with_parent_reference(src: Path, dest: Path) -> None:
    """Rewrite the DICOMDIR at *src* to *dest* with one image record pointing at ``../``."""
    ds = pydicom.dcmread(src)
    for record in ds.DirectoryRecordSequence:
        if record.DirectoryRecordType == "IMAGE":
            record.ReferencedFileID = ["..", "..", "evil.dcm"]
            break
    ds.save_as(dest, enforce_file_format=True)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
