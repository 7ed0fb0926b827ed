"""Small real DICOM files and byte-level damage, shared by the robustness tests and the fuzzer."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def tiny_dicom(
    path: Path,
    *,
    patient_id: str = "P1",
    study_uid: str | None = None,
    series_uid: str | None = None,
    instance: int = 1,
    description: str = "Knee XR",
    rows: int = 4,
    cols: int = 4,
) -> Path:
    """A valid secondary-capture image of *rows* × *cols* 8-bit pixels (a few hundred bytes)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SECONDARY_CAPTURE
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.PatientID = patient_id
    ds.PatientName = "Test^Patient"
    ds.Modality = "OT"
    ds.StudyDate = "20240310"
    ds.StudyDescription = description
    ds.SeriesDescription = description
    ds.InstanceNumber = instance
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = np.arange(rows * cols, dtype=np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def meta_end(data: bytes) -> int:
    """Where the file meta of a Part 10 file ends (from its group length)."""
    assert data[128:132] == b"DICM" and data[132:134] == b"\x02\x00"
    (group_length,) = struct.unpack_from("<I", data, 140)
    return 144 + group_length


def relabel_syntax(data: bytes, uid: str) -> bytes:
    """*data* with (0002,0010) *Transfer Syntax UID* replaced, the data set left as it is."""
    end = meta_end(data)
    pos = 144
    out = bytearray(data[:144])
    while pos < end:
        group, elem, vr = struct.unpack_from("<HH2s", data, pos)
        if vr in (b"OB", b"OW", b"UN", b"UT", b"SQ"):
            (length,) = struct.unpack_from("<I", data, pos + 8)
            head = 12
        else:
            (length,) = struct.unpack_from("<H", data, pos + 6)
            head = 8
        element = data[pos : pos + head + length]
        if (group, elem) == (0x0002, 0x0010):
            value = uid.encode() + (b"\x00" if len(uid) % 2 else b"")
            element = struct.pack("<HH2sH", group, elem, b"UI", len(value)) + value
        out += element
        pos += head + length
    struct.pack_into("<I", out, 140, len(out) - 144)
    return bytes(out) + data[end:]


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    """*data* with the first *old* replaced by *new* (same length), failing when absent."""
    at = data.index(old)
    assert len(old) == len(new)
    return data[:at] + new + data[at + len(old) :]


def element_offset(data: bytes, tag: int) -> int:
    """Byte offset of the first explicit-VR little-endian element *tag* in *data*."""
    return data.index(struct.pack("<HH", tag >> 16, tag & 0xFFFF), 132)


def read(path: Path) -> pydicom.Dataset:
    return pydicom.dcmread(path)
