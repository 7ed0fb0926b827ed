"""Which studies to compare: the same body part and side imaged on different dates.

>>> import pandas as pd
>>> from types import SimpleNamespace
>>> studies = pd.DataFrame({
...     "study_key": ["a", "b", "c"], "date": pd.to_datetime(["2023-06-12", "2024-09-03",
...     "2024-03-10"]), "modality": ["DX", "DX", "MR"], "body_part": ["knee"] * 3,
...     "side": ["right"] * 3, "source": ["dicom"] * 3})
>>> pick_comparison_pairs(SimpleNamespace(studies=studies))
[('a', 'b')]
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def pick_comparison_pairs(case: Any) -> list[tuple[str, str]]:
    """(prior, current) study keys: same body part, side and modality, different dates.

    For each group the most recent study is paired with the one before it; only
    studies with original DICOM are paired.
    """
    studies = case.studies
    usable = studies[(studies["source"] == "dicom") & studies["date"].notna()]
    pairs: list[tuple[str, str]] = []
    keys = ["body_part", "side", "modality"]
    for _, group in usable.dropna(subset=["body_part"]).groupby(keys, dropna=False, sort=False):
        ordered = group.sort_values("date")
        if len(ordered) >= 2 and ordered["date"].iloc[-1] != ordered["date"].iloc[-2]:
            pairs.append((str(ordered["study_key"].iloc[-2]), str(ordered["study_key"].iloc[-1])))
    return sorted(
        pairs, key=lambda p: str(pd.Timestamp(studies.set_index("study_key").loc[p[1], "date"]))
    )
