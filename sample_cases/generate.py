"""Generate the bundled synthetic sample cases (no real patient data).

Run from the repository root::

    .venv/bin/python sample_cases/generate.py              # rewrites the cases next to this file
    .venv/bin/python sample_cases/generate.py --out DIR    # writes them into DIR instead

Everything is synthetic: names such as ``Demo^Knee``, IDs ``SAMPLE001`` to ``SAMPLE003``,
fictitious facilities and devices. Images come from simple 3-D phantoms (superellipsoids
for bones, cartilage, menisci, discs, dural sac ...): MR and CT slices sample the phantom
on the grid their ImagePositionPatient / ImageOrientationPatient describe, radiographs are
parallel projections of the same phantom, so the series of one case share one anatomy.

Re-running in one environment produces byte-identical files: UIDs are ``2.25.`` + 128 bits
of SHA-256 of a fixed name, every date and time is fixed, noise comes from seeded generators,
zip members (also inside the .docx) carry a fixed timestamp and come in a fixed order, PDF
and DOCX metadata dates are fixed; nothing depends on the hash seed, the time zone, the
working folder or the clock (``tests/test_samples.py`` runs it twice and compares bytes).
Across environments the bytes of lossy or version-dependent encoders change: JPEG
(libjpeg in Pillow), JPEG 2000 (pylibjpeg-openjpeg), RLE, deflate (zlib: zip members, PDF
streams), fpdf2; Pillow's resampling and FreeType can move a few pixels of the photo. So the
committed files are compared with a fresh run by meaning (``tests/sample_semantics.py``:
DICOM headers equal, decoded pixels equal, or within the JPEG tolerance for lossy images,
PDF text and metadata equal, zip member lists equal and other members byte-equal), never by
encoder bytes. Regenerate the committed files only when that comparison reports a change
you intend (``make samples``, then check ``git diff --stat``).

Radiographs carry a burned-in lead side marker (``R``/``L``, at the patient's side) and are
drawn with a true geometric magnification (knee 1.10, lumbar 1.15); only the 2024 knee AP
declares it (EstimatedRadiographicMagnificationFactor), the others give ImagerPixelSpacing
alone, so measurements on them read about 10-15 % large unless calibrated.

Cases and the record gaps each is built to contain
--------------------------------------------------
``knee_oa_right/`` (case_type ``knee_replacement``; meant to be complete, no blocker gap)
    Demo^Knee, SAMPLE001, F, born 1958. Right medial-compartment osteoarthritis.
    DX 2023-06-12 (Sample Community Hospital), ``DICOM/2023-06-12/IM0000[12].dcm``:
    ``KNEE RT AP STANDING`` (ViewPosition AP, PatientOrientation L\\F) and
    ``KNEE RT LAT STANDING`` (RL, A\\F), JPEG 2000 lossless, medial joint space 3 mm.
    MR 2024-03-10 (Sample Imaging Center, FFS), ``DICOM/2024-03-10/SE0000[34]/``:
    ``SAG PD FS`` (16 slices, JPEG 2000 lossless, file names without extension) and
    ``COR T2`` (12 slices, RLE lossless, ``.dcm``): full-thickness medial cartilage loss,
    medial tibial marrow oedema, degenerative tear of the medial meniscus posterior horn,
    effusion. DX 2024-09-03 (Sample Orthopaedic Clinic), ``DICOM/2024-09-03/IM00001.dcm``:
    ``KNEE RT AP STANDING``, MONOCHROME1, 14 bits stored, JPEG 2000 lossless, with
    EstimatedRadiographicMagnificationFactor 1.10; medial joint space now 1.5 mm.
    Reports: ``reports/MR_right_knee_2024-03-10.pdf``, ``reports/XR_knee_2024-09-03.pdf``.
    ``case.yaml``: complete (pain history with function, five treatments with responses,
    a visit event, proposed treatment, four questions).
    Gaps by design: minor only -- the 2023 radiographs have no report; no long-leg view.

``lumbar_spine_zh/`` (case_type ``spine``; Chinese records)
    Demo^Lumbar=演示^腰椎, SAMPLE002, M, born 1971; left L4/5 fenestration discectomy on
    2019-11-08, recurrent left paracentral L4/5 herniation in 2024; fusion proposed.
    CR 2024-05-18 (示例市第一人民医院), ``DICOM/20240518/CR/SER00[12]/IMG0001.dcm``: AP
    (L\\F) and lateral (LL, P\\F) lumbar spine, JPEG 2000 lossless, no laterality.
    The AP series uses SpecificCharacterSet ``\\ISO 2022 IR 58`` written byte-exact per
    PS3.5 Annex K.2 (ESC $ ) A before each GB2312 run, repeated after ``^`` and ``=``),
    the lateral series ``GB18030``, as when one study passed through two gateways.
    pydicom 3.0.2 does not round-trip ISO 2022 IR 58: it writes no escape sequences and
    keeps a literal ``ESC $ ) A`` in decoded values, so this file tests the reader.
    MR 2024-05-20 (HFS, GB18030), ``DICOM/20240520/MR/SER00[24]/``:
    ``腰椎 矢状位 T2 / SAG T2`` (12 slices, uncompressed) and ``腰椎 轴位 T2 / AX T2``
    (15 slices from L4 to S1, RLE lossless).
    Documents: Chinese MR report ``reports/腰椎MRI报告_20240520.txt`` (GB18030, CRLF) and
    the operation note ``reports/手术记录_20191108.docx`` (python-docx, fixed metadata).
    ``case.yaml`` in Chinese, languages [zh, en].
    Gaps by design: ``pain_history.function`` missing; the physiotherapy entry has no
    response; the radiographs have no report; no neurological examination notes; no
    imaging from before the 2019 operation.

``messy_upload/upload.zip`` (no ``case.yaml``: the coordinator has not written one)
    Demo^Messy, SAMPLE003, M, born 1976; left knee imaging, dated 2024-01-15.
    ``CD/DICOMDIR`` + ``CD/DICOM/PT000000/ST00000x/SE000000/IM0000xx`` (a pydicom FileSet
    whose files are moved under ``DICOM`` with the Referenced File IDs rewritten): DX
    ``KNEE LT AP`` (Laterality L, uncompressed) and CT ``KNEE LT AXIAL 2.5MM`` (12 slices,
    Implicit VR Little Endian, HU rescale, two windows), 13 instances in all.
    ``corrupt/IM_BROKEN.dcm``: the ``KNEE LT LAT`` radiograph (same study as the AP),
    truncated in the middle of its pixel data. ``photos/IMG_2024_film.jpg``: a phone photo
    of that lateral film (RGB, perspective, glare, no EXIF). ``report_knee.pdf``: report
    dated 2024-01-15 that says RIGHT knee. Junk: ``.DS_Store``, ``__MACOSX/._report_knee.pdf``.
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


def ds_str(value: float, decimals: int = 4) -> str:
    """A Decimal String value with at most *decimals* decimals (``-90.3125``, ``0``)."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


