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

>>> import workbench, tempfile
>>> case = workbench.open_case(workbench.samples.path("knee_oa_right"),
...                            workspace=tempfile.mkdtemp())
>>> [h.rule for h in hang(case.studies, case.series)]
['prior_current', 'one_study']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from workbench.errors import HangingRulesError
from workbench.view.comparison import comparison_pairs
from workbench.view.layout import PANE_COUNT, Layout, Pane, parse_layout

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

BUILTIN_RULES = Path(__file__).with_name("hanging_rules.json")
#: A site's own rules file (JSON or YAML).
ENV_VAR = "WORKBENCH_HANGING_RULES"
_HANGS = ("compare", "mpr", "series")
_RULE_KEYS = {"name", "text", "hang", "layout", "match", "panes", "order"}
_MATCH_KEYS = {"modality", "body_part", "side", "min_series", "min_images"}
_PANE_KEYS = {"view", "weight_bearing", "description", "optional"}
_ORDERS = ("weight_bearing", "series_number")
_WORD = re.compile(r"[A-Z0-9]+")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class PaneRule:
    """The conditions one pane puts on its series (empty: any series)."""

    view: tuple[str, ...] = ()
    weight_bearing: bool | str | None = "any"  # "any": no condition
    description: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class HangingRule:
    """One validated rule of a hanging rules file."""

    name: str
    text: str
    hang: str
    layout: Layout
    match: Mapping[str, Any] = field(default_factory=dict)
    panes: tuple[PaneRule, ...] = ()
    order: tuple[str, ...] = ()
    source: str = ""


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


# --- reading and validating --------------------------------------------------------------


def _fail(source: str, where: str, problem: str, fix: str) -> HangingRulesError:
    return HangingRulesError(f"Hanging rules '{source}', {where}: {problem}; {fix}.")


def _words(value: Any, source: str, where: str, *, upper: bool) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
        raise _fail(source, where, f"{value!r} is not a list of text", 'write e.g. ["AP", "PA"]')
    out = tuple(" ".join(v.split()) for v in items if v.strip())
    return tuple(v.upper() if upper else v.lower() for v in out)


