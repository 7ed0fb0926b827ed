"""The reviewer's case notebook, written with nbformat (notebook layer).

Importing this package keeps jsonschema (imported by nbformat) from building its
RFC 3987 grammar, 1.2 to 2.7 s per process on a two-core machine: notebooks are
validated with fastjsonschema, which checks no string formats
(:mod:`workbench.notebook.nbfile`). A process that imported jsonschema before keeps
its format checkers.
"""

from __future__ import annotations

import sys


def without_format_grammar() -> None:
    """Make ``import jsonschema`` skip its ``iri`` format checkers (the lark grammar)."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


without_format_grammar()
