"""Notebook files in and out: nbformat without the format grammar, validated cheaply.

``import nbformat`` imports jsonschema, whose format checkers build a lark parser of
the RFC 3987 grammar when ``rfc3987_syntax`` is installed: 1.2 to 2.7 seconds on a
two-core machine, paid by every process that reads or writes a notebook. Notebooks are
validated with fastjsonschema (nbformat's default validator), which checks no string
formats at all, so that grammar is never used here; importing the package
(:mod:`workbench.notebook`) keeps jsonschema from building it.

:func:`read_notebook` is for notebooks that come from people (a reviewer's notebook,
saved by JupyterLab or edited by hand): it refuses a file that does not match the
nbformat 4 schema (nbformat's own reader only logs that), with a message naming the
file and the first mismatch. :func:`write_notebook` writes what the workbench itself
built or executed, atomically, after the same check (strict writing).

>>> from nbformat.v4 import new_notebook  # doctest: +SKIP
>>> write_notebook(new_notebook(), "review.ipynb")  # doctest: +SKIP
>>> read_notebook("review.ipynb").nbformat  # doctest: +SKIP
4
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbformat import NBFormatError, NotebookNode, ValidationError
from nbformat.corpus.words import generate_corpus_id

from workbench.errors import ExportError
from workbench.workspace import atomic_write

__all__ = ["code_cell", "markdown_cell", "read_notebook", "validate_notebook", "write_notebook"]

#: How much of the validator's message goes into ours.
_MESSAGE_CHARS = 300


def read_notebook(path: str | Path, *, hint: str | None = None) -> Any:
    """Read the notebook at *path* (as nbformat 4) and check it against the schema.

    Parameters
    ----------
    path : path
        A ``.ipynb`` file.
    hint : str, optional
        What to do about it, appended to the message of a refusal (default: rebuild
        it with ``workbench notebook``).

    Raises
    ------
    ExportError
        The file cannot be read, is not JSON, or does not match the nbformat 4 schema;
        the message names the file and the first mismatch.
    """
    path = Path(path)
    fix = hint or "Pass a notebook written by `workbench notebook` (and saved by JupyterLab)."
    try:
        with open(path, encoding="utf-8") as fh:
            nb = nbformat.read(fh, as_version=4)
    except ValidationError as exc:  # a cell too broken to convert (nbformat's reader)
        raise ExportError(
            f"'{path}' is not a valid notebook (nbformat 4 schema: {_first_line(exc)}). {fix}"
        ) from exc
    except (OSError, ValueError, NBFormatError) as exc:  # NotJSONError is a ValueError
        raise ExportError(f"Cannot read notebook '{path}': {exc}. {fix}") from exc
    validate_notebook(nb, path, hint=fix)
    return nb


def validate_notebook(nb: Any, path: str | Path = "notebook", *, hint: str = "") -> None:
    """Raise :class:`ExportError` when *nb* does not match its nbformat schema.

    fastjsonschema does the check (about a millisecond for a notebook of a megabyte).
    """
    try:
        nbformat.validate(nb)
    except ValidationError as exc:
        raise ExportError(
            f"'{path}' is not a valid notebook (nbformat {nb.get('nbformat', '?')} schema: "
            f"{_first_line(exc)}). {hint or 'Open it in JupyterLab and save it again.'}"
        ) from exc


def _first_line(exc: ValidationError) -> str:
    text = str(getattr(exc, "message", "") or exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:_MESSAGE_CHARS] + ("…" if len(first) > _MESSAGE_CHARS else "")


def markdown_cell(source: str) -> Any:
    """A markdown cell, as ``nbformat.v4.new_markdown_cell`` makes it, not checked alone.

    nbformat checks each new cell against its schema definition with jsonschema (pure
    Python; a quarter of a second for the twenty cells of a case notebook); the
    workbench checks the whole notebook once, with fastjsonschema, when it writes it
    (:func:`write_notebook`).
    """
    return NotebookNode(
        id=generate_corpus_id(), cell_type="markdown", source=source, metadata=NotebookNode()
    )


def code_cell(source: str) -> Any:
    """A code cell without outputs, as ``nbformat.v4.new_code_cell`` makes it, not checked
    alone (see :func:`markdown_cell`)."""
    return NotebookNode(
        id=generate_corpus_id(), cell_type="code", metadata=NotebookNode(),
        execution_count=None, source=source, outputs=[],
    )  # fmt: skip


def write_notebook(nb: Any, path: str | Path, *, check: bool = True) -> Path:
    """Write *nb* to *path* atomically (no partial file on a crash); returns the path.

    With *check* (strict writing) a notebook that does not match its schema is refused
    with :class:`ExportError` before anything is written.
    """
    path = Path(path)
    if check:
        validate_notebook(nb, path, hint="Nothing was written.")
    with atomic_write(path, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
    return path
