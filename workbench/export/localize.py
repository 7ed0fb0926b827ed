"""The template's own words on the page, in the page's language (export layer).

The notebook records what the template wrote into each opinion cell (fingerprints of
the heading and of generated lines: gap bullets, the limits note; see
:mod:`workbench.notebook.contract`). A line the reviewer kept as written is shown from
:mod:`workbench.i18n` in the page's language; a line the reviewer wrote or changed is
the reviewer's own text and is never translated.

>>> localize_source("## What the images show\\n\\nMy text.",
...                 {"heading": fingerprint("## What the images show"), "section": "images"},
...                 "en+zh")
'## What the images show / 影像所见\\n\\nMy text.'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from workbench.export.sentences import film_label, format_date
from workbench.i18n import LABELS, Lang, glossary, label
from workbench.notebook.contract import fingerprint

__all__ = ["gap_text", "localize_source", "study_text"]

_BULLET = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)(.*)$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _section_label(section: str) -> str | None:
    if section.startswith("q") and section[1:].isdigit():
        return None
    key = f"notebook.section.{section}"
    return key if key in LABELS else None


def study_text(study: Mapping[str, Any] | None, lang: str) -> str:
    """A study for a patient, in *lang* (``zh``: 2024年9月3日的右膝关节站立位X线片)."""
    if not study:
        return label("export.study", lang)
    film = film_label(study, lang)
    when = format_date(study.get("date"), lang)
    part = study.get("body_part")
    side = study.get("side")
    where = ""
    if lang == Lang.ZH:
        side_zh = glossary(str(side), "zh") if isinstance(side, str) and side else ""
        part_zh = glossary(str(part), "zh") if isinstance(part, str) and part else ""
        where = f"{side_zh}{part_zh}"
        return f"{when}的{where}{film}" if when else f"{where}{film}"
    return f"{film} of {when}" if when else film


def gap_text(record: Mapping[str, Any], lang: str, studies: Mapping[str, Mapping[str, Any]]) -> str:
    """A gap bullet in *lang*: the case's English message, the Chinese text by gap code."""
    english = str(record.get("message") or "")
    if lang == Lang.EN:
        return english
    zh = str(record.get("message_zh") or "")
    if not zh:  # a notebook written before the rules carried Chinese text: by gap code
        code = str(record.get("gap") or "other")
        key = f"export.gap.{code}" if f"export.gap.{code}" in LABELS else "export.gap.other"
        template = LABELS[key][1]
        study = studies.get(str(record.get("study_key") or ""))
        detail = re.search(r"\d+", english)
        zh = template.format(
            study=study_text(study, "zh"), detail=detail.group(0) if detail else ""
        )
    if lang == Lang.ZH or not english:
        return zh
    return f"{english} / {zh}"


def localize_source(
    source: str,
    meta: Mapping[str, Any],
    lang: str,
    studies: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """*source* with the template's unchanged heading and generated lines in *lang*."""
    studies = studies or {}
    generated = {str(g.get("fp")): g for g in meta.get("generated") or [] if isinstance(g, dict)}
    heading_fp = meta.get("heading")
    key = _section_label(str(meta.get("section") or ""))
    out = []
    for line in source.split("\n"):
        heading = _HEADING.match(line.strip())
        if heading and key and heading_fp and fingerprint(line) == heading_fp:
            out.append(f"{heading.group(1)} {label(key, lang)}")
            continue
        bullet = _BULLET.match(line)
        prefix, text = (bullet.group(1), bullet.group(2)) if bullet else ("", line)
        record = generated.get(fingerprint(text)) if text.strip() else None
        if record is None:
            out.append(line)
        elif record.get("label"):
            out.append(prefix + label(str(record["label"]), lang))
        else:
            out.append(prefix + gap_text(record, lang, studies))
    return "\n".join(out)
