"""The viewer's side of the zoomed region, without a browser: what ``need_region`` sends."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
from conftest import dicom_file
from imaging_builders import large_radiograph

import workbench
from workbench.view.key_images import read_key_images, toolbar_outputs
from workbench.widgets.series_viewer import SeriesViewer


@pytest.fixture
def viewer(tmp_path):
    path = large_radiograph(tmp_path / "dx" / "dx.dcm", size=(2100, 1500))  # reduced by 3
    case = workbench.open_case(path.parent, workspace=tmp_path / "ws")
    v = SeriesViewer(case, name="dx")
    v._on_action({"type": "hello"})  # its view rendered: the reduced slice went out
    sent: list[tuple[dict, list]] = []
    v.canvas.send = lambda content, buffers=None: sent.append((content, buffers or []))
    v.sent = sent
    v.path = path
    return v


def _regions(viewer):
    return [(c, b) for c, b in viewer.sent if c.get("type") == "region"]


def test_need_region_sends_the_visible_pixels_at_full_resolution(viewer):
    meta = viewer._slice_meta
    assert (meta["rows"], meta["cols"]) == (2100, 1500) and meta["height"] == 700  # reduced
    key = viewer._slice_key(viewer.view)
    viewer._on_action({"type": "need_region", "key": key, "rect": [1000.4, 700.2, 1200.0, 900.6]})
    ((content, buffers),) = _regions(viewer)
    box = content["meta"]["box"]
    assert content["key"] == key and box == [950, 650, 1250, 951]  # margin 25 %, rounded out
    region = content["meta"]
    codes = np.frombuffer(buffers[0], dtype=np.uint16).reshape(region["height"], region["width"])
    ds = pydicom.dcmread(viewer.path)
    np.testing.assert_array_equal(codes, ds.pixel_array[950:1250, 650:951])
    assert region["unit"] == "" and viewer.canvas.status == ""


def test_stale_or_needless_region_requests_send_nothing(viewer, tmp_path):
    key = viewer._slice_key(viewer.view)
    viewer._on_action({"type": "need_region", "key": "other|acquired|0", "rect": [0, 0, 9, 9]})
    viewer._on_action({"type": "need_region", "key": key, "rect": [3000, 0, 3100, 9]})  # off
    assert _regions(viewer) == []
    viewer._on_action({"type": "need_region", "key": key, "rect": "everything"})
    assert "view rectangle" in viewer.canvas.status and _regions(viewer) == []
    (tmp_path / "ct").mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), tmp_path / "ct" / "ct.dcm")
    small = SeriesViewer(workbench.open_case(tmp_path / "ct", workspace=tmp_path / "ws2"))
    assert small.send_region(small._slice_key(small.view), [0, 0, 10, 10]) is False  # sent in full


def test_key_image_button_reaches_the_export_list(viewer):
    a = viewer.measure_length((100, 100), (100, 700))
    viewer.measure_angle((200, 200), (600, 600), (200, 1000))
    viewer.snapshot("from code")  # listed, but its cell carries it to the page
    viewer._on_action({"type": "key_image", "caption": "Joint line", "ids": [a.id]})
    assert len(read_key_images(viewer.case.workspace)) == 2
    (output,) = toolbar_outputs(viewer.case.workspace)
    record = output["metadata"]["workbench"]
    assert record["caption"] == "Joint line" and [m["id"] for m in record["measurements"]] == [a.id]
    assert output["data"]["image/png"] and output["data"]["text/plain"] == "Joint line"
    viewer._on_action({"type": "key_image", "caption": "x", "ids": "all"})
    assert "list of ids" in viewer.canvas.status


def test_a_key_image_made_by_mistake_is_taken_back_from_the_viewer(viewer):
    """The ★ list under the toolbar: what the button made, and its × taking one back."""
    import json

    from workbench.view.key_images import remove_key_image

    workspace = viewer.case.workspace
    viewer.snapshot("from code")  # a cell's snapshot is not the toolbar's: not listed
    assert viewer.canvas.key_images == []
    viewer._on_action({"type": "key_image", "caption": "Joint line", "ids": []})
    viewer._on_action({"type": "key_image", "caption": "wrong side", "ids": []})
    listed = viewer.canvas.key_images
    assert [k["caption"] for k in listed] == ["Joint line", "wrong side"]
    assert all(k["index"] == viewer.view.index and k["plane"] == "acquired" for k in listed)
    mistake = listed[1]["number"]
    viewer._on_action({"type": "key_image_remove", "number": mistake})
    assert [k["caption"] for k in viewer.canvas.key_images] == ["Joint line"]
    assert viewer.sent[-1][0] == {"type": "stored", "text": f"key image {mistake} taken back"}
    # gone from the export and the table; the PNG and the record stay, marked
    (output,) = toolbar_outputs(workspace)
    assert output["metadata"]["workbench"]["caption"] == "Joint line"
    table = read_key_images(workspace)
    assert list(table["caption"]) == ["from code", "Joint line"]
    assert mistake not in set(table["number"])
    index = json.loads((workspace / "key_images" / "key_images.json").read_text("utf-8"))
    (record,) = [r for r in index["key_images"] if r["number"] == mistake]
    assert record["removed"] and (workspace / "key_images" / record["file"]).is_file()
    # a second time, an unknown number, a number that is not one
    viewer._on_action({"type": "key_image_remove", "number": mistake})
    assert viewer.sent[-1][0]["text"] == f"no key image {mistake}"
    assert remove_key_image(viewer.case, 999) is False
    viewer._on_action({"type": "key_image_remove", "number": "2; rm -rf"})
    assert "by its number" in viewer.canvas.status
    # a new viewer of the case lists what is left
    again = SeriesViewer(viewer.case, name="dx2")
    assert [k["caption"] for k in again.canvas.key_images] == ["Joint line"]
    assert workbench.remove_key_image(viewer.case, listed[0]["number"]) is True
    assert toolbar_outputs(workspace) == []


def test_two_reviewers_of_one_workspace_keep_their_key_images_apart(viewer, monkeypatch):
    """As with measurements: each reviewer's ★ key images are theirs, in the export too."""
    from workbench.view.key_images import key_image_folder

    workspace = viewer.case.workspace
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    for who in ("ana", "ben"):
        monkeypatch.setenv("WORKBENCH_OBSERVER", who)
        viewer._on_action({"type": "key_image", "caption": f"{who}'s film", "ids": []})
    for who in ("ana", "ben"):
        monkeypatch.setenv("WORKBENCH_OBSERVER", who)
        (output,) = toolbar_outputs(workspace)
        assert output["metadata"]["workbench"]["caption"] == f"{who}'s film"
        assert list(read_key_images(workspace)["caption"]) == [f"{who}'s film"]
        assert key_image_folder(workspace) == workspace / "reviewers" / who / "key_images"
    monkeypatch.delenv("WORKBENCH_OBSERVER")
    assert toolbar_outputs(workspace) == []  # nobody's: the shared list, empty here
