"""The audit that runs after every export and fails it on anything unsafe.

It parses the produced page (not a regex over the text alone) and reports: any
``<script>``, event-handler attribute, ``javascript:`` URL, reference to
anything outside the page (every ``src``/``href`` must be ``data:`` or a
fragment), a missing Content-Security-Policy, a title other than the fixed one,
local paths, and patient identifiers that the export options did not allow.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from workbench import vocab
from workbench.i18n import GLOSSARY

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

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "iframe", "object", "embed", "form", "base", "link", "svg"}:
            self.findings.append(f"<{tag}> element")
        for name, value in attrs:
            value = value or ""
            if not value.startswith("data:"):
                self.visible.append(value)
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

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        self._in_style = False

    def handle_data(self, data: str) -> None:
        self.visible.append(data)
        if self._in_title:
            self.title += data
        if self._in_style and _EXTERNAL_CSS.search(data):
            self.findings.append("external reference in a <style> block")


def audit_page(html: str, *, forbidden: list[str], title: str) -> list[str]:
    """Everything wrong with *html*; empty when the page is safe to send."""
    auditor = _Auditor()
    auditor.feed(html)
    findings = list(dict.fromkeys(auditor.findings))
    csp = auditor.csp.replace(" ", "")
    if "default-src'none'" not in csp or "script-src'none'" not in csp:
        findings.append("no Content-Security-Policy forbidding scripts and remote loads")
    if auditor.title.strip() != title:
        findings.append(f"page title is {auditor.title.strip()!r}, not the fixed {title!r}")
    lowered = "\n".join(auditor.visible).lower()
    for value in forbidden:
        if value and value.lower() in lowered:
            findings.append(f"the page contains {value!r}, which must not be there")
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


def forbidden_values(case: Any, *, include_name: bool, extra_paths: list[str]) -> list[str]:
    """Identifiers and local paths that must not appear on the page."""
    values = [str(Path.home()), *extra_paths]
    values += [v for v in (os.environ.get("USER"), os.environ.get("LOGNAME")) if v and len(v) > 3]
    if case is None:
        return values
    values += [str(case.source.resolve()), str(case.workspace)]
    inst = case.instances
    ids = {str(v) for v in inst["PatientID"].dropna() if str(v).strip()}
    ids |= {str(v) for v in inst["AccessionNumber"].dropna() if len(str(v).strip()) > 3}
    births = {str(v) for v in inst["PatientBirthDate"].dropna() if str(v).strip()}
    case_ids = {str(case.manifest.case_id)} if case.manifest.case_id else set()
    values += sorted((ids | births) - case_ids)  # the case id is shown on the cover on purpose
    if not include_name:
        names = {str(v) for v in inst["PatientName"].dropna()}
        patient = case.manifest.patient
        if patient is not None and patient.name:
            names.add(str(patient.name))
        for name in names:
            values += _name_parts(name)
    return [v for v in values if v and v not in {"/", "."}]
