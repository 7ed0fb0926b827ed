"""Generate the bundled synthetic sample cases (no real patient data).

Run from the repository root::

    .venv/bin/python sample_cases/generate.py              # rewrites the cases next to this file
    .venv/bin/python sample_cases/generate.py --out DIR    # writes them into DIR instead

Everything is synthetic: names such as ``Demo^Knee``, IDs ``SAMPLE001`` to ``SAMPLE003``,
fictitious facilities and devices. Images come from simple 3-D phantoms (superellipsoids
for bones, cartilage, menisci, discs, dural sac ...): MR and CT slices sample the phantom
on the grid their ImagePositionPatient / ImageOrientationPatient describe, radiographs are
parallel projections of the same phantom, so the series of one case share one anatomy.

Re-running produces byte-identical files: UIDs are ``2.25.`` + 128 bits of SHA-256 of a
fixed name, every date and time is fixed, noise comes from seeded generators, zip members
(also inside the .docx) carry a fixed timestamp, PDF and DOCX metadata dates are fixed.
The bytes depend on the pinned pydicom, pylibjpeg-openjpeg (JPEG 2000), zlib, libjpeg
(Pillow) and fpdf2 versions; the determinism test compares a fresh run with these files.

Cases and the record gaps each is built to contain
--------------------------------------------------
``knee_oa_right/`` (case_type ``knee_replacement``; meant to be complete, no blocker gap)
    Demo^Knee, SAMPLE001, F, born 1958. Right medial-compartment osteoarthritis.
    DX 2023-06-12 (Sample Community Hospital): standing AP (JPEG 2000 lossless) and
    lateral (RLE lossless) of the right knee, medial joint space 3 mm.
    MR 2024-03-10 (Sample Imaging Center): SAG PD FS (16 slices, uncompressed, files without
    extension) and COR T2 (12 slices, RLE), full-thickness medial cartilage loss, medial
    tibial marrow oedema, degenerative tear of the medial meniscus posterior horn, effusion.
    DX 2024-09-03 (Sample Orthopaedic Clinic): standing AP, MONOCHROME1, 14 bits, with
    EstimatedRadiographicMagnificationFactor 1.10; medial joint space now 1.5 mm.
    Reports: ``reports/MR_right_knee_2024-03-10.pdf``, ``reports/XR_knee_2024-09-03.pdf``.
    ``case.yaml``: complete (pain history with function, five treatments with responses,
    a visit event, proposed treatment, four questions).
    Gaps by design: minor only -- the 2023 radiographs have no report; no long-leg view.

``lumbar_spine_zh/`` (case_type ``spine``; Chinese records)
    Demo^Lumbar=演示^腰椎, SAMPLE002, M, born 1971; left L4/5 fenestration discectomy on
    2019-11-08, recurrent left paracentral L4/5 herniation in 2024; fusion proposed.
    CR 2024-05-18 (示例市第一人民医院): AP and lateral lumbar spine (JPEG 2000 lossless).
    The AP series uses SpecificCharacterSet ``\\ISO 2022 IR 58`` written byte-exact per
    PS3.5 Annex K.2 (ESC $ ) A before each GB2312 run, repeated after ``^`` and ``=``),
    the lateral series ``GB18030``, as when one study passed through two gateways.
    pydicom 3.0.2 does not round-trip ISO 2022 IR 58: it writes no escape sequences and
    keeps a literal ``ESC $ ) A`` in decoded values, so this file tests the reader.
    MR 2024-05-20: 腰椎 矢状位 T2 / SAG T2 (13 slices, uncompressed, GB18030) and
    腰椎 轴位 T2 / AX T2 (15 slices, RLE, GB18030).
    Documents: Chinese MR report ``reports/腰椎MRI报告_20240520.txt`` (GB18030, CRLF) and
    the operation note ``reports/手术记录_20191108.docx`` (python-docx, fixed metadata).
    ``case.yaml`` in Chinese, languages [zh, en].
    Gaps by design: ``pain_history.function`` missing; the physiotherapy entry has no
    response; the radiographs have no report; no neurological examination notes; no
    imaging from before the 2019 operation.

``messy_upload/upload.zip`` (no ``case.yaml``: the coordinator has not written one)
    Demo^Messy, SAMPLE003, M, born 1976; left knee imaging, dated 2024-01-15.
    ``CD/DICOMDIR`` + ``CD/DICOM/PT000000/ST00000x/SE000000/IM00000x`` (pydicom FileSet,
    Referenced File IDs moved under ``DICOM``): DX ``KNEE LT AP`` (Laterality L,
    uncompressed) and CT ``KNEE LT AXIAL 2.5MM`` (12 slices, Implicit VR Little Endian).
    ``corrupt/IM_BROKEN.dcm``: the ``KNEE LT LAT`` radiograph, truncated in the middle of
    its pixel data. ``photos/IMG_2024_film.jpg``: a phone photo of the lateral film (RGB,
    perspective, no EXIF). ``report_knee.pdf``: report dated 2024-01-15 that says RIGHT knee.
    Junk: ``.DS_Store`` and ``__MACOSX/._report_knee.pdf``.
    Gaps by design: no case.yaml (no concern, pain timeline, treatments, function or
    questions); side conflict (left images, right report); the only lateral view is a
    photo and a corrupt file; the AP is not marked weight-bearing; the CT has no report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import math
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom import dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomFileLike
from pydicom.fileset import FileSet
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
)

HERE = Path(__file__).resolve().parent
CASE_NAMES = ("knee_oa_right", "lumbar_spine_zh", "messy_upload")
UID_NAMESPACE = "workbench/sample_cases/v1"

DX_STORAGE = UID("1.2.840.10008.5.1.4.1.1.1.1")  # Digital X-Ray Image - For Presentation
CR_STORAGE = UID("1.2.840.10008.5.1.4.1.1.1")
CT_STORAGE = UID("1.2.840.10008.5.1.4.1.1.2")
MR_STORAGE = UID("1.2.840.10008.5.1.4.1.1.4")

Array = NDArray[np.float64]
Vec = tuple[float, float, float]

SAGITTAL: tuple[Vec, Vec] = ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0))
CORONAL: tuple[Vec, Vec] = ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0))
AXIAL: tuple[Vec, Vec] = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))


# --- determinism helpers --------------------------------------------------------------


def make_uid(*parts: str) -> UID:
    """A ``2.25.`` UID from 128 bits of SHA-256 of a fixed name."""
    digest = hashlib.sha256("/".join((UID_NAMESPACE, *parts)).encode()).digest()
    return UID(f"2.25.{int.from_bytes(digest[:16], 'big')}")


IMPLEMENTATION_UID = make_uid("implementation")


def rng_for(*parts: str) -> np.random.Generator:
    """A random generator seeded from a fixed name."""
    digest = hashlib.sha256("/".join((UID_NAMESPACE, "rng", *parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def ds_str(value: float) -> str:
    """A Decimal String value with at most four decimals (``-90.3125``, ``0``)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def zip_bytes(members: Iterable[tuple[str, bytes]], date_time: tuple[int, ...]) -> bytes:
    """A deflated zip of *members* in the given order with one fixed timestamp."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=date_time)  # type: ignore[arg-type]
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def normalise_zip(data: bytes, date_time: tuple[int, ...]) -> bytes:
    """Rewrite a zip (a .docx) with fixed member timestamps, keeping member order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    return zip_bytes(members, date_time)


