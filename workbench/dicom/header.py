"""Header-only DICOM reading: a fast element walker with pydicom as the fallback.

Indexing a case reads thousands of headers, so :func:`read_header` walks the
element stream itself and decodes only the elements in :data:`WANTED`, stopping
at (7FE0,0010) *Pixel Data*. Anything it does not handle (big endian, deflate,
enhanced multi-frame objects whose attributes live in functional groups, or a
stream it cannot parse) is read again with :func:`pydicom.dcmread`, so the
result is the same either way. Text is decoded as pydicom decodes it
(:mod:`workbench.dicom.charset`: GB18030, ISO_IR 192 ... with Python's codecs, GB2312
and other ISO 2022 escapes by pydicom's own machinery); tags and VRs come from the
walker's slice of the data dictionary (:mod:`workbench.dicom.dictionary`), so that a
plain header is read without importing pydicom.

Declared element lengths are compared with the bytes present: pydicom reads many
truncated files silently, this walker reports them.
"""

from __future__ import annotations

import mmap
import os
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.dicom import charset, dictionary, uids

if TYPE_CHECKING:
    import pydicom

#: Elements the index keeps, by DICOM keyword.
WANTED_KEYWORDS: tuple[str, ...] = (
    "SpecificCharacterSet",
    "ImageType",
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "StudyTime",
    "SeriesTime",
    "AccessionNumber",
    "Modality",
    "ConversionType",
    "Manufacturer",
    "InstitutionName",
    "ReferringPhysicianName",
    "StationName",
    "StudyDescription",
    "SeriesDescription",
    "ManufacturerModelName",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "BodyPartExamined",
    "SliceThickness",
    "SpacingBetweenSlices",
    "ProtocolName",
    "DistanceSourceToDetector",
    "EstimatedRadiographicMagnificationFactor",
    "ViewPosition",
    "PatientPosition",
    "ImagerPixelSpacing",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "StudyID",
    "SeriesNumber",
    "InstanceNumber",
    "PatientOrientation",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "FrameOfReferenceUID",
    "Laterality",
    "ImageLaterality",
    "SliceLocation",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "NumberOfFrames",
    "Rows",
    "Columns",
    "PixelSpacing",
    "BitsAllocated",
    "BitsStored",
    "PixelRepresentation",
    "BurnedInAnnotation",
    "WindowCenter",
    "WindowWidth",
    "RescaleIntercept",
    "RescaleSlope",
    "LossyImageCompression",
)

#: What the walker reads: the bytes of a file's start, or a read-only map of the file.
Bytes = bytes | mmap.mmap

# from the walker's slice of the data dictionary: reading a header imports no pydicom
_TAGS: dict[int, str] = {dictionary.entry(k)[0]: k for k in WANTED_KEYWORDS}
_VRS: dict[str, str] = {k: dictionary.entry(k)[1] for k in WANTED_KEYWORDS}

_PIXEL_TAGS = {0x7FE00010, 0x7FE00008, 0x7FE00009}
_SHARED_FUNCTIONAL_GROUPS = 0x52009229
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_MAX_DEPTH = 32
#: Headers longer than this are left to pydicom.
MAX_HEADER_BYTES = 32 * 1024 * 1024

