"""Hanging rules files: reading them tolerantly, validating them strictly (core).

The built-in rules are ``view/hanging_rules.json``; a site's own file (JSON or YAML) is
named by ``WORKBENCH_HANGING_RULES``. The rule format is described in
:mod:`workbench.view.hanging`, which applies the rules to a case's tables. Every problem
raises :class:`~workbench.errors.HangingRulesError` naming the file, the rule, the value
and the fix.

>>> rules, replace = load_rules(BUILTIN_RULES)
>>> rules[0].name, rules[0].layout.value, replace
('prior_current', '1x2', False)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import HangingRulesError
from workbench.view.layout import PANE_COUNT, Layout, parse_layout

__all__ = ["BUILTIN_RULES", "ENV_VAR", "HangingRule", "PaneRule", "load_rules", "rules_in_use"]

BUILTIN_RULES = Path(__file__).with_name("hanging_rules.json")
#: A site's own rules file (JSON or YAML).
ENV_VAR = "WORKBENCH_HANGING_RULES"
_HANGS = ("compare", "mpr", "series")
_RULE_KEYS = {"name", "text", "hang", "layout", "match", "panes", "order"}
_MATCH_KEYS = {"modality", "body_part", "side", "min_series", "min_images"}
_PANE_KEYS = {"view", "weight_bearing", "description", "optional"}
_ORDERS = ("weight_bearing", "series_number")
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
