"""LayoutViewer without a kernel: panes, labels, the toolbar switch and the linked crosshair.

Browser messages are fed to the panes' canvases as the front end sends them (a ``point``
message of the crosshair tool); what goes back is read from the canvas traits.
"""

from __future__ import annotations

import pytest
from imaging_builders import ct_stack, only_series, open_folder

import workbench
from workbench.imaging import mpr
from workbench.view.hanging import hang
from workbench.widgets.layout_viewer import LayoutViewer


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    case = workbench.open_case(
        workbench.samples.path("messy_upload"), workspace=tmp_path_factory.mktemp("messy")
    )
    return case, {h.rule: h for h in hang(case.studies, case.series)}


@pytest.fixture
def ct(tmp_path, workspace):
    """Ten 3 mm axial slices of CT_small (0.66 mm pixels): a non-isotropic volume."""
    ct_stack(tmp_path / "case", 10, spacing=3.0)
    case = open_folder(tmp_path / "case", workspace)
    return case, only_series(case)


def test_ap_lateral_in_two_labelled_panes(messy):
    case, rules = messy
    viewer = LayoutViewer.from_hanging(case, rules["ap_lateral"], name="dx")
    assert viewer.current_layout == "1x2" and len(viewer.panes) == 2
    assert [p.series.value for p in viewer.panes] == [
        p.series_key for p in rules["ap_lateral"].panes
    ]
    # the sample's lateral film cannot be decoded: its pane says so, the AP still shows
    assert viewer.panes[0].volume is not None
    assert "no image that can be decoded" in viewer.panes[1].status.value
    labels = viewer.pane_labels()
    assert labels == ["2024-01-15 · DX knee · LEFT · weight-bearing unknown"] * 2
    html = [box.children[0].value for box in viewer.grid.children]
    assert all("2024-01-15" in h and "LEFT" in h and "weight-bearing unknown" in h for h in html)
    assert [p.name for p in viewer.panes] == ["dx.panes[0]", "dx.panes[1]"]
    assert viewer.grid.layout.grid_template_columns == "repeat(2, auto)"


def test_toolbar_switches_layout_and_the_kernel_keeps_it(messy):
    case, rules = messy
    viewer = LayoutViewer.from_hanging(case, rules["ap_lateral"], name="dx")
    viewer.toolbar.value = "2x2"
    assert viewer.current_layout == "2x2" and len(viewer.grid.children) == 4
    shown = [p.series.value for p in viewer.panes]
    assert len(set(shown)) == 3  # both films, then the case's CT, then a repeat
    viewer.toolbar.value = "1x1"
    assert viewer.current_layout == "1x1" and len(viewer.panes) == 1
    # the films cannot be reformatted: MPR is refused, the layout stays, the reason shows
    viewer.toolbar.value = "1x2"
    viewer.toolbar.value = "mpr"
    assert viewer.current_layout == "1x2" and viewer.toolbar.value == "1x2"
    assert "cannot be shown in MPR" in viewer.status.value or "No series" in viewer.status.value
    assert viewer.state.layout == "1x2"


def test_mpr_click_moves_the_other_panes(ct):
    case, key = ct
    viewer = LayoutViewer(case, layout="mpr", panes=[key], name="ct")
    axial, coronal, sagittal = viewer.panes
    assert [p.view.plane for p in viewer.panes] == ["axial", "coronal", "sagittal"]
    assert all(p.canvas.tool == "crosshair" for p in viewer.panes)
    assert "crosshair" in [t["name"] for t in axial.canvas.tools]
    for pane in viewer.panes:  # each pane's view renders in the browser and says hello
        pane.canvas._on_custom(None, {"type": "hello"}, [])
    # the browser's crosshair click on axial slice 7 at (row 40, col 100)
    axial.show_index(7)
    axial.canvas._on_custom(None, {"type": "point", "point": [40.2, 99.8]}, [])
    assert viewer.crosshair.voxel == (7, 40, 100)
    assert (coronal.view.index, sagittal.view.index) == (40, 100)
    assert axial.view.index == 7
    # each pane draws the crosshair and the two other planes' lines through it
    assert axial.canvas.guides["point"] == [40, 100]
    assert coronal.canvas.guides["point"] == [2, 100]  # head at the top: slice 7 of 10
    lines = {(g["plane"], g["axis"]): g["at"] for g in coronal.canvas.guides["lines"]}
    assert lines == {("axial", "row"): 2.5 / 10, ("sagittal", "col"): 100.5 / 128}
    assert axial.canvas.overlay["n"] == 10 and coronal.canvas.overlay["n"] == 128
    # the coronal pane's image is the reformatted slice through the point
    image, _ = mpr.reformat(axial.volume, "coronal", 40)
    assert coronal.canvas.has_sent(f"{key}|coronal|40")
    # the neighbours went out too, after both panes' new slices
    assert coronal.canvas.has_sent(f"{key}|coronal|41")
    assert sagittal.canvas.has_sent(f"{key}|sagittal|99")
    assert image.shape == (10, 128)


