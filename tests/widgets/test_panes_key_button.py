"""The ★ button of a comparison and of a layout: one key image of every pane, from the page.

Clicked through ipywidgets' own ``Button.click`` (what a click in the browser runs in the
kernel); what it made is read back from the workspace's key-image list and from the
export's figures, the files the page is made from.
"""

from __future__ import annotations

import pytest

import workbench
from workbench.export.patient_images import patient_figures
from workbench.view.comparison import pick_comparison_pairs
from workbench.view.key_images import read_key_images, toolbar_outputs
from workbench.widgets.compare import CompareViewer
from workbench.widgets.layout_viewer import LayoutViewer


@pytest.fixture
def knee(tmp_path):
    return workbench.open_case(workbench.samples.path("knee_oa_right"), workspace=tmp_path / "ws")


def _chips(button) -> list[str]:
    return [chip.children[0].value for chip in button.made.children]


def test_a_comparison_key_image_from_its_button_reaches_the_export(knee):
    prior, current = pick_comparison_pairs(knee)[0]
    compare = CompareViewer(knee, prior, current)
    keys = compare.key_button
    assert _chips(keys) == []
    keys.caption.value = "Standing AP, 2023 against 2024"
    keys.button.click()
    keys.caption.value = "made by mistake"
    keys.button.click()
    assert [c.split(" ", 1)[1] for c in _chips(keys)] == [
        "Standing AP, 2023 against 2024",
        "made by mistake",
    ]
    (first, _mistake) = toolbar_outputs(knee.workspace)
    record = first["metadata"]["workbench"]
    assert len(record["panes"]) == 2 and record["made_in"] == f"compare:{prior}|{current}"
    # the pane viewers' own lists do not show it (it is of both)
    assert compare.a.canvas.key_images == [] and compare.b.canvas.key_images == []
    # × on the second chip takes it back
    keys.made.children[1].children[1].click()
    assert [c.split(" ", 1)[1] for c in _chips(keys)] == ["Standing AP, 2023 against 2024"]
    assert "taken back" in keys.status.value
    (output,) = toolbar_outputs(knee.workspace)
    (figure,) = patient_figures([{"outputs": [output]}], knee, "en")
    assert figure["caption"] == "Standing AP, 2023 against 2024"
    assert list(read_key_images(knee.workspace)["caption"]) == ["Standing AP, 2023 against 2024"]
    # the same comparison opened again lists what is left
    again = CompareViewer(knee, prior, current)
    assert len(_chips(again.key_button)) == 1


def test_a_layout_key_image_from_its_button(knee):
    dx = knee.series[knee.series["Modality"] == "DX"]
    panes = [(str(r.study_key), str(r.series_key)) for r in dx.itertuples()][:2]
    layout = LayoutViewer(knee, layout="1x2", panes=panes, name="films")
    layout.key_button.caption.value = "Both standing films"
    layout.key_button.button.click()
    (output,) = toolbar_outputs(knee.workspace)
    record = output["metadata"]["workbench"]
    assert record["made_in"] == "layout:films" and record["viewer"] == "films"
    assert record["caption"] == "Both standing films" and len(record["panes"]) == 2
    assert len(_chips(layout.key_button)) == 1
    # a failure is said beside the button, never raised into the page
    layout.key_button._snapshot = lambda caption, extra: (_ for _ in ()).throw(
        ValueError("no image on screen")
    )
    assert layout.key_button.make() is None
    assert "no image on screen" in layout.key_button.status.value
