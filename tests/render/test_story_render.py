"""The pain map and the outcome scores, drawn statically (they survive export)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from workbench.i18n import BODY_REGIONS
from workbench.record.manifest import parse_manifest
from workbench.record.timeline import build_timeline
from workbench.render.body_map import KIND_COLOURS, body_map_svg, plot_pain_map, shapes
from workbench.render.timeline_plot import plot_timeline

MARKS = """\
pain_map:
  - {region: knee_medial, side: left, kind: pain}
  - {region: lower_back, kind: numbness}
scores:
  - {instrument: pain_nrs, date: 2024-01-10, answers: {nrs: 8}}
  - {instrument: pain_nrs, date: 2024-06-10, answers: {nrs: 3}}
"""


def _rgb(fig) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3]


def test_every_region_is_drawn_and_in_the_shipped_svg():
    drawn = {s.region for s in shapes()}
    assert drawn == set(BODY_REGIONS)
    for region, (_, _, paired, _, _) in BODY_REGIONS.items():
        sides = {s.side for s in shapes() if s.region == region}
        assert sides == ({"left", "right"} if paired else {None}), region
    from importlib.resources import files

    shipped = files("workbench.widgets").joinpath("static/body_outline.svg").read_text()
    assert shipped == body_map_svg()  # regenerate with body_map_svg() after a change


def test_marked_regions_are_filled_with_their_kind_colour():
    m = parse_manifest(MARKS)
    pixels = _rgb(plot_pain_map(m.pain_map)).reshape(-1, 3)
    for kind in ("pain", "numbness"):
        rgb = np.array([int(KIND_COLOURS[kind][i : i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels.astype(int) - rgb).sum(axis=1) < 10).sum() > 20, kind
    tingling = np.array([int(KIND_COLOURS["tingling"][i : i + 2], 16) for i in (1, 3, 5)])
    drawn = (np.abs(pixels.astype(int) - tingling).sum(axis=1) < 10).sum()
    assert drawn == 0  # no tingling marked, none drawn


def test_timeline_plot_gains_a_score_panel():
    m = parse_manifest(MARKS)
    empty = pd.DataFrame(columns=["study_key", "date", "modality", "body_part", "side"])
    studies = empty.assign(source=[], weight_bearing=[], description=[])
    documents = pd.DataFrame(columns=["path", "doc_type", "date", "side", "title"])
    case = SimpleNamespace(manifest=m, timeline=build_timeline(m, studies, documents))
    fig = plot_timeline(case)
    assert len(fig.axes) == 2
    line = fig.axes[1].get_lines()[0]
    assert list(line.get_ydata()) == [8.0, 3.0]
    assert (
        len(
            plot_timeline(
                SimpleNamespace(manifest=parse_manifest(""), timeline=case.timeline.iloc[:0])
            ).axes
        )
        == 1
    )
