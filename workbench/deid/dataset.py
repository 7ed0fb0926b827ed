"""De-identify one DICOM data set by the PS3.15 action table, recursively.

Every element of the data set and of every sequence item gets the action Table
E.1-1 gives its tag (see :mod:`workbench.deid.profile`); elements the table does
not list are still checked: person names are emptied, dates follow the date
option, UIDs of the case's instances are remapped wherever they appear, public
elements of unknown VR are removed, and free text is cleaned of the case's
identifying values. Private elements are removed unless on a safe list, curves
and overlays are removed, the file is written with a zeroed preamble, a fresh
file meta header and ``ISO_IR 192`` (UTF-8) text, whatever the original
character set (GB18030, GB2312, ISO 2022 IR 58 ...).

:func:`hold_back_reason` tells which images a person must look at before they
leave: pixel data that may show names (``BurnedInAnnotation`` YES; ultrasound
and secondary capture without that attribute; encapsulated documents; photos
with recognisable features).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from workbench.deid.keys import remap_uid
from workbench.deid.profile import ActionTable
from workbench.deid.text import DatePolicy, Redactor
from workbench.dicom import uids

__all__ = [
    "DicomRules",
    "clean_dataset",
    "dataset_bytes",
    "decode_text",
    "hold_back_reason",
    "method_codes",
]

#: Value representations holding free text that the Clean Descriptors step scrubs.
TEXT_VRS = frozenset({"LO", "SH", "LT", "ST", "UT", "UC", "AE", "UR"})
_MAX_LENGTH = {"AE": 16, "SH": 16, "LO": 64, "ST": 1024, "LT": 10240, "CS": 16}
_NUMBER_VRS = frozenset({"FL", "FD", "SL", "SS", "UL", "US", "SV", "UV"})
_TEMPORAL = frozenset({"DA", "DT", "TM"})
_PATIENT_NAME, _PATIENT_ID = 0x00100010, 0x00100020
_CHARSET = 0x00080005
_ESCAPE = re.compile(r"\x1b[$()*+\-./]{1,2}[@-~]")

_SECONDARY_CAPTURE = uids.SECONDARY_CAPTURE_PREFIX
_ULTRASOUND = uids.ULTRASOUND_PREFIXES
_ENCAPSULATED = uids.ENCAPSULATED_PREFIX
_VISIBLE_LIGHT = uids.VISIBLE_LIGHT_PREFIX

#: Private elements kept by default: ``(private creator, group, element low byte)``.
#: Empty: no private attribute is known safe for the cases this workbench sees.
SAFE_PRIVATE_TAGS: frozenset[tuple[str, int, int]] = frozenset()


@dataclass
class DicomRules:
    """Everything the cleaning of one data set needs.

    Attributes
    ----------
    table : ActionTable
        Table E.1-1 resolved for the options.
    secret : bytes
        Key of the UID remapping.
    redactor : Redactor
        Free-text cleaner holding the case's identifying values.
    pseudonym : str
        Replaces (0010,0010) *Patient's Name* and (0010,0020) *Patient ID*.
    dates : DatePolicy
    known_uids : frozenset of str
        Instance UIDs of the case (study, series, instance, frame of reference),
        remapped wherever they appear, even in attributes the table does not list.
    safe_private : frozenset of (str, int, int)
        Private elements to keep, as ``(creator, group, element & 0xFF)``.
    """

    table: ActionTable
    secret: bytes
    redactor: Redactor
    pseudonym: str
    dates: DatePolicy
    known_uids: frozenset[str] = frozenset()
    safe_private: frozenset[tuple[str, int, int]] = field(default=SAFE_PRIVATE_TAGS)


def hold_back_reason(ds: Dataset) -> str | None:
    """Why the pixels of *ds* need a person's review before release, or None.

    >>> from pydicom import Dataset
    >>> ds = Dataset(); ds.Modality = "US"; ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.6.1"
    >>> hold_back_reason(ds).split(":")[0]
    'ultrasound image without (0028,0301) Burned In Annotation'
    >>> ds.BurnedInAnnotation = "NO"; hold_back_reason(ds) is None
    True
    """
    burned = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    sop = str(ds.get("SOPClassUID", "") or "")
    if burned == "YES":
        return "(0028,0301) Burned In Annotation is YES: the pixels show identifying text"
    if str(ds.get("RecognizableVisualFeatures", "") or "").strip().upper() == "YES":
        return "(0028,0302) Recognizable Visual Features is YES: the image may show a face"
    if sop.startswith(_ENCAPSULATED):
        return "encapsulated document: its content cannot be de-identified automatically"
    if burned:
        return None
    if str(ds.get("Modality", "")).upper() == "US" or sop.startswith(_ULTRASOUND):
        kind = "ultrasound image"
    elif sop.startswith(_SECONDARY_CAPTURE):
        kind = "secondary capture image"
    elif sop.startswith(_VISIBLE_LIGHT) and "RecognizableVisualFeatures" not in ds:
        kind = "photograph"
    else:
        return None
    return (
        f"{kind} without (0028,0301) Burned In Annotation: text such as the name may be in "
        "the pixels"
    )


def method_codes(mode: str) -> list[Any]:
    """Codes of (0012,0064) *De-identification Method Code Sequence* (CID 7050)."""
    chosen = [codes.DCM.BasicApplicationConfidentialityProfile]
    if mode == "keep":
        chosen.append(codes.DCM.RetainLongitudinalTemporalInformationFullDatesOption)
    elif mode == "shift":
        chosen.append(codes.DCM.RetainLongitudinalTemporalInformationModifiedDatesOption)
    chosen += [codes.DCM.RetainPatientCharacteristicsOption, codes.DCM.CleanDescriptorsOption]
    return chosen


def decode_text(ds: Dataset) -> None:
    """Decode every text value of *ds* to Unicode, sequences included.

    pydicom leaves the ISO 2022 escape sequences of ``ISO 2022 IR 58`` (GB2312)
    in the decoded text (``ESC $ ) A`` before each run of Chinese text); they are removed here.
    """
    ds.decode()
    charset = ds.get("SpecificCharacterSet") or ""
    if "2022" not in str(charset):
        return
    for elem in _text_elements(ds):
        if isinstance(elem.value, MultiValue | list):
            elem.value = [_ESCAPE.sub("", str(v)) for v in elem.value]
        elif elem.value is not None:
            elem.value = _ESCAPE.sub("", str(elem.value))


def _text_elements(ds: Dataset) -> Iterable[DataElement]:
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value or []:
                yield from _text_elements(item)
        elif (elem.VR in TEXT_VRS or elem.VR == "PN") and "\x1b" in str(elem.value or ""):
            yield elem


def clean_dataset(ds: Dataset, rules: DicomRules) -> None:
    """De-identify *ds* in place (all text decoded to Unicode, UIDs remapped)."""
    decode_text(ds)
    _fill_age(ds)
    _clean(ds, rules, top=True)
    ds.PatientName = rules.pseudonym
    ds.PatientID = rules.pseudonym
    ds.PatientIdentityRemoved = "YES"
    method = ["PS3.15 E.1-1 Basic Profile", *rules.table.options]
    ds.DeidentificationMethod = [f"workbench: {m}"[:64] for m in method]
    items = []
    for code in method_codes(rules.dates.mode):
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator = code.value, code.scheme_designator
        item.CodeMeaning = code.meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    ds.LongitudinalTemporalInformationModified = {
        "keep": "UNMODIFIED",
        "shift": "MODIFIED",
        "remove": "REMOVED",
    }[rules.dates.mode]
    ds.SpecificCharacterSet = "ISO_IR 192"


def dataset_bytes(ds: FileDataset | Dataset) -> bytes:
    """*ds* as a DICOM file: zeroed preamble, a new file meta header, its transfer syntax."""
    old = getattr(ds, "file_meta", None)
    syntax = old.get("TransferSyntaxUID") if old is not None else None
    if syntax is None:
        implicit, little = getattr(ds, "original_encoding", (True, True))
        syntax = (
            ImplicitVRLittleEndian
            if implicit
            else (ExplicitVRLittleEndian if little is not False else ExplicitVRBigEndian)
        )
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = syntax
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "WORKBENCH_DEID"
    ds.file_meta = meta
    ds.preamble = bytes(128)
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


# --- the walk -------------------------------------------------------------------------


def _clean(ds: Dataset, rules: DicomRules, *, top: bool) -> None:
    creators = _private_creators(ds)
    keep_creators: set[int] = set()
    for elem in list(ds):
        tag = int(elem.tag)
        group, element = tag >> 16, tag & 0xFFFF
        if element == 0 or (not top and tag == _CHARSET):
            del ds[tag]  # group lengths go stale; items inherit the new character set
        elif group % 2:
            if 0x0010 <= element <= 0x00FF:
                continue  # a private creator: decided after its elements
            creator_tag = _private_creator_tag(tag)
            if creator_tag is None:
                del ds[tag]  # outside any private block
                continue
            key = (creators.get(creator_tag, ""), group, element & 0xFF)
            if key in rules.safe_private:
                keep_creators.add(creator_tag)
                if elem.VR == "SQ":
                    for item in elem.value:
                        _clean(item, rules, top=False)
                elif elem.VR in TEXT_VRS:
                    _redact(elem, rules)
            else:
                del ds[tag]
        elif 0x5000 <= group <= 0x501E or 0x6000 <= group <= 0x601E:
            del ds[tag]  # curves and overlays
        else:
            _apply(ds, elem, rules.table.action(tag), rules)
    for creator_tag in creators:
        if creator_tag not in keep_creators and creator_tag in ds:
            del ds[creator_tag]


def _apply(ds: Dataset, elem: DataElement, code: str | None, rules: DicomRules) -> None:
    vr = elem.VR
    if code is None:
        code = _unlisted_action(elem, rules)
    if code == "X":
        del ds[elem.tag]
    elif vr == "SQ":
        if code == "Z":
            elem.value = Sequence([])
        else:  # K, C, D and U* keep the items and clean them
            for item in elem.value:
                _clean(item, rules, top=False)
    elif code == "K":
        return
    elif code == "Z":
        elem.value = None
    elif code in ("U", "U*", "D") and vr == "UI":
        elem.value = _map_uids(elem.value, rules.secret)
    elif code == "U*":
        elem.value = None
    elif code == "D":
        _dummy(elem, rules)
    elif code == "C":
        _clean_value(ds, elem, rules)
    elif code == "R":
        _redact(elem, rules)


def _unlisted_action(elem: DataElement, rules: DicomRules) -> str:
    """What to do with an element Table E.1-1 does not list."""
    vr = elem.VR
    if vr == "SQ":
        return "K"
    if vr == "PN":
        return "Z"
    if vr == "UN" and not elem.tag.is_private:
        return "X"  # an attribute this dictionary does not know: its content is unknown
    if vr in _TEMPORAL:
        return {"keep": "K", "shift": "C", "remove": "Z"}[rules.dates.mode]
    if vr == "UI":
        values = elem.value if isinstance(elem.value, MultiValue | list) else [elem.value]
        return "U" if any(str(v) in rules.known_uids for v in values) else "K"
    if vr in TEXT_VRS:
        return "R"
    return "K"


def _clean_value(ds: Dataset, elem: DataElement, rules: DicomRules) -> None:
    """The ``C`` action: shift dates, scrub text, drop what cannot be cleaned."""
    vr = elem.VR
    if vr == "DA":
        elem.value = _each(elem.value, rules.dates.da) if rules.dates.mode == "shift" else None
    elif vr == "DT":
        elem.value = _each(elem.value, rules.dates.dt) if rules.dates.mode == "shift" else None
    elif vr == "TM" or (vr == "SH" and elem.keyword == "TimezoneOffsetFromUTC"):
        return
    elif vr in TEXT_VRS:
        _redact(elem, rules)
    elif vr in ("OB", "OW", "UN"):
        del ds[elem.tag]  # binary content (a timestamp, a maker note) cannot be cleaned


def _redact(elem: DataElement, rules: DicomRules) -> None:
    limit = _MAX_LENGTH.get(elem.VR)

    def one(value: str) -> str:
        cleaned = rules.redactor.text(str(value))
        return cleaned[:limit] if limit else cleaned

    if elem.value is not None and elem.value != "":
        elem.value = _each(elem.value, one)


def _dummy(elem: DataElement, rules: DicomRules) -> None:
    vr = elem.VR
    if vr in _TEMPORAL:
        if rules.dates.mode == "shift" and vr in ("DA", "DT"):
            elem.value = _each(elem.value, rules.dates.da if vr == "DA" else rules.dates.dt)
        elif rules.dates.mode != "keep":
            elem.value = None  # an empty date rather than an invented one
    elif vr in ("DS", "IS"):
        elem.value = "0"
    elif vr in _NUMBER_VRS:
        elem.value = 0
    elif vr == "AS":
        elem.value = "000D"
    elif vr in ("PN", "LO", "SH", "LT", "ST", "UT", "UC", "CS"):
        elem.value = "ANONYMIZED"
    elif vr == "AE":
        elem.value = "ANONYMOUS"
    else:  # OB, OW, UN, UR, AT and the rest
        elem.value = None


def _map_uids(value: Any, secret: bytes) -> Any:
    if value is None or value == "":
        return value
    if isinstance(value, MultiValue | list):
        return [remap_uid(str(v), secret) for v in value]
    return remap_uid(str(value), secret)


def _each(value: Any, fn: Any) -> Any:
    if isinstance(value, MultiValue | list):
        return [fn(str(v)) for v in value]
    return fn(str(value))


def _private_creator_tag(tag: int) -> int | None:
    """The creator element reserving *tag*'s block; None outside the private blocks."""
    element = tag & 0xFFFF
    if element < 0x1000:
        return None
    return (tag & 0xFFFF0000) | (element >> 8)


def _private_creators(ds: Dataset) -> dict[int, str]:
    out: dict[int, str] = {}
    for elem in ds:
        tag = int(elem.tag)
        if (tag >> 16) % 2 and 0x0010 <= (tag & 0xFFFF) <= 0x00FF:
            out[tag] = str(elem.value or "").strip()
    return out


def _fill_age(ds: Dataset) -> None:
    """(0010,1010) *Patient's Age* from the birth date, when only the birth date says it."""
    if str(ds.get("PatientAge", "") or "").strip():
        return
    birth = _date(ds.get("PatientBirthDate"))
    if birth is None:
        return
    for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
        when = _date(ds.get(keyword))
        if when is not None and when >= birth:
            years = when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))
            ds.PatientAge = f"{min(years, 999):03d}Y"
            return


def _date(value: object) -> dt.date | None:
    text = str(value or "").strip().replace(".", "")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def collect_uids(datasets: Iterable[Dataset]) -> frozenset[str]:
    """Instance-level UIDs (study, series, instance, frame of reference) of *datasets*."""
    keywords = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")
    return frozenset(str(ds.get(k)) for ds in datasets for k in keywords if ds.get(k))