def write_bytes(path: Path, data: bytes) -> None:
    """Write *data*, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# --- phantoms -------------------------------------------------------------------------

TISSUES = (
    "air", "fat", "muscle", "fluid", "cartilage", "cortex", "marrow", "meniscus", "tear",
    "edema", "tendon", "ligament", "annulus", "nucleus", "nucleus_dark", "csf", "cord",
    "root", "vessel", "bowel", "gas", "scar",
)  # fmt: skip


@dataclass(frozen=True)
class Blob:
    """A superellipsoid in patient coordinates (LPS, mm).

    ``tilt`` (radians) turns the blob about the patient x axis: its own vertical axis
    points along ``(y, z) = (sin tilt, cos tilt)``. ``bone`` names the bone a blob belongs
    to in radiographs (``cortex`` blobs give the outline, ``marrow`` blobs the inside).
    """

    tissue: str
    center: Vec
    radii: Vec
    power: float = 2.0
    tilt: float = 0.0
    bone: str = ""

    def inside(self, x: Array, y: Array, z: Array) -> NDArray[np.bool_]:
        """Which points lie inside the blob."""
        cos, sin = math.cos(self.tilt), math.sin(self.tilt)
        dy, dz = y - self.center[1], z - self.center[2]
        terms = (
            np.abs((x - self.center[0]) / self.radii[0]) ** self.power
            + np.abs((dy * cos - dz * sin) / self.radii[1]) ** self.power
            + np.abs((dy * sin + dz * cos) / self.radii[2]) ** self.power
        )
        return np.asarray(terms <= 1.0)

    def chord(self, h: Array, z: Array, along: str) -> Array:
        """Path length through the blob along ``x`` or ``y`` at in-plane points (h, z).

        Exact along ``x``; along ``y`` a tilted blob is approximated by an upright one of
        the same projected height.
        """
        (cx, cy, cz), (rx, ry, rz), p = self.center, self.radii, self.power
        cos, sin = math.cos(self.tilt), math.sin(self.tilt)
        if along == "x":
            dy, dz = h - cy, z - cz
            a, b = (dy * cos - dz * sin) / ry, (dy * sin + dz * cos) / rz
            depth = rx
        else:
            a, b = (h - cx) / rx, (z - cz) / math.hypot(rz * cos, ry * sin)
            depth = ry
        rest = np.clip(1.0 - np.abs(a) ** p - np.abs(b) ** p, 0.0, None)
        return np.asarray(2.0 * depth * rest ** (1.0 / p))

    def shrunk(self, mm: float, tissue: str) -> Blob:
        """The same blob with every radius reduced by *mm* (the marrow inside a cortex)."""
        radii = tuple(max(r - mm, 0.5) for r in self.radii)
        return replace(self, tissue=tissue, radii=radii)  # type: ignore[arg-type]


Part = tuple[Vec, Vec, float, float]  # center, radii, power, tilt


def bone(name: str, parts: Sequence[Part], cortex: float = 1.5) -> list[Blob]:
    """Cortex blobs for every part, then the marrow inside them (painted in this order)."""
    outer = [Blob("cortex", c, r, p, t, bone=name) for c, r, p, t in parts]
    return outer + [blob.shrunk(cortex, "marrow") for blob in outer]


def part(center: Vec, radii: Vec, power: float = 2.0, tilt: float = 0.0) -> Part:
    """One bone part; see :func:`bone`."""
    return (center, radii, power, tilt)


def knee_phantom(side: str, medial_gap: float, osteophyte: float) -> list[Blob]:
    """A knee with medial osteoarthritis; *side* ``R`` or ``L``; gaps in mm.

    Local coordinates: ``u`` medial (+), ``v`` posterior (+), ``w`` superior (+), the
    joint line at ``w = 0``; a right knee sits at x = -90 mm, a left knee at x = +90 mm.
    """
    sign = 1.0 if side == "R" else -1.0
    x0 = -90.0 * sign

    def at(u: float, v: float, w: float) -> Vec:
        return (x0 + sign * u, v, w)

    plateau = -3.25  # lateral joint space 6.5 mm
    med_bottom, lat_bottom = plateau + medial_gap, plateau + 6.5
    blobs = [
        Blob("fat", at(0, 2, 0), (66, 62, 1e4)),
        Blob("muscle", at(0, 8, 0), (56, 50, 1e4)),
        Blob("fat", at(0, -30, -6), (40, 22, 30)),  # Hoffa fat pad and anterior fat
        Blob("fluid", at(0, -26, 33), (26, 7, 22)),  # suprapatellar effusion
        Blob("fluid", at(0, 33, 6), (28, 4, 16)),  # posterior recess
        Blob("tendon", at(0, -41, 52), (18, 4, 20)),  # quadriceps tendon
        Blob("tendon", at(0, -40, -25), (13, 3.5, 22)),  # patellar tendon
        Blob("ligament", at(44, 6, 0), (1.6, 10, 38)),  # MCL
        Blob("ligament", at(-45, 16, -14), (1.6, 5, 28)),  # LCL
        Blob("ligament", at(-3, 6, 8), (4.5, 4, 17), tilt=0.7),  # ACL
        Blob("ligament", at(3, 20, 5), (4.5, 4.5, 16), tilt=-0.5),  # PCL
        Blob("meniscus", at(21, 8, plateau + 2.0), (19.5, 25, 3.2)),  # medial, extruded
        Blob("fluid", at(21, 6, plateau + 2.0), (12, 15, 3.3)),
        Blob("tear", at(22, 26, plateau + 1.6), (7, 4.5, 0.6), tilt=0.35),
        Blob("meniscus", at(-21, 8, plateau + 3.2), (17, 23, 3.6)),
        Blob("cartilage", at(-21, 6, plateau + 3.2), (11, 15, 3.7)),
        Blob("cartilage", at(0, -36, 18), (23, 10, 25)),  # patellar cartilage
        Blob("cartilage", at(0, -12, 26), (31.5, 16.5, 21.5), 2.2),  # trochlear cartilage
        Blob("cartilage", at(21, 8, med_bottom + 22), (17.3, 30.3, 22.3)),  # worn
        Blob("cartilage", at(-21, 8, lat_bottom + 22), (19.2, 32.2, 24.2)),
        Blob("cartilage", at(21, 6, plateau), (16, 21, 0.3)),  # worn
        Blob("cartilage", at(-21, 6, plateau), (16, 21, 2.2)),
    ]
    femur = [
        part(at(0, 4, 120), (15, 15, 100)),
        part(at(0, 4, 34), (35, 26, 24), 2.4),
        part(at(0, -12, 26), (29, 14, 19), 2.2),
        part(at(21, 8, med_bottom + 22), (17, 30, 22)),
        part(at(-21, 8, lat_bottom + 22), (17, 30, 22)),
        part(at(38, 8, med_bottom + 6), (2 + osteophyte, 7, 4)),
    ]
    tibia = [
        part(at(0, 6, plateau - 17), (39, 30, 17), 4.0),
        part(at(0, 6, -45), (28, 22, 24), 2.4),
        part(at(0, 8, -140), (15, 14, 100)),
        part(at(0, -17, -44), (11, 8, 13)),
        part(at(0, 8, plateau), (5, 8, 4)),  # tibial spines
        part(at(38, 6, plateau - 4), (2 + osteophyte, 7, 3.5)),
    ]
    fibula = [part(at(-33, 22, -38), (10, 10, 12)), part(at(-34, 24, -140), (7, 7, 95))]
    blobs += bone("femur", femur) + bone("tibia", tibia) + bone("fibula", fibula)
    blobs += bone("patella", [part(at(0, -38.5, 18), (21, 8, 23))], cortex=1.2)
    blobs.append(Blob("edema", at(20, 6, plateau - 7), (13, 14, 5)))
    return blobs


def spine_y(z: float) -> float:
    """Antero-posterior centre of the vertebral bodies: a lumbar lordosis."""
    return 0.0015 * (z + 10.0) ** 2 - 5.0


def spine_tilt(z: float) -> float:
    """Tilt of the spinal axis at height *z* (see :class:`Blob`)."""
    return math.atan(0.003 * (z + 10.0))


SPINE_LEVELS = {"L1": 92.0, "L2": 56.0, "L3": 20.0, "L4": -16.0, "L5": -50.0}
S1_Z = -84.0


def spine_soft_tissue(rng: np.random.Generator) -> list[Blob]:
    """Trunk, bowel with gas, great vessels, psoas and paraspinal muscles."""
    blobs = [
        Blob("fat", (0, -20, 0), (165, 115, 1e4)),
        Blob("muscle", (0, -20, 0), (152, 103, 1e4)),
        Blob("bowel", (0, -70, 0), (115, 55, 1e4)),
    ]
    for k in range(7):
        center = (rng.uniform(-80, 80), rng.uniform(-100, -45), rng.uniform(-130, 120))
        radii = (rng.uniform(10, 22), rng.uniform(8, 14), rng.uniform(10, 25))
        blobs.append(Blob("gas", center, radii, tilt=0.3 * k))  # type: ignore[arg-type]
    blobs += [
        Blob("vessel", (14, -36, 0), (10, 10, 1e4)),  # aorta
        Blob("vessel", (-20, -34, 0), (11, 9, 1e4)),  # inferior vena cava
        Blob("muscle", (42, -2, -60), (15, 16, 150)),  # psoas
        Blob("muscle", (-42, -2, -60), (15, 16, 150)),
        Blob("muscle", (36, 58, 0), (28, 25, 1e4)),  # erector spinae
        Blob("muscle", (-36, 58, 0), (28, 25, 1e4)),
    ]
    return blobs


def spine_canal() -> list[Blob]:
    """Dural sac, cord, cauda equina, epidural and foraminal fat, nerve roots."""
    blobs: list[Blob] = []
    for z in np.arange(120.0, -100.0, -18.0):
        y, tilt = spine_y(z), spine_tilt(z)
        blobs.append(Blob("fat", (0, y + 36, z), (8, 5, 14), tilt=tilt))
        blobs.append(Blob("csf", (0, y + 28, z), (11, 7.5, 14), tilt=tilt))
        if z > 80:
            blobs.append(Blob("cord", (0, y + 28, z), (4.5, 4, 13), tilt=tilt))
        else:
            for dx in (-4.0, -1.5, 1.5, 4.0):
                blobs.append(Blob("root", (dx, y + 30, z), (0.9, 0.9, 12), tilt=tilt))
    for upper, lower in zip(SPINE_LEVELS.values(), [*list(SPINE_LEVELS.values())[1:], S1_Z]):
        z = (upper + lower) / 2
        for dx in (-21.0, 21.0):
            blobs.append(Blob("fat", (dx, spine_y(z) + 22, z + 2), (7, 8, 10)))
            blobs.append(Blob("root", (dx, spine_y(z) + 22, z + 5), (3, 3, 4)))
    return blobs


def spine_discs() -> list[Blob]:
    """Annulus and nucleus of L1/2 to L5/S1; L4/5 narrowed, dark and herniated to the left."""
    blobs: list[Blob] = []
    levels = list(SPINE_LEVELS.values())
    for name, upper, lower in zip(("L1/2", "L2/3", "L3/4", "L4/5", "L5/S1"), levels, [
        *levels[1:],
        S1_Z,
    ]):
        z = (upper + lower) / 2
        half = (upper - lower - 26.0) / 2 if name != "L5/S1" else 3.6
        y, tilt = spine_y(z), spine_tilt(z)
        nucleus = "nucleus_dark" if name == "L4/5" else "nucleus"
        blobs.append(Blob("annulus", (0, y, z), (23, 16.5, half + 0.8), 3.0, tilt))
        blobs.append(Blob(nucleus, (0, y - 1, z), (13, 9, half * 0.55), 2.0, tilt))
    z45 = (SPINE_LEVELS["L4"] + SPINE_LEVELS["L5"]) / 2
    blobs.append(Blob("annulus", (7, spine_y(z45) + 19, z45 - 2), (8, 6, 6)))  # herniation
    blobs.append(Blob("scar", (9, spine_y(z45) + 41, z45), (8, 6, 10)))  # post-op scar
    return blobs


def vertebra(level: str, z: float) -> list[Blob]:
    """Body and posterior elements of one lumbar vertebra (left L4 lamina removed)."""
    y, tilt = spine_y(z), spine_tilt(z)
    blobs = bone(level, [part((0, y, z), (24, 17, 13), 3.2, tilt)], cortex=1.2)
    blobs += bone(level, [part((0, y + 62, z - 6), (4, 18, 10), 2.5, tilt)])
    for side, dx in (("R", -1.0), ("L", 1.0)):
        parts = [
            part((dx * 15, y + 22, z + 3), (5, 8, 7)),  # pedicle
            part((dx * 40, y + 24, z + 2), (18, 5, 5)),  # transverse process
            part((dx * 19, y + 38, z - 16), (7, 7, 9)),  # facet
        ]
        if not (level == "L4" and side == "L"):
            parts.append(part((dx * 10, y + 42, z - 3), (10, 4, 12), 2.0, tilt))  # lamina
        blobs += bone(f"{level}{side}", parts)
    return blobs


def spine_phantom() -> list[Blob]:
    """A lumbar spine after a left L4/5 fenestration, with a recurrent L4/5 herniation."""
    blobs = spine_soft_tissue(rng_for("spine", "gas")) + spine_canal() + spine_discs()
    for level, z in SPINE_LEVELS.items():
        blobs += vertebra(level, z)
    blobs += bone("S1", [part((0, spine_y(S1_Z) + 2, S1_Z), (25, 18, 14), 3.0, -0.45)])
    blobs += bone("sacrum", [part((0, 22, -115), (38, 12, 38), 2.5, -0.7)], cortex=2.0)
    for side, dx in (("R", -1.0), ("L", 1.0)):
        blobs += bone(f"ilium{side}", [part((dx * 78, 28, -100), (22, 35, 45), 2.2)], 2.0)
    return blobs


# --- images ---------------------------------------------------------------------------


def smooth(image: Array, passes: int = 1) -> Array:
    """A [1 2 1]/4 blur in both directions, *passes* times."""
    for _ in range(passes):
        padded = np.pad(image, 1, mode="edge")
        image = (padded[:-2, 1:-1] + 2 * padded[1:-1, 1:-1] + padded[2:, 1:-1]) / 4
        padded = np.pad(image, 1, mode="edge")
        image = (padded[1:-1, :-2] + 2 * padded[1:-1, 1:-1] + padded[1:-1, 2:]) / 4
    return image


@dataclass(frozen=True)
class View:
    """A radiograph: parallel projection along ``x`` (lateral) or ``y`` (AP/PA).

    The detector samples ``imager_pixel`` mm; the anatomy is magnified by
    ``magnification``, so one pixel covers ``imager_pixel / magnification`` mm of patient.
    """

    along: str
    h_sign: int  # +1: image columns run toward +x (AP) or +y (lateral)
    center: tuple[float, float]  # in-plane (h, z) at the image centre, mm
    rows: int = 1200
    cols: int = 900
    imager_pixel: float = 0.16
    magnification: float = 1.10

    @property
    def pixel(self) -> float:
        """Pixel size in the patient plane, mm."""
        return self.imager_pixel / self.magnification

    def axes(self) -> tuple[Array, Array]:
        """The in-plane coordinate of each column (h) and each row (z)."""
        c = (np.arange(self.cols) - (self.cols - 1) / 2) * self.pixel
        r = (np.arange(self.rows) - (self.rows - 1) / 2) * self.pixel
        return self.center[0] + self.h_sign * c, self.center[1] - r

    @property
    def orientation(self) -> list[str]:
        """PatientOrientation: direction of the rows, then of the columns."""
        if self.along == "y":
            return ["L" if self.h_sign > 0 else "R", "F"]
        return ["P" if self.h_sign > 0 else "A", "F"]


def _footprint(blob: Blob, h: Array, z: Array, along: str) -> tuple[slice, slice] | None:
    """Rows and columns a blob's projection can reach."""
    reach = max(blob.radii) if blob.tilt else 0.0
    ch, rh = (blob.center[0], blob.radii[0]) if along == "y" else (blob.center[1], blob.radii[1])
    rz = reach or blob.radii[2]
    cols = np.nonzero(np.abs(h - ch) <= max(rh, reach))[0]
    rows = np.nonzero(np.abs(z - blob.center[2]) <= rz)[0]
    if not len(cols) or not len(rows):
        return None
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