ZipTime = tuple[int, int, int, int, int, int]


def zip_bytes(members: Iterable[tuple[str, bytes]], date_time: ZipTime) -> bytes:
    """A deflated zip of *members* in the given order with one fixed timestamp."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def normalise_zip(data: bytes, date_time: ZipTime) -> bytes:
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
    points along ``(y, z) = (sin tilt, cos tilt)``. ``z_min``/``z_max`` cut it with
    horizontal planes (a half-ellipsoid tapers a metaphysis). ``bone`` names the bone a
    blob belongs to in radiographs (``cortex`` blobs give the outline, ``marrow`` the inside);
    ``density`` scales its radiographic path (a thin plate drawn as a thick blob).
    """

    tissue: str
    center: Vec
    radii: Vec
    power: float = 2.0
    tilt: float = 0.0
    bone: str = ""
    z_min: float = -math.inf
    z_max: float = math.inf
    density: float = 1.0

    def _cut(self, z: Array) -> NDArray[np.bool_]:
        return np.asarray((z >= self.z_min) & (z <= self.z_max))

    def inside(self, x: Array, y: Array, z: Array) -> NDArray[np.bool_]:
        """Which points lie inside the blob."""
        cos, sin = math.cos(self.tilt), math.sin(self.tilt)
        dy, dz = y - self.center[1], z - self.center[2]
        terms = (
            np.abs((x - self.center[0]) / self.radii[0]) ** self.power
            + np.abs((dy * cos - dz * sin) / self.radii[1]) ** self.power
            + np.abs((dy * sin + dz * cos) / self.radii[2]) ** self.power
        )
        return np.asarray(terms <= 1.0) & self._cut(z)

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
        return np.asarray(2.0 * depth * rest ** (1.0 / p) * self._cut(z))

    def shrunk(self, mm: float, tissue: str, cuts: bool = False) -> Blob:
        """The blob with every radius moved inward by *mm* (its marrow); *cuts* moves the
        cut planes too, when they are bone surfaces rather than joins to another part."""
        rx, ry, rz = (max(r - mm, 0.5) for r in self.radii)
        low, high = (self.z_min + mm, self.z_max - mm) if cuts else (self.z_min, self.z_max)
        return replace(self, tissue=tissue, radii=(rx, ry, rz), z_min=low, z_max=high)


@dataclass(frozen=True)
class Part:
    """One piece of a bone and the thickness of its cortex (mm)."""

    center: Vec
    radii: Vec
    power: float = 2.0
    tilt: float = 0.0
    cortex: float = 1.5
    z_min: float = -math.inf
    z_max: float = math.inf
    cut_is_surface: bool = False
    density: float = 1.0


def bone(name: str, parts: Sequence[Part]) -> list[Blob]:
    """Cortex blobs for every part, then the marrow inside them (painted in this order)."""
    outer = [
        Blob("cortex", p.center, p.radii, p.power, p.tilt, name, p.z_min, p.z_max, p.density)
        for p in parts
    ]
    pairs = zip(outer, parts, strict=True)
    inner = [blob.shrunk(p.cortex, "marrow", p.cut_is_surface) for blob, p in pairs]
    return outer + inner


