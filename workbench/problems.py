"""Problems are data: one row per file that could not be used as expected.

A foreign case folder always holds odd files. Loading never stops at the first
bad one; each becomes a :class:`Problem`, collected into ``case.problems``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

PROBLEM_COLUMNS = ["path", "stage", "kind", "message"]


class Problem(NamedTuple):
    """One problem row.

    Attributes
    ----------
    path : str
        The file, relative to the case source (archive members as ``a.zip/member``).
    stage : str
        Where it was found: ``inventory``, ``archive``, ``dicom``, ``dicomdir``,
        ``pixels``, ``document``, ``image``, ``manifest``, ``case``.
    kind : str
        A stable code such as ``truncated`` or ``zip_bomb`` (see README).
    message : str
        What is wrong, naming the file, and what to do about it.
    """

    path: str
    stage: str
    kind: str
    message: str


def problems_frame(rows: Iterable[Problem]) -> pd.DataFrame:
    """Build the problems table, one row per :class:`Problem`, in a stable order."""
    frame = pd.DataFrame(list(rows), columns=PROBLEM_COLUMNS)
    return (
        frame.astype("string")
        .sort_values(["path", "stage", "kind"], kind="stable")
        .reset_index(drop=True)
    )