def _chord_on(blob: Blob, h: Array, z: Array, along: str, box: tuple[slice, slice]) -> Array:
    rows, cols = box
    return blob.chord(h[cols][None, :], z[rows][:, None], along)


def _union(boxes: Sequence[tuple[slice, slice]]) -> tuple[slice, slice]:
    return (
        slice(min(b[0].start for b in boxes), max(b[0].stop for b in boxes)),
        slice(min(b[1].start for b in boxes), max(b[1].stop for b in boxes)),
    )


def _add_bone(image: Array, members: Sequence[Blob], view: View, mu: dict[str, float]) -> None:
    """Add one bone: marrow along its inner path, cortex along the shell around it."""
    h, z = view.axes()
    placed = [(b, box) for b in members if (box := _footprint(b, h, z, view.along))]
    if not placed:
        return
    rows, cols = _union([box for _, box in placed])
    outer = np.zeros((rows.stop - rows.start, cols.stop - cols.start))
    inner = np.zeros_like(outer)
    for blob, (r, c) in placed:
        target = outer if blob.tissue == "cortex" else inner
        local = (slice(r.start - rows.start, r.stop - rows.start),
                 slice(c.start - cols.start, c.stop - cols.start))  # fmt: skip
        chord = _chord_on(blob, h, z, view.along, (r, c))
        np.maximum(target[local], chord, out=target[local])
    shell = np.clip(outer - inner, 0.0, None)
    image[rows, cols] += mu["marrow"] * inner + mu["cortex"] * shell