def knee_phantom(side: str, medial_gap: float, osteophyte: float) -> list[Blob]:
    """A knee with medial osteoarthritis; *side* ``R`` or ``L``; gaps in mm.

    Local coordinates: ``u`` medial (+), ``v`` posterior (+), ``w`` superior (+), the
    joint line at ``w = 0``; a right knee sits at x = -90 mm, a left knee at x = +90 mm.
    The lateral joint space is 6.5 mm, the medial one *medial_gap*.
    """
    sign = 1.0 if side == "R" else -1.0
    x0 = -90.0 * sign

    def at(u: float, v: float, w: float) -> Vec:
        return (x0 + sign * u, v, w)

    plateau = -3.25
    med, lat = plateau + medial_gap, plateau + 6.5  # lowest points of the condyles
    block = lat + 12.0 + 24.0  # centre height of the distal femoral block
    blobs = [
        Blob("fat", at(0, 0, 0), (58, 56, 1e4)),
        Blob("muscle", at(0, 8, 0), (50, 46, 1e4)),
        Blob("fat", at(0, -30, -8), (34, 18, 26)),  # Hoffa fat pad and anterior fat
        Blob("fluid", at(0, -28, block + 4), (26, 6, 20)),  # suprapatellar effusion
        Blob("fluid", at(0, 36, 8), (28, 3.5, 14)),  # posterior recess
        Blob("tendon", at(0, -43, 58), (17, 4, 22)),  # quadriceps tendon
        Blob("tendon", at(0, -41, -26), (12, 3.5, 22)),  # patellar tendon
        Blob("ligament", at(42, 6, 0), (1.6, 10, 36)),  # MCL
        Blob("ligament", at(-43, 16, -14), (1.6, 5, 26)),  # LCL
        Blob("ligament", at(-3, 8, 8), (4.5, 4, 16), tilt=0.7),  # ACL
        Blob("ligament", at(3, 20, 6), (4.5, 4.5, 15), tilt=-0.5),  # PCL
        Blob("meniscus", at(21, 8, plateau + 2.75), (19.5, 25, 2.75)),  # medial, extruded
        Blob("fluid", at(21, 7, plateau + medial_gap / 2), (12, 16, medial_gap / 2 + 0.2)),
        Blob("tear", at(22, 27, plateau + 2.2), (7, 4.5, 0.6), tilt=0.35),
        Blob("meniscus", at(-21, 8, plateau + 2.9), (17, 23, 2.9)),
        Blob("cartilage", at(-21, 7, plateau + 3.25), (11, 15, 3.4)),
        Blob("cartilage", at(0, -37, 18), (22, 9.5, 24)),  # patellar cartilage
        Blob("cartilage", at(0, -14, block - 4), (31, 12.5, 20)),  # trochlear cartilage
        Blob("cartilage", at(21, 8, med + 20), (17.3, 29.8, 20.3)),  # worn
        Blob("cartilage", at(-21, 8, lat + 20), (19.5, 32, 22.5)),
        Blob("cartilage", at(21, 6, plateau), (16, 21, 0.3)),  # worn
        Blob("cartilage", at(-21, 6, plateau), (16, 21, 2.2)),
    ]
    femur = [
        Part(at(0, 5, 150), (14, 14, 90), cortex=4.5),
        Part(at(0, 6, block), (39, 30, 38), 2.4, z_min=block),  # metaphyseal flare
        Part(at(0, 6, block), (39, 30, 24), 2.4, z_max=block),
        Part(at(21, 8, med + 20), (17, 29.5, 20)),
        Part(at(-21, 8, lat + 20), (17, 29.5, 20)),
        Part(at(33 + osteophyte / 2, 8, med + 7), (2 + osteophyte, 6, 4)),
    ]
    tibia = [
        Part(at(0, 6, plateau), (39, 30, 16), 3.0, cortex=1.0, z_max=plateau, cut_is_surface=True),
        Part(at(0, 6, plateau - 6), (34, 27, 62), z_max=plateau - 6),
        Part(at(0, 8, -150), (15, 14, 95), cortex=4.0),
        Part(at(0, -17, -44), (10, 8, 13)),
        Part(at(0, 8, plateau), (6, 9, 5)),  # tibial spines
        Part(at(38, 6, plateau - 4), (2 + osteophyte, 7, 3.5)),
    ]
    fibula = [Part(at(-33, 22, -38), (10, 10, 12)), Part(at(-34, 24, -140), (7, 7, 95), cortex=2.5)]
    blobs += bone("femur", femur) + bone("tibia", tibia) + bone("fibula", fibula)
    blobs += bone("patella", [Part(at(0, -39, 18), (21, 8, 23), cortex=1.2)])
    blobs.append(Blob("edema", at(20, 6, plateau - 6), (11, 12, 4)))
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
        center: Vec = (rng.uniform(-80, 80), rng.uniform(-100, -45), rng.uniform(-130, 120))
        radii: Vec = (rng.uniform(10, 22), rng.uniform(8, 14), rng.uniform(10, 25))
        blobs.append(Blob("gas", center, radii, tilt=0.3 * k))
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
    for z in np.arange(120.0, -100.0, -10.0):
        y, tilt = spine_y(z), spine_tilt(z)
        blobs.append(Blob("fat", (0, y + 37, z), (8, 5, 16), tilt=tilt))
        blobs.append(Blob("csf", (0, y + 30, z), (11, 7.5, 16), tilt=tilt))
        if z > 80:
            blobs.append(Blob("cord", (0, y + 30, z), (4.5, 4, 15), tilt=tilt))
        else:
            for dx in (-4.0, 4.0):
                blobs.append(Blob("root", (dx, y + 32, z), (0.9, 0.9, 15), tilt=tilt))
    for z in disc_heights().values():
        for dx in (-21.0, 21.0):
            blobs.append(Blob("fat", (dx, spine_y(z) + 22, z + 2), (7, 8, 10)))
            blobs.append(Blob("root", (dx, spine_y(z) + 22, z + 5), (3, 3, 4)))
    return blobs


def disc_heights() -> dict[str, float]:
    """Height (z) of each lumbar disc, midway between its vertebrae."""
    lower = [*list(SPINE_LEVELS.values())[1:], S1_Z]
    names = ("L1/2", "L2/3", "L3/4", "L4/5", "L5/S1")
    return {
        name: (upper + below) / 2
        for name, upper, below in zip(names, SPINE_LEVELS.values(), lower, strict=True)
    }


def spine_discs() -> list[Blob]:
    """Annulus and nucleus of L1/2 to L5/S1; L4/5 narrowed, dark and herniated to the left."""
    blobs: list[Blob] = []
    for name, z in disc_heights().items():
        gap = 2 * (SPINE_LEVELS.get(name[:2], S1_Z) - z)  # between the vertebral centres
        half = (gap - 27.0) / 2 if name != "L5/S1" else 3.6
        y, tilt = spine_y(z), spine_tilt(z)
        nucleus = "nucleus_dark" if name == "L4/5" else "nucleus"
        blobs.append(Blob("annulus", (0, y, z), (24, 18.5, half + 0.8), 3.0, tilt))
        blobs.append(Blob(nucleus, (0, y - 1, z), (14, 10, half * 0.55), 2.0, tilt))
    z45 = (SPINE_LEVELS["L4"] + SPINE_LEVELS["L5"]) / 2
    blobs.append(Blob("annulus", (7, spine_y(z45) + 21, z45 - 2), (8, 6, 6)))  # herniation
    blobs.append(Blob("scar", (9, spine_y(z45) + 41, z45), (8, 6, 10)))  # post-op scar
    return blobs


def vertebra(level: str, z: float) -> list[Blob]:
    """Body and posterior elements of one lumbar vertebra (left L4 lamina removed)."""
    y, tilt = spine_y(z), spine_tilt(z)
    blobs = bone(level, [Part((0, y, z), (25, 19, 13.5), 3.2, tilt, cortex=1.2)])
    blobs += bone(level, [Part((0, y + 62, z - 6), (4, 18, 10), 2.5, tilt)])
    for side, dx in (("R", -1.0), ("L", 1.0)):
        parts = [
            Part((dx * 15, y + 22, z + 3), (5, 8, 7)),  # pedicle
            Part((dx * 40, y + 24, z + 2), (18, 5, 5)),  # transverse process
            Part((dx * 19, y + 38, z - 16), (7, 7, 9)),  # facet
        ]
        if not (level == "L4" and side == "L"):
            parts.append(Part((dx * 10, y + 42, z - 3), (10, 4, 12), 2.0, tilt))  # lamina
        blobs += bone(f"{level}{side}", parts)
    return blobs


