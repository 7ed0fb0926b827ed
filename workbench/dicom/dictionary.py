"""The part of the DICOM data dictionary the header walker needs, without importing pydicom.

The walker looks up two things: the tag and VR of each element it keeps (its VR for
implicit-VR files), and whether an implicit-VR element is a sequence (to bound the
nesting of hostile files). Both are pydicom's data dictionary, written out here: the
first as :data:`ENTRIES`, the second as ``data/dicom_sequence_tags.txt`` (every tag
whose VR is SQ), read on first use. Tests check both against :mod:`pydicom.datadict`;
after a pydicom upgrade adds sequences, ``python -m workbench.dicom.dictionary``
writes the file again. pydicom itself is imported only for a keyword outside the
table (its first import loads every pixel decoder, a third of a second).
"""

from __future__ import annotations

import functools
from pathlib import Path

#: Tag and VR by keyword, for the elements the header walker keeps (pydicom's dictionary).
ENTRIES: dict[str, tuple[int, str]] = {
    "SpecificCharacterSet": (0x00080005, "CS"),
    "ImageType": (0x00080008, "CS"),
    "SOPClassUID": (0x00080016, "UI"),
    "SOPInstanceUID": (0x00080018, "UI"),
    "StudyDate": (0x00080020, "DA"),
    "SeriesDate": (0x00080021, "DA"),
    "AcquisitionDate": (0x00080022, "DA"),
    "ContentDate": (0x00080023, "DA"),
    "StudyTime": (0x00080030, "TM"),
    "SeriesTime": (0x00080031, "TM"),
    "AccessionNumber": (0x00080050, "SH"),
    "Modality": (0x00080060, "CS"),
    "ConversionType": (0x00080064, "CS"),
    "Manufacturer": (0x00080070, "LO"),
    "InstitutionName": (0x00080080, "LO"),
    "ReferringPhysicianName": (0x00080090, "PN"),
    "StationName": (0x00081010, "SH"),
    "StudyDescription": (0x00081030, "LO"),
    "SeriesDescription": (0x0008103E, "LO"),
    "ManufacturerModelName": (0x00081090, "LO"),
    "PatientName": (0x00100010, "PN"),
    "PatientID": (0x00100020, "LO"),
    "PatientBirthDate": (0x00100030, "DA"),
    "PatientSex": (0x00100040, "CS"),
    "PatientAge": (0x00101010, "AS"),
    "BodyPartExamined": (0x00180015, "CS"),
    "SliceThickness": (0x00180050, "DS"),
    "SpacingBetweenSlices": (0x00180088, "DS"),
    "ProtocolName": (0x00181030, "LO"),
    "DistanceSourceToDetector": (0x00181110, "DS"),
    "EstimatedRadiographicMagnificationFactor": (0x00181114, "DS"),
    "ImagerPixelSpacing": (0x00181164, "DS"),
    "PatientPosition": (0x00185100, "CS"),
    "ViewPosition": (0x00185101, "CS"),
    "StudyInstanceUID": (0x0020000D, "UI"),
    "SeriesInstanceUID": (0x0020000E, "UI"),
    "StudyID": (0x00200010, "SH"),
    "SeriesNumber": (0x00200011, "IS"),
    "InstanceNumber": (0x00200013, "IS"),
    "PatientOrientation": (0x00200020, "CS"),
    "ImagePositionPatient": (0x00200032, "DS"),
    "ImageOrientationPatient": (0x00200037, "DS"),
    "FrameOfReferenceUID": (0x00200052, "UI"),
    "Laterality": (0x00200060, "CS"),
    "ImageLaterality": (0x00200062, "CS"),
    "SliceLocation": (0x00201041, "DS"),
    "SamplesPerPixel": (0x00280002, "US"),
    "PhotometricInterpretation": (0x00280004, "CS"),
    "NumberOfFrames": (0x00280008, "IS"),
    "Rows": (0x00280010, "US"),
    "Columns": (0x00280011, "US"),
    "PixelSpacing": (0x00280030, "DS"),
    "BitsAllocated": (0x00280100, "US"),
    "BitsStored": (0x00280101, "US"),
    "PixelRepresentation": (0x00280103, "US"),
    "BurnedInAnnotation": (0x00280301, "CS"),
    "WindowCenter": (0x00281050, "DS"),
    "WindowWidth": (0x00281051, "DS"),
    "RescaleIntercept": (0x00281052, "DS"),
    "RescaleSlope": (0x00281053, "DS"),
    "LossyImageCompression": (0x00282110, "CS"),
}
#: Repeating-group sequences, as (value, mask): ``(tag ^ value) & mask == 0``
#: (pydicom's ``RepeatersDictionary``: (50xx,2600) *Curve Referenced Overlay Sequence*).
SEQUENCE_MASKS: tuple[tuple[int, int], ...] = ((0x50002600, 0xFF00FFFF),)
SEQUENCE_TAGS_FILE: Path = (
    Path(__file__).resolve().parent.parent / "data" / "dicom_sequence_tags.txt"
)
_BY_TAG = {tag: keyword for keyword, (tag, _) in ENTRIES.items()}


def entry(keyword: str) -> tuple[int, str]:
    """(tag, VR) of *keyword*: from :data:`ENTRIES`, else from pydicom's dictionary."""
    found = ENTRIES.get(keyword)
    if found is not None:
        return found
    # optional heavy dependency: pydicom (a keyword outside the walker's table)
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(f"{keyword!r} is not a DICOM keyword")
    return int(tag), str(dictionary_VR(tag))


def keyword_for_tag(tag: int) -> str:
    """The keyword of *tag* (``""`` when the dictionary has none, a private tag say)."""
    found = _BY_TAG.get(tag)
    if found is not None:
        return found
    # optional heavy dependency: pydicom (naming a tag in a message)
    from pydicom.datadict import keyword_for_tag as pydicom_keyword

    return str(pydicom_keyword(tag) or "")


def is_sequence(tag: int) -> bool:
    """Whether the data dictionary gives *tag* the VR SQ (implicit-VR files)."""
    return tag in sequence_tags() or any(
        (tag ^ value) & mask == 0 for value, mask in SEQUENCE_MASKS
    )


@functools.cache
def sequence_tags() -> frozenset[int]:
    """Every tag of the data dictionary whose VR is SQ (``data/dicom_sequence_tags.txt``)."""
    text = SEQUENCE_TAGS_FILE.read_text(encoding="ascii")
    return frozenset(
        int(line, 16) for line in text.splitlines() if line and not line.startswith("#")
    )


def sequence_tags_text() -> str:
    """The content of ``data/dicom_sequence_tags.txt``, made from pydicom's dictionary."""
    import pydicom  # the generator: run after a pydicom upgrade
    from pydicom._dicom_dict import DicomDictionary

    tags = sorted(tag for tag, row in DicomDictionary.items() if row[0] == "SQ")
    head = (
        f"# Every tag whose VR is SQ in the DICOM data dictionary of pydicom "
        f"{pydicom.__version__}\n# (written by python -m workbench.dicom.dictionary)\n"
    )
    return head + "".join(f"{tag:08X}\n" for tag in tags)


if __name__ == "__main__":
    SEQUENCE_TAGS_FILE.write_text(sequence_tags_text(), encoding="ascii")
    print(f"written: {SEQUENCE_TAGS_FILE}")