def _count(value: Any, source: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(source, where, f"{value!r} is not a whole number ≥ 0", "write e.g. 3")
    return int(value)


def _unknown(keys: Iterable[str], allowed: set[str], source: str, where: str) -> None:
    extra = sorted(set(keys) - allowed)
    if extra:
        raise _fail(source, where, f"unknown key {extra[0]!r}", f"use {', '.join(sorted(allowed))}")


def _pane(raw: Any, source: str, where: str) -> PaneRule:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise _fail(source, where, f"{raw!r} is not a mapping", 'write {"view": ["AP"]} or {}')
    _unknown(raw, _PANE_KEYS, source, where)
    wb: bool | str | None = "any"
    if "weight_bearing" in raw:
        wb = raw["weight_bearing"]
        if wb not in (True, False, None):
            raise _fail(
                source,
                f"{where}.weight_bearing",
                f"{wb!r} is not true, false or null",
                "write true (standing), false (supine) or null (unknown)",
            )
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise _fail(
            source, f"{where}.optional", f"{optional!r} is not true or false", "write true or false"
        )
    return PaneRule(
        view=_words(raw.get("view", []), source, f"{where}.view", upper=True),
        weight_bearing=wb,
        description=_words(raw.get("description", []), source, f"{where}.description", upper=True),
        optional=optional,
    )


def _rule(raw: Any, source: str, k: int) -> HangingRule:
    where = f"rule {k + 1}"
    if not isinstance(raw, Mapping):
        raise _fail(source, where, f"{raw!r} is not a mapping", "give each rule name, hang, layout")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _fail(source, where, f"name {name!r} is missing or empty", "give the rule a name")
    where = f"rule {k + 1} ({name.strip()!r})"
    if not _NAME.fullmatch(name.strip()):
        raise _fail(
            source,
            where,
            f"name {name.strip()!r} has characters other than letters, digits, '_', '-' and '.'",
            "write e.g. 'knee_ap_lateral'",
        )
    _unknown(raw, _RULE_KEYS, source, where)
    hang_kind = str(raw.get("hang", "series")).strip().lower()
    if hang_kind not in _HANGS:
        raise _fail(
            source,
            f"{where}.hang",
            f"{raw.get('hang')!r} is not a kind of hanging",
            f"use one of {', '.join(_HANGS)}",
        )
    try:
        layout = parse_layout(raw.get("layout", "1x1"))
    except ValueError as exc:
        raise _fail(source, f"{where}.layout", str(exc).rstrip("."), "fix the layout") from exc
    match = raw.get("match") or {}
    if not isinstance(match, Mapping):
        raise _fail(
            source,
            f"{where}.match",
            f"{match!r} is not a mapping",
            'write e.g. {"modality": ["CT"]}',
        )
    _unknown(match, _MATCH_KEYS, source, f"{where}.match")
    clean: dict[str, Any] = {}
    for key, value in match.items():
        at = f"{where}.match.{key}"
        if key.startswith("min_"):
            clean[key] = _count(value, source, at)
        else:
            clean[key] = _words(value, source, at, upper=key == "modality")
    panes = raw.get("panes")
    if panes is None:
        panes = [{}] * PANE_COUNT[layout] if hang_kind == "series" else []
    if not isinstance(panes, list):
        raise _fail(source, f"{where}.panes", f"{panes!r} is not a list", "write [{}, {}]")
    pane_rules = tuple(_pane(p, source, f"{where}.panes[{i}]") for i, p in enumerate(panes))
    if hang_kind == "series" and len(pane_rules) != PANE_COUNT[layout]:
        raise _fail(
            source,
            f"{where}.panes",
            f"{len(pane_rules)} panes for layout {layout}",
            f"give {PANE_COUNT[layout]} (one per pane)",
        )
    if hang_kind == "series" and all(p.optional for p in pane_rules):
        raise _fail(
            source, f"{where}.panes", "every pane is optional", "make at least one pane required"
        )
    if hang_kind == "mpr" and layout != Layout.MPR:
        raise _fail(source, f"{where}.layout", f"{layout} for an mpr hanging", 'write "mpr"')
    if hang_kind == "compare" and layout != Layout.SIDE_BY_SIDE:
        raise _fail(source, f"{where}.layout", f"{layout} for a compare hanging", 'write "1x2"')
    order = raw.get("order") or []
    order_t = _words(order, source, f"{where}.order", upper=False)
    for o in order_t:
        if o not in _ORDERS:
            raise _fail(
                source, f"{where}.order", f"{o!r} is not an order", f"use {', '.join(_ORDERS)}"
            )
    text = raw.get("text", "")
    return HangingRule(
        name=name.strip(),
        text=str(text or ""),
        hang=hang_kind,
        layout=layout,
        match=clean,
        panes=pane_rules,
        order=order_t,
        source=source,
    )


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HangingRulesError(
            f"Hanging rules '{path}' cannot be read ({exc.strerror or exc}); check the path "
            f"(set by {ENV_VAR} for a site's rules)."
        ) from exc
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml.safe_load(text)
        return json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = getattr(exc, "lineno", None) or getattr(
            getattr(exc, "problem_mark", None), "line", None
        )
        where = f" near line {line}" if line else ""
        raise HangingRulesError(
            f"Hanging rules '{path}' is not valid {path.suffix.lstrip('.').upper() or 'JSON'}"
            f"{where}: {exc}; fix the syntax."
        ) from exc


def load_rules(path: str | Path) -> tuple[tuple[HangingRule, ...], bool]:
    """The rules of one file, validated, and whether they replace the built-in ones."""
    path = Path(path)
    data = _read(path)
    source = str(path)
    if isinstance(data, list):
        data = {"rules": data}
    if not isinstance(data, Mapping):
        raise _fail(
            source,
            "top level",
            f"{type(data).__name__} instead of a mapping",
            'write {"version": 1, "rules": [...]}',
        )
    _unknown(data, {"version", "about", "rules", "replace"}, source, "top level")
    version = data.get("version", 1)
    if version != 1:
        raise _fail(source, "version", f"{version!r} is not supported", "write 1")
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise _fail(source, "rules", f"{rules!r} is not a list of rules", "give at least one rule")
    parsed = tuple(_rule(r, source, k) for k, r in enumerate(rules))
    names = [r.name for r in parsed]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise _fail(source, f"rule {dup!r}", "the name is used twice", "give each rule its own")
    replace = data.get("replace", False)
    if not isinstance(replace, bool):
        raise _fail(source, "replace", f"{replace!r} is not true or false", "write true or false")
    return parsed, replace


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> tuple[tuple[HangingRule, ...], bool]:
    return load_rules(path)


def rules_in_use(extra: str | Path | None = None) -> tuple[HangingRule, ...]:
    """The rules in force: a site's file (*extra*, else ``$WORKBENCH_HANGING_RULES``) first."""
    site = extra if extra is not None else os.environ.get(ENV_VAR) or None
    builtin, _ = _cached(str(BUILTIN_RULES), BUILTIN_RULES.stat().st_mtime)
    if not site:
        return builtin
    path = Path(site)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = -1.0  # load_rules reports the unreadable file
    own, replace = _cached(str(path), mtime) if mtime >= 0 else load_rules(path)
    return own if replace else own + builtin


# --- applying ----------------------------------------------------------------------------


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
