"""What a service needs of a case: its tables and where its originals can be read.

:class:`workbench.Case` satisfies these protocols structurally; services below the
façade take a protocol (or the tables themselves), never the ``Case`` class, so the
façade can import its services without a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd

from workbench.record.manifest import Manifest


class CaseRecord(Protocol):
    """A case's tables, its ``case.yaml`` and access to the bytes of its originals."""

    source: Path
    workspace: Path
    files: pd.DataFrame
    instances: pd.DataFrame
    series: pd.DataFrame
    studies: pd.DataFrame
    documents: pd.DataFrame
    timeline: pd.DataFrame
    problems: pd.DataFrame
    manifest: Manifest

    def local_path(self, path: str) -> Path:
        """Where the bytes of the original at *path* can be read."""
        ...

    def series_instances(self, series_key: str) -> pd.DataFrame:
        """The instances of one series, in index order."""
        ...
