"""The header walker decodes text as pydicom does, without importing pydicom for plain sets."""

from __future__ import annotations

import warnings
from pathlib import Path

import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.charset import convert_encodings, decode_bytes, python_encoding
from pydicom.data import get_charset_files
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid
from pydicom.valuerep import PersonName

from workbench.dicom import charset
from workbench.dicom.header import read_header

#: A person name (alphabetic, and ideographic where the set has the characters) per term.
NAMES = {
    "": "Müller^Jürgen",
    "ISO_IR 6": "Ångström^Lars",
    "ISO_IR 13": "ﾔﾏﾀﾞ^ﾀﾛｳ",
    "ISO_IR 100": "Buc^Jérôme",
    "ISO_IR 101": "Dvořák^Antonín",
    "ISO_IR 109": "Ġużeppi^Ħarry",
    "ISO_IR 110": "Ķēniņš^Jānis",
    "ISO_IR 126": "Διονυσιος^Νικος",
    "ISO_IR 127": "قباني^لنزار",
    "ISO_IR 138": "שרון^דבורה",
    "ISO_IR 144": "Иванов^Иван",
    "ISO_IR 148": "Öztürk^Şükrü",
    "ISO_IR 166": "ประเทศ^ไทย",
    "ISO_IR 192": "Wang^XiaoDong=王^小東=",
    "GB18030": "Wang^XiaoDong=王^小东=",
    "GBK": "Wang^XiaoDong=王^小东",
}


def test_codecs_are_pydicoms() -> None:
    assert {term: python_encoding[term] for term in charset.CODECS} == charset.CODECS
    assert pydicom.charset.default_encoding == charset.DEFAULT_CODEC


def test_every_term_has_a_name() -> None:
    assert set(NAMES) == set(charset.CODECS)


def _pydicom_text(raw: bytes, term: str, vr: str) -> str:
    codecs = convert_encodings([term])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns where it replaces bytes
        if vr == "PN":
            return str(PersonName(raw, codecs))
        return decode_bytes(raw, codecs, {0x5C} if vr in {"LO", "SH", "UC"} else set())


@pytest.mark.parametrize("term", sorted(NAMES))
def test_decoding_matches_pydicom(term: str) -> None:
    codec = charset.CODECS[term]
    name = NAMES[term]
    raw = name.encode(codec)
    assert any(b >= 0x80 for b in raw), "the sample must exercise the character set"
    codecs = charset.python_codecs(term)
    assert codecs == convert_encodings([term])
    for vr, value in (("PN", raw), ("LO", raw.replace(b"=", b" ")), ("LT", raw + b"\r\nline 2")):
        assert charset.decode_text(value, codecs, vr) == _pydicom_text(value, term, vr), vr
    # bytes the codec rejects are replaced as pydicom replaces them
    broken = raw[:-1] + b"\xff\x81\xfe" if term not in {"", "ISO_IR 6", "ISO_IR 100"} else raw
    for vr in ("PN", "LO"):
        assert charset.decode_text(broken, codecs, vr) == _pydicom_text(broken, term, vr), vr


def _file(folder: Path, index: int, term: str, name: str, syntax: str) -> Path:
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = syntax
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    if term:
        ds.SpecificCharacterSet = term
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = name
    ds.InstitutionName = name.split("=")[0].replace("^", " ")
    ds.StudyDescription = name.split("=")[-2 if name.endswith("=") else -1].replace("^", " ")
    path = folder / f"IM{index:04d}.dcm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
def test_files_read_as_pydicom_reads_them(tmp_path: Path, syntax: str) -> None:
    for index, (term, name) in enumerate(NAMES.items()):
        if not term:
            continue  # no (0008,0005): the walker guesses and says so (undeclared_charset)
        path = _file(tmp_path, index, term, name, syntax)
        header = read_header(path, path.read_bytes(), path.stat().st_size)
        assert header.reader == "fast"
        ds = pydicom.dcmread(path)
        for keyword in ("PatientName", "InstitutionName", "StudyDescription"):
            expected = str(ds[keyword].value).rstrip("\x00 =")
            assert header.values[keyword] == expected, (term, keyword)


#: pydicom's samples, but those whose names are only inside sequences (not read by the walker)
CHARSET_FILES = sorted(
    Path(f).name for f in get_charset_files("chr*.dcm") if "SQEncoding" not in Path(f).name
)


@pytest.mark.parametrize("name", CHARSET_FILES)
def test_pydicoms_charset_files(name: str) -> None:
    """pydicom's character set samples (single sets and ISO 2022 code extensions) read alike."""
    (found,) = get_charset_files(name)
    path = Path(found)
    header = read_header(path, path.read_bytes(), path.stat().st_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
    compared = 0
    for keyword in ("PatientName", "InstitutionName", "StudyDescription", "PatientID"):
        if keyword in ds and ds[keyword].value:
            assert header.values[keyword] == str(ds[keyword].value).rstrip("\x00 ="), keyword
            compared += 1
    assert compared


def test_misspelt_and_extended_terms_go_to_pydicom() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for value in ("ISO_IR100", "ISO 2022 IR 6\\ISO 2022 IR 87", "\\ISO 2022 IR 149", "x"):
            terms = [t.strip() for t in value.split("\\")]
            assert charset.python_codecs(value) == convert_encodings(terms), value


def test_an_unknown_codec_falls_back_as_pydicom_does() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = decode_bytes(b"caf\xe9", ["no-such-codec"], set())
    assert charset.decode_text(b"caf\xe9", ["no-such-codec"], "LO") == expected


@settings(max_examples=300, deadline=None)
@given(
    raw=st.binary(max_size=64).map(lambda b: b.replace(b"\x1b", b"")),
    term=st.sampled_from(sorted(charset.CODECS)),
    vr=st.sampled_from(["PN", "LO", "SH", "LT", "ST", "UT", "UC"]),
)
def test_any_bytes_decode_as_pydicom_decodes_them(raw: bytes, term: str, vr: str) -> None:
    """Whatever the bytes (escape sequences aside, which go to pydicom itself)."""
    assert charset.decode_text(raw, charset.python_codecs(term), vr) == _pydicom_text(raw, term, vr)