def radiograph(blobs: Sequence[Blob], view: View, mu: dict[str, float]) -> Array:
    """Projected attenuation (bone high) of a phantom seen through *view*.

    Soft tissue comes from the first (envelope) blob less any gas; each bone adds
    ``marrow`` times its inner path and ``cortex`` times its cortical shell.
    """
    h, z = view.axes()
    image = np.full((view.rows, view.cols), mu["air"])
    everything = (slice(0, view.rows), slice(0, view.cols))
    image += mu["soft"] * _chord_on(blobs[0], h, z, view.along, everything)
    bones: dict[str, list[Blob]] = {}
    for blob in blobs:
        if blob.bone:
            bones.setdefault(blob.bone, []).append(blob)
        elif blob.tissue == "gas" and (box := _footprint(blob, h, z, view.along)):
            image[box] -= mu["soft"] * _chord_on(blob, h, z, view.along, box)
    for members in bones.values():
        _add_bone(image, members, view, mu)
    return image


def marker_mask(shape: tuple[int, int], letter: str, right: bool) -> NDArray[np.bool_]:
    """A lead side marker (a boxed letter) in the top left or top right corner."""
    from PIL import Image, ImageDraw, ImageFont

    rows, cols = shape
    canvas = Image.new("L", (cols, rows), 0)
    draw = ImageDraw.Draw(canvas)
    x = cols - 140 if right else 50
    draw.rectangle((x, 50, x + 88, 146), outline=255, width=6)
    draw.text((x + 20, 58), letter, fill=255, font=ImageFont.load_default(size=72))
    return np.asarray(canvas) > 127


