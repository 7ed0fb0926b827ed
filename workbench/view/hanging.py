"""Hanging protocols as data: which layout each study opens in, which series in which pane.

The rules live in ``view/hanging_rules.json`` (a clinician can read and correct them);
a site adds its own file, JSON or YAML, with the environment variable
``WORKBENCH_HANGING_RULES`` (its rules are tried before the built-in ones, or replace
them with ``"replace": true``). Reading is tolerant (case and spelling of layouts,
views and modalities; JSON or YAML), validation strict: an unknown key or a bad value
raises :class:`~workbench.errors.HangingRulesError` naming the file, the rule, the value
and the fix.

A rule has a ``name``, a ``text`` (what it does, in words), a ``hang``:

``compare``
    prior and current of one body part and side (:func:`~workbench.view.comparison.
    comparison_pairs`), side by side with linked scroll, window and zoom;
``mpr``
    the first series of the study that ``match`` fits, in the three-pane MPR;
``series``
    the study's series in ``layout``, one per entry of ``panes``: each pane takes the
    first unused series (in ``order``) that its conditions fit (``view``: the
    (0018,5101) *View Position* or a word of the series description; ``weight_bearing``:
    true, false or null for unknown; ``description``: words; ``optional``: the pane may
    stay empty). A rule whose required panes cannot all be filled does not apply.

``match`` conditions on the study: ``modality``, ``body_part``, ``side`` (lists),
``min_series`` and ``min_images`` (of the study's largest series). ``order`` sorts the
series first: ``weight_bearing`` puts standing films before unknown before supine, then
series number.

:func:`hang` takes the ``studies`` and ``series`` tables and returns the hangings in the
order the notebook shows them (by the date of their latest study).

>>> import workbench
>>> case = workbench.open_case(workbench.samples.path("knee_oa_right"),
...                            workspace=getfixture("tmp_path"))
>>> [(h.rule, h.layout.value) for h in hang(case.studies, case.series)]
[('one_study', '1x1'), ('prior_current', '1x2')]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.view.comparison import comparison_pairs
from workbench.view.hanging_rules import (
    BUILTIN_RULES,
    ENV_VAR,
    HangingRule,
    PaneRule,
    load_rules,
    rules_in_use,
)
from workbench.view.layout import Layout, Pane

__all__ = [
    "BUILTIN_RULES",
    "ENV_VAR",
    "Hanging",
    "HangingRule",
    "PaneRule",
    "hang",
    "load_rules",
    "rules_in_use",
]

_WORD = re.compile(r"[A-Z0-9]+")
#: Study columns a thin table may lack (the case tables always have them).
_STUDY_DEFAULTS: dict[str, Any] = {
    "date": pd.NaT,
    "modality": None,
    "body_part": None,
    "side": None,
    "has_original_dicom": True,
}


@dataclass(frozen=True)
class Hanging:
    """How one study (or a prior/current pair) is hung.

    Attributes
    ----------
    rule : str
        The name of the rule that chose it.
    text : str
        The rule's text (shown above the viewer).
    layout : Layout
    panes : tuple of Pane
        The panes in reading order (an MPR's three planes of one series).
    pool : tuple of Pane
        Every series of the hanging's studies, in the rule's order: what the layout
        switch fills new panes from.
    linked : bool
        Prior and current with linked scroll, window and zoom.
    """

    rule: str
    text: str
    layout: Layout
    panes: tuple[Pane, ...]
    pool: tuple[Pane, ...] = ()
    linked: bool = False

    @property
    def study_keys(self) -> list[str]:
        """The studies shown, in pane order, each once."""
        return list(dict.fromkeys(p.study_key for p in self.panes))


def _get(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name)
    if value is None or (not isinstance(value, str | list | tuple) and pd.isna(value)):
        return None
    return value


def _wb_rank(value: Any) -> int:
    return 0 if value is True else 2 if value is False else 1


def _series_rows(series: pd.DataFrame, study_key: str, order: Sequence[str]) -> list[dict]:
    rows = series[series["study_key"] == study_key].to_dict("records")
    if not rows:
        return []

    def number(row: dict) -> float:
        n = _get(row, "SeriesNumber")
        try:
            return float(n) if n is not None else float("inf")
        except (TypeError, ValueError):
            return float("inf")

    keyed = []
    for pos, row in enumerate(rows):
        wb = _get(row, "weight_bearing")
        wb = bool(wb) if wb is not None else None
        key = tuple(_wb_rank(wb) for o in order if o == "weight_bearing")
        keyed.append(((*key, number(row), pos), row))
    return [row for _, row in sorted(keyed, key=lambda kr: kr[0])]


def _pane_fits(rule: PaneRule, row: Mapping[str, Any]) -> bool:
    words = set(_WORD.findall(str(_get(row, "SeriesDescription") or "").upper()))
    if rule.view:
        view = str(_get(row, "ViewPosition") or "").strip().upper()
        if view not in rule.view and not words & set(rule.view):
            return False
    if rule.weight_bearing != "any":
        wb = _get(row, "weight_bearing")
        wb = bool(wb) if wb is not None else None
        if wb is not rule.weight_bearing:
            return False
    return not rule.description or all(w in words for w in rule.description)


def _study_fits(rule: HangingRule, study: Mapping[str, Any], rows: Sequence[dict]) -> bool:
    match = rule.match
    for key in ("modality", "body_part", "side"):
        if key in match:
            value = str(_get(study, key) or "")
            value = value.upper() if key == "modality" else value.lower()
            if value not in match[key]:
                return False
    if len(rows) < match.get("min_series", 0):
        return False
    return max(_images(r) for r in rows) >= match.get("min_images", 0)


def _images(row: Mapping[str, Any]) -> int:
    n = _get(row, "n_images")
    try:
        return int(n) if n is not None else 0
    except (TypeError, ValueError):
        return 0


def _pane_of(row: Mapping[str, Any], plane: str = "acquired") -> Pane:
    return Pane(str(row["study_key"]), str(row["series_key"]), plane)


def _apply(rule: HangingRule, study: Mapping[str, Any], rows: list[dict]) -> Hanging | None:
    """*rule*'s hanging of one study, or None when the rule does not fit it."""
    if not rows or not _study_fits(rule, study, rows):
        return None
    pool = tuple(_pane_of(r) for r in rows)
    if rule.hang == "mpr":
        modality = rule.match.get("modality")
        least = rule.match.get("min_images", 0)
        for row in rows:
            row_modality = str(_get(row, "Modality") or _get(study, "modality") or "").upper()
            if (not modality or row_modality in modality) and _images(row) >= max(least, 2):
                panes = tuple(_pane_of(row, p) for p in ("axial", "coronal", "sagittal"))
                return Hanging(rule.name, rule.text, Layout.MPR, panes, pool)
        return None
    chosen: list[Pane] = []
    used: set[str] = set()
    for pane_rule in rule.panes:
        found = next(
            (r for r in rows if str(r["series_key"]) not in used and _pane_fits(pane_rule, r)),
            None,
        )
        if found is None:
            if pane_rule.optional:
                continue
            return None
        used.add(str(found["series_key"]))
        chosen.append(_pane_of(found))
    layout = rule.layout
    return Hanging(rule.name, rule.text, layout, tuple(chosen), pool)


def hang(
    studies: pd.DataFrame,
    series: pd.DataFrame,
    *,
    rules: Sequence[HangingRule] | None = None,
) -> list[Hanging]:
    """How the case notebook hangs each study with original images.

    Parameters
    ----------
    studies, series : pandas.DataFrame
        The case tables (``case.studies``, ``case.series``).
    rules : sequence of HangingRule, optional
        Default: :func:`rules_in_use` (the built-in file and a site's).

    Returns
    -------
    list of Hanging
        Each study in exactly one hanging (a prior/current pair in one), ordered by
        the date of the hanging's latest study; studies without series are left out.
    """
    rules = rules_in_use() if rules is None else tuple(rules)
    studies = studies.copy()
    for column, default in _STUDY_DEFAULTS.items():  # tolerant of thin tables
        if column not in studies:
            studies[column] = default
    with_series = set(series["study_key"].astype(str)) if len(series) else set()
    usable = studies[studies["study_key"].astype(str).isin(with_series)]
    if "source" in usable:
        usable = usable[usable["source"].fillna("dicom") == "dicom"]
    records = {str(r["study_key"]): r for r in usable.to_dict("records")}
    order = {
        key: pos
        for pos, key in enumerate(
            usable.sort_values("date", kind="stable")["study_key"].astype(str)
        )
    }
    out: list[Hanging] = []
    done: set[str] = set()
    for rule in rules:
        if rule.hang != "compare":
            continue
        for prior, current in comparison_pairs(usable):
            if prior in done or current in done:
                continue
            panes = []
            pool: list[Pane] = []
            for key in (prior, current):
                rows = _series_rows(series, key, rule.order)
                panes.append(_pane_of(rows[0]))
                pool += [_pane_of(r) for r in rows]
            out.append(
                Hanging(
                    rule.name,
                    rule.text,
                    Layout.SIDE_BY_SIDE,
                    tuple(panes),
                    tuple(pool),
                    linked=True,
                )
            )
            done |= {prior, current}
    for key in order:
        if key in done:
            continue
        for rule in rules:
            if rule.hang == "compare":
                continue
            found = _apply(rule, records[key], _series_rows(series, key, rule.order))
            if found is not None:
                out.append(found)
                done.add(key)
                break
        else:  # a site's rules that leave a study out: it still gets a viewer
            every = tuple(_pane_of(r) for r in _series_rows(series, key, ()))
            out.append(Hanging("fallback", "", Layout.ONE, every[:1], every))
    return sorted(out, key=lambda h: max(order.get(k, 0) for k in h.study_keys))
