"""QIDO-RS query strings that the server reads as they were meant.

DICOM matching (PS3.4 C.2.2.2) gives ``*`` (any run of characters) and ``?``
(one character) a meaning in a query value, and PS3.18 sends the value in the
URL's query string. A client library percent-encodes it
(``PatientID=H10-%2A``), and Orthanc 1.10.1 does *not* decode query values: it
looks for a patient ID that is literally ``H10-%2A`` and answers ``[]``, which
looks like "no such patient". A space or a non-ASCII letter cannot travel raw
in a URL at all.

:func:`build_query` therefore sends every value character by character:

- characters that are safe raw in a query string and mean the same to every
  server (letters, digits, ``- . _ ~ * ? , : / @ ! $ ' ( )``) go as they are:
  wildcards stay wildcards;
- any other ASCII character (space, the name separator ``^``, ``& = # + % \\``,
  control characters) is replaced by ``?``, and a value with non-ASCII letters
  (张, é) is sent as ``*``, so the server finds a superset;
- the widened keys are returned, and :func:`keep` drops the extra answers by
  matching the original value, with DICOM wildcard semantics, on the client.

A value with a backslash is a DICOM list (match any of its values): the search
runs once per value (:func:`expand`). Keys that are not DICOM keywords or tags
are refused, so a key cannot smuggle ``&`` or ``=`` into the query either.

>>> q = build_query({"PatientID": "H10-*", "StudyDescription": "knee AP"}, ["StudyDate"])
>>> q.text
'PatientID=H10-*&StudyDescription=knee?AP&includefield=StudyDate&includefield=StudyDescription'
>>> q.widened
{'StudyDescription': 'knee AP'}
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydicom.datadict import tag_for_keyword

__all__ = ["Query", "build_query", "expand", "keep", "matches"]

#: Sent raw: unreserved (RFC 3986) characters, DICOM wildcards, and sub-delimiters that
#: carry no meaning in a query value (``&``, ``=``, ``+``, ``;`` do; ``#`` ends the URL).
#: ``^`` is not among them: RFC 3986 does not allow it raw, so HTTP libraries (urllib3)
#: percent-encode it, and Orthanc would read ``%5E``.
SAFE = frozenset(string.ascii_letters + string.digits + "-._~*?,:/@!$'()")
_PART = r"(?:[A-Za-z][A-Za-z0-9]*|[0-9A-Fa-f]{8})"
_KEY = re.compile(rf"^{_PART}(?:\.{_PART})*$")  # a keyword or tag, or a sequence path


@dataclass(frozen=True)
class Query:
    """A QIDO-RS query string and the filters the server was given in a wider form.

    Attributes
    ----------
    text : str
        The query string (without ``?``), every character as the server must see it.
    widened : dict
        Keyword → original value, for each filter sent with wildcards in place of
        characters that cannot travel raw; :func:`keep` checks them on the answer.
    """

    text: str
    widened: dict[str, str] = field(default_factory=dict)


def _check_key(key: str) -> str:
    known = "." in key or _is_tag(key) or tag_for_keyword(key) is not None
    if not _KEY.match(key) or not known:
        raise ValueError(
            f"{key!r} is not a DICOM keyword or tag; QIDO-RS filters are keywords such as "
            "PatientID or tags such as 00100020"
        )
    return key


def _is_tag(key: str) -> bool:
    return len(key) == 8 and all(c in string.hexdigits for c in key)


def encode_value(value: str) -> str:
    """*value* with every character that cannot travel raw replaced by a wildcard.

    A value with any non-ASCII letter is sent as ``*`` (matches everything): Orthanc
    1.10 matches wildcards against an ASCII-folded copy of the stored value, in which
    ``膝关节 正位`` leaves nothing for ``?`` to match, so a narrower pattern could miss.

    >>> encode_value("knee AP & lateral"), encode_value("Wang^Wei"), encode_value("王^伟")
    ('knee?AP???lateral', 'Wang?Wei', '*')
    """
    if not value.isascii():
        return "*"
    return "".join(char if char in SAFE else "?" for char in value)


def build_query(filters: Mapping[str, object], fields: Iterable[str] = ()) -> Query:
    """The query string for *filters* (matching keys) and *fields* (``includefield``).

    Every widened key is also asked for as a field, so that :func:`keep` can check it.

    Raises
    ------
    ValueError
        A key is not a DICOM keyword or tag, or a value holds a backslash (use :func:`expand`).
    """
    parts: list[str] = []
    widened: dict[str, str] = {}
    for key, raw in filters.items():
        value = "" if raw is None else str(raw)
        if "\\" in value:
            raise ValueError(f"{key}={value!r} is a list of values; search once per value")
        sent = encode_value(value)
        parts.append(f"{_check_key(key)}={sent}")
        if sent != value:
            widened[key] = value
    wanted = list(dict.fromkeys([*fields, *widened]))
    parts += [f"includefield={_check_key(f)}" for f in wanted]
    return Query("&".join(parts), widened)


def expand(filters: Mapping[str, object]) -> list[dict[str, str]]:
    """One filter set per combination of listed values (``A\\\\B`` matches A or B).

    >>> expand({"Modality": "CR\\\\DX", "PatientID": "P1"})
    [{'Modality': 'CR', 'PatientID': 'P1'}, {'Modality': 'DX', 'PatientID': 'P1'}]
    """
    sets: list[dict[str, str]] = [{}]
    for key, raw in filters.items():
        values = ("" if raw is None else str(raw)).split("\\")
        sets = [{**done, key: v} for done in sets for v in dict.fromkeys(values)]
    return sets


def matches(pattern: str, value: str) -> bool:
    """Whether *value* matches the DICOM query *pattern* (``*``, ``?``; case-insensitive).

    Orthanc matches case-insensitively; the check on the client does the same, so
    that it only removes what the widening added.

    >>> matches("H10-*", "h10-0042"), matches("knee AP", "knee_AP")
    (True, False)
    """
    if pattern in ("", "*"):
        return True
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def _texts(item: Mapping[str, Any], key: str) -> list[str]:
    tag = key if _is_tag(key) else f"{tag_for_keyword(key):08X}" if tag_for_keyword(key) else key
    element = item.get(tag.upper()) or item.get(tag) or {}
    values = element.get("Value", []) if isinstance(element, Mapping) else []
    out = []
    for v in values:
        if isinstance(v, Mapping):  # PN: {"Alphabetic": ..., "Ideographic": ...}
            out += [str(p) for p in v.values() if isinstance(p, str)]
        else:
            out.append(str(v))
    return out or [""]


def keep(items: Sequence[Mapping[str, Any]], widened: Mapping[str, str]) -> list[Any]:
    """The answers whose widened attributes match the original values."""
    if not widened:
        return list(items)
    return [
        item
        for item in items
        if all(any(matches(p, t) for t in _texts(item, k)) for k, p in widened.items())
    ]