def expose(signal: Array, rng: np.random.Generator, bits: int, noise: float) -> NDArray[np.uint16]:
    """Detector output: blur, heel effect, noise, quantised to *bits* (12-bit scale input)."""
    image = smooth(signal)
    image *= 1.0 + 0.04 * np.linspace(-0.5, 0.5, image.shape[0])[:, None]
    image += rng.normal(0.0, noise, image.shape)
    image *= 2.0 ** (bits - 12)
    return np.clip(np.rint(image), 0, 2**bits - 1).astype(np.uint16)


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


@dataclass(frozen=True)
class Stack:
    """Parallel slices; slice k sits ``k * spacing`` along the normal (row x column)."""

    orientation: tuple[Vec, Vec]
    center: Vec
    n_slices: int
    thickness: float
    spacing: float
    pixel: float
    rows: int = 256
    cols: int = 256

    @property
    def normal(self) -> Vec:
        """Slice normal, row direction x column direction."""
        return _cross(*self.orientation)

    def position(self, k: int) -> Vec:
        """ImagePositionPatient (centre of the first pixel) of slice *k*."""
        row, col = self.orientation
        offset = (k - (self.n_slices - 1) / 2) * self.spacing
        half_w, half_h = (self.cols - 1) / 2 * self.pixel, (self.rows - 1) / 2 * self.pixel
        return tuple(  # type: ignore[return-value]
            self.center[i] + offset * self.normal[i] - half_w * row[i] - half_h * col[i]
            for i in range(3)
        )

    def rounded_position(self, k: int) -> Vec:
        """The position as written to the header (four decimals)."""
        return tuple(float(ds_str(v)) for v in self.position(k))  # type: ignore[return-value]


def _axis(direction: Vec) -> tuple[int, float]:
    index = int(np.argmax(np.abs(direction)))
    return index, float(direction[index])


def render_slice(blobs: Sequence[Blob], values: dict[str, float], stack: Stack, k: int) -> Array:
    """Paint the phantom's tissues on slice *k*, averaged over two planes across its thickness."""
    table = np.array([values.get(tissue, values["air"]) for tissue in TISSUES])
    index = {tissue: i for i, tissue in enumerate(TISSUES)}
    (ci, cs), (ri, rs) = _axis(stack.orientation[0]), _axis(stack.orientation[1])
    ni = 3 - ci - ri
    total = np.zeros((stack.rows, stack.cols))
    for shift in (-stack.thickness / 4, stack.thickness / 4):
        origin = stack.rounded_position(k)
        depth = origin[ni] + shift * stack.normal[ni]
        col_coord = origin[ci] + cs * stack.pixel * np.arange(stack.cols)
        row_coord = origin[ri] + rs * stack.pixel * np.arange(stack.rows)
        labels = np.zeros((stack.rows, stack.cols), np.int16)
        for blob in blobs:
            reach = (blob.radii[0], *(2 * [max(blob.radii[1:])] if blob.tilt else blob.radii[1:]))
            if abs(depth - blob.center[ni]) > reach[ni]:
                continue
            cols = np.nonzero(np.abs(col_coord - blob.center[ci]) <= reach[ci])[0]
            rows = np.nonzero(np.abs(row_coord - blob.center[ri]) <= reach[ri])[0]
            if not len(cols) or not len(rows):
                continue
            box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
            coords: list[Array] = [np.zeros(1), np.zeros(1), np.zeros(1)]
            coords[ci] = col_coord[box[1]][None, :]
            coords[ri] = row_coord[box[0]][:, None]
            coords[ni] = np.full((1, 1), depth)
            labels[box][blob.inside(*coords)] = index[blob.tissue]
        total += table[labels]
    return total / 2