def spine_phantom() -> list[Blob]:
    """A lumbar spine after a left L4/5 fenestration, with a recurrent L4/5 herniation."""
    blobs = spine_soft_tissue(rng_for("spine", "gas")) + spine_canal() + spine_discs()
    for level, z in SPINE_LEVELS.items():
        blobs += vertebra(level, z)
    blobs += bone("S1", [Part((0, spine_y(S1_Z) + 2, S1_Z), (25, 19, 14), 3.0, -0.45)])
    blobs += bone("sacrum", [Part((0, 22, -115), (38, 12, 38), 2.5, -0.7, cortex=2.0)])
    for side, dx in (("R", -1.0), ("L", 1.0)):
        ilium = Part((dx * 84, 30, -100), (28, 26, 46), 2.2, cortex=2.0, density=0.35)
        blobs += bone(f"ilium{side}", [ilium])
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
        c = (np.arange(self.cols, dtype=np.float64) - (self.cols - 1) / 2) * self.pixel
        r = (np.arange(self.rows, dtype=np.float64) - (self.rows - 1) / 2) * self.pixel
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


def _add_bone(
    image: Array, members: Sequence[Blob], view: View, mu: dict[str, float], texture: Array
) -> None:
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
        chord = blob.density * _chord_on(blob, h, z, view.along, (r, c))
        np.maximum(target[local], chord, out=target[local])
    shell = np.clip(outer - inner, 0.0, None)
    image[rows, cols] += mu["marrow"] * inner * texture[rows, cols] + mu["cortex"] * shell


