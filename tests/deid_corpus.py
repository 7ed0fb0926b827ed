"""A de-identification corpus: real third-party DICOM files with identifiers planted.

Used by ``tests/deid/`` (a small selection) and ``benchmarks/bench_deid.py`` (all).
The files come from pydicom's test files and pydicom-data (NEMA samples,
ultrasound and secondary capture); deid-data is not in the lock, its place is
taken by pydicom's US and SC files. One synthetic patient, her mother and two
staff members are planted in these location classes:

``standard`` (PN, ID, address, phone attributes), ``description`` (study and
series descriptions, free text), ``comment`` (ImageComments, PatientComments),
``private`` (a private block), ``un`` (UN elements), ``nested`` (sequences three
deep), ``sr`` (SR content text), ``overlay`` (overlay description), ``preamble``,
``case.yaml``, ``report`` (a GB18030 text report), ``gb18030`` and ``iso2022``
(Chinese names in those character sets).

Each placement is a :class:`Needle`: the file, the class, the element path and
the value. The relative (``CHENLIHUA``), the mobile ``13800138000``, the resident
ID and the e-mail are never in an identifying attribute: only detectors find them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.data import get_charset_files, get_testdata_file
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

PATIENT = "ZHOU^XINYI"
PATIENT_ZH = "周欣怡"
MOTHER = "CHENLIHUA"
MOTHER_ZH = "陈丽华"
PATIENT_ID = "ZX-20231188"
ACCESSION = "A88213"
MOBILE = "13912345678"
OTHER_MOBILE = "13800138000"
RESIDENT_ID = "11010519491231002X"
EMAIL = "zhou.xy@example.cn"
ADDRESS_ZH = "北京市朝阳区建国路88号"
DOCTOR = "Okafor"
OPERATOR = "Brandt"
INSTITUTION = "Riverside Orthopaedic Hospital"
BIRTH = "19820317"

#: Every needle value, with the forms a leak search looks for.
VALUES = (
    "ZHOU",
    "XINYI",
    PATIENT_ZH,
    MOTHER,
    MOTHER_ZH,
    PATIENT_ID,
    ACCESSION,
    MOBILE,
    OTHER_MOBILE,
    RESIDENT_ID,
    EMAIL,
    ADDRESS_ZH,
    DOCTOR,
    OPERATOR,
    INSTITUTION,
    BIRTH,
    "1982-03-17",
)

#: (file name, source) of the images: pydicom's own test files and pydicom-data.
SMALL = ("CT_small.dcm", "MR_small.dcm", "test-SR.dcm", "US1_UNCR.dcm", "SC_rgb.dcm")
FULL = (
    *SMALL,
    "rtplan.dcm",
    "JPEG2000.dcm",
    "emri_small.dcm",
    "MR2_J2KI.dcm",
    "RG1_J2KI.dcm",
    "US1_J2KI.dcm",
    "SC_rgb_small_odd.dcm",
    "MR-SIEMENS-DICOM-WithOverlays.dcm",
    "explicit_VR-UN.dcm",
)
IR58_PN = b"Zhou^Xinyi=\x1b$)A" + "周".encode("gb2312") + b"^\x1b$)A" + "欣怡".encode("gb2312")


@dataclass(frozen=True)
class Needle:
    """One planted identifier: which file, which location class, where, what.

    *where* is what the verifier reports: an element's keyword path (or, for a
    private or overlay element, its tag ``(GGGG,EEEE)``), ``preamble`` or
    ``line N``; *text* is the whole text planted there.
    """

    file: str
    where: str
    location: str
    value: str
    text: str


def flagged(needle: Needle, findings: object) -> bool:
    """True when a verifier finding at the needle's place covers the needle.

    A finding covers it when its span overlaps an occurrence of the value in the
    planted text, or spans the whole text (a person name element).
    """
    import pandas as pd  # the tests and the benchmark have it

    assert isinstance(findings, pd.DataFrame)
    rows = findings[findings["path"] == needle.file]
    here = rows[(rows["where"] == needle.where) | (rows["tag"] == needle.where)]
    spans = []
    for span in here["span"]:
        if ":" in str(span):
            a, b = str(span).split(":")
            spans.append((int(a), int(b)))
    text, value = needle.text.lower(), needle.value.lower()
    starts = [i for i in range(len(text)) if text.startswith(value, i)]
    if not starts:
        return any(a == 0 and b >= len(needle.text.rstrip()) for a, b in spans)
    return all(any(a < i + len(value) and i < b for a, b in spans) for i in starts)


_ENCODINGS = ("utf-8", "gb18030", "gb2312", "utf-16-le")


def values_in(raw: bytes, *, dicom: bool) -> set[str]:
    """The needle values in *raw*, any letter case, in UTF-8, GB18030, GB2312 (also the
    bytes of ISO 2022 IR 58) and UTF-16; for DICOM the pixel data is left out."""
    from workbench.deid.verify import _without_pixels  # the header, without the pixels

    body = (_without_pixels(raw) if dicom else raw).lower()
    out = set()
    for value in VALUES:
        for encoding in _ENCODINGS:
            try:
                needle = value.lower().encode(encoding)
            except UnicodeEncodeError:
                continue
            if needle in body:
                out.add(value)
                break
    return out


def deid_data_files() -> tuple[str, ...]:
    """The DICOM files of the ``deid-data`` package (ultrasound, CT, secondary captures)
    when it is installed (it is not in the lock: 76 MB), as paths; else empty."""
    import importlib.util

    spec = importlib.util.find_spec("deid_data")
    if spec is None or not spec.submodule_search_locations:
        return ()
    root = Path(next(iter(spec.submodule_search_locations))) / "data"
    return tuple(str(p) for p in sorted(root.rglob("*.dcm")))


def _case_name(name: str) -> str:
    path = Path(name)
    if not path.is_absolute():
        return name
    return "deid-data_" + "_".join(path.parts[-2:])


def _source(name: str) -> Path:
    if Path(name).is_absolute():
        return Path(name)
    found = get_testdata_file(name) or (get_charset_files(name) or [None])[0]
    if found is None:
        raise FileNotFoundError(f"pydicom test file {name!r} not found (install pydicom-data)")
    return Path(str(found))


class _Planter:
    def __init__(self) -> None:
        self.needles: list[Needle] = []

    def put(self, ds: Dataset, file: str, keyword: str, value: object, location: str) -> None:
        setattr(ds, keyword, value)
        self.note(file, keyword, location, str(value))

    def note(self, file: str, where: str, location: str, text: str) -> None:
        for value in VALUES:
            if value.lower() in text.lower() or value in text.replace("^", ""):
                self.needles.append(Needle(file, where, location, value, text))

    def lines(self, file: str, location: str, text: str) -> None:
        for number, line in enumerate(text.splitlines(), start=1):
            self.note(file, f"line {number}", location, line)


def _tag(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _plant_dicom(p: _Planter, ds: Dataset, file: str) -> None:
    p.put(ds, file, "PatientName", PATIENT, "standard")
    p.put(ds, file, "PatientID", PATIENT_ID, "standard")
    p.put(ds, file, "PatientBirthDate", BIRTH, "standard")
    p.put(ds, file, "AccessionNumber", ACCESSION, "standard")
    p.put(ds, file, "PatientTelephoneNumbers", MOBILE, "standard")
    p.put(ds, file, "PatientAddress", ADDRESS_ZH, "standard")
    p.put(ds, file, "InstitutionName", INSTITUTION, "standard")
    p.put(ds, file, "ReferringPhysicianName", f"{DOCTOR}^Ngozi", "standard")
    p.put(ds, file, "OperatorsName", f"{OPERATOR}^Jonas", "standard")
    p.put(ds, file, "StudyDescription", "ZHOU XINYI right knee", "description")
    p.put(ds, file, "SeriesDescription", f"pt ZHOUXINYI MRN {PATIENT_ID}", "description")
    p.put(
        ds, file, "ImageComments", f"pt ZHOUXINYI, mother {MOTHER}, tel {OTHER_MOBILE}", "comment"
    )
    p.put(ds, file, "PatientComments", f"身份证 {RESIDENT_ID}, e-mail {EMAIL}", "comment")
    p.put(ds, file, "RequestedProcedureDescription", f"knee MRI, mother {MOTHER}", "description")
    block = ds.private_block(0x0011, "ACME PLANTED", create=True)
    block.add_new(0x01, "LO", f"ZHOU^XINYI {MOBILE}")
    p.note(file, _tag(block.get_tag(0x01)), "private", f"ZHOU^XINYI {MOBILE}")
    un = f"mother {MOTHER} tel {OTHER_MOBILE}".encode()
    ds.add(DataElement(block.get_tag(0x02), "UN", un + b" " * (len(un) % 2)))
    p.note(file, _tag(block.get_tag(0x02)), "un", un.decode().strip())
    deep = Dataset()
    deep.TextValue = f"Seen by Dr {DOCTOR} with mother {MOTHER}"
    deep.PersonName = "CHEN^LIHUA"
    middle = Dataset()
    middle.ContentSequence = Sequence([deep])
    middle.RequestedProcedureDescription = "knee"
    outer = Dataset()
    outer.ReferencedRequestSequence = Sequence([middle])
    ds.ReferencedImageEvidenceSequence = Sequence([outer])
    p.note(
        file,
        "ReferencedImageEvidenceSequence[0].ReferencedRequestSequence[0].ContentSequence[0].TextValue",
        "nested",
        deep.TextValue,
    )
    p.note(
        file,
        "ReferencedImageEvidenceSequence[0].ReferencedRequestSequence[0].ContentSequence[0].PersonName",
        "nested",
        "CHEN^LIHUA",
    )
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"  # Detached Study Management
    ref.ReferencedSOPInstanceUID = ds.StudyInstanceUID
    ds.ReferencedStudySequence = Sequence([ref])
    if "PixelData" in ds and ds.get("SamplesPerPixel", 1) == 1:
        ds.add_new(0x60000010, "US", int(ds.Rows))
        ds.add_new(0x60000011, "US", int(ds.Columns))
        ds.add_new(0x60000022, "LO", f"annotated by {OPERATOR}")
        p.note(file, "(6000,0022)", "overlay", f"annotated by {OPERATOR}")
    if "ContentSequence" in ds:  # an SR: text in its content tree
        for i, item in enumerate(ds.ContentSequence):
            if item.get("ValueType") == "TEXT":
                item.TextValue = f"Patient ZHOU XINYI, contact {OTHER_MOBILE}"
                p.note(file, f"ContentSequence[{i}].TextValue", "sr", item.TextValue)
                break


def build(root: Path, names: tuple[str, ...] = SMALL) -> list[Needle]:
    """Write the corpus under ``root/case``; return every planted needle."""
    case = root / "case"
    case.mkdir(parents=True, exist_ok=True)
    p = _Planter()
    for source in names:
        name = _case_name(source)
        ds = pydicom.dcmread(_source(source))
        ds.SpecificCharacterSet = "ISO_IR 192"
        _plant_dicom(p, ds, name)
        ds.preamble = f"ZHOU XINYI {MOBILE}".encode().ljust(128, b"\x00")
        p.note(name, "preamble", "preamble", f"ZHOU XINYI {MOBILE}")
        ds.save_as(case / name)
    gb = pydicom.dcmread(_source("chrX2.dcm"))  # GB18030
    gb.PatientName = f"Zhou^Xinyi={PATIENT_ZH[0]}^{PATIENT_ZH[1:]}"
    gb.StudyDescription = f"{PATIENT_ZH} 右膝 MRI，母亲{MOTHER_ZH}"
    gb.PatientID = PATIENT_ID
    gb.BurnedInAnnotation = "NO"
    gb.save_as(case / "gb18030.dcm")
    p.note("gb18030.dcm", "PatientName", "gb18030", str(gb.PatientName))
    p.note("gb18030.dcm", "StudyDescription", "gb18030", gb.StudyDescription)
    ir = pydicom.dcmread(_source("CT_small.dcm"))
    ir.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["iso2022"])
    ir.SpecificCharacterSet = ["", "ISO 2022 IR 58"]
    ir[0x00100010] = DataElement(0x00100010, "PN", IR58_PN)
    desc = b"\x1b$)A" + f"患者{PATIENT_ZH}，家属{MOTHER_ZH} 腰椎".encode("gb2312")
    ir[0x00081030] = DataElement(0x00081030, "LO", desc + b" " * (len(desc) % 2))
    ir.save_as(case / "iso2022.dcm")
    p.note("iso2022.dcm", "PatientName", "iso2022", f"Zhou^Xinyi={PATIENT_ZH[0]}^{PATIENT_ZH[1:]}")
    p.note("iso2022.dcm", "StudyDescription", "iso2022", f"患者{PATIENT_ZH}，家属{MOTHER_ZH} 腰椎")
    report = (
        f"姓名：{PATIENT_ZH}  出生日期：1982-03-17  检查日期：2023-01-05\n"
        f"家属：{MOTHER_ZH}，电话：{OTHER_MOBILE}，住址：{ADDRESS_ZH}\n"
        f"身份证号：{RESIDENT_ID}\n右膝关节 MRI：内侧半月板后角撕裂。\n"
        f"Referred by Dr {DOCTOR}. Patient ZHOU XINYI, mother {MOTHER}.\n"
    )
    (case / "report.txt").write_bytes(report.encode("gb18030"))
    p.lines("report.txt", "report", report)
    manifest = (
        f"patient:\n  name: {PATIENT_ZH}\n  sex: F\n  birth_year: 1982\n"
        f"main_concern: 右膝疼痛，母亲{MOTHER_ZH}陪同，电话 {OTHER_MOBILE}\n"
        f"questions:\n  - Should ZHOU XINYI have surgery? Her mother {MOTHER} asks. {EMAIL}\n"
    )
    (case / "case.yaml").write_text(manifest, encoding="utf-8")
    p.lines("case.yaml", "case.yaml", manifest)
    return p.needles


def copy_source(case: Path, dest: Path) -> None:
    """The corpus as it is, in *dest*: a copy that skipped cleaning."""
    shutil.copytree(case, dest)