# --- DICOM ----------------------------------------------------------------------------

_ISO_IR_58 = b"\x1b$)A"


def iso2022_gb2312(text: str, person_name: bool = False) -> bytes:
    """Encode for SpecificCharacterSet ``\\ISO 2022 IR 58`` (PS3.5 6.1.2.5, Annex K.2).

    Each run of Chinese characters is GB2312 in G1, designated by ``ESC $ ) A``; the
    designation is repeated after every delimiter that resets it (``^`` and ``=`` in
    person names, ``\\``, CR, LF, TAB).
    """
    resets = "^=\\\r\n\t" if person_name else "\\\r\n\t"
    out, designated = bytearray(), False
    for char in text:
        if ord(char) < 128:
            designated = designated and char not in resets
            out += char.encode("ascii")
            continue
        if not designated:
            out += _ISO_IR_58
            designated = True
        out += char.encode("gb2312")
    return bytes(out)


@dataclass(frozen=True)
class Patient:
    """The synthetic patient."""

    name: str
    patient_id: str
    birth_date: str
    sex: str


@dataclass(frozen=True)
class Study:
    """One imaging study; ``key`` seeds its UIDs."""

    key: str
    patient: Patient
    date: str
    time: str
    accession: str
    description: str
    institution: str
    manufacturer: str
    model: str
    station: str
    charset: str | tuple[str, ...] = "ISO_IR 100"

    @property
    def uid(self) -> UID:
        """StudyInstanceUID."""
        return make_uid(self.key, "study")


@dataclass(frozen=True)
class Series:
    """One series of a study; ``charset`` overrides the study's."""

    study: Study
    number: int
    modality: str
    description: str
    body_part: str
    laterality: str
    time: str
    charset: str | tuple[str, ...] | None = None

    @property
    def uid(self) -> UID:
        """SeriesInstanceUID."""
        return make_uid(self.study.key, "series", str(self.number))

    def instance_uid(self, number: int) -> UID:
        """SOPInstanceUID of instance *number*."""
        return make_uid(self.study.key, "series", str(self.number), "instance", str(number))

    @property
    def specific_character_set(self) -> str | list[str]:
        """The (0008,0005) value."""
        charset = self.charset or self.study.charset
        return list(charset) if isinstance(charset, tuple) else charset

    def text(self, value: str, person_name: bool = False) -> str | bytes:
        """A text value, pre-encoded with escape sequences for ISO 2022 IR 58."""
        if "ISO 2022 IR 58" in self.specific_character_set:
            return iso2022_gb2312(value, person_name)
        return value


def patient_age(birth: str, date: str) -> str:
    """PatientAge such as ``065Y``."""
    born, seen = dt.date.fromisoformat(birth), dt.date.fromisoformat(date)
    years = seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))
    return f"{years:03d}Y"


def base_dataset(series: Series, sop_class: UID, number: int) -> Dataset:
    """Patient, study, series, equipment and SOP common attributes."""
    study, patient = series.study, series.study.patient
    ds = Dataset()
    ds.SpecificCharacterSet = series.specific_character_set
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = series.instance_uid(number)
    ds.InstanceCreationDate = study.date
    ds.InstanceCreationTime = series.time
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study.date
    ds.StudyTime = study.time
    ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = series.time
    ds.AccessionNumber = study.accession
    ds.Modality = series.modality
    ds.Manufacturer = study.manufacturer
    ds.InstitutionName = series.text(study.institution)
    ds.ReferringPhysicianName = ""
    ds.StationName = study.station
    ds.StudyDescription = series.text(study.description)
    ds.SeriesDescription = series.text(series.description)
    ds.ManufacturerModelName = study.model
    ds.PatientName = series.text(patient.name, person_name=True)
    ds.PatientID = patient.patient_id
    ds.PatientBirthDate = patient.birth_date
    ds.PatientSex = patient.sex
    ds.PatientAge = patient_age(patient.birth_date, study.date)
    ds.BodyPartExamined = series.body_part
    ds.DeviceSerialNumber = f"{study.station}-0001"
    ds.SoftwareVersions = "1.0"
    ds.StudyInstanceUID = study.uid
    ds.SeriesInstanceUID = series.uid
    ds.StudyID = "1"
    ds.SeriesNumber = series.number
    ds.InstanceNumber = number
    if series.laterality:
        ds.Laterality = series.laterality
    return ds


def set_pixels(ds: Dataset, pixels: NDArray[np.uint16], photometric: str, bits: int) -> None:
    """Image Pixel module for unsigned 16-bit monochrome pixels and a window from the data."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = pixels.shape
    ds.BitsAllocated = 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.astype("<u2").tobytes()
    if "WindowCenter" not in ds:
        low, high = np.percentile(pixels, [1.0, 99.5])
        ds.WindowCenter = ds_str(round((low + high) / 2))
        ds.WindowWidth = ds_str(max(round((high - low) * 1.05), 2))


def encode(ds: Dataset, transfer_syntax: UID) -> bytes:
    """The DICOM file (preamble, file meta, dataset) in *transfer_syntax*."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = IMPLEMENTATION_UID
    meta.ImplementationVersionName = "WB_SAMPLES_1"
    ds.file_meta = meta
    if transfer_syntax == RLELossless:
        ds.compress(RLELossless, encoding_plugin="pydicom", generate_instance_uid=False)
    elif transfer_syntax == JPEG2000Lossless:
        ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    else:
        meta.TransferSyntaxUID = transfer_syntax
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class Shot:
    """Exposure and detector settings of one radiograph."""

    view_position: str
    marker: str
    marker_right: bool
    kvp: int = 70
    mas: int = 8
    photometric: str = "MONOCHROME2"
    bits: int = 12
    noise: float = 5.0
    declare_magnification: bool = False


