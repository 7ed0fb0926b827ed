"""Viewer state: pure transitions and applying the view to pixels, without a kernel."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from imaging_builders import ct_stack, only_series, open_folder

from workbench.imaging.volume import load_series
from workbench.imaging.windowing import auto_window
from workbench.view.state import (
    ViewState,
    apply_preset,
    apply_view,
    crop_box,
    display_to_image,
    flip,
    initial_state,
    orient,
    pan_by,
    reset,
    rotate_by,
    scroll,
    set_plane,
    set_window,
    toggle_invert,
    view_labels,
    zoom_by,
)

IMAGE = np.arange(6 * 8, dtype=np.uint8).reshape(6, 8)
STATE = ViewState("se-1", index=3, center=40.0, width=400.0)


def test_state_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        STATE.index = 4  # type: ignore[misc]


def test_scroll_clamps():
    assert scroll(STATE, 2, 10).index == 5
    assert scroll(STATE, -10, 10).index == 0
    assert scroll(STATE, 100, 10).index == 9
    assert STATE.index == 3  # unchanged: transitions return new states


def test_window_and_presets():
    assert set_window(STATE, 300, 0).width == 1.0
    assert (apply_preset(STATE, "ct_lung").center, apply_preset(STATE, "ct_lung").width) == (
        -600.0,
        1500.0,
    )
    with pytest.raises(KeyError, match="known: ct_bone"):
        apply_preset(STATE, "nope")
    with pytest.raises(ValueError, match="needs the volume"):
        apply_preset(STATE, "auto")


def test_zoom_and_pan_stay_inside():
    zoomed = zoom_by(STATE, 4)
    assert zoomed.zoom == 4
    assert zoom_by(STATE, 0.1).zoom == 1.0 and zoom_by(zoomed, 100).zoom == 32.0
    panned = pan_by(zoomed, 1.0, -1.0)
    assert panned.pan == (0.375, -0.375)
    assert zoom_by(panned, 0.25).pan == (0.0, 0.0)


def test_apply_view_identity_and_invert():
    np.testing.assert_array_equal(apply_view(IMAGE, STATE), IMAGE)
    np.testing.assert_array_equal(apply_view(IMAGE, toggle_invert(STATE)), 255 - IMAGE)


def test_rotation_and_flips():
    np.testing.assert_array_equal(apply_view(IMAGE, rotate_by(STATE, 1)), np.rot90(IMAGE, -1))
    np.testing.assert_array_equal(apply_view(IMAGE, rotate_by(STATE, -1)), np.rot90(IMAGE, 1))
    np.testing.assert_array_equal(apply_view(IMAGE, flip(STATE)), IMAGE[:, ::-1])
    np.testing.assert_array_equal(apply_view(IMAGE, flip(STATE, horizontal=False)), IMAGE[::-1])
    assert rotate_by(STATE, 5).rotate == 90


def test_zoom_crop():
    zoomed = zoom_by(STATE, 2)
    np.testing.assert_array_equal(apply_view(IMAGE, zoomed), IMAGE[2:5, 2:6])  # 1.5 rounds up
    corner = pan_by(zoomed, -1, -1)
    np.testing.assert_array_equal(apply_view(IMAGE, corner), IMAGE[0:3, 0:4])


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
@pytest.mark.parametrize("flips", [(False, False), (True, False), (False, True), (True, True)])
def test_crop_box_and_click_mapping_agree_with_apply_view(turns, flips):
    image = np.arange(30 * 40, dtype=np.int32).reshape(30, 40)
    state = dataclasses.replace(
        pan_by(zoom_by(rotate_by(STATE, turns), 3), 0.2, -0.1), flip_h=flips[0], flip_v=flips[1]
    )
    shown = apply_view(image, state)
    r0, r1, c0, c1 = crop_box(state, image.shape)
    np.testing.assert_array_equal(orient(image[r0:r1, c0:c1], state), shown)
    for point in [(0, 0), (shown.shape[0] - 1, 2), (3, shown.shape[1] - 1)]:
        r, c = display_to_image(point, state, image.shape)
        assert image[int(r), int(c)] == shown[point]


def test_view_labels_follow_rotation_and_flips():
    axial = {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert view_labels(axial, rotate_by(STATE, 1)) == {
        "top": "R", "right": "A", "bottom": "L", "left": "P",
    }  # fmt: skip
    assert view_labels(axial, flip(STATE, horizontal=False))["top"] == "P"


def test_plane_switch_resets_zoom():
    state = set_plane(zoom_by(STATE, 2), "coronal", 64)
    assert (state.plane, state.index, state.zoom) == ("coronal", 64, 1.0)
    with pytest.raises(ValueError, match="Unknown plane"):
        set_plane(STATE, "oblique")


def test_initial_state_and_reset(tmp_path, workspace):
    ct_stack(tmp_path / "case", 5)
    case = open_folder(tmp_path / "case", workspace)
    volume = load_series(case, only_series(case))
    state = initial_state(volume)
    assert state.index == 2 and state.series_key == volume.series_key
    messy = rotate_by(zoom_by(set_window(scroll(state, 1, 5), 1, 2), 3), 1)
    back = reset(messy, volume)
    assert (back.index, back.zoom, back.rotate) == (3, 1.0, 0)
    assert (back.center, back.width) == auto_window(volume, 3)
    assert apply_preset(state, "auto", volume).width == state.width
