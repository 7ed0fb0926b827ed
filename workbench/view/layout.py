"""Layouts of viewports as plain data: 1×1, 1×2, 2×2 and the three-pane MPR (core).

A :class:`LayoutState` says which layout is on screen and which series each pane shows;
:func:`switch_layout` is the toolbar's transition. The panes of the grid layouts are
kept while the MPR is shown, so switching back restores them; switching to a layout
with more panes fills the new ones from the hanging's other series (``pool``).

>>> a, b = Pane("st-1", "se-1"), Pane("st-1", "se-2")
>>> state = LayoutState(Layout.ONE, (a,), pool=(a, b))
>>> [p.series_key for p in switch_layout(state, "1x2").panes]
['se-1', 'se-2']
>>> [p.plane for p in switch_layout(state, "mpr").panes]
['axial', 'coronal', 'sagittal']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from workbench.imaging.mpr import PLANES

__all__ = [
    "GRID",
    "PANE_COUNT",
    "Layout",
    "LayoutState",
    "Pane",
    "initial_layout",
    "parse_layout",
    "switch_layout",
]


class Layout(StrEnum):
    """The layouts of the toolbar."""

    ONE = "1x1"
    SIDE_BY_SIDE = "1x2"
    FOUR = "2x2"
    MPR = "mpr"


#: Panes of each layout.
PANE_COUNT = {Layout.ONE: 1, Layout.SIDE_BY_SIDE: 2, Layout.FOUR: 4, Layout.MPR: 3}
#: (rows, columns) of each layout's grid.
GRID = {Layout.ONE: (1, 1), Layout.SIDE_BY_SIDE: (1, 2), Layout.FOUR: (2, 2), Layout.MPR: (1, 3)}


def parse_layout(value: object) -> Layout:
    """*value* as a :class:`Layout` (``"1x2"``, ``"1×2"``, ``"MPR"`` ...).

    Raises
    ------
    ValueError
        Not a layout; the message lists the layouts.
    """
    text = str(value).strip().lower().replace("×", "x").replace(" ", "")
    try:
        return Layout(text)
    except ValueError:
        names = ", ".join(repr(str(v)) for v in Layout)
        raise ValueError(f"Unknown layout {value!r}; use one of {names}.") from None


@dataclass(frozen=True)
class Pane:
    """What one pane shows: a series of a study, in its acquired plane or a reformat."""

    study_key: str
    series_key: str
    plane: str = "acquired"


@dataclass(frozen=True)
class LayoutState:
    """The layout on screen and its panes.

    Attributes
    ----------
    layout : Layout
    panes : tuple of Pane
        One per pane of the layout, in reading order (left to right, top to bottom).
    pool : tuple of Pane
        The series the hanging offers, in its order: new panes are filled from here.
    grid : tuple of Pane
        The grid layout's panes while the MPR is shown (restored when leaving it).
    """

    layout: Layout
    panes: tuple[Pane, ...]
    pool: tuple[Pane, ...] = ()
    grid: tuple[Pane, ...] = ()


def _fill(shown: tuple[Pane, ...], pool: tuple[Pane, ...], n: int) -> tuple[Pane, ...]:
    """*n* panes: those shown first, then the pool's other series, then repeats."""
    out = [replace(p, plane="acquired") for p in shown][:n]
    for p in pool:
        if len(out) >= n:
            break
        if all(q.series_key != p.series_key for q in out):
            out.append(replace(p, plane="acquired"))
    while out and len(out) < n:  # fewer series than panes: show the first again
        out.append(out[len(out) % max(1, len(out))])
    return tuple(out)


def switch_layout(
    state: LayoutState,
    layout: Layout | str,
    *,
    reformattable: Callable[[str], bool] | None = None,
) -> LayoutState:
    """The toolbar's layout switch.

    To the MPR: the three planes of the first series that *reformattable* accepts (every
    series when it is None) among those shown, then the other series of their studies.
    From the MPR: the grid panes shown before it.

    Raises
    ------
    ValueError
        An unknown layout, or the MPR when no shown series can be reformatted (the
        message says why and what to do).
    """
    target = parse_layout(layout)
    if target == state.layout:
        return state
    if target == Layout.MPR:
        studies = {p.study_key for p in state.panes}
        same = [p for p in state.pool if p.study_key in studies]  # not another study's
        candidates = [p for p in (*state.panes, *same) if p.plane == "acquired"]
        ok = reformattable or (lambda _key: True)
        chosen = next((p for p in candidates if ok(p.series_key)), None)
        if chosen is None:
            raise ValueError(
                "No series of this layout can be shown in MPR (it needs a CT or MR stack of "
                "evenly spaced parallel slices); pick such a series first."
            )
        planes = tuple(Pane(chosen.study_key, chosen.series_key, plane) for plane in PLANES)
        grid = state.panes if state.layout != Layout.MPR else state.grid
        return LayoutState(Layout.MPR, planes, pool=state.pool, grid=grid)
    shown = state.grid if state.layout == Layout.MPR and state.grid else state.panes
    if state.layout == Layout.MPR and not state.grid:
        shown = state.panes[:1]
    return LayoutState(target, _fill(shown, state.pool, PANE_COUNT[target]), pool=state.pool)


def initial_layout(
    layout: Layout | str,
    panes: tuple[Pane, ...],
    pool: tuple[Pane, ...] = (),
    *,
    reformattable: Callable[[str], bool] | None = None,
) -> LayoutState:
    """The state of a layout opened on *panes* (filled from *pool* when there are fewer).

    Raises
    ------
    ValueError
        As :func:`switch_layout` (an MPR of nothing that can be reformatted).
    """
    target = parse_layout(layout)
    pool = pool or panes
    if target == Layout.MPR:
        return switch_layout(
            LayoutState(Layout.ONE, panes[:1], pool), target, reformattable=reformattable
        )
    return LayoutState(target, _fill(panes, pool, PANE_COUNT[target]), pool=pool)