def trabecular_texture(shape: tuple[int, int], rng: np.random.Generator) -> Array:
    """A band-limited pattern around 1.0 that makes marrow look trabecular."""
    coarse = rng.normal(0.0, 1.0, (shape[0] // 6 + 1, shape[1] // 6 + 1))
    noise = smooth(np.repeat(np.repeat(coarse, 6, axis=0), 6, axis=1), passes=4)
    noise = noise[: shape[0], : shape[1]]
    return np.asarray(1.0 + 0.07 * noise / noise.std())


def radiograph(blobs: Sequence[Blob], view: View, mu: dict[str, float], seed: str) -> Array:
    """Projected attenuation (bone high) of a phantom seen through *view*.

    Soft tissue comes from the first (envelope) blob less any gas; each bone adds
    ``marrow`` times its inner path (with a trabecular texture seeded by *seed*) and
    ``cortex`` times its cortical shell.
    """
    texture = trabecular_texture((view.rows, view.cols), rng_for(seed, "texture"))
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
        _add_bone(image, members, view, mu, texture)
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
        x, y, z = (
            self.center[i] + offset * self.normal[i] - half_w * row[i] - half_h * col[i]
            for i in range(3)
        )
        return (x, y, z)

    def rounded_position(self, k: int) -> Vec:
        """The position as written to the header (four decimals)."""
        x, y, z = (float(ds_str(v)) for v in self.position(k))
        return (x, y, z)


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
        col_coord = origin[ci] + cs * stack.pixel * np.arange(stack.cols, dtype=np.float64)
        row_coord = origin[ri] + rs * stack.pixel * np.arange(stack.rows, dtype=np.float64)
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
    noise: float = 4.0
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


def xray_file(series: Series, view: View, shot: Shot, signal: Array, transfer_syntax: UID) -> bytes:
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
        rician = np.hypot(signal + noise[0], noise[1])
        signal = rician if protocol.rician else signal + noise[0]
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
        ds.PixelSpacing = [ds_str(stack.pixel, 7)] * 2
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
    return Protocol(values, position, 8.0, attributes)


KNEE_PD_FS: dict[str, float] = {
    "air": 0, "fat": 130, "muscle": 330, "fluid": 1450, "cartilage": 760, "cortex": 25,
    "marrow": 170, "meniscus": 60, "tear": 1000, "edema": 1150, "tendon": 45, "ligament": 90,
}  # fmt: skip
KNEE_T2: dict[str, float] = {
    "air": 0, "fat": 980, "muscle": 290, "fluid": 1650, "cartilage": 470, "cortex": 25,
    "marrow": 820, "meniscus": 50, "tear": 780, "edema": 900, "tendon": 40, "ligament": 70,
}  # fmt: skip
KNEE_CT_HU: dict[str, float] = {
    "air": -1000, "fat": -100, "muscle": 45, "fluid": 8, "cartilage": 95, "cortex": 1350,
    "marrow": 260, "meniscus": 85, "tear": 30, "edema": 55, "tendon": 95, "ligament": 80,
}  # fmt: skip
SPINE_T2: dict[str, float] = {
    "air": 0, "fat": 920, "muscle": 300, "fluid": 1600, "cortex": 40, "marrow": 640,
    "annulus": 170, "nucleus": 1300, "nucleus_dark": 250, "csf": 1700, "cord": 520,
    "root": 330, "vessel": 40, "bowel": 520, "gas": 0, "scar": 560, "ligament": 60,
}  # fmt: skip
KNEE_XRAY_MU = {"air": 180.0, "soft": 8.0, "marrow": 11.0, "cortex": 26.0}
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
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    return normalise_zip(buffer.getvalue(), stamp)


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


# --- the cases: texts -----------------------------------------------------------------

SYNTHETIC = "Synthetic sample for software testing. No real patient."

KNEE_MR_REPORT = [
    "Sample Imaging Center",
    "Department of Radiology - MRI Report",
    "Patient: DEMO, KNEE    Patient ID: SAMPLE001    DOB: 1958-02-14    Sex: F",
    "Accession: SIC240310117",
    "Exam date: 2024-03-10",
    "Exam: MRI RIGHT KNEE WITHOUT CONTRAST",
    "Clinical information: Right knee pain for several years, medial, worse on stairs. "
    "Assess cartilage and menisci.",
    "Technique: Sagittal PD fat-saturated and coronal T2-weighted images of the right knee "
    "at 1.5 T.",
    "Comparison: Standing radiographs of the right knee, 2023-06-12.",
    "# Findings",
    "Medial compartment: Full-thickness cartilage loss over the weight-bearing medial "
    "femoral condyle and medial tibial plateau, with subchondral bone marrow oedema in the "
    "medial tibial plateau. Marginal osteophytes. Degenerative horizontal-oblique tear of "
    "the posterior horn of the medial meniscus, with 4 mm meniscal extrusion.",
    "Lateral compartment: Cartilage preserved. Lateral meniscus intact.",
    "Patellofemoral compartment: Mild cartilage thinning, no full-thickness defect.",
    "Ligaments: Anterior and posterior cruciate ligaments intact. Medial and lateral "
    "collateral ligaments intact.",
    "Other: Moderate joint effusion extending into the suprapatellar recess. No loose body. "
    "Quadriceps and patellar tendons intact.",
    "# Impression",
    "1. Advanced medial compartment osteoarthritis of the right knee with full-thickness "
    "cartilage loss and subchondral bone marrow oedema.",
    "2. Degenerative tear of the posterior horn of the medial meniscus with extrusion.",
    "3. Moderate joint effusion.",
    "Reported by: Dr. Sample Radiologist, MD    Report date: 2024-03-11",
    SYNTHETIC,
]

KNEE_XR_REPORT = [
    "Sample Orthopaedic Clinic",
    "Radiology Report",
    "Patient: DEMO, KNEE    Patient ID: SAMPLE001    DOB: 1958-02-14    Sex: F",
    "Accession: SOC240903008",
    "Exam date: 2024-09-03",
    "Exam: XR RIGHT KNEE, STANDING AP (WEIGHT-BEARING)",
    "Clinical information: Right knee osteoarthritis, pre-operative assessment.",
    "Comparison: Standing radiographs of the right knee, 2023-06-12 (outside images).",
    "# Findings",
    "The medial tibiofemoral joint space measures about 1.5 mm (about 3 mm on 2023-06-12), "
    "with subchondral sclerosis and marginal osteophytes at the medial femoral condyle and "
    "the medial tibial plateau. The lateral joint space is preserved (about 6.5 mm). Mild "
    "varus alignment. No fracture, no loose body. Soft tissues unremarkable.",
    "Measurements are corrected for a radiographic magnification factor of 1.10.",
    "# Impression",
    "Progression of severe medial compartment osteoarthritis of the right knee "
    "(Kellgren-Lawrence grade 4) since 2023-06-12.",
    "Reported by: Dr. Sample Reader, MD    Report date: 2024-09-03",
    SYNTHETIC,
]

MESSY_REPORT = [
    "Sample Sports Clinic",
    "Radiology Report",
    "Patient: DEMO, MESSY    Patient ID: SAMPLE003    DOB: 1976-06-22    Sex: M",
    "Accession: SSC240115033",
    "Exam date: 2024-01-15",
    "Exam: XR RIGHT KNEE, 2 VIEWS (AP AND LATERAL)",
    "Clinical information: Right knee pain and swelling after a twisting injury while "
    "skiing on 2024-01-06.",
    "Comparison: None.",
    "# Findings",
    "No acute fracture or dislocation. Mild narrowing of the medial joint space with small "
    "marginal osteophytes at the medial tibial plateau. Small suprapatellar effusion. The "
    "patella is normally positioned.",
    "# Impression",
    "1. No fracture of the right knee.",
    "2. Mild medial compartment degenerative change.",
    "3. Small effusion; MRI may be considered if mechanical symptoms persist.",
    "Reported by: Dr. Sample Reader, MD    Report date: 2024-01-15",
    SYNTHETIC,
]

LUMBAR_MR_REPORT = """示例市第一人民医院
磁共振检查报告单

姓名：演示腰椎    性别：男    年龄：52岁    ID号：SAMPLE002
检查号：MR2405200017    科室：骨科门诊
检查日期：2024年5月20日
检查部位：腰椎MRI平扫
检查方法：矢状位T2WI，轴位T2WI

影像所见：
腰椎生理曲度存在，各椎体序列整齐，椎体边缘骨质增生。
L4/5椎间盘T2WI信号减低，椎间隙变窄，椎间盘向左后方突出，相应硬膜囊左前缘受压，左侧侧隐窝变窄，左侧L5神经根受压。
L4左侧椎板部分缺如，周围见条片状中等信号影，符合术后改变。
L5/S1椎间盘轻度膨出，硬膜囊未见明显受压。
L1/2至L3/4椎间盘未见明显突出。
脊髓圆锥位置及信号未见异常。椎旁软组织未见异常。

诊断意见：
1. L4/5椎间盘突出（左后型），左侧L5神经根受压，结合病史考虑术后复发。
2. L4左侧椎板术后改变。
3. L5/S1椎间盘轻度膨出。
4. 腰椎退行性变。

报告医师：示例医师甲    审核医师：示例医师乙
报告日期：2024年5月20日
本报告仅供临床参考。合成示例，非真实患者。
"""

OPERATION_NOTE = [
    "示例市第一人民医院",
    "手术记录",
    "手术日期：2019年11月8日",
    "术前诊断：腰椎间盘突出症（L4/5，左侧）",
    "术后诊断：同术前",
    "手术名称：后路左侧L4/5椎板开窗髓核摘除术",
    "主刀医师：示例医师丙    助手：示例医师丁",
    "麻醉方式：全身麻醉    麻醉医师：示例医师戊",
    "手术经过：全麻成功后患者取俯卧位，常规消毒铺巾。C型臂透视定位L4/5间隙。"
    "取后正中切口长约4 cm，切开皮肤、皮下组织及腰背筋膜，沿棘突左侧剥离椎旁肌，"
    "显露L4/5左侧椎板间隙。咬除L4左侧椎板下缘部分及黄韧带，开窗减压。"
    "见L4/5椎间盘向左后方突出，压迫左侧L5神经根。牵开神经根，切开后纵韧带及纤维环，"
    "摘除变性髓核组织约2 g。探查神经根松弛，侧隐窝通畅。冲洗，止血，放置引流管一根，"
    "逐层缝合。",
    "术中出血约50 ml，未输血。术中患者生命体征平稳。",
    "植入物：无。",
    "术后处理：抗生素预防感染24小时，术后第1天拔除引流，佩戴腰围下地活动，3个月内避免弯腰负重。",
    "记录者：示例医师丙    记录时间：2019年11月8日 17:20",
    "合成示例，非真实患者。",
]

KNEE_CASE_YAML = """\
# Synthetic sample case (no real patient), written by the coordinator after intake.
case_id: SAMPLE001
patient:
  name: Demo Knee
  sex: F
  birth_year: 1958
  languages: [en]
case_type: knee_replacement
main_concern: >-
  Right knee pain for four years, worse over the last year; a surgeon has proposed a
  right total knee replacement and I would like a second opinion before deciding.
complaint:
  body_part: knee
  side: right
pain_history:
  location: inner (medial) side of the right knee, sometimes the back of the knee
  onset: 2020-09
  onset_kind: gradual
  triggers: [stairs, rising from a chair, walking more than 20 minutes, kneeling]
  pattern:
    - morning stiffness for about 20 minutes
    - pain after activity, worse in the evening
    - night pain about twice a week since early 2024
    - intermittent swelling; no locking, no giving way
  function: >-
    Walks about 500 m before stopping to rest; takes stairs one step at a time with the
    handrail; stopped hiking in 2023; can drive; sleep disturbed twice a week.
treatments:
  - kind: medication
    start: 2021-03
    detail: paracetamol 1 g up to three times a day; naproxen 500 mg twice daily as needed
    response: helpful in 2021-2022, little effect since mid-2023
  - kind: physiotherapy
    start: 2022-01
    end: 2022-04
    detail: 12 sessions of quadriceps strengthening and home exercises
    response: moderate improvement for about six months
  - kind: injection
    date: 2023-07-05
    detail: corticosteroid injection, right knee
    response: good relief for about eight weeks, then the pain returned
  - kind: bracing
    start: 2023-10
    detail: medial unloader brace for long walks
    response: slight help on long walks; uncomfortable to wear all day
  - kind: injection
    start: 2024-04-16
    end: 2024-04-30
    detail: hyaluronic acid, three weekly injections, right knee
    response: no noticeable change
surgeries: []
events:
  - date: 2024-09-10
    kind: visit
    label: Orthopaedic consultation after the new X-ray; right total knee replacement proposed
    side: right
proposed_treatment: Right total knee replacement
questions:
  - Do my X-rays and MRI show enough wear to justify a total knee replacement now, or can it wait?
  - The wear seems to be mainly on the inner side; would a partial (medial unicompartmental)
    knee replacement be an option?
  - Is the meniscus tear on the MRI a reason to have keyhole surgery (arthroscopy) first?
  - What else could I reasonably try before surgery, and what do I risk by waiting a year?
"""

LUMBAR_CASE_YAML = """\
# 合成示例病例（非真实患者），由协调员根据患者填写的信息整理。
# Synthetic sample case (no real patient).
case_id: SAMPLE002
patient:
  name: 演示 腰椎
  sex: 男
  birth_year: 1971
  languages: [zh, en]
case_type: spine
main_concern: >-
  2019年腰椎间盘手术后，近3个月左腿疼痛麻木复发；
  医生建议做L4/5融合手术，想确认是否必须融合。
complaint:
  body_part: 腰椎
  side: 左
pain_history:
  location: 腰痛，向左臀部、左大腿后侧、左小腿外侧至足背放射
  onset: 2024-02
  onset_kind: gradual
  triggers: [久坐, 弯腰, 咳嗽或打喷嚏]
  pattern:
    - 左小腿外侧及足背麻木
    - 晨起腰部僵硬约半小时
    - 无夜间痛，无大小便异常
  # function（行走距离、站立时间、工作、睡眠）尚未填写
treatments:
  - kind: medication
    start: 2024-02
    detail: 塞来昔布 200 mg 每日一次，甲钴胺 0.5 mg 每日三次
    response: 疼痛部分缓解，麻木无明显变化
  - kind: physiotherapy
    start: 2024-03
    end: 2024-04
    detail: 腰椎牵引及理疗 10 次
  - kind: rest
    start: 2024-04
    detail: 卧床休息两周，佩戴腰围
    response: 休息时减轻，恢复活动后复发
surgeries:
  - date: 2019-11-08
    procedure: 后路左侧L4/5椎板开窗髓核摘除术
    side: 左
    implants: []
proposed_treatment: L4/5 后路腰椎椎间融合内固定术（TLIF）
questions:
  - 这次复发是否一定要做融合手术？再次单纯减压或髓核摘除是否可行？
  - MRI上L4/5的突出与我左腿的症状是否对应？
  - 硬膜外注射或选择性神经根阻滞等保守治疗还值得尝试吗？
"""


# --- the cases: builders --------------------------------------------------------------


def knee_mr(study: Study, blobs: Sequence[Blob]) -> dict[str, list[bytes]]:
    """SAG PD FS (16 slices, JPEG 2000) and COR T2 (12 slices, RLE) of the right knee."""
    center = (-90.0, 8.0, 0.0)
    sag = Series(study, 3, "MR", "SAG PD FS", "KNEE", "R", "143802")
    cor = Series(study, 4, "MR", "COR T2", "KNEE", "R", "144655")
    pd_fs = mr_protocol(KNEE_PD_FS, "FFS", "tse2d1_7", 3200, 30, "FS")
    t2 = mr_protocol(KNEE_T2, "FFS", "tse2d1_11", 4100, 85, "")
    return {
        "SE00003/IM{:05d}": volume_files(
            sag, Stack(SAGITTAL, center, 16, 4.0, 4.4, 0.625), blobs, pd_fs, JPEG2000Lossless
        ),
        "SE00004/IM{:05d}.dcm": volume_files(
            cor, Stack(CORONAL, center, 12, 3.5, 4.0, 0.625), blobs, t2, RLELossless
        ),
    }


def build_knee(out: Path) -> None:
    """``knee_oa_right``: see the module docstring."""
    patient = Patient("Demo^Knee", "SAMPLE001", "19580214", "F")
    xr23 = Study(
        "knee_oa_right/2023-06-12/DX", patient, "20230612", "091544", "SCH230612041",
        "XR KNEE RT STANDING 2 VIEWS", "Sample Community Hospital", "Demo Medical",
        "DemoDR 3000", "SCH-XR2",
    )  # fmt: skip
    mr24 = Study(
        "knee_oa_right/2024-03-10/MR", patient, "20240310", "143210", "SIC240310117",
        "MRI KNEE RT WO CONTRAST", "Sample Imaging Center", "Demo Medical", "DemoMR 1.5T",
        "SIC-MR1",
    )  # fmt: skip
    xr24 = Study(
        "knee_oa_right/2024-09-03/DX", patient, "20240903", "101200", "SOC240903008",
        "XR KNEE RT STANDING AP", "Sample Orthopaedic Clinic", "Demo Imaging", "DemoDX 500",
        "SOC-XR1",
    )  # fmt: skip
    ap, lat = View("y", 1, (-90.0, 0.0)), View("x", -1, (0.0, 0.0))
    knee = knee_phantom("R", medial_gap=3.0, osteophyte=2.0)
    day = out / "DICOM" / "2023-06-12"
    series = Series(xr23, 1, "DX", "KNEE RT AP STANDING", "KNEE", "R", "091702")
    shot = Shot("AP", "R", marker_right=False, kvp=65, mas=6)
    signal = radiograph(knee, ap, KNEE_XRAY_MU, "knee_oa_right/2023/ap")
    write_bytes(day / "IM00001.dcm", xray_file(series, ap, shot, signal, JPEG2000Lossless))
    series = Series(xr23, 2, "DX", "KNEE RT LAT STANDING", "KNEE", "R", "091815")
    shot = Shot("RL", "R", marker_right=False, kvp=63, mas=5)
    signal = radiograph(knee, lat, KNEE_XRAY_MU, "knee_oa_right/2023/lat")
    write_bytes(day / "IM00002.dcm", xray_file(series, lat, shot, signal, JPEG2000Lossless))

    for pattern, files in knee_mr(mr24, knee_phantom("R", 2.5, 2.5)).items():
        for number, data in enumerate(files, 1):
            write_bytes(out / "DICOM" / "2024-03-10" / pattern.format(number), data)

    series = Series(xr24, 1, "DX", "KNEE RT AP STANDING", "KNEE", "R", "101348")
    shot = Shot("AP", "R", False, 66, 6, "MONOCHROME1", 14, 4.0, declare_magnification=True)
    signal = radiograph(knee_phantom("R", 1.5, 3.5), ap, KNEE_XRAY_MU, "knee_oa_right/2024/ap")
    data = xray_file(series, ap, shot, signal, JPEG2000Lossless)
    write_bytes(out / "DICOM" / "2024-09-03" / "IM00001.dcm", data)

    reports = out / "reports"
    created = dt.datetime(2024, 3, 11, 9, 12, tzinfo=dt.UTC)
    report = pdf_report(KNEE_MR_REPORT, "MRI RIGHT KNEE", "Sample Imaging Center", created)
    write_bytes(reports / "MR_right_knee_2024-03-10.pdf", report)
    created = dt.datetime(2024, 9, 3, 15, 40, tzinfo=dt.UTC)
    report = pdf_report(KNEE_XR_REPORT, "XR RIGHT KNEE", "Sample Orthopaedic Clinic", created)
    write_bytes(reports / "XR_knee_2024-09-03.pdf", report)
    write_bytes(out / "case.yaml", KNEE_CASE_YAML.encode())


def build_lumbar(out: Path) -> None:
    """``lumbar_spine_zh``: see the module docstring."""
    patient = Patient("Demo^Lumbar=演示^腰椎", "SAMPLE002", "19710903", "M")
    hospital = "示例市第一人民医院"
    cr = Study(
        "lumbar_spine_zh/2024-05-18/CR", patient, "20240518", "085030", "CR2405180023",
        "腰椎正侧位 / L-SPINE AP+LAT", hospital, "Demo Medical", "DemoCR 100", "CR01", "GB18030",
    )  # fmt: skip
    mr = Study(
        "lumbar_spine_zh/2024-05-20/MR", patient, "20240520", "154500", "MR2405200017",
        "腰椎MRI平扫 / MR L-SPINE", hospital, "Demo Medical", "DemoMR 3T", "MR02", "GB18030",
    )  # fmt: skip
    spine = spine_phantom()
    views = {
        "AP": View("y", 1, (0.0, 0.0), imager_pixel=0.3, magnification=1.15),
        "LAT": View("x", 1, (-20.0, 0.0), imager_pixel=0.3, magnification=1.15),
    }
    cr_dir = out / "DICOM" / "20240518" / "CR"
    series = Series(cr, 1, "CR", "腰椎 正位 / L-SPINE AP", "LSPINE", "", "085212",
                    charset=("", "ISO 2022 IR 58"))  # fmt: skip
    shot = Shot("AP", "R", marker_right=False, kvp=80, mas=25)
    signal = radiograph(spine, views["AP"], SPINE_XRAY_MU, "lumbar/ap")
    data = xray_file(series, views["AP"], shot, signal, JPEG2000Lossless)
    write_bytes(cr_dir / "SER001" / "IMG0001.dcm", data)
    series = Series(cr, 2, "CR", "腰椎 侧位 / L-SPINE LAT", "LSPINE", "", "085347")
    shot = Shot("LL", "L", marker_right=True, kvp=90, mas=40)
    signal = radiograph(spine, views["LAT"], SPINE_XRAY_MU, "lumbar/lat")
    data = xray_file(series, views["LAT"], shot, signal, JPEG2000Lossless)
    write_bytes(cr_dir / "SER002" / "IMG0001.dcm", data)

    t2 = mr_protocol(SPINE_T2, "HFS", "tse2d1_15", 3500, 100, "")
    t2.attributes.update({"MagneticFieldStrength": "3", "ImagingFrequency": "127.7"})
    sag = Series(mr, 2, "MR", "腰椎 矢状位 T2 / SAG T2", "LSPINE", "", "155214")
    ax = Series(mr, 4, "MR", "腰椎 轴位 T2 / AX T2", "LSPINE", "", "160301")
    sag_stack = Stack(SAGITTAL, (0.0, 10.0, 0.0), 12, 4.0, 4.4, 1.09375)
    ax_stack = Stack(AXIAL, (0.0, -10.0, -43.5), 15, 4.0, 4.5, 0.859375)
    mr_dir = out / "DICOM" / "20240520" / "MR"
    sag_files = volume_files(sag, sag_stack, spine, t2, ExplicitVRLittleEndian)
    for number, data in enumerate(sag_files, 1):
        write_bytes(mr_dir / "SER002" / f"IMG{number:04d}.dcm", data)
    for number, data in enumerate(volume_files(ax, ax_stack, spine, t2, RLELossless), 1):
        write_bytes(mr_dir / "SER004" / f"IMG{number:04d}.dcm", data)

    reports = out / "reports"
    write_bytes(reports / "腰椎MRI报告_20240520.txt", gb18030_text(LUMBAR_MR_REPORT))
    note = operation_note_docx(OPERATION_NOTE, dt.datetime(2019, 11, 8, 17, 20))
    write_bytes(reports / "手术记录_20191108.docx", note)
    write_bytes(out / "case.yaml", LUMBAR_CASE_YAML.encode())


def cd_members(instances: Sequence[bytes], stage: Path) -> list[tuple[str, bytes]]:
    """A CD tree ``CD/DICOMDIR`` + ``CD/DICOM/PT.../ST.../SE.../IM...`` as zip members.

    pydicom's FileSet writes ``PTxxxxxx/...`` at the root; the files are then moved under
    ``DICOM`` and the DICOMDIR rewritten with the longer Referenced File IDs (offsets are
    recomputed by the FileSet writer), as many CD burners lay them out.
    """
    fileset = FileSet()
    fileset.ID = "KNEE_LT_CD"
    fileset.UID = make_uid("messy_upload", "fileset")
    for number, data in enumerate(instances):
        path = stage / "in" / f"{number:04d}.dcm"
        write_bytes(path, data)
        fileset.add(path)
    flat, cd = stage / "flat", stage / "CD"
    fileset.write(flat)
    for instance in fileset:
        relative = Path(instance.path).relative_to(flat)
        write_bytes(cd / "DICOM" / relative, Path(instance.path).read_bytes())
        instance.node._record.ReferencedFileID = ["DICOM", *relative.parts]
    with open(cd / "DICOMDIR", "wb") as handle:
        fileset._write_dicomdir(DicomFileLike(handle), copy_safe=True)
    check = FileSet(cd / "DICOMDIR")
    assert len(check) == len(instances) and all(Path(i.path).is_file() for i in check)
    files = [cd / "DICOMDIR", *sorted(p for p in (cd / "DICOM").rglob("*") if p.is_file())]
    return [(f"CD/{p.relative_to(cd).as_posix()}", p.read_bytes()) for p in files]


def truncated(data: bytes) -> bytes:
    """The file cut in the middle of its (uncompressed) pixel data."""
    start = data.rfind(b"\xe0\x7f\x10\x00OW") + 12
    return data[: start + (len(data) - start) // 2]


def build_messy(out: Path) -> None:
    """``messy_upload``: see the module docstring."""
    patient = Patient("Demo^Messy", "SAMPLE003", "19760622", "M")
    xr = Study(
        "messy_upload/2024-01-15/DX", patient, "20240115", "100530", "SSC240115033",
        "XR KNEE LT 2 VIEWS", "Sample Sports Clinic", "Demo Medical", "DemoDR 3000", "SSC-XR1",
    )  # fmt: skip
    ct = Study(
        "messy_upload/2024-01-15/CT", patient, "20240115", "104500", "SSC240115034",
        "CT KNEE LT WO CONTRAST", "Sample Sports Clinic", "Demo Medical", "DemoCT 64", "SSC-CT1",
    )  # fmt: skip
    knee = knee_phantom("L", medial_gap=4.0, osteophyte=1.0)
    ap, lat = View("y", 1, (90.0, 0.0)), View("x", 1, (0.0, 0.0))
    series = Series(xr, 1, "DX", "KNEE LT AP", "KNEE", "L", "100611")
    shot = Shot("AP", "L", marker_right=True, kvp=65, mas=6)
    signal = radiograph(knee, ap, KNEE_XRAY_MU, "messy/ap")
    instances = [xray_file(series, ap, shot, signal, ExplicitVRLittleEndian)]
    ct_series = Series(ct, 2, "CT", "KNEE LT AXIAL 2.5MM", "KNEE", "L", "104812")
    attributes: dict[str, object] = {
        "ImageType": ["ORIGINAL", "PRIMARY", "AXIAL"],
        "KVP": "120",
        "DataCollectionDiameter": "500",
        "ReconstructionDiameter": "150",
        "ConvolutionKernel": "BONE",
        "XRayTubeCurrent": "180",
        "ExposureTime": "750",
        "RescaleIntercept": "-1024",
        "RescaleSlope": "1",
        "RescaleType": "HU",
        "WindowCenter": ["500", "40"],
        "WindowWidth": ["2000", "400"],
        "WindowCenterWidthExplanation": ["BONE", "SOFT TISSUE"],
    }
    protocol = Protocol(KNEE_CT_HU, "FFS", 12.0, attributes, offset=1024.0, rician=False)
    stack = Stack(AXIAL, (90.0, 0.0, 1.25), 12, 2.5, 2.5, 0.5859375)
    instances += volume_files(ct_series, stack, knee, protocol, ImplicitVRLittleEndian)

    lat_series = Series(xr, 2, "DX", "KNEE LT LAT", "KNEE", "L", "100702")
    shot = Shot("LL", "L", marker_right=True, kvp=63, mas=5)
    lateral = radiograph(knee, lat, KNEE_XRAY_MU, "messy/lat")
    broken = truncated(xray_file(lat_series, lat, shot, lateral, ExplicitVRLittleEndian))
    lateral[marker_mask(lateral.shape, "L", right=True)] += 1800.0
    created = dt.datetime(2024, 1, 15, 16, 5, tzinfo=dt.UTC)
    report = pdf_report(MESSY_REPORT, "XR KNEE", "Sample Sports Clinic", created)
    with tempfile.TemporaryDirectory() as tmp:
        members = [(".DS_Store", ds_store()), *cd_members(instances, Path(tmp))]
    members += [
        ("corrupt/IM_BROKEN.dcm", broken),
        ("photos/IMG_2024_film.jpg", film_photo(lateral, "SSC  2024-01-15  LT KNEE")),
        ("report_knee.pdf", report),
        ("__MACOSX/._report_knee.pdf", apple_double()),
    ]
    write_bytes(out / "upload.zip", zip_bytes(members, (2024, 1, 20, 21, 14, 36)))


BUILDERS: dict[str, Callable[[Path], None]] = {
    "knee_oa_right": build_knee,
    "lumbar_spine_zh": build_lumbar,
    "messy_upload": build_messy,
}


def main(out_dir: Path | None = None) -> list[Path]:
    """Write every case folder under *out_dir* (default: next to this script).

    Existing case folders there are replaced. Returns the files written.
    """
    root = Path(out_dir) if out_dir is not None else HERE
    written: list[Path] = []
    for name, build in BUILDERS.items():
        target = root / name
        if target.exists():
            shutil.rmtree(target)
        build(target)
        written += sorted(p for p in target.rglob("*") if p.is_file())
    return written


def cli(argv: Sequence[str] | None = None) -> int:
    """Command line: ``generate.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="write the cases into OUT")
    args = parser.parse_args(argv)
    for path in main(args.out):
        print(f"{path.stat().st_size:>10,}  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(cli())