def xray_dataset(series: Series, view: View, shot: Shot, pixels: NDArray[np.uint16]) -> Dataset:
    """A DX (for presentation) or CR image."""
    sop_class = DX_STORAGE if series.modality == "DX" else CR_STORAGE
    ds = base_dataset(series, sop_class, 1)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PatientOrientation = view.orientation
    ds.ViewPosition = shot.view_position
    ds.KVP = str(shot.kvp)
    ds.ExposureTime = "20"
    ds.XRayTubeCurrent = str(shot.mas * 50)
    ds.Exposure = str(shot.mas)
    ds.DistanceSourceToDetector = "1150"
    ds.ImagerPixelSpacing = [ds_str(view.imager_pixel)] * 2
    if shot.declare_magnification:
        ds.EstimatedRadiographicMagnificationFactor = ds_str(view.magnification)
        ds.DistanceSourceToPatient = ds_str(1150 / view.magnification)
    inverse = shot.photometric == "MONOCHROME1"
    if series.modality == "DX":
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.ImageLaterality = series.laterality or "U"
        ds.DetectorType = "SCINTILLATOR"
        ds.DetectorConfiguration = "AREA"
        ds.PixelIntensityRelationship = "LOG"
        ds.PixelIntensityRelationshipSign = 1 if inverse else -1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "0", "1", "US"
        ds.PresentationLUTShape = "INVERSE" if inverse else "IDENTITY"
        ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    set_pixels(ds, pixels, shot.photometric, shot.bits)
    return ds


def xray_file(
    series: Series, view: View, shot: Shot, signal: Array, transfer_syntax: UID
) -> bytes:
    """Expose *signal* (with a lead marker) and encode it as one radiograph file."""
    signal = signal.copy()
    signal[marker_mask(signal.shape, shot.marker, shot.marker_right)] += 1800.0
    pixels = expose(signal, rng_for(series.study.key, str(series.number)), shot.bits, shot.noise)
    if shot.photometric == "MONOCHROME1":
        pixels = (2**shot.bits - 1 - pixels).astype(np.uint16)
    return encode(xray_dataset(series, view, shot, pixels), transfer_syntax)


@dataclass(frozen=True)
class Protocol:
    """How an MR or CT series renders the phantom and what it writes in the header."""

    values: dict[str, float]
    patient_position: str
    noise: float
    attributes: dict[str, object]
    offset: float = 0.0  # stored = value + offset (CT: HU + 1024)
    rician: bool = True


def volume_files(
    series: Series, stack: Stack, blobs: Sequence[Blob], protocol: Protocol, transfer_syntax: UID
) -> list[bytes]:
    """One encoded MR or CT file per slice of *stack*."""
    rng = rng_for(series.study.key, str(series.number))
    sop_class = MR_STORAGE if series.modality == "MR" else CT_STORAGE
    row, col = stack.orientation
    files = []
    for k in range(stack.n_slices):
        signal = smooth(render_slice(blobs, protocol.values, stack, k)) + protocol.offset
        noise = rng.normal(0.0, protocol.noise, (2, *signal.shape))
        if protocol.rician:
            signal = np.hypot(signal + noise[0], noise[1])
        else:
            signal = signal + noise[0]
        pixels = np.clip(np.rint(signal), 0, 4095).astype(np.uint16)
        ds = base_dataset(series, sop_class, k + 1)
        for keyword, value in protocol.attributes.items():
            setattr(ds, keyword, value)
        ds.PatientPosition = protocol.patient_position
        ds.SliceThickness = ds_str(stack.thickness)
        if series.modality == "MR":
            ds.SpacingBetweenSlices = ds_str(stack.spacing)
        ds.FrameOfReferenceUID = make_uid(series.study.key, "frame-of-reference")
        ds.PositionReferenceIndicator = ""
        ds.ImagePositionPatient = [ds_str(v) for v in stack.position(k)]
        ds.ImageOrientationPatient = [ds_str(v) for v in (*row, *col)]
        location = sum(p * n for p, n in zip(stack.rounded_position(k), stack.normal, strict=True))
        ds.SliceLocation = ds_str(location)
        ds.PixelSpacing = [ds_str(stack.pixel)] * 2
        ds.AcquisitionNumber = 1
        set_pixels(ds, pixels, "MONOCHROME2", 12)
        files.append(encode(ds, transfer_syntax))
    return files


def mr_protocol(
    values: dict[str, float], position: str, name: str, tr: int, te: int, options: str
) -> Protocol:
    """A 2-D turbo spin echo protocol."""
    attributes: dict[str, object] = {
        "ImageType": ["ORIGINAL", "PRIMARY", "M", "ND"],
        "ScanningSequence": "SE",
        "SequenceVariant": ["SK", "SP", "OSP"],
        "ScanOptions": options,
        "MRAcquisitionType": "2D",
        "SequenceName": name,
        "RepetitionTime": str(tr),
        "EchoTime": str(te),
        "NumberOfAverages": "2",
        "ImagingFrequency": "63.8",
        "ImagedNucleus": "1H",
        "EchoNumbers": "1",
        "MagneticFieldStrength": "1.5",
        "EchoTrainLength": "9",
        "PercentSampling": "100",
        "PercentPhaseFieldOfView": "100",
        "PixelBandwidth": "220",
        "ProtocolName": name.upper(),
        "AcquisitionMatrix": [0, 256, 256, 0],
        "InPlanePhaseEncodingDirection": "ROW",
        "FlipAngle": "150",
    }
    return Protocol(values, position, 10.0, attributes)