_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN"})
_LONG_VRS |= frozenset({b"UR", b"UT", b"UV"})
_ALL_VRS = _LONG_VRS | frozenset(
    {b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"PN"}
    | {b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"}
)
_TEXT_VRS = frozenset({"LO", "LT", "SH", "ST", "UC", "UT", "PN"})
_NUMBER_FORMATS = {"US": "H", "UL": "I", "SS": "h", "SL": "i", "FL": "f", "FD": "d"}
_NUMERIC_STRING_VRS = frozenset({"DS", "IS"})

_IMPLICIT_LE = uids.IMPLICIT_LE
_EXPLICIT_LE = uids.EXPLICIT_LE
_FALLBACK_SYNTAXES = uids.WALKER_FALLBACK_SYNTAXES
DICOMDIR_SOP_CLASS = uids.DICOMDIR_SOP_CLASS

_TAG_LE = struct.Struct("<HH")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_TAG_LEN_LE = struct.Struct("<HHI")
_EXPLICIT_SHORT = struct.Struct("<HH2sH")


class HeaderError(Exception):
    """The element stream is malformed; ``kind`` is the problem code."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class _NeedFallback(Exception):
    """The fast walker does not handle this file; read it with pydicom."""


@dataclass
class Header:
    """What the index needs from one DICOM file, without pixel data.

    Attributes
    ----------
    values : dict
        Decoded element values by keyword (only elements present).
    transfer_syntax : str
        (0002,0010) *Transfer Syntax UID*, or the syntax guessed for files without meta.
    has_preamble : bool
        Whether the file starts with the 128-byte preamble and ``DICM``.
    pixel_offset, pixel_length : int or None
        Where (7FE0,0010) *Pixel Data* starts and its declared length
        (``None`` length for encapsulated data of undefined length).
    issues : list of (kind, detail)
        Problems found while reading (truncation, charset guesses ...).
    reader : str
        ``fast`` or ``pydicom``.
    """

    values: dict[str, Any] = field(default_factory=dict)
    transfer_syntax: str = ""
    media_sop_class: str = ""
    has_preamble: bool = False
    pixel_offset: int | None = None
    pixel_length: int | None = None
    has_pixels: bool = False
    issues: list[tuple[str, str]] = field(default_factory=list)
    reader: str = "fast"


def looks_like_dicom(head: Bytes) -> bool:
    """Whether *head* (the first 140+ bytes of a file) is DICOM, with or without preamble."""
    if len(head) >= 132 and head[128:132] == b"DICM":
        return True
    if len(head) < 8:
        return False
    group, elem = _TAG_LE.unpack_from(head, 0)
    if head[:2] in (b"\x00\x02", b"\x00\x08") and head[4:6] in _ALL_VRS:
        return True  # explicit VR big endian without meta
    if group not in (0x0002, 0x0008) or elem > 0x0020:
        return stray_bytes(head) > 0
    vr = head[4:6]
    if vr in _ALL_VRS:
        return True
    # implicit VR little endian: a sane 4-byte length for the first element
    (length,) = _U32.unpack_from(head, 4)
    return 0 < length < 256


#: How many stray bytes before a data set without preamble or meta are looked past.
_MAX_STRAY = 4


def stray_bytes(head: Bytes, pos: int = 0) -> int:
    """How many stray bytes precede a data set that has neither preamble nor file meta.

    Old systems (and pydicom's ``no_meta.dcm``) write a bare data set; some leave a byte
    or two before it. A data set is taken to start at ``pos + k`` (k ≤ 4) when two
    explicit-VR group 0008 elements follow each other there; 0 when none is found.
    """
    for k in range(1, _MAX_STRAY + 1):
        at = pos + k
        if len(head) < at + 16 or head[at : at + 2] != b"\x08\x00":
            continue
        vr = head[at + 4 : at + 6]
        if vr not in _ALL_VRS or vr in _LONG_VRS:
            continue
        (length,) = _U16.unpack_from(head, at + 6)
        nxt = at + 8 + length
        if head[nxt : nxt + 2] == b"\x08\x00" and head[nxt + 4 : nxt + 6] in _ALL_VRS:
            return k
    return 0


def read_header(file: str | Path, head: Bytes, size: int) -> Header:
    """Read the header of *file*, whose first bytes are *head* (the whole file when small;
    a read-only memory map of the whole file will do).

    Raises
    ------
    HeaderError
        When neither the fast walker nor pydicom can read the file.
    """
    try:
        try:
            return _walk_whole(head, size)
        except HeaderError as exc:
            if exc.kind != "truncated_header" or len(head) >= min(size, MAX_HEADER_BYTES):
                raise
            with open(file, "rb") as fh:  # a long header: read more of it, once
                return _walk_whole(fh.read(MAX_HEADER_BYTES), size)
    except _NeedFallback:
        return _read_with_pydicom(file, size, None)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except (LookupError, ValueError, TypeError, struct.error, OverflowError, MemoryError):
        # bytes the walker did not foresee (an unknown charset, a garbled number): pydicom
        # reads the file tolerantly and is the judge
        return _read_with_pydicom(file, size, None)
    except HeaderError as exc:
        at = 132 if head[128:132] == b"DICM" else 0
        guessed_syntax = head[at : at + 2] != b"\x02\x00"
        if exc.kind in {"truncated_header", "invalid_vr"} or (
            guessed_syntax and exc.kind != "too_deep"
        ):
            return _read_with_pydicom(file, size, exc)
        raise


# --- fast walker ----------------------------------------------------------------------


def walk_bytes(data: bytes) -> Header | None:
    """The fast walker over a whole file held in memory; None when it needs pydicom."""
    try:
        return _walk(data, len(data))
    except _NeedFallback:
        return None
    except (LookupError, ValueError, TypeError, struct.error, OverflowError, MemoryError):
        return None  # bytes the walker did not foresee: pydicom is the judge


def _walk_whole(buf: Bytes, size: int) -> Header:
    """:func:`_walk`, where running out of bytes is truncation when *buf* is the whole file."""
    try:
        return _walk(buf, size)
    except HeaderError as exc:
        if exc.kind == "truncated_header" and len(buf) >= size:
            detail = f"the file ends inside its header ({exc.detail})"
            raise HeaderError("truncated", detail) from exc
        raise


def _walk(buf: Bytes, size: int) -> Header:
    header = Header()
    pos = 0
    if len(buf) >= 132 and buf[128:132] == b"DICM":
        header.has_preamble = True
        pos = 132
    if pos + 6 <= len(buf) and _TAG_LE.unpack_from(buf, pos)[0] == 0x0002:
        pos = _walk_meta(buf, pos, header)
    else:
        if buf[pos : pos + 2] in (b"\x00\x02", b"\x00\x08"):
            raise _NeedFallback  # big endian
        skip = 0 if buf[pos : pos + 2] in (b"\x02\x00", b"\x08\x00") else stray_bytes(buf, pos)
        if skip:
            pos += skip
            header.issues.append(
                (
                    "no_file_meta",
                    f"the file has no preamble and no file meta, and {skip} stray byte(s) "
                    "before its data set; read from there",
                )
            )
        header.transfer_syntax = _IMPLICIT_LE if buf[pos + 4 : pos + 6] not in _ALL_VRS else ""
        header.transfer_syntax = header.transfer_syntax or _EXPLICIT_LE
    if header.transfer_syntax in _FALLBACK_SYNTAXES:
        raise _NeedFallback
    implicit = header.transfer_syntax == _IMPLICIT_LE
    _walk_dataset(buf, pos, size, implicit, header, depth=0)
    return header


def _walk_meta(buf: Bytes, pos: int, header: Header) -> int:
    """File meta (group 0002) is always explicit VR little endian."""
    while pos + 8 <= len(buf):
        group, elem = _TAG_LE.unpack_from(buf, pos)
        if group != 0x0002:
            return pos
        vr = buf[pos + 4 : pos + 6]
        if vr not in _ALL_VRS:
            raise HeaderError("invalid_vr", f"invalid VR {vr!r} in file meta at byte {pos}")
        if vr in _LONG_VRS:
            (length,) = _U32.unpack_from(buf, pos + 8)
            pos += 12
        else:
            (length,) = _U16.unpack_from(buf, pos + 6)
            pos += 8
        if pos + length > len(buf):
            raise HeaderError("truncated_header", "file meta ends before its last element")
        if elem == 0x0010 or elem == 0x0002:
            value = bytes(buf[pos : pos + length]).rstrip(b"\x00 ").decode("ascii", "replace")
            if elem == 0x0010:
                header.transfer_syntax = value
            else:
                header.media_sop_class = value
        pos += length
    return pos


def _walk_dataset(
    buf: Bytes, pos: int, size: int, implicit: bool, header: Header, *, depth: int
) -> int:
    """Walk top-level elements until pixel data; return the position reached.

    The loop is the hot path of indexing (about a hundred elements per file): an explicit
    VR element of defined length that is not a sequence (nearly all of them) takes the
    short way; sequences, undefined lengths and implicit VR the checked one.
    """
    end = len(buf)
    values = header.values
    issues = header.issues
    encodings: list[str] | None = None
    memo = _memo_table(None)
    tags = _TAGS
    long_vrs, all_vrs = _LONG_VRS, _ALL_VRS
    unpack_short, unpack_implicit = _EXPLICIT_SHORT.unpack_from, _TAG_LEN_LE.unpack_from
    unpack_u32 = _U32.unpack_from
    # the previous file's elements, slot by slot: an element whose bytes are the same (and
    # read under the same character set) sets what it set there, without being walked
    template = _TEMPLATES.get(implicit, ())
    n_template = len(template)
    walked: list[_Walked] = []
    record = walked.append
    found = 0  # elements found in the template
    slot = 0
    startswith = buf.startswith if isinstance(buf, bytes) else _starts_with(buf)
    charset_raw: bytes | None = None
    while pos + 8 <= end:
        if slot < n_template:
            known = template[slot]
            slot += 1
            if known[2] == charset_raw and startswith(known[0], pos):
                pos += len(known[0])
                for name, kept in known[1]:
                    values[name] = list(kept) if type(kept) is list else kept
                record(known)
                found += 1
                continue
            if known[3]:  # a run of elements that differs somewhere: try them one by one
                template = [*known[3], *template[slot:]]
                n_template = len(template)
                slot = 0
                continue
        start = pos
        issues_before = len(issues)
        value: Any = None
        if implicit:
            group, elem, length = unpack_implicit(buf, pos)
            tag = group << 16 | elem
            vr = b""
            pos += 8
        else:
            # one unpack for tag, VR and the short length (the common case)
            group, elem, vr, length = unpack_short(buf, pos)
            tag = group << 16 | elem
            if vr in long_vrs:
                if pos + 12 > end:
                    break
                (length,) = unpack_u32(buf, pos + 8)
                pos += 12
            elif vr in all_vrs:
                pos += 8
            else:
                length = _tolerate_invalid_vr(buf, pos, tag, header)
                vr = b""  # decode with the dictionary VR
                pos += 8
        if tag >= _SHARED_FUNCTIONAL_GROUPS:  # the pixel data tags are above it too
            if tag in _PIXEL_TAGS:
                header.has_pixels = True
                header.pixel_offset = pos
                header.pixel_length = None if length == _UNDEFINED else length
                if length != _UNDEFINED and pos + length > size:
                    header.issues.append(
                        (
                            "truncated",
                            f"pixel data declares {length} bytes but only {size - pos} are present",
                        )
                    )
                _TEMPLATES[implicit] = _runs(walked, template) if found else walked
                return pos
            if tag == _SHARED_FUNCTIONAL_GROUPS:
                raise _NeedFallback  # enhanced multi-frame: attributes in functional groups
        if implicit or length == _UNDEFINED or vr == b"SQ":
            is_sequence = vr == b"SQ" or (implicit and length == _UNDEFINED)
            if implicit and not is_sequence and tag not in tags:
                is_sequence = _implicit_vr(tag) == "SQ"
            if length == _UNDEFINED:
                if not is_sequence and vr != b"UN":
                    raise HeaderError(
                        "invalid_length",
                        f"undefined length on non-sequence ({group:04X},{elem:04X})",
                    )
                pos = _skip_undefined_sequence(buf, pos, implicit or vr == b"UN", depth + 1)
                if len(issues) == issues_before and pos - start <= _TEMPLATE_MAX:
                    record((buf[start:pos], (), charset_raw, ()))
                else:
                    record(_NOT_AGAIN)
                continue
            if is_sequence and depth + 1 > _MAX_DEPTH:
                raise HeaderError("too_deep", f"sequences nested more than {_MAX_DEPTH} deep")
            if is_sequence and length:
                _check_nesting(buf, pos, min(pos + length, end), implicit, depth + 1)
        if pos + length > end:
            if pos + length > size:
                kind = "absurd_length" if length > size else "truncated"
                raise HeaderError(
                    kind,
                    f"element ({group:04X},{elem:04X}) declares {length} bytes but the file "
                    f"has only {max(size - pos, 0)} left",
                )
            raise HeaderError("truncated_header", "header longer than the bytes read")
        keyword = tags.get(tag)
        charset_before = charset_raw
        if keyword is not None:
            raw = bytes(buf[pos : pos + length])
            if keyword == "SpecificCharacterSet":
                text = raw.decode("ascii", "replace")
                encodings = charset.python_codecs(text)
                memo = _memo_table(encodings)
                charset_raw = raw
            if length > _MEMO_VALUE_BYTES:
                value = _decode(keyword, raw, vr, encodings, header)
            else:
                key = (keyword, vr, raw)
                value = memo.get(key, _MISSING)
                if value is _MISSING:
                    value = _decode(keyword, raw, vr, encodings, header)
                    if len(issues) == issues_before:  # remembered when it added no issue
                        if len(memo) >= _MEMO_MAX:
                            memo.clear()
                        memo[key] = value
            # a copy of a list: the memo and the next file's template keep the original
            values[keyword] = list(value) if type(value) is list else value
        pos += length
        if (
            len(issues) == issues_before
            and charset_raw is charset_before
            and pos - start <= _TEMPLATE_MAX
        ):
            record(
                (buf[start:pos], () if keyword is None else ((keyword, value),), charset_raw, ())
            )
        else:  # an element that added an issue, set the character set or is long: walked
            record(_NOT_AGAIN)
    if end < size:
        raise HeaderError("truncated_header", "header longer than the bytes read")
    if pos < size:
        header.issues.append(("truncated", f"file ends inside an element at byte {pos}"))
    _TEMPLATES[implicit] = _runs(walked, template) if found else walked
    return pos


#: Top-level elements as walked: their bytes (tag to the end of the last value), what they
#: set (keyword of :data:`WANTED`, value), the raw (0008,0005) in force, and the single
#: elements of a run of several (empty for one element).
_Walked = tuple[bytes, tuple[tuple[str, Any], ...], Any, tuple[Any, ...]]
#: A slot that never matches: its element is walked in every file.
_NOT_AGAIN: _Walked = (b"", (), object(), ())
#: The last file's elements, per implicit VR or not (one per process; a forked worker
#: starts from its parent's). The slices of a series repeat most of their header byte for
#: byte, so most of the next file's header is found here: a run of elements that were the
#: same in the last two files is compared at once, and tried element by element only when
#: it differs.
_TEMPLATES: dict[bool, list[_Walked]] = {}


def _starts_with(buf: mmap.mmap) -> Callable[[bytes, int], bool]:
    """``bytes.startswith(data, pos)`` for a memory-mapped file (which has no such method)."""
    find = buf.find
    return lambda data, pos: find(data, pos, pos + len(data)) == pos


def _runs(walked: list[_Walked], template: list[_Walked] | tuple[()]) -> list[_Walked]:
    """*walked* with each stretch of elements found in *template* joined into one run."""
    seen = {id(known) for known in template}
    out: list[_Walked] = []
    stretch: list[_Walked] = []
    for known in [*walked, _NOT_AGAIN]:
        if id(known) in seen and known is not _NOT_AGAIN:
            if stretch and stretch[0][2] != known[2]:
                out.append(_joined(stretch))
                stretch = []
            stretch.append(known)
            continue
        if stretch:
            out.append(_joined(stretch))
            stretch = []
        out.append(known)
    out.pop()
    return out


def _joined(stretch: list[_Walked]) -> _Walked:
    if len(stretch) == 1:
        return stretch[0]
    parts = tuple(part for known in stretch for part in (known[3] or (known,)))
    sets = tuple(pair for known in stretch for pair in known[1])
    return (b"".join(known[0] for known in stretch), sets, stretch[0][2], parts)


#: Longer elements (a private blob) are not kept.
_TEMPLATE_MAX = 16 * 1024


def _tolerate_invalid_vr(buf: Bytes, pos: int, tag: int, header: Header) -> int:
    """The length of an element whose VR bytes are invalid, read as dcmtk does (2 bytes).

    Accepted once per file and only when the next element then starts with a higher
    tag and a valid VR; otherwise :class:`HeaderError` ``invalid_vr`` sends the file to
    pydicom (a file that is really implicit VR, say).
    """
    vr = bytes(buf[pos + 4 : pos + 6])
    detail = f"invalid VR {vr!r} for tag ({tag >> 16:04X},{tag & 0xFFFF:04X})"
    (length,) = _U16.unpack_from(buf, pos + 6)
    nxt = pos + 8 + length
    plausible = False
    if nxt + 6 <= len(buf):
        group, elem = _TAG_LE.unpack_from(buf, nxt)
        plausible = (group << 16 | elem) > tag and buf[nxt + 4 : nxt + 6] in _ALL_VRS
    if not plausible or any(kind == "invalid_vr" for kind, _ in header.issues):
        raise HeaderError("invalid_vr", detail)
    header.issues.append(("invalid_vr", f"{detail}, read with its dictionary VR"))
    return int(length)


def _implicit_vr(tag: int) -> str:
    """The dictionary VR as far as the walker needs it: SQ or not (``UN``)."""
    return "SQ" if dictionary.is_sequence(tag) else "UN"


def _skip_undefined_sequence(buf: Bytes, pos: int, implicit: bool, depth: int) -> int:
    """Skip a sequence of undefined length (items until the sequence delimiter)."""
    if depth > _MAX_DEPTH:
        raise HeaderError("too_deep", f"sequences nested more than {_MAX_DEPTH} deep")
    end = len(buf)
    while pos + 8 <= end:
        group, elem, length = _TAG_LEN_LE.unpack_from(buf, pos)
        tag = group << 16 | elem
        pos += 8
        if tag == _SEQ_END:
            return pos
        if tag != _ITEM:
            raise HeaderError("invalid_sequence", f"unexpected tag {tag:08X} inside a sequence")
        if length == _UNDEFINED:
            pos = _skip_undefined_item(buf, pos, implicit, depth)
        else:
            if pos + length > end:
                raise HeaderError("truncated_header", "sequence item longer than the bytes read")
            _check_nesting(buf, pos, pos + length, implicit, depth)
            pos += length
    raise HeaderError("truncated_header", "sequence without its delimiter in the bytes read")


def _skip_undefined_item(buf: Bytes, pos: int, implicit: bool, depth: int) -> int:
    end = len(buf)
    while pos + 8 <= end:
        group, elem = _TAG_LE.unpack_from(buf, pos)
        tag = group << 16 | elem
        if tag == _ITEM_END:
            return pos + 8
        pos, _ = _skip_element(buf, pos, implicit, depth)
    raise HeaderError("truncated_header", "item without its delimiter in the bytes read")


def _skip_element(buf: Bytes, pos: int, implicit: bool, depth: int) -> tuple[int, bool]:
    group, elem = _TAG_LE.unpack_from(buf, pos)
    tag = group << 16 | elem
    if implicit:
        (length,) = _U32.unpack_from(buf, pos + 4)
        pos += 8
        is_sequence = length == _UNDEFINED or _implicit_vr(tag) == "SQ"
    else:
        vr = buf[pos + 4 : pos + 6]
        if vr in _LONG_VRS:
            (length,) = _U32.unpack_from(buf, pos + 8)
            pos += 12
        elif vr in _ALL_VRS:
            (length,) = _U16.unpack_from(buf, pos + 6)
            pos += 8
        else:
            raise HeaderError("invalid_vr", f"invalid VR {bytes(vr)!r} inside a sequence")
        is_sequence = vr == b"SQ"
    if length == _UNDEFINED:
        if not is_sequence and not (not implicit and buf[pos - 12 + 4 : pos - 12 + 6] == b"UN"):
            raise HeaderError("invalid_length", f"undefined length on ({group:04X},{elem:04X})")
        return _skip_undefined_sequence(
            buf, pos, True if not is_sequence else implicit, depth + 1
        ), True
    if is_sequence and length:
        if depth + 1 > _MAX_DEPTH:
            raise HeaderError("too_deep", f"sequences nested more than {_MAX_DEPTH} deep")
        _check_nesting(buf, pos, min(pos + length, len(buf)), implicit, depth + 1)
    return pos + length, is_sequence


def _check_nesting(buf: Bytes, pos: int, stop: int, implicit: bool, depth: int) -> None:
    """Walk the items of a defined-length sequence just far enough to bound its depth."""
    if depth > _MAX_DEPTH:
        raise HeaderError("too_deep", f"sequences nested more than {_MAX_DEPTH} deep")
    while pos + 8 <= stop:
        group, elem, length = _TAG_LEN_LE.unpack_from(buf, pos)
        if (group << 16 | elem) != _ITEM:
            return
        pos += 8
        item_end = stop if length == _UNDEFINED else min(pos + length, stop)
        while pos + 8 <= item_end:
            group, elem = _TAG_LE.unpack_from(buf, pos)
            if (group << 16 | elem) == _ITEM_END:
                pos += 8
                break
            pos, _ = _skip_element(buf, pos, implicit, depth)
        pos = max(pos, item_end) if length != _UNDEFINED else pos


# --- value decoding -------------------------------------------------------------------

#: Values already decoded in this process, by character sets, then by (keyword, VR bytes,
#: raw bytes). The files of a series repeat most of their header (dates, names,
#: descriptions, orientation, spacing, window), so most elements of the next slice are
#: found here: this halves the walker's cost per file. Bounded; a table is cleared when
#: full. Lists are handed out as copies.
_MEMO: dict[tuple[str, ...] | None, dict[tuple[str, bytes, bytes], Any]] = {}
_MEMO_MAX = 4096
_MEMO_TABLES = 16
_MEMO_VALUE_BYTES = 256
_MISSING = object()


def _memo_table(encodings: list[str] | None) -> dict[tuple[str, bytes, bytes], Any]:
    key = tuple(encodings) if encodings is not None else None
    table = _MEMO.get(key)
    if table is None:
        if len(_MEMO) >= _MEMO_TABLES:
            _MEMO.clear()
        table = _MEMO[key] = {}
    return table


def _decode(
    keyword: str, raw: bytes, vr_bytes: bytes, encodings: list[str] | None, header: Header
) -> Any:
    vr = vr_bytes.decode("ascii") if vr_bytes else _VRS[keyword]
    if vr in _NUMBER_FORMATS:
        fmt = _NUMBER_FORMATS[vr]
        count = len(raw) // struct.calcsize(fmt)
        if count == 0:
            return None
        numbers = struct.unpack_from(f"<{count}{fmt}", raw)
        return numbers[0] if count == 1 else list(numbers)
    if vr in _TEXT_VRS:
        text = _decode_text(keyword, raw, vr, encodings, header)
    else:
        text = raw.decode("ascii", "replace")
    text = text.rstrip("\x00 ").lstrip(" ") if vr not in {"LT", "ST", "UT"} else text.rstrip()
    if vr in _NUMERIC_STRING_VRS:
        return _numbers(text, integer=vr == "IS")
    if "\\" in text and vr not in {"LT", "ST", "UT"}:
        return text.split("\\")
    return text or None


def _decode_text(
    keyword: str, raw: bytes, vr: str, encodings: list[str] | None, header: Header
) -> str:
    if encodings is None and any(b >= 0x80 for b in raw):
        text, guessed = _guess_undeclared(raw)
        header.issues.append(
            (
                "undeclared_charset",
                f"{keyword} holds non-ASCII bytes but (0008,0005) Specific Character Set is "
                f"missing; decoded as {guessed}",
            )
        )
        return text
    codecs = encodings or ["iso8859"]
    if "iso_ir_58" in codecs:
        # ISO 2022 IR 58 designates GB2312 to G1 with ESC $ ) A; the bytes are then EUC-CN.
        # pydicom 3.0 leaves the escape in the text, so drop it and decode the bytes as
        # GB18030 (a superset of ASCII and EUC-CN).
        raw = raw.replace(_GB2312_G1, b"").replace(b"\x1b(B", b"")
        codecs = ["gb18030"]
    text = charset.decode_text(raw, codecs, vr)
    return text.rstrip("\x00 =") if vr == "PN" else text


_GB2312_G1 = b"\x1b$)A"


def _guess_undeclared(raw: bytes) -> tuple[str, str]:
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _numbers(text: str, *, integer: bool) -> float | int | list[float | int] | None:
    out: list[float | int] = []
    for part in text.split("\\"):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(int(float(part)) if integer else float(part))
        except ValueError:
            return None
    if not out:
        return None
    return out[0] if len(out) == 1 else out


# --- pydicom fallback -----------------------------------------------------------------


class CappedFile:
    """A file whose ``read(n)`` never asks for more than the bytes left in it.

    pydicom reads an element's value with ``read(length)``; CPython allocates *length*
    bytes before reading, so one damaged length field (0xFFFFFFF0) would allocate 4 GiB
    for a 10 kB file. Here a read is capped at what the file holds.
    """

    def __init__(self, path: str | Path) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._size = os.fstat(self._fh.fileno()).st_size
        self.name = str(path)

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            return self._fh.read(max(self._size - self._fh.tell(), 0))
        return self._fh.read(min(n, max(self._size - self._fh.tell(), 0)))

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> CappedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Largest data set a deflated file may inflate to (bigger: refused as a deflate bomb).
MAX_INFLATED_BYTES = 256 * 1024**2
_DEFLATED = b"1.2.840.10008.1.2.1.99"


def _check_inflation(file: str | Path) -> None:
    """Refuse a deflated data set that would inflate beyond :data:`MAX_INFLATED_BYTES`.

    pydicom inflates the whole data set in one call; this counts the inflated bytes in
    1 MiB steps first, keeping none of them.
    """
    with open(file, "rb") as fh:
        head = fh.read(64 * 1024)
        if _DEFLATED not in head:
            return
        pos = 132 if head[128:132] == b"DICM" else 0
        if head[pos : pos + 6] != b"\x02\x00\x00\x00UL" or len(head) < pos + 12:
            return  # no group length: pydicom judges the file
        (group_length,) = _U32.unpack_from(head, pos + 8)
        fh.seek(pos + 12 + group_length)
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        total = 0
        try:
            while chunk := fh.read(1024 * 1024):
                while chunk and not inflater.eof:
                    total += len(inflater.decompress(chunk, 1024 * 1024))
                    if total > MAX_INFLATED_BYTES:
                        raise HeaderError(
                            "absurd_length",
                            f"its deflated data set inflates to more than {MAX_INFLATED_BYTES} "
                            "bytes (a deflate bomb)",
                        )
                    chunk = inflater.unconsumed_tail
                if inflater.eof:
                    return
        except zlib.error:
            return  # not a deflate stream: pydicom reports it


def _read_with_pydicom(file: str | Path, size: int, fast_error: HeaderError | None) -> Header:
    """Read with pydicom (tolerant); keep the fast walker's complaint as an issue."""
    # heavy dependency loaded only here: its first import loads every pixel decoder
    import pydicom

    kind = fast_error.kind if fast_error else "unreadable_dicom"
    try:
        _check_inflation(file)
        with CappedFile(file) as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(fh, stop_before_pixels=True, force=True)
            stopped_at = fh.tell()  # pydicom rewinds to the (7FE0,0010) tag when it stops
            pixel_element = fh.read(12)
    except HeaderError:
        raise
    except RecursionError as exc:
        raise HeaderError("too_deep", "sequences nested too deep for pydicom") from exc
    except MemoryError as exc:
        raise HeaderError("absurd_length", "an element asks for more memory than exists") from exc
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # zlib.error, NotImplementedError, native panics
        text = " ".join(str(exc).split())[:200]
        raise HeaderError(kind, f"{type(exc).__name__}: {text}") from exc
    header = Header(reader="pydicom")
    if fast_error is not None and fast_error.kind != "truncated_header":
        header.issues.append((fast_error.kind, fast_error.detail))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # values, file meta included, are decoded lazily: each access may raise
            meta = getattr(ds, "file_meta", None)
            header.transfer_syntax = str(getattr(meta, "TransferSyntaxUID", "") or "")
            header.media_sop_class = str(getattr(meta, "MediaStorageSOPClassUID", "") or "")
            _locate_pixels(header, stopped_at, pixel_element, ds)
            header.has_preamble = bool(getattr(ds, "preamble", None))
            _copy_values(ds, header)
            header.has_pixels = _has_pixels_after_header(ds)
            if "SharedFunctionalGroupsSequence" in ds:
                _copy_functional_groups(ds, header)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except RecursionError as exc:
        raise HeaderError("too_deep", "sequences nested too deep for pydicom") from exc
    except BaseException as exc:  # anything goes
        text = " ".join(str(exc).split())[:200]
        raise HeaderError(kind, f"{type(exc).__name__}: {text}") from exc
    return header


def _locate_pixels(header: Header, at: int, element: bytes, ds: pydicom.Dataset) -> None:
    """Offset and declared length of (7FE0,0010) *Pixel Data* where pydicom stopped.

    Only for little-endian files that were not deflated (offsets in the file are then
    offsets in the stream); the values let ``verify=True`` check native pixel lengths.
    """
    if len(element) < 8 or element[:4] != b"\xe0\x7f\x10\x00":
        return
    if header.transfer_syntax in _FALLBACK_SYNTAXES:
        return
    implicit = (
        bool(getattr(ds, "is_implicit_VR", False))
        if not header.transfer_syntax
        else (header.transfer_syntax == _IMPLICIT_LE)
    )
    if implicit:
        (length,) = _U32.unpack_from(element, 4)
        offset = at + 8
    elif len(element) >= 12 and element[4:6] in _LONG_VRS:
        (length,) = _U32.unpack_from(element, 8)
        offset = at + 12
    else:
        return
    header.pixel_offset = offset
    header.pixel_length = None if length == _UNDEFINED else length


def _copy_values(ds: pydicom.Dataset, header: Header) -> None:
    from pydicom.valuerep import MAX_VALUE_LEN  # pydicom is loaded: it read the file

    # longest plausible text value per VR; pydicom's tolerant parse of a damaged header
    # can swallow the rest of the file into one element (a "PatientID" of 40 kB)
    max_text = {**MAX_VALUE_LEN, "PN": 3 * 64 + 2}
    for keyword in WANTED_KEYWORDS:
        elem = ds[keyword] if keyword in ds else None  # noqa: SIM401 - the element, not its value
        if elem is None or elem.value in (None, ""):
            continue
        value = _plain(elem)
        limit = max_text.get(elem.VR)
        items = value if isinstance(value, list) else [value]
        if limit and any(isinstance(v, str) and len(v) > 2 * limit for v in items):
            header.issues.append(
                ("invalid_length", f"{keyword} is longer than any valid {elem.VR}; not used")
            )
            continue
        header.values[keyword] = value


def _plain(elem: Any) -> Any:
    from pydicom.multival import MultiValue  # loaded: pydicom read the file

    value = elem.value
    if isinstance(value, bytes):
        return None
    if elem.VR == "PN":
        return str(value)
    if isinstance(value, MultiValue | list):
        items = [_scalar(v) for v in value]
        return items[0] if len(items) == 1 else items
    return _scalar(value)


def _scalar(value: Any) -> Any:
    from pydicom.valuerep import IS, DSfloat  # loaded: pydicom read the file

    if isinstance(value, IS):
        return int(value)
    if isinstance(value, DSfloat | float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    return str(value)


def _copy_functional_groups(ds: pydicom.Dataset, header: Header) -> None:
    """Enhanced objects: pixel spacing, orientation and laterality from shared groups."""
    shared = ds.SharedFunctionalGroupsSequence[0]
    for seq, keyword in (
        ("PixelMeasuresSequence", "PixelSpacing"),
        ("PixelMeasuresSequence", "SliceThickness"),
        ("PlaneOrientationSequence", "ImageOrientationPatient"),
        ("FrameAnatomySequence", "FrameLaterality"),
    ):
        items = shared.get(seq)
        if items and keyword in items[0] and items[0][keyword].value not in (None, ""):
            target = "Laterality" if keyword == "FrameLaterality" else keyword
            header.values.setdefault(target, _plain(items[0][keyword]))


def _has_pixels_after_header(ds: pydicom.Dataset) -> bool:
    # stop_before_pixels drops the element; a full-size file with Rows is taken to carry pixels
    return "Rows" in ds or "PixelData" in ds


def tag_name(tag: int) -> str:
    """``(GGGG,EEEE) Keyword`` for messages."""
    keyword = dictionary.keyword_for_tag(tag) or "private"
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X}) {keyword}"
