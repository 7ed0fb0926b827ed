"""The headers of the images a review refers to, ready to be cited as evidence.

highdicom copies patient and study attributes from the first evidence dataset and
cites every referenced image by SOP class and instance. Headers are read without
pixels from the case's originals (never modified); Type 2 attributes that a sender
left out are added empty on the copy, as the objects' IODs require them present.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from workbench.record.protocol import CaseRecord

__all__ = ["Evidence", "read_evidence"]

_TYPE2 = (
    "PatientID", "PatientName", "PatientBirthDate", "PatientSex", "AccessionNumber",
    "StudyID", "StudyDate", "StudyTime", "ReferringPhysicianName",
)  # fmt: skip


@dataclass(frozen=True)
class Evidence:
    """Image headers by SOP Instance UID, with what the case tables know of each.

    Attributes
    ----------
    headers : dict of str to Dataset
        Header copies without pixel data.
    rows : dict of str to pandas.Series
        The ``case.instances`` row of each image merged with its ``case.series`` row
        (``body_part``, ``side``, ``weight_bearing`` ...).
    missing : dict of str to str
        SOP Instance UIDs that could not be read, with the reason.
    """

    headers: dict[str, Dataset]
    rows: dict[str, pd.Series]
    missing: dict[str, str]

    def __contains__(self, sop_uid: object) -> bool:
        return sop_uid in self.headers


def _complete(ds: Dataset) -> Dataset:
    for keyword in _TYPE2:
        if keyword not in ds:
            setattr(ds, keyword, "")
    return ds


def read_evidence(case: CaseRecord, sop_uids: Iterable[str]) -> Evidence:
    """Read the headers of *sop_uids* from the case's originals.

    An image the case does not hold, or whose file cannot be read, is listed in
    ``missing`` with the reason; the caller leaves it out and says so.
    """
    wanted = list(dict.fromkeys(str(u) for u in sop_uids if u))
    inst = case.instances.drop_duplicates("SOPInstanceUID").set_index("SOPInstanceUID")
    series = case.series.set_index("series_key") if "series_key" in case.series else None
    headers: dict[str, Dataset] = {}
    rows: dict[str, pd.Series] = {}
    missing: dict[str, str] = {}
    for uid in wanted:
        if uid not in inst.index:
            missing[uid] = "not an image of this case"
            continue
        row = inst.loc[uid]
        try:
            ds = pydicom.dcmread(case.local_path(str(row["path"])), stop_before_pixels=True)
        except (OSError, InvalidDicomError, KeyError, ValueError) as exc:
            missing[uid] = f"'{row['path']}' cannot be read ({exc})"
            continue
        headers[uid] = _complete(ds)
        extra = pd.Series(dtype=object)
        key = row.get("series_key")
        if series is not None and key in series.index:
            extra = series.loc[key]
        rows[uid] = pd.concat([row, extra[[c for c in extra.index if c not in row.index]]])
    return Evidence(headers, rows, missing)