KNEE_PD_FS = {
    "air": 0, "fat": 130, "muscle": 330, "fluid": 1450, "cartilage": 760, "cortex": 25,
    "marrow": 170, "meniscus": 60, "tear": 1000, "edema": 1150, "tendon": 45, "ligament": 90,
}  # fmt: skip
KNEE_T2 = {
    "air": 0, "fat": 980, "muscle": 290, "fluid": 1650, "cartilage": 470, "cortex": 25,
    "marrow": 820, "meniscus": 50, "tear": 780, "edema": 900, "tendon": 40, "ligament": 70,
}  # fmt: skip
KNEE_CT_HU = {
    "air": -1000, "fat": -100, "muscle": 45, "fluid": 8, "cartilage": 95, "cortex": 1350,
    "marrow": 260, "meniscus": 85, "tear": 30, "edema": 55, "tendon": 95, "ligament": 80,
}  # fmt: skip
SPINE_T2 = {
    "air": 0, "fat": 920, "muscle": 300, "fluid": 1600, "cortex": 40, "marrow": 640,
    "annulus": 170, "nucleus": 1300, "nucleus_dark": 250, "csf": 1700, "cord": 520,
    "root": 330, "vessel": 40, "bowel": 520, "gas": 0, "scar": 560, "ligament": 60,
}  # fmt: skip
KNEE_XRAY_MU = {"air": 180.0, "soft": 7.0, "marrow": 13.0, "cortex": 34.0}
SPINE_XRAY_MU = {"air": 120.0, "soft": 3.3, "marrow": 9.0, "cortex": 28.0}


# --- documents ------------------------------------------------------------------------


def pdf_report(lines: Sequence[str], title: str, author: str, created: dt.datetime) -> bytes:
    """A one-page report with a text layer (Helvetica); ``# `` marks a heading line."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(created)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("Sample RIS 2.1")
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    for number, line in enumerate(lines):
        heading = number == 0 or line.startswith("# ")
        pdf.set_font("Helvetica", "B" if heading else "", 15 if number == 0 else 10.5)
        if heading and number:
            pdf.ln(2)
        pdf.multi_cell(0, 7 if number == 0 else 5.6, line.removeprefix("# "),
                       new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())


def operation_note_docx(paragraphs: Sequence[str], when: dt.datetime) -> bytes:
    """The Chinese operation note as a .docx with fixed core properties and zip times."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "SimSun"
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    document.add_heading(paragraphs[0], level=1)
    document.add_heading(paragraphs[1], level=2)
    table = document.add_table(rows=2, cols=4)
    cells = ["姓名：演示腰椎", "性别：男", "年龄：48岁", "住院号：SAMPLE002"]
    cells += ["科室：脊柱外科", "床号：12", "入院日期：2019年11月6日", "出院日期：2019年11月12日"]
    for cell, text in zip(table._cells, cells, strict=True):
        cell.text = text
    for paragraph in paragraphs[2:]:
        document.add_paragraph(paragraph)
    props = document.core_properties
    props.author = props.last_modified_by = "示例医师丙"
    props.title = "手术记录"
    props.comments = "合成示例，非真实患者（synthetic sample, no real patient）"
    props.created = props.modified = props.last_printed = when
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue(), when.timetuple()[:6])


def film_photo(signal: Array, label: str) -> bytes:
    """A phone photo of a radiograph on a light box: perspective, glare, JPEG, no EXIF."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    low, high = np.percentile(signal, [1.0, 99.7])
    grey = np.clip((signal - low) / (high - low), 0.0, 1.0)
    film = Image.fromarray(np.rint(20 + 215 * grey).astype(np.uint8))
    film = film.resize((450, 600), Image.Resampling.BILINEAR)
    sheet = Image.new("L", (500, 670), 228)
    sheet.paste(film, (25, 30))
    ImageDraw.Draw(sheet).text((30, 640), label, fill=70, font=ImageFont.load_default(size=18))
    quad = [(455.0, 150.0), (1165.0, 205.0), (1215.0, 1075.0), (395.0, 1030.0)]
    corners = [(0.0, 0.0), (500.0, 0.0), (500.0, 670.0), (0.0, 670.0)]
    rows = []
    for (x, y), (u, v) in zip(quad, corners, strict=True):
        rows.append(([x, y, 1, 0, 0, 0, -x * u, -y * u], u))
        rows.append(([0, 0, 0, x, y, 1, -x * v, -y * v], v))
    coeffs = np.linalg.solve(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    size = (1600, 1200)
    perspective = Image.Transform.PERSPECTIVE
    warped = sheet.transform(size, perspective, tuple(coeffs), Image.Resampling.BICUBIC)
    mask = Image.new("L", sheet.size, 255).transform(size, perspective, tuple(coeffs))
    yy, xx = np.mgrid[0:1200, 0:1600]
    glare = 40.0 * np.exp(-(((xx - 950) / 420.0) ** 2 + ((yy - 420) / 300.0) ** 2))
    lit = np.asarray(warped, np.float64) * 0.92 + glare
    room = 34.0 + 14.0 * yy / 1200.0 + 6.0 * np.sin(xx / 170.0)
    alpha = np.asarray(mask, np.float64) / 255.0
    grey_out = alpha * lit + (1 - alpha) * room
    tint = np.stack([grey_out * 1.00, grey_out * 0.97, grey_out * 0.90], axis=-1)
    tint += rng_for("messy_upload", "photo").normal(0.0, 3.0, tint.shape)
    photo = Image.fromarray(np.clip(np.rint(tint), 0, 255).astype(np.uint8), "RGB")
    photo = photo.filter(ImageFilter.GaussianBlur(1.1))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def apple_double() -> bytes:
    """A macOS AppleDouble ``._`` file (junk that Finder adds to zips)."""
    header = b"\x00\x05\x16\x07\x00\x02\x00\x00" + b"Mac OS X        " + b"\x00\x02"
    header += b"\x00\x00\x00\x09\x00\x00\x00\x32\x00\x00\x0e\xb0"
    header += b"\x00\x00\x00\x02\x00\x00\x0e\xe2\x00\x00\x01\x1e"
    return header.ljust(4096, b"\x00")


def ds_store() -> bytes:
    """A placeholder ``.DS_Store`` (Finder's folder settings)."""
    return (b"\x00\x00\x00\x01Bud1" + b"\x00" * 24).ljust(6148, b"\x00")


def gb18030_text(text: str) -> bytes:
    """Text as a Windows tool in China saves it: GB18030 with CRLF line ends."""
    return text.replace("\n", "\r\n").encode("gb18030")
