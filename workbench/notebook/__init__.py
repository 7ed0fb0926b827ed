"""The reviewer's case notebook, written with nbformat (notebook layer).

Importing this package keeps jsonschema (imported by nbformat) from building its
RFC 3987 grammar, 1.2 to 2.7 s per process on a two-core machine: notebooks are
validated with fastjsonschema, which checks no string formats
(:mod:`workbench.notebook.nbfile`). A process that imported jsonschema before keeps
its format checkers.
"""

from __future__ import annotations

import sys

__all__ = ["FULL_COLLECTION_EVERY", "without_format_grammar"]

#: Collections of the middle generation between two full ones in a batch run, a notebook
#: command or a kernel it started (CPython's default is 10): every full pass walks all
#: that pandas, matplotlib and pydicom loaded, three or four times while they are imported
#: (0.3-0.4 s of a kernel's run, 1.2 s of ``export --execute``); young objects are
#: collected as usual.
FULL_COLLECTION_EVERY = 200


def without_format_grammar() -> None:
    """Make ``import jsonschema`` skip its ``iri`` format checkers (the lark grammar)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


without_format_grammar()
