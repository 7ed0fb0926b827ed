"""A key image's record gives back the view it showed: plane, slice, window, framing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from imaging_builders import ct_stack, only_series, open_folder

from workbench.view.replay import record_view, view_from_record
from workbench.view.state import pan_by, rotate_by, set_plane, set_window, toggle_invert, zoom_by


@pytest.fixture(scope="module")
def volume(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("replay")
    ct_stack(root / "ct", n=12)
    case = open_folder(root / "ct", root / "ws")
    return case.load_series(only_series(case))


def _record(state) -> dict:
    return {"index": state.index, "plane": state.plane,
            "window": [state.center, state.width], "view": record_view(state)}  # fmt: skip


def test_a_zoomed_rotated_view_comes_back_as_it_was(volume) -> None:
    from workbench.view.state import initial_state

    state = zoom_by(initial_state(volume, index=4), 3.0)
    state = pan_by(state, 0.2, -0.15)
    state = toggle_invert(rotate_by(set_window(state, 300.0, 1500.0), 1))
    back = view_from_record(volume, _record(state))
    assert back == state


def test_a_reformatted_plane_is_drawn_on_that_plane(volume) -> None:
    from workbench.view.slice_view import slice_count
    from workbench.view.state import initial_state

    n = slice_count(volume, "coronal")
    state = set_plane(initial_state(volume), "coronal", n // 2)
    back = view_from_record(volume, _record(state))
    assert (back.plane, back.index) == ("coronal", n // 2)


def test_old_records_show_the_whole_image(volume) -> None:
    back = view_from_record(volume, {"index": 3, "window": [40, 400]})
    assert (back.index, back.zoom, back.pan, back.plane) == (3, 1.0, (0.0, 0.0), "acquired")
    assert (back.center, back.width) == (40.0, 400.0)


@pytest.mark.parametrize(
    "record",
    [
        {
            "index": 10**9,
            "plane": "oblique",
            "window": ["x", None],
            "view": {"zoom": 1e9, "pan": [float("nan"), 7], "rotate": "90", "invert": "yes"},
        },
        {"index": -5, "view": {"zoom": -2, "pan": "centre", "rotate": 45.0, "flip_h": 1}},
        {"index": True, "window": [1, 2, 3], "view": ["not", "a", "mapping"]},
    ],
)
def test_edited_records_are_clamped_not_trusted(volume, record) -> None:
    back = view_from_record(volume, record)
    assert 0 <= back.index < volume.n_frames and back.plane == "acquired"
    assert 1.0 <= back.zoom <= 32.0 and all(np.isfinite(back.pan))
    assert abs(back.pan[0]) <= 0.5 and abs(back.pan[1]) <= 0.5
    assert back.rotate in (0, 90, 180, 270)
    assert back.invert is False and back.flip_h is False


def test_the_patient_image_shows_the_framed_region(tmp_path: Path) -> None:
    """Export: a key image taken zoomed on one corner is drawn zoomed for the patient."""
    from matplotlib.figure import Figure

    from workbench.export.patient_images import _draw
    from workbench.render.figures import figure_png

    ct_stack(tmp_path / "ct", n=3)
    case = open_folder(tmp_path / "ct", tmp_path / "ws")
    key = only_series(case)
    volume = case.load_series(key)

    def pixels(view: dict | None) -> np.ndarray:
        pane = {"series_key": key, "index": 1, "window": [0, 200]}
        if view is not None:
            pane["view"] = view
        fig = Figure(figsize=(2, 2), dpi=100)
        _draw(case, pane, [], fig.add_axes((0, 0, 1, 1)))
        from io import BytesIO

        from PIL import Image

        return np.asarray(Image.open(BytesIO(figure_png(fig))).convert("L"), dtype=float)

    whole = pixels(None)
    # the corner block (8 x 8 of 128 x 128, value 0) fills the view at zoom 16 at the corner
    corner = view_from_record(volume, {"index": 1, "view": {"zoom": 16, "pan": [-0.5, -0.5]}})
    zoomed = pixels(record_view(corner))
    assert zoomed.mean() < whole.mean() - 30  # mostly the dark corner block now


def test_a_plane_the_series_cannot_be_cut_in_falls_back_to_the_image(tmp_path: Path) -> None:
    from imaging_builders import projection

    projection(tmp_path / "dx" / "knee.dcm")
    case = open_folder(tmp_path / "dx", tmp_path / "ws")
    film = case.load_series(only_series(case))
    back = view_from_record(film, {"index": 0, "plane": "coronal", "window": [2048, 4096]})
    assert (back.plane, back.index, back.center, back.width) == ("acquired", 0, 2048.0, 4096.0)
