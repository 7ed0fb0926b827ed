"""The layout switch as a pure transition: panes kept, filled, restored after the MPR."""

from __future__ import annotations

import pytest

from workbench.view.layout import (
    Layout,
    LayoutState,
    Pane,
    initial_layout,
    parse_layout,
    switch_layout,
)

A, B, C = Pane("st-1", "se-a"), Pane("st-1", "se-b"), Pane("st-2", "se-c")
POOL = (A, B, C)


def _keys(state: LayoutState) -> list[str]:
    return [p.series_key for p in state.panes]


def test_more_panes_fill_from_the_pool_fewer_keep_the_first():
    one = LayoutState(Layout.ONE, (B,), pool=POOL)
    four = switch_layout(one, "2x2")
    assert four.layout == Layout.FOUR and _keys(four) == ["se-b", "se-a", "se-c", "se-b"]
    assert _keys(switch_layout(four, "1x2")) == ["se-b", "se-a"]
    assert _keys(switch_layout(four, Layout.ONE)) == ["se-b"]
    assert switch_layout(four, "2x2") is four


def test_mpr_takes_the_first_reformattable_series_and_gives_the_grid_back():
    side = LayoutState(Layout.SIDE_BY_SIDE, (A, C), pool=POOL)
    mpr = switch_layout(side, "mpr", reformattable=lambda key: key == "se-c")
    assert [(p.series_key, p.plane) for p in mpr.panes] == [
        ("se-c", "axial"),
        ("se-c", "coronal"),
        ("se-c", "sagittal"),
    ]
    back = switch_layout(mpr, "1x2")
    assert back.panes == side.panes and back.layout == Layout.SIDE_BY_SIDE
    assert _keys(switch_layout(mpr, "1x1")) == ["se-a"]
    assert all(p.plane == "acquired" for p in switch_layout(mpr, "2x2").panes)


def test_mpr_refused_without_a_volume():
    side = LayoutState(Layout.SIDE_BY_SIDE, (A, B), pool=(A, B))
    with pytest.raises(ValueError, match="No series of this layout can be shown in MPR"):
        switch_layout(side, "mpr", reformattable=lambda key: False)


def test_initial_layouts_and_names():
    assert _keys(initial_layout("1x2", (C,), POOL)) == ["se-c", "se-a"]
    assert initial_layout("MPR", (C,)).layout == Layout.MPR
    assert parse_layout("2×2") == Layout.FOUR and parse_layout(" 1 X 2 ") == Layout.SIDE_BY_SIDE
    with pytest.raises(ValueError, match=r"Unknown layout '3x1'; use one of '1x1', '1x2'"):
        parse_layout("3x1")