def test_scrolling_one_mpr_pane_moves_the_lines_in_the_others(ct):
    case, key = ct
    viewer = LayoutViewer(case, layout="mpr", panes=[key])
    axial, coronal, sagittal = viewer.panes
    before = {g["plane"]: g["at"] for g in coronal.canvas.guides["lines"]}
    axial.scroll(-2)  # the wheel in the axial pane
    assert viewer.crosshair.voxel[0] == axial.view.index
    after = {g["plane"]: g["at"] for g in coronal.canvas.guides["lines"]}
    assert after["axial"] != before["axial"] and after["sagittal"] == before["sagittal"]
    assert sagittal.canvas.guides["point"][0] == 9 - axial.view.index


def test_clicks_outside_and_away_from_mpr_are_refused(ct):
    case, key = ct
    viewer = LayoutViewer(case, layout="mpr", panes=[key])
    coronal = viewer.panes[1]
    voxel = viewer.crosshair.voxel
    coronal.canvas._on_custom(None, {"type": "point", "point": [10.7, 5]}, [])  # 10 rows
    assert viewer.crosshair.voxel == voxel
    assert "outside the coronal image" in coronal.canvas.status
    viewer.switch("1x1")
    assert viewer.crosshair is None and viewer.panes[0].canvas.guides == {}
    assert viewer.panes[0].canvas.tool == "pan"
    with pytest.raises(workbench.WorkbenchError, match="switch to MPR"):
        viewer.click(0, 1, 1)


def test_layout_snapshot_and_static_png(messy):
    case, rules = messy
    viewer = LayoutViewer.from_hanging(case, rules["ct_volume_mpr"], name="ct")
    png = viewer.current_png()
    assert png.startswith(b"\x89PNG")
    shot = viewer.snapshot("three planes", save=False)
    assert [p["plane"] for p in shot.metadata["panes"]] == ["axial", "coronal", "sagittal"]
    assert shot.metadata["layout"] == "mpr" and shot.png.startswith(b"\x89PNG")


def test_a_pane_put_back_in_its_acquired_plane_is_left_alone(ct):
    case, key = ct
    viewer = LayoutViewer(case, layout="mpr", panes=[key])
    axial, coronal, sagittal = viewer.panes
    sagittal.plane.value = "acquired"
    cross = viewer.click(0, 12, 30)
    assert cross.voxel == (axial.view.index, 12, 30) and coronal.view.index == 12
    assert sagittal.view.plane == "acquired"


def test_case_notebook_cells_come_from_the_hanging_and_run(messy, tmp_path):
    """Each viewer cell is the hanging's layout; run as written, it builds that layout."""
    import nbformat

    from workbench.notebook.build import build_review_notebook, viewer_names
    from workbench.notebook.contract import cell_meta

    case, rules = messy
    nb = nbformat.read(build_review_notebook(case, tmp_path / "review.ipynb"), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "Viewer(case" in c.source]
    assert [cell_meta(c).get("hanging") for c in cells] == ["ap_lateral", "ct_volume_mpr"]
    names = viewer_names(case)
    made = {}
    for cell in cells:
        namespace = {"workbench": workbench, "case": case}
        exec(cell.source, namespace)
        name = cell.source.split(" = ", 1)[0]
        assert name in names.values() and f"# hanging: {cell_meta(cell)['hanging']}" in cell.source
        made[cell_meta(cell)["hanging"]] = namespace[name]
    assert made["ap_lateral"].current_layout == "1x2"
    assert [p.series.value for p in made["ap_lateral"].panes] == [
        p.series_key for p in rules["ap_lateral"].panes
    ]
    ct = made["ct_volume_mpr"]
    assert ct.current_layout == "mpr" and ct.crosshair is not None
    assert ct.panes[0].name == f"{names[rules['ct_volume_mpr'].study_keys[0]]}.panes[0]"


def test_a_sites_rules_hang_the_case_notebook(messy, tmp_path, monkeypatch):
    import nbformat

    from workbench.notebook.build import build_review_notebook
    from workbench.view.hanging import ENV_VAR

    case, _ = messy
    site = tmp_path / "site.json"
    site.write_text(
        '{"version": 1, "replace": true, "rules": [{"name": "site_pairs", "hang": "series",'
        ' "layout": "1x2", "panes": [{}, {"optional": true}]}]}'
    )
    monkeypatch.setenv(ENV_VAR, str(site))
    nb = nbformat.read(build_review_notebook(case, tmp_path / "review.ipynb"), as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "Viewer(case" in c.source]
    assert len(cells) == 2
    assert all("layout='1x2'" in c and c.split("\n")[0].endswith("# hanging: site_pairs")
               for c in cells)  # fmt: skip
