"""Prior versus current: which studies to compare and how two series move together (core).

Pure functions over the case tables and two :class:`~workbench.imaging.volume.Volume` objects;
:class:`workbench.CompareViewer` only binds them to widgets.

>>> import pandas as pd
>>> studies = pd.DataFrame({
...     "study_key": ["a", "b", "c"], "date": pd.to_datetime(["2023-06-12", "2024-03-10",
...     "2024-09-03"]), "modality": ["DX", "MR", "DX"], "body_part": ["knee"] * 3,
...     "side": ["right"] * 3, "has_original_dicom": [True] * 3, "source": ["dicom"] * 3})
>>> comparison_pairs(studies)
[('a', 'c')]
>>> relative_index(5, 11, 21)
10
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume
    from workbench.record.protocol import CaseRecord

#: modalities compared with each other (a CR prior against a DX current is fine)
MODALITY_FAMILY = {"CR": "XR", "DX": "XR", "RG": "XR", "DR": "XR", "MG": "XR"}
#: modalities whose pixel values are absolute (Hounsfield units): windows link 1:1
ABSOLUTE_UNITS = frozenset({"CT"})


def _family(modality: object) -> str:
    text = str(modality or "").upper()
    return MODALITY_FAMILY.get(text, text)


def _known(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def comparison_pairs(studies: pd.DataFrame) -> list[tuple[str, str]]:
    """Consecutive ``(prior, current)`` study pairs worth viewing side by side.

    Two studies pair when they image the same body part on the same side with the same
    kind of imaging (radiographs of any modality code together), on different dates,
    and both have original DICOM images. Within one such group each study is paired
    with the next one in time, so three knee radiographs give two pairs.
    """
    if studies.empty:
        return []
    usable = studies[
        studies["has_original_dicom"].fillna(False).astype(bool)
        & (studies.get("source", pd.Series("dicom", index=studies.index)) == "dicom")
        & studies["date"].notna()
        & studies["body_part"].map(_known)
        & studies["side"].map(_known)
    ]
    pairs: list[tuple[str, str]] = []
    groups = usable.assign(_family=usable["modality"].map(_family)).groupby(
        ["body_part", "side", "_family"], sort=False
    )
    for _, group in groups:
        ordered = group.sort_values(["date", "study_key"])
        dates = ordered["date"].tolist()
        keys = ordered["study_key"].tolist()
        for k in range(1, len(keys)):
            if dates[k] != dates[k - 1]:
                pairs.append((str(keys[k - 1]), str(keys[k])))
    order = {key: pos for pos, key in enumerate(studies.sort_values("date")["study_key"])}
    return sorted(pairs, key=lambda p: (order[p[1]], order[p[0]]))


def pick_comparison_pairs(case: CaseRecord) -> list[tuple[str, str]]:
    """The ``(prior, current)`` study pairs of a case, oldest first.

    See :func:`comparison_pairs` for the rule. The case notebook opens one
    :class:`workbench.CompareViewer` per pair.
    """
    return comparison_pairs(case.studies)


_WORD = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")


def match_series(case: CaseRecord, series_key: str, study_key: str) -> str | None:
    """The series of *study_key* that best matches *series_key* (same view, same sequence).

    Scored by modality family, ``ViewPosition`` and the words shared by the two
    ``SeriesDescription`` values; ties go to the study's first series. None when the
    study has no series.
    """
    series = case.series
    candidates = series[series["study_key"] == study_key]
    if candidates.empty:
        return None
    ref = series[series["series_key"] == series_key]
    if ref.empty:
        return str(candidates["series_key"].iloc[0])
    r = ref.iloc[0]
    ref_words = set(_WORD.findall(str(r.get("SeriesDescription") or "").upper()))

    def score(row: pd.Series) -> float:
        s = 0.0
        if _family(row.get("Modality")) == _family(r.get("Modality")):
            s += 4
        view = row.get("ViewPosition")
        if _known(view) and view == r.get("ViewPosition"):
            s += 2
        words = set(_WORD.findall(str(row.get("SeriesDescription") or "").upper()))
        if ref_words or words:
            s += 2 * len(ref_words & words) / len(ref_words | words)
        return s

    scores = [score(row) for _, row in candidates.iterrows()]
    return str(candidates["series_key"].iloc[int(np.argmax(scores))])


def relative_index(index: int, n_from: int, n_to: int) -> int:
    """The index at the same fraction of another series' length."""
    if n_to <= 1 or n_from <= 1:
        return 0 if n_to <= 1 else min(index, n_to - 1)
    return round(index * (n_to - 1) / (n_from - 1))


def _normal(geometry: Any) -> np.ndarray | None:
    orientation = getattr(geometry, "orientation", None)
    if orientation is None or len(orientation) != 6:
        return None
    row = np.asarray(orientation[:3], dtype=float)
    col = np.asarray(orientation[3:], dtype=float)
    n = np.cross(row, col)
    norm = float(np.linalg.norm(n))
    return n / norm if norm > 0 else None


def _positions(geometry: Any) -> np.ndarray | None:
    positions = getattr(geometry, "positions", None)
    if positions is None or len(positions) == 0:
        return None
    try:
        arr = np.asarray(positions, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr if arr.ndim == 2 and arr.shape[1] == 3 and np.isfinite(arr).all() else None


def same_frame_of_reference(a: Volume, b: Volume) -> bool:
    """Both series share a (0020,0052) *Frame of Reference UID* and parallel slices."""
    ga, gb = a.geometry, b.geometry
    if not ga.frame_of_reference or ga.frame_of_reference != gb.frame_of_reference:
        return False
    na, nb = _normal(ga), _normal(gb)
    if na is None or nb is None or abs(float(np.dot(na, nb))) < 0.99:
        return False
    pa, pb = _positions(ga), _positions(gb)
    return pa is not None and pb is not None and len(pa) == a.n_frames and len(pb) == b.n_frames


def sync_index(a: Volume, index: int, b: Volume) -> int:
    """The slice of *b* that goes with slice *index* of *a*.

    The nearest slice by position along *b*'s slice normal when the two series share a
    frame of reference and slice direction; otherwise the slice at the same relative
    place in the stack.
    """
    if same_frame_of_reference(a, b):
        pa, pb = _positions(a.geometry), _positions(b.geometry)
        nb = _normal(b.geometry)
        assert pa is not None and pb is not None and nb is not None
        target = float(np.dot(pa[min(max(index, 0), len(pa) - 1)], nb))
        return int(np.argmin(np.abs(pb @ nb - target)))
    return relative_index(index, a.n_frames, b.n_frames)


def map_window(
    window: tuple[float, float],
    reference_from: tuple[float, float],
    reference_to: tuple[float, float],
    *,
    absolute: bool,
    opposite: bool = False,
) -> tuple[float, float]:
    """Carry a window (centre, width) from one series to another.

    Absolute units (CT in HU) carry over unchanged. Otherwise the change relative to
    each series' own starting window is carried over: the same shift in units of
    width and the same width ratio; *opposite* reverses the shift, for a MONOCHROME1
    series beside a MONOCHROME2 one (a higher level darkens one and brightens the other).

    >>> map_window((600, 500), (500, 1000), (2000, 4000), absolute=False)
    (2400.0, 2000.0)
    """
    if absolute:
        return float(window[0]), float(window[1])
    fc, fw = reference_from
    tc, tw = reference_to
    ratio = tw / fw if fw else 1.0
    shift = (window[0] - fc) * ratio
    return float(tc - shift if opposite else tc + shift), float(window[1] * ratio)
