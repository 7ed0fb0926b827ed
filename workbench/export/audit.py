"""The audit that runs after every export and fails it on anything unsafe.

It parses the produced page (not a regex over the text alone) and reports: any
``<script>``, event-handler attribute, ``javascript:`` URL, reference to
anything outside the page (every ``src``/``href`` must be ``data:`` or a
fragment), a missing Content-Security-Policy, a title other than the fixed one,
local paths, and patient identifiers that the export options did not allow.

Each forbidden value is a :class:`Forbidden` record: the value, what kind of value it
is and where it comes from ("PatientID of the ultrasound study"). A finding names both
and the page section it was found in. Identifiers are matched as whole tokens (``1``
does not match inside ``2021``); one too short to search safely (under 3 characters, 2 for
Chinese, or a number of at most 4 digits) is not searched but named in a note
(:func:`audit_notes`), so the reviewer can check the page by eye.

>>> page = ("<html><head><title>T</title></head><body><h2>What is missing</h2>"
...         "<p>ID A12345 here, 2021</p></body></html>")
>>> ids = [Forbidden("A12345", "PatientID", "the X-ray study"), Forbidden("1", "PatientID")]
>>> [f for f in audit_page(page, forbidden=ids, title="T") if "PatientID" in f]
["PatientID of the X-ray study ('A12345') appears in the section 'What is missing'"]
>>> audit_notes(ids)
["PatientID '1' is too short to search the page for safely; check the page by eye"]
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

from workbench import vocab
from workbench.export.sentences import film_label, format_date
from workbench.i18n import GLOSSARY

#: Identifiers shorter than this (or short numbers) are named in a note, not searched.
MIN_SEARCHABLE = 3
_SMALL_NUMBER_DIGITS = 4
_HEADINGS = {"h1", "h2", "h3", "h4", "figcaption", "footer"}


class Forbidden(NamedTuple):
    """A value that must not appear on the page: what it is and where it comes from."""

    value: str
    kind: str = "identifier"
    source: str = ""

    def describe(self) -> str:
        """``PatientID of the ultrasound study``."""
        return f"{self.kind} of {self.source}" if self.source else self.kind

    def searchable(self) -> bool:
        """False for a value too short to search for without matching ordinary text."""
        text = self.value.strip()
        cjk = any("\u4e00" <= ch <= "\u9fff" for ch in text)  # a Chinese name of two is safe
        if len(text) < (2 if cjk else MIN_SEARCHABLE):
            return False
        return not (text.isdigit() and len(text) <= _SMALL_NUMBER_DIGITS)

    def pattern(self) -> re.Pattern[str]:
        """The value as a whole token (not inside a longer word or number)."""
        return re.compile(rf"(?<![0-9A-Za-z]){re.escape(self.value.strip())}(?![0-9A-Za-z])",
                          re.IGNORECASE)  # fmt: skip


_URL_ATTRS = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background"}
_EXTERNAL_CSS = re.compile(r"url\(\s*['\"]?(?!data:)|@import", re.IGNORECASE)


class _Auditor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self.title = ""
        self.csp = ""
        self._in_title = False
        self._in_style = False
        self.visible: list[str] = []  # text and attribute values, without data: payloads
        self.located: list[tuple[str, str]] = []  # (where, text) of everything visible
        self._where = "the page header"
        self._in_heading = False
        self._heading = ""
        self._heading_tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "iframe", "object", "embed", "form", "base", "link", "svg"}:
            self.findings.append(f"<{tag}> element")
        for name, value in attrs:
            value = value or ""
            if not value.startswith("data:"):
                self.visible.append(value)
                self.located.append((self._where, value))
            if name.lower().startswith("on"):
                self.findings.append(f"event handler attribute '{name}' on <{tag}>")
            if "javascript:" in value.lower().replace(" ", ""):
                self.findings.append(f"javascript: URL in <{tag} {name}>")
            if name.lower() in _URL_ATTRS and value and not value.startswith(("data:", "#")):
                self.findings.append(f"reference outside the page: <{tag} {name}='{value[:60]}'>")
            if name.lower() == "style" and _EXTERNAL_CSS.search(value):
                self.findings.append(f"external style reference on <{tag}>")
        named = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta" and named.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = named.get("content", "")
        self._in_title = tag == "title"
        self._in_style = tag == "style"
        if tag == "header":
            self._where = "the cover"
        if tag in _HEADINGS:
            self._in_heading = True
            self._heading = ""
            self._heading_tag = tag

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        self._in_style = False
        if self._in_heading and tag == self._heading_tag:
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading and data.strip():
            self._heading += data
            name = " ".join(self._heading.split())[:80]
            self._where = {
                "h1": "the cover",
                "figcaption": f"the key image caption '{name}'",
                "footer": "the disclaimer",
            }.get(self._heading_tag, f"the section '{name}'")
        self.visible.append(data)
        self.located.append((self._where, data))
        if self._in_title:
            self.title += data
        if self._in_style and _EXTERNAL_CSS.search(data):
            self.findings.append("external reference in a <style> block")


def _forbidden(values: Iterable[str | Forbidden]) -> list[Forbidden]:
    return [v if isinstance(v, Forbidden) else Forbidden(str(v)) for v in values if v]


def audit_notes(forbidden: Sequence[str | Forbidden]) -> list[str]:
    """The identifiers too short to search the page for (named, not searched)."""
    return [
        f"{f.describe()} {f.value!r} is too short to search the page for safely; "
        "check the page by eye"
        for f in dict.fromkeys(_forbidden(forbidden))
        if not f.searchable()
    ]


def audit_page(html: str, *, forbidden: Sequence[str | Forbidden], title: str) -> list[str]:
    """Everything wrong with *html*; empty when the page is safe to send."""
    auditor = _Auditor()
    auditor.feed(html)
    findings = list(dict.fromkeys(auditor.findings))
    csp = auditor.csp.replace(" ", "")
    if "default-src'none'" not in csp or "script-src'none'" not in csp:
        findings.append("no Content-Security-Policy forbidding scripts and remote loads")
    if auditor.title.strip() != title:
        findings.append(f"page title is {auditor.title.strip()!r}, not the fixed {title!r}")
    for item in dict.fromkeys(_forbidden(forbidden)):
        if not item.searchable():
            continue
        pattern = item.pattern()
        places = list(dict.fromkeys(where for where, text in auditor.located
                                    if pattern.search(text)))  # fmt: skip
        if places:
            findings.append(f"{item.describe()} ({item.value!r}) appears in {' and '.join(places)}")
    return findings


def _name_parts(name: str) -> list[str]:
    """The full name and its distinctive parts (not vocabulary words such as 'Knee')."""
    groups = [g for g in name.split("=") if g.strip()]
    out = [" ".join(re.split(r"[\^\s]+", g)).strip() for g in groups]
    for part in re.split(r"[\^=\s]+", name):
        cjk = any("\u4e00" <= ch <= "\u9fff" for ch in part)
        if (len(part) >= 3 or (cjk and len(part) >= 2)) and not _is_vocabulary(part):
            out.append(part)
    return out


def _is_vocabulary(word: str) -> bool:
    lowered = word.lower()
    return (
        vocab.body_part_from_text(lowered) is not None
        or vocab.side_from_text(lowered) is not None
        or lowered in GLOSSARY
        or word in GLOSSARY.values()
    )


def _study_names(case: Any) -> dict[str, str]:
    """study_key → "the ultrasound study of 2024-01-15" (for naming where a value is from)."""
    out = {}
    for _, row in case.studies.iterrows():
        day = format_date(row.get("date"))
        when = f" of {day}" if day else ""
        out[str(row["study_key"])] = f"the {film_label(dict(row))} study{when}"
    return out


def _from_instances(case: Any, column: str, kind: str) -> list[Forbidden]:
    inst = case.instances
    if column not in inst.columns or inst.empty:
        return []
    names = _study_names(case)
    out = []
    for value, group in inst.dropna(subset=[column]).groupby(column, sort=True):
        text = str(value).strip()
        if not text:
            continue
        keys = sorted({str(k) for k in group["study_key"].dropna()})
        studies = [names.get(k, f"study {k}") for k in keys]
        source = studies[0] if len(studies) == 1 else f"{len(studies)} studies"
        out.append(Forbidden(text, kind, source))
    return out


def forbidden_values(case: Any, *, include_name: bool, extra_paths: list[str]) -> list[Forbidden]:
    """Identifiers and local paths that must not appear on the page, each described."""
    values = [Forbidden(str(Path.home()), "local path", "the home folder")]
    values += [Forbidden(p, "local path", "the notebook's folder") for p in extra_paths]
    values += [Forbidden(v, "user name", "this computer")
               for v in (os.environ.get("USER"), os.environ.get("LOGNAME"))
               if v and len(v) > 3]  # fmt: skip
    if case is not None:
        values += [Forbidden(str(case.source.resolve()), "local path", "the case folder"),
                   Forbidden(str(case.workspace), "local path", "the workspace")]  # fmt: skip
        case_ids = {str(case.manifest.case_id)} if case.manifest.case_id else set()
        ids = _from_instances(case, "PatientID", "PatientID")
        ids += [f for f in _from_instances(case, "AccessionNumber", "AccessionNumber")
                if len(f.value) > 3]  # fmt: skip
        ids += _from_instances(case, "PatientBirthDate", "PatientBirthDate")
        values += [f for f in ids if f.value not in case_ids]  # the case id is on the cover
        if not include_name:
            names = {str(v): "the DICOM headers" for v in case.instances["PatientName"].dropna()}
            patient = case.manifest.patient
            if patient is not None and patient.name:
                names[str(patient.name)] = "case.yaml"
            for name, where in names.items():
                values += [Forbidden(part, "patient name", where) for part in _name_parts(name)]
    return [v for v in dict.fromkeys(values) if v.value and v.value not in {"/", "."}]
