"""The contract between the case notebook and the export, as data (notebook layer).

Cell tags (:class:`CellTag`) say what a cell is for; ``metadata.workbench`` of an opinion
cell records what the template itself wrote there, so the export can tell the template's
text from the reviewer's without matching sentences back:

``section``
    Which opinion section the cell is (``images``, ``q1`` ...; :data:`SECTIONS`).
``heading``
    Fingerprint of the heading line the template wrote (translated on the page while the
    reviewer keeps it).
``template``
    Fingerprints of the template's instruction paragraphs: export refuses while one is
    still in the cell.
``generated``
    One record per line the template wrote from the case (a gap bullet: ``code``,
    ``study_key``, ``fp``), shown in the page's language while the reviewer keeps it.
``hanging``
    On a viewer cell (tagged ``workbench-hide``): the name of the hanging rule
    (:mod:`workbench.view.hanging`) that chose its layout; never read by the export.

A fingerprint is the SHA-256 of a paragraph with markdown emphasis and whitespace
normalised, so re-wrapping a line or removing the italics does not hide template text.

>>> fingerprint("_Describe what the original images show._") == fingerprint(
...     "Describe what the original\\n   images show.")
True
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

import mistune

__all__ = [
    "CellTag",
    "body_paragraphs",
    "cell_meta",
    "cell_tags",
    "fingerprint",
    "side_acknowledged",
    "template_left",
]


class CellTag(StrEnum):
    """The tags of a case notebook's cells (JupyterLab: Property Inspector ▸ Cell Tags)."""

    #: working cells (set-up, tables, viewers): never exported
    HIDE = "workbench-hide"
    #: the set-up cell that opens the case
    SETUP = "workbench-setup"
    #: markdown the patient reads
    OPINION = "workbench-opinion"
    #: the reviewer's Chinese version of a section (paired by ``metadata.workbench.section``)
    LANG_ZH = "lang-zh"
    #: the answer to one patient question (``metadata.workbench.question`` is its index)
    ANSWER = "workbench-answer"
    #: a code cell whose image outputs (key images) are exported
    FIGURE = "workbench-figure"
    #: a left/right conflict the reviewer must acknowledge before export
    SIDE_CONFLICT = "workbench-side-conflict"
    #: the reviewer's acknowledgement of a side conflict (added to the conflict cell)
    SIDE_CHECKED = "workbench-side-checked"


_EMPHASIS = re.compile(r"[*_`~]+")


def fingerprint(text: str) -> str:
    """SHA-256 (hex, 16 chars) of *text* without markdown emphasis, whitespace folded."""
    plain = " ".join(_EMPHASIS.sub("", text).split()).strip().lower()
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()[:16]


def cell_tags(cell: Mapping[str, Any]) -> set[str]:
    """The tags of *cell* (an nbformat cell or a plain dict)."""
    tags = (cell.get("metadata") or {}).get("tags") or []
    return {str(t) for t in tags}


def cell_meta(cell: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata.workbench`` of *cell* (empty when absent or not a mapping)."""
    meta = (cell.get("metadata") or {}).get("workbench")
    return dict(meta) if isinstance(meta, Mapping) else {}


def body_paragraphs(source: str) -> Iterator[str]:
    """The paragraphs and list items of a markdown cell, as plain lines of text."""
    block: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            if block:
                yield " ".join(block)
                block = []
            continue
        if re.match(r"^([-*+]|\d+[.)])\s", stripped):
            if block:
                yield " ".join(block)
            block = [re.sub(r"^([-*+]|\d+[.)])\s+(\[[ xX]\]\s*)?", "", stripped)]
            continue
        block.append(stripped)
    if block:
        yield " ".join(block)


def template_left(cell: Mapping[str, Any]) -> bool:
    """True while an instruction paragraph the template wrote is still in *cell*."""
    marks = set(cell_meta(cell).get("template") or [])
    if not marks:
        return False
    return any(fingerprint(p) in marks for p in body_paragraphs(str(cell.get("source", ""))))


_TASKS = mistune.create_markdown(renderer=None, plugins=["task_lists"])


def _checked_tasks(tokens: Any) -> Iterator[bool]:
    for token in tokens or []:
        if token.get("type") == "task_list_item":
            yield bool(token.get("attrs", {}).get("checked"))
        yield from _checked_tasks(token.get("children"))


def side_acknowledged(cell: Mapping[str, Any]) -> bool:
    """Whether the reviewer acknowledged the side conflict of *cell*.

    The contract is the tag :attr:`CellTag.SIDE_CHECKED` on the conflict cell; ticking
    every task box of the cell's markdown (``- [x]``, read from the markdown's syntax
    tree) counts too, and the demo and the tests set the tag.
    """
    if CellTag.SIDE_CHECKED in cell_tags(cell) or cell_meta(cell).get("acknowledged") is True:
        return True
    tasks = list(_checked_tasks(_TASKS(str(cell.get("source", "")))))
    return bool(tasks) and all(tasks)
