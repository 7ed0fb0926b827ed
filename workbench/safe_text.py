"""Text from a patient's files made inert where it lands: names, spreadsheet cells, messages.

Three small guards, used at the edges where text leaves the workbench:

* :func:`unsafe_name` / :func:`shown_name`: a file name holding control or bidirectional
  formatting characters (U+202E *right-to-left override* makes ``exe.gpj`` read as
  ``jpg.exe``) is reported and always shown with those characters escaped.
* :func:`neutralise_cell`: a CSV cell that a spreadsheet would run as a formula (``=``,
  ``+``, ``-``, ``@`` or their full-width forms, after any leading blank or control
  character, on any line of the cell) is prefixed with ``'``; control characters become
  spaces so no program splits the cell into rows or columns.
* :func:`markdown_text`: text for a Markdown cell or page, shown literally: one line
  (it always follows a prefix such as ``- `` or ``### 1. ``, so no block markup can start),
  every character that opens inline markup backslash-escaped (CommonMark allows escaping
  any ASCII punctuation), so no link, image, HTML tag or math forms and no bare URL is
  auto-linked.
* :func:`redact_secrets`: ``user:password@`` in any URL-like text becomes ``***@``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CONTROL_RE",
    "FORMULA_RE",
    "markdown_text",
    "neutralise_cell",
    "redact_secrets",
    "shown_name",
    "terminal_text",
    "unsafe_name",
]

#: Characters that break a cell into rows or columns in some spreadsheet import.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: A cell a spreadsheet would evaluate: a formula sign after any blank or invisible prefix.
FORMULA_RE = re.compile(
    r"^[\s\u00a0\u1680\u2000-\u200f\u202a-\u202f\u205f-\u206f\u3000\ufeff]*"
    r"[=+\-@\uff1d\uff0b\uff0d\uff20\ufe62\ufe63\ufe66\u2212]"
)
#: Characters that start Markdown markup inside a line: links and images, autolinks and
#: HTML, entities, emphasis, code, tables, math, and the ``:`` and ``@`` of bare URLs and
#: e-mail addresses that GFM would auto-link (``www.`` is broken at its dot).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>!|~$&:@]|(?<=www)\.)", re.IGNORECASE)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*:/*)[^\s/@'\"<>]+@")


def neutralise_cell(value: str) -> str:
    """*value* as a cell no spreadsheet runs: controls → spaces, a formula start → ``'``.

    >>> neutralise_cell("Knee MRI\\r=cmd|' /C calc'!A0")
    "Knee MRI =cmd|' /C calc'!A0"
    >>> neutralise_cell(" \\t=1+1")
    "'  =1+1"
    """
    text = CONTROL_RE.sub(" ", value)
    return "'" + text if FORMULA_RE.match(text) else text


def markdown_text(value: object) -> str:
    """*value* as literal Markdown text on one line (see the module docstring).

    >>> print(markdown_text("![x](https://evil.example/p.png) <img src=x> www.a.b"))
    \\!\\[x\\](https\\://evil.example/p.png) \\<img src=x\\> www\\.a.b
    """
    text = " ".join(CONTROL_RE.sub(" ", str(value)).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def redact_secrets(text: str) -> str:
    """*text* with the user and password of every URL replaced by ``***``.

    >>> redact_secrets("'http:/reviewer:S3cretPW@127.0.0.1:8042/dicom-web' does not exist")
    "'http:/***@127.0.0.1:8042/dicom-web' does not exist"
    """
    return _USERINFO.sub(r"\1***@", text) if "@" in text else text


def _is_hidden(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def unsafe_name(name: str) -> str:
    """What makes *name* unsafe to show as is (``""`` when nothing does)."""
    if name.isascii() and name.isprintable():  # no control, format or separator character
        return ""
    found = sorted({ch for ch in name if _is_hidden(ch)})
    if not found:
        return ""
    codes = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}".lower() for ch in found)
    return f"invisible control or direction characters ({codes})"


def terminal_text(text: str) -> str:
    """*text* for a terminal: line breaks kept, every other control, direction or invisible
    character escaped (``\\u202e``), so no file name can reorder or recolour the output."""
    if not any(_is_hidden(ch) and ch != "\n" for ch in text):
        return text
    return "".join(f"\\u{ord(ch):04x}" if _is_hidden(ch) and ch != "\n" else ch for ch in text)


def shown_name(name: str) -> str:
    """*name* quoted for a message, invisible and direction characters escaped as ``\\uXXXX``."""
    if any(_is_hidden(ch) for ch in name):
        name = "".join(f"\\u{ord(ch):04x}" if _is_hidden(ch) else ch for ch in name)
    return f"'{name}'"
