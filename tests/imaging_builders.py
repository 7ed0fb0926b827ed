"""Small DICOM series written into tmp_path for the imaging, MPR and measurement tests."""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pydicom
from conftest import dicom_file
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from workbench.case import Case, open_case

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)


def ct_stack(
    folder: Path,
    n: int = 10,
    *,
    spacing: float = 3.0,
    orientation: Sequence[float] = AXIAL,
    skip: Sequence[int] = (),
    shift: Sequence[float] = (0.0, 0.0, 0.0),
    seed: int = 7,
    marker: bool = True,
    series_uid: str | None = None,
) -> list[tuple[float, ...]]:
    """*n* copies of CT_small along the normal of *orientation*, names and numbers shuffled.

    Slice *k* (in order along the normal) sits at ``origin + k * spacing * normal
    + k * shift``; indices in *skip* are left out (a gap). With *marker* its
    pixels are ``1000 + 10 k`` stored (``10 k - 24`` HU) so the order can be read back.
    Returns the positions written, in order along the normal.
    """
    folder.mkdir(parents=True, exist_ok=True)
    template = pydicom.dcmread(dicom_file("CT_small.dcm"))
    row, col = np.array(orientation[:3]), np.array(orientation[3:])
    normal = np.cross(row, col)
    origin = np.array([-100.0, -80.0, -50.0])
    series_uid = series_uid or generate_uid()
    kept = [k for k in range(n) if k not in set(skip)]
    rng = random.Random(seed)
    numbers = list(range(1, len(kept) + 1))
    rng.shuffle(numbers)
    names = [f"IMG{rng.randrange(10**6):06d}_{i}.dcm" for i in range(len(kept))]
    positions = []
    for i, k in enumerate(kept):
        ds = copy.deepcopy(template)
        position = origin + k * spacing * normal + k * np.array(shift)
        positions.append(tuple(float(v) for v in position))
        ds.ImagePositionPatient = [f"{v:.4f}" for v in position]
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in orientation]
        ds.SliceLocation = f"{float(position @ normal):.4f}"
        ds.InstanceNumber = numbers[i]
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        if marker:
            pixels = np.full((ds.Rows, ds.Columns), 1000 + 10 * k, dtype=np.int16)
            pixels[:8, :8] = 0  # a corner block, to check orientation
            ds.PixelData = pixels.tobytes()
        ds.save_as(folder / names[i])
    return positions


def projection(
    path: Path,
    *,
    pixel_spacing: Sequence[float] | None = None,
    imager_spacing: Sequence[float] | None = None,
    magnification: float | None = None,
    modality: str = "DX",
    body_part: str = "KNEE",
    description: str = "KNEE RT AP STANDING",
    size: tuple[int, int] = (200, 240),
    photometric: str = "MONOCHROME2",
    patient_orientation: Sequence[str] = ("L", "F"),
) -> Path:
    """A small 12-bit radiograph with the given calibration elements."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    for keyword in (
        "ImagePositionPatient", "ImageOrientationPatient", "SliceLocation", "PixelSpacing",
        "RescaleIntercept", "RescaleSlope", "SliceThickness", "FrameOfReferenceUID",
    ):  # fmt: skip
        if keyword in ds:
            delattr(ds, keyword)
    ds.Modality = modality
    ds.BodyPartExamined = body_part
    ds.SeriesDescription = description
    ds.StudyDescription = description
    ds.PatientOrientation = list(patient_orientation)
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.SOPInstanceUID = generate_uid()
    if pixel_spacing is not None:
        ds.PixelSpacing = [str(v) for v in pixel_spacing]
    if imager_spacing is not None:
        ds.ImagerPixelSpacing = [str(v) for v in imager_spacing]
    if magnification is not None:
        ds.EstimatedRadiographicMagnificationFactor = str(magnification)
    rows, cols = size
    ramp = np.add.outer(np.arange(rows) * 7, np.arange(cols) * 3) % 4096
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PhotometricInterpretation = photometric
    ds.WindowCenter, ds.WindowWidth = "2048", "4096"
    ds.PixelData = ramp.astype(np.uint16).tobytes()
    ds.save_as(path)
    return path


def open_folder(folder: Path, workspace: Path) -> Case:
    """``open_case`` on a test folder."""
    return open_case(folder, workspace=workspace)


def only_series(case: Case) -> str:
    """The key of the case's single series."""
    keys = list(case.series["series_key"])
    assert len(keys) == 1, keys
    return str(keys[0])


def large_radiograph(
    path: Path,
    *,
    size: tuple[int, int] = (3000, 2500),
    spacing: float = 0.15,
    description: str = "KNEE RT AP",
) -> Path:
    """A large 12-bit DX (default 3000 x 2500, *spacing* mm PixelSpacing) of noise over a
    ramp: its reduced copy differs from every full-resolution pixel. Not weight-bearing
    unless *description* says so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    for keyword in ("ImagePositionPatient", "ImageOrientationPatient", "SliceLocation",
                    "RescaleIntercept", "RescaleSlope", "FrameOfReferenceUID"):  # fmt: skip
        if keyword in ds:
            delattr(ds, keyword)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Modality, ds.BodyPartExamined = "DX", "KNEE"
    ds.SeriesDescription = ds.StudyDescription = description
    ds.PatientOrientation = ["L", "F"]
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    rows, cols = size
    ds.Rows, ds.Columns = rows, cols
    ds.PixelSpacing = [spacing, spacing]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.WindowCenter, ds.WindowWidth = "2048", "4096"
    rng = np.random.default_rng(7)
    ramp = np.add.outer(np.arange(rows), np.arange(cols)) % 3000
    ds.PixelData = (ramp + rng.integers(0, 1000, ramp.shape)).astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path
