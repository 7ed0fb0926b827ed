"""Compare two sample trees by what they mean, not by the bytes an encoder happened to write.

The generator is byte-for-byte deterministic against itself, but the bytes of a JPEG
(libjpeg in Pillow), a JPEG 2000 or RLE code stream, a deflated zip member or PDF stream
(zlib) and a PDF (fpdf2) depend on library versions. The committed samples are compared
with a fresh generation here:

* DICOM: file meta and every header element equal (raw value bytes where pydicom keeps
  them, so character-set escapes count); native pixel data byte-equal (a truncated file
  stays truncated the same way); compressed pixel data decoded and equal, within
  :data:`JPEG_MEAN_TOLERANCE` / :data:`JPEG_BLOCK_TOLERANCE` for lossy transfer syntaxes;
* JPEG: size, mode and EXIF equal, decoded pixels within the same tolerances;
* PDF: page count, page sizes, extracted text and metadata (except ``/Producer``, which
  names the fpdf2 version) equal;
* zip (and .docx): member names in order, timestamps, compression methods and
  attributes equal, each member compared by these rules (other members byte-equal);
* anything else: byte-equal.

Every message names the file (``upload.zip!photos/IMG.jpg`` for a member), the values
that differ and what to do.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydicom import dcmread
from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)
from pydicom.uid import JPEGLossless as JPEGLosslessP14
from pypdf import PdfReader

#: Mean absolute difference of decoded lossy images, in grey levels (0-255 for 8 bits).
JPEG_MEAN_TOLERANCE = 1.0
#: Largest mean absolute difference over one :data:`BLOCK` x :data:`BLOCK` block: an encoder
#: spreads its error thinly, a changed letter or marker is local and shows here.
JPEG_BLOCK_TOLERANCE = 3.0
BLOCK = 16

#: Compressed transfer syntaxes whose decoded pixels must be exactly equal.
LOSSLESS = {
    RLELossless,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    JPEGLosslessP14,
    JPEGLSLossless,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    DeflatedExplicitVRLittleEndian,
}

PIXEL_DATA = 0x7FE00010
FIX = "if the change is intended, regenerate with `make samples` and review `git diff --stat`"


def compare_trees(fresh: Path, committed: Path) -> list[str]:
    """What differs in meaning between two sample folders (empty when they agree)."""
    a = {p.relative_to(fresh).as_posix(): p for p in fresh.rglob("*") if p.is_file()}
    b = {p.relative_to(committed).as_posix(): p for p in committed.rglob("*") if p.is_file()}
    out = [
        f"{name}: only in the fresh generation ({fresh}); {FIX}" for name in sorted(a - b.keys())
    ]
    out += [
        f"{name}: only in the committed samples ({committed}); {FIX}"
        for name in sorted(b.keys() - a)
    ]
    for name in sorted(a.keys() & b.keys()):
        out += compare_bytes(name, a[name].read_bytes(), b[name].read_bytes())
    return out


def kind_of(data: bytes) -> str:
    """``dicom``, ``zip``, ``jpeg``, ``pdf`` or ``bytes``, from the content."""
    if data[128:132] == b"DICM":
        return "dicom"
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:5] == b"%PDF-":
        return "pdf"
    return "bytes"


def compare_bytes(name: str, fresh: bytes, committed: bytes) -> list[str]:
    """Compare one file (or zip member) by its kind; *name* goes into every message."""
    if fresh == committed:
        return []
    kinds = kind_of(fresh), kind_of(committed)
    if kinds[0] != kinds[1]:
        return [f"{name}: fresh file is {kinds[0]}, committed file is {kinds[1]}; {FIX}"]
    compare: dict[str, Callable[[str, bytes, bytes], list[str]]] = {
        "dicom": compare_dicom,
        "zip": compare_zip,
        "jpeg": compare_jpeg,
        "pdf": compare_pdf,
    }
    if kinds[0] in compare:
        return compare[kinds[0]](name, fresh, committed)
    return [
        f"{name}: bytes differ ({len(fresh):,} fresh, {len(committed):,} committed) in a "
        f"file no lossy or version-dependent encoder writes; {FIX}"
    ]


def compare_zip(name: str, fresh: bytes, committed: bytes) -> list[str]:
    """Member list, order, timestamps and attributes equal; members compared by kind."""
    with zipfile.ZipFile(io.BytesIO(fresh)) as a, zipfile.ZipFile(io.BytesIO(committed)) as b:
        names_a, names_b = a.namelist(), b.namelist()
        if names_a != names_b:
            added = sorted(set(names_a) - set(names_b))
            missing = sorted(set(names_b) - set(names_a))
            what = f"added {added}, missing {missing}" if added or missing else "order differs"
            return [f"{name}: zip members differ: {what}; {FIX}"]
        out = [] if a.comment == b.comment else [f"{name}: zip comment differs"]
        for ia, ib in zip(a.infolist(), b.infolist(), strict=True):
            member = f"{name}!{ia.filename}"
            fields = ("date_time", "compress_type", "create_system", "external_attr", "extra")
            for field in fields:
                va, vb = getattr(ia, field), getattr(ib, field)
                if va != vb:
                    out.append(f"{member}: {field} is {va!r} fresh, {vb!r} committed; {FIX}")
            out += compare_bytes(member, a.read(ia), b.read(ib))
    return out


def _pixels(data: bytes) -> tuple[NDArray[np.float64], tuple[int, int], str, dict[int, object]]:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image, np.float64), image.size, image.mode, dict(image.getexif())


def image_difference(a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[float, float]:
    """Mean absolute difference, and its largest mean over one ``BLOCK`` x ``BLOCK`` block."""
    diff = np.abs(a - b)
    if diff.ndim == 3:
        diff = diff.mean(axis=2)
    rows, cols = np.arange(0, diff.shape[0], BLOCK), np.arange(0, diff.shape[1], BLOCK)
    sums = np.add.reduceat(np.add.reduceat(diff, rows, axis=0), cols, axis=1)
    counts = np.outer(np.diff([*rows, diff.shape[0]]), np.diff([*cols, diff.shape[1]]))
    return float(diff.mean()), float((sums / counts).max())


def _within_tolerance(
    name: str, a: NDArray[np.float64], b: NDArray[np.float64], scale: float
) -> list[str]:
    mean, block = image_difference(a / scale, b / scale)
    if mean <= JPEG_MEAN_TOLERANCE and block <= JPEG_BLOCK_TOLERANCE:
        return []
    return [
        f"{name}: decoded pixels differ beyond the lossy codec's tolerance: mean "
        f"{mean:.3f} (tolerance {JPEG_MEAN_TOLERANCE}), worst {BLOCK}x{BLOCK} block "
        f"{block:.2f} (tolerance {JPEG_BLOCK_TOLERANCE}) grey levels of 255; the image "
        f"changed, not only its encoder; {FIX}"
    ]


def compare_jpeg(name: str, fresh: bytes, committed: bytes) -> list[str]:
    """Same size, mode and EXIF; decoded pixels within the JPEG tolerance."""
    a, size_a, mode_a, exif_a = _pixels(fresh)
    b, size_b, mode_b, exif_b = _pixels(committed)
    if (size_a, mode_a) != (size_b, mode_b):
        return [f"{name}: JPEG is {mode_a} {size_a} fresh, {mode_b} {size_b} committed; {FIX}"]
    if exif_a != exif_b:
        return [f"{name}: EXIF differs ({exif_a} fresh, {exif_b} committed); {FIX}"]
    return _within_tolerance(name, a, b, scale=1.0)


def compare_pdf(name: str, fresh: bytes, committed: bytes) -> list[str]:
    """Page count, page sizes, text and metadata (but ``/Producer``) equal."""
    a, b = PdfReader(io.BytesIO(fresh)), PdfReader(io.BytesIO(committed))
    if len(a.pages) != len(b.pages):
        return [f"{name}: {len(a.pages)} pages fresh, {len(b.pages)} committed; {FIX}"]
    out = []
    meta_a = {k: str(v) for k, v in (a.metadata or {}).items() if k != "/Producer"}
    meta_b = {k: str(v) for k, v in (b.metadata or {}).items() if k != "/Producer"}
    if meta_a != meta_b:
        out.append(f"{name}: PDF metadata is {meta_a} fresh, {meta_b} committed; {FIX}")
    for number, (pa, pb) in enumerate(zip(a.pages, b.pages, strict=True), 1):
        box_a, box_b = [float(v) for v in pa.mediabox], [float(v) for v in pb.mediabox]
        if box_a != box_b:
            out.append(f"{name}: page {number} is {box_a} fresh, {box_b} committed; {FIX}")
        text_a, text_b = pa.extract_text(), pb.extract_text()
        if text_a != text_b:
            line = next(
                (
                    x
                    for x, y in zip(text_a.splitlines(), text_b.splitlines(), strict=False)
                    if x != y
                ),
                "(a line added or removed)",
            )
            out.append(f"{name}: text of page {number} differs, first at {line!r}; {FIX}")
    return out


def _element_value(ds: Dataset, tag: int) -> object:
    """The raw value bytes when pydicom still holds them, else the decoded value."""
    item = ds.get_item(tag)
    if isinstance(item, RawDataElement) and item.VR != "SQ":
        return item.value
    element = ds[tag]
    assert isinstance(element, DataElement)
    return element.value


def _compare_elements(name: str, where: str, a: Dataset, b: Dataset) -> list[str]:
    out = []
    for tag in sorted(set(a.keys()) | set(b.keys())):
        if tag == PIXEL_DATA:
            continue
        label = where + (keyword_for_tag(tag) or str(tag))
        if tag not in a or tag not in b:
            side = "committed" if tag in b else "fresh"
            out.append(f"{name}: {label} {tag} is only in the {side} file; {FIX}")
            continue
        va, vb = _element_value(a, tag), _element_value(b, tag)
        if va != vb:
            out.append(f"{name}: {label} {tag} is {va!r:.80} fresh, {vb!r:.80} committed; {FIX}")
    return out


def compare_dicom(name: str, fresh: bytes, committed: bytes) -> list[str]:
    """File meta and header equal; pixels equal (within tolerance when lossy)."""
    a, b = dcmread(io.BytesIO(fresh)), dcmread(io.BytesIO(committed))
    out = _compare_elements(name, "file meta ", a.file_meta, b.file_meta)
    out += _compare_elements(name, "", a, b)
    if out or PIXEL_DATA not in a or PIXEL_DATA not in b:
        return out
    syntax = UID(a.file_meta.TransferSyntaxUID)
    if not syntax.is_compressed:
        if a.PixelData != b.PixelData:
            return [
                f"{name}: native pixel data differs ({len(a.PixelData):,} bytes fresh, "
                f"{len(b.PixelData):,} committed); {FIX}"
            ]
        return []
    pa, pb = np.asarray(a.pixel_array, np.float64), np.asarray(b.pixel_array, np.float64)
    if pa.shape != pb.shape:
        return [f"{name}: decoded pixels are {pa.shape} fresh, {pb.shape} committed; {FIX}"]
    if syntax in LOSSLESS:
        if not np.array_equal(pa, pb):
            count = int((pa != pb).sum())
            return [
                f"{name}: {count:,} decoded pixels differ in a lossless {syntax.name} image; {FIX}"
            ]
        return []
    return _within_tolerance(name, pa, pb, scale=(2 ** int(a.BitsStored) - 1) / 255)
