"""Why a case notebook cannot be exported yet (export layer).

Read from the notebook's contract (:mod:`workbench.notebook.contract`), never from its
English text: a section still holding an instruction paragraph the template wrote
(fingerprints in ``metadata.workbench.template``), a question whose answer is still the
placeholder, and a side conflict the reviewer has not acknowledged (tag
``workbench-side-checked`` or the ticked box).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.notebook.build import ANSWER_PLACEHOLDER, OPINION_SECTIONS
from workbench.notebook.contract import (
    CellTag,
    body_paragraphs,
    cell_meta,
    cell_tags,
    fingerprint,
    side_acknowledged,
    template_left,
)

__all__ = ["check_ready", "section_name"]

#: Instruction fingerprints of notebooks written before cells carried them (version 1).
_V1_TEMPLATE = {fingerprint(ANSWER_PLACEHOLDER)} | {
    fingerprint(text) for _, text in OPINION_SECTIONS if text
}


def section_name(cell: Any) -> str:
    """The section's heading as the reviewer sees it (its first heading line)."""
    for line in str(cell.get("source", "")).splitlines():
        if line.strip().startswith("#"):
            return line.strip().lstrip("#").strip()
    return str(cell_meta(cell).get("section") or "untitled")


def _still_template(cell: Any, version: int) -> bool:
    if cell_meta(cell).get("template"):
        return template_left(cell)
    if version >= 2:
        return False
    return any(fingerprint(p) in _V1_TEMPLATE for p in body_paragraphs(str(cell.source)))


def check_ready(nb: Any, conflicts: Iterable[str] = ()) -> list[str]:
    """Every reason *nb* cannot be exported yet (empty when it can).

    Parameters
    ----------
    nb : NotebookNode
        The case notebook.
    conflicts : iterable of str
        Study keys with a side conflict in the case (each must be acknowledged).
    """
    version = int((nb.metadata.get("workbench") or {}).get("version") or 1)
    reasons = []
    acknowledged: set[str] = set()
    flagged: set[str] = set()
    for cell in nb.cells:
        tags = cell_tags(cell)
        opinion = CellTag.OPINION in tags and cell.cell_type == "markdown"
        if opinion and _still_template(cell, version):
            name = section_name(cell)
            if CellTag.ANSWER in tags:
                reasons.append(f"question '{name}' has no answer written")
            else:
                reasons.append(f"the section '{name}' still holds the template's "
                                   "instructions; replace them with your own text")  # fmt: skip
        if CellTag.SIDE_CONFLICT in tags:
            key = str(cell_meta(cell).get("study_key") or "?")
            if side_acknowledged(cell):
                acknowledged.add(key)
            else:
                flagged.add(key)
                reasons.append(
                    f"the side conflict of study {key} is not acknowledged (tick '- [x] I have "
                    f"checked the side ...' or add the tag '{CellTag.SIDE_CHECKED}' to its cell)"
                )
    for key in conflicts:
        if key not in acknowledged and key not in flagged:
            reasons.append(f"the side conflict of study {key} is not acknowledged in the notebook")
    return reasons
