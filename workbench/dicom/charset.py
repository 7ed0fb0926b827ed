"""Text of a DICOM header decoded as pydicom decodes it, without importing pydicom.

Nearly every file declares one character set without code extensions (or none): the
default repertoire, a single-byte ISO 8859 part, Thai, Katakana, UTF-8, GB18030 or
GBK. Such text is decoded here with Python's codecs, exactly as
:func:`pydicom.charset.decode_bytes` does (the same codec per term, the same
replacement characters for bytes the codec rejects, person names by component
group). Anything else (ISO 2022 code extensions, a value holding an escape sequence,
a misspelt term) goes to pydicom, imported then: its first import loads every pixel
decoder, a third of a second a plain ingest need not pay.

Tests check :data:`CODECS` against ``pydicom.charset.python_encoding`` and every
term's decoding against pydicom's.
"""

from __future__ import annotations

from collections.abc import Sequence

#: (0008,0005) *Specific Character Set* terms that stand alone (no code extensions),
#: with pydicom's Python codec for each (``pydicom.charset.python_encoding``).
CODECS: dict[str, str] = {
    "": "iso8859",  # the default repertoire, read as pydicom reads it (Latin-1 superset)
    "ISO_IR 6": "iso8859",
    "ISO_IR 13": "shift_jis",
    "ISO_IR 100": "latin_1",
    "ISO_IR 101": "iso8859_2",
    "ISO_IR 109": "iso8859_3",
    "ISO_IR 110": "iso8859_4",
    "ISO_IR 126": "iso_ir_126",
    "ISO_IR 127": "iso_ir_127",
    "ISO_IR 138": "iso_ir_138",
    "ISO_IR 144": "iso_ir_144",
    "ISO_IR 148": "iso_ir_148",
    "ISO_IR 166": "iso_ir_166",
    "ISO_IR 192": "UTF8",
    "GB18030": "GB18030",
    "GBK": "GBK",
}
#: The codec of text without (0008,0005) (pydicom's ``default_encoding``).
DEFAULT_CODEC = "iso8859"
_ESC = b"\x1b"
#: VRs whose values are split at a backslash, which resets the character set to the first
_BACKSLASH_VRS = frozenset({"LO", "SH", "UC"})


def python_codecs(value: str) -> list[str]:
    """The Python codecs of a (0008,0005) *Specific Character Set* value, as pydicom gives them.

    *value* is the element's text (terms separated by backslashes). One stand-alone term
    is looked up in :data:`CODECS`; several terms (code extensions) and unknown or
    misspelt ones go to ``pydicom.charset.convert_encodings``.
    """
    terms = [term.strip() for term in value.split("\\")]
    if len(terms) == 1 and terms[0] in CODECS:
        return [CODECS[terms[0]]]
    # optional heavy dependency: pydicom (code extensions and misspelt terms only)
    from pydicom.charset import convert_encodings

    return list(convert_encodings(terms))


def decode_text(raw: bytes, codecs: Sequence[str], vr: str) -> str:
    """*raw* (a text VR's value bytes) decoded with *codecs*, as pydicom decodes it.

    Person names (``PN``) are decoded group by group (alphabetic, ideographic,
    phonetic), trailing empty groups dropped, as :class:`pydicom.valuerep.PersonName`
    gives them; bytes a codec rejects become U+FFFD, as in pydicom.
    """
    if _ESC in raw:  # escape sequences switch character sets: pydicom's own decoder
        return _decode_with_pydicom(raw, codecs, vr)
    if vr == "PN":
        groups = [_decode_plain(group, codecs[0]) for group in raw.split(b"=")]
        while groups and not groups[-1]:
            groups.pop()
        return "=".join(groups)
    return _decode_plain(raw, codecs[0])


def _decode_plain(raw: bytes, codec: str) -> str:
    """:func:`pydicom.charset.decode_bytes` for bytes without an escape sequence."""
    try:
        return raw.decode(codec)
    except LookupError:  # pydicom warns and falls back to its default codec
        return raw.decode(DEFAULT_CODEC)
    except UnicodeError:  # pydicom warns and replaces what the codec rejects
        return raw.decode(codec, errors="replace")


def _decode_with_pydicom(raw: bytes, codecs: Sequence[str], vr: str) -> str:
    # optional heavy dependency: pydicom (values with ISO 2022 escape sequences only)
    from pydicom.charset import decode_bytes
    from pydicom.valuerep import PersonName

    if vr == "PN":
        return str(PersonName(raw, list(codecs)))
    return decode_bytes(raw, list(codecs), {0x5C} if vr in _BACKSLASH_VRS else set())
