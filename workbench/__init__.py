"""Orthopedic second-opinion workbench.

Open a patient's upload as tables::

    import workbench
    case = workbench.open_case("upload.zip")
    case.studies          # one row per imaging study, in date order
    case.problems         # every file that could not be used, and why
"""

from __future__ import annotations

from workbench import samples
from workbench.case import Case, open_case
from workbench.errors import (
    CaseNotFoundError,
    ManifestError,
    NothingUsableError,
    WorkbenchError,
    WorkspaceError,
)

__all__ = [
    "Case",
    "CaseNotFoundError",
    "ManifestError",
    "NothingUsableError",
    "WorkbenchError",
    "WorkspaceError",
    "open_case",
    "samples",
]

__version__ = "0.1.0"
