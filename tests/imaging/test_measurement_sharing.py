"""Every store of one measurement file adds to what the others wrote.

The case notebook has several viewers of one case (a layout, a comparison, a series
viewer), each with its own :class:`MeasurementStore`; a reviewer may also have two
notebooks (two kernels) open. A measurement made in one must never be erased by a change
made in another.
"""

from __future__ import annotations

import errno

import pytest
from conftest import at_once

import workbench
from workbench.errors import WorkspaceError
from workbench.imaging import measure
from workbench.imaging.measure import Measurement, MeasurementStore
from workbench.widgets.series_viewer import SeriesViewer


def _length(sop: str, value: float) -> Measurement:
    return Measurement("length", ((0, 0), (0, value)), sop, 1, value, "mm", "PixelSpacing")


def test_two_viewers_of_one_case_keep_each_others_measurements(tmp_path):
    case = workbench.open_case(workbench.samples.path("knee_oa_right"), workspace=tmp_path / "ws")
    a, b = SeriesViewer(case, name="a"), SeriesViewer(case, name="b")
    first = a.measure_length((10, 10), (10, 100))
    second = b.measure_length((20, 20), (20, 120))
    on_disk = {m.id for m in MeasurementStore(case.workspace)}
    assert on_disk == {first.id, second.id}
    # b shows a's measurement of the same image, and deleting its own keeps a's
    sop, frame = a.volume.sop_uids[a.view.index]
    assert {m.id for m in b.store.for_frame(sop, frame)} == {first.id, second.id}
    b.delete_measurement(second.id)
    assert {m.id for m in MeasurementStore(case.workspace)} == {first.id}
    # a renames its own after b's change: b's deletion is not undone
    a.rename_measurement(first.id, "medial joint space")
    (kept,) = MeasurementStore(case.workspace)
    assert kept.id == first.id and kept.label == "medial joint space"


def test_two_processes_adding_at_once_lose_none(tmp_path):
    def add_many(tag: str) -> None:
        store = MeasurementStore(tmp_path)  # a store of its own in each process
        for i in range(25):
            store.add(_length(f"1.2.{tag}", float(i + 1)))

    at_once(add_many, ("1",), ("2",))
    stored = list(MeasurementStore(tmp_path))
    assert len(stored) == 50 and len({m.id for m in stored}) == 50


def test_a_failed_save_leaves_no_measurement_in_memory_only(tmp_path, monkeypatch):
    store = MeasurementStore(tmp_path)
    kept = store.add(_length("1.2.3", 5.0))

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(measure, "atomic_write", full_disk)
    with pytest.raises((OSError, WorkspaceError)):
        store.add(_length("1.2.3", 7.0))
    monkeypatch.undo()
    assert [m.id for m in store] == [kept.id]  # what the file holds, not the lost one


def test_a_read_only_workspace_is_read_and_refuses_changes_as_a_workspace_error(
    tmp_path, monkeypatch
):
    """A shared, finished case on a read-only disk (as root sees it too: EROFS)."""
    from pathlib import Path

    MeasurementStore(tmp_path).add(_length("1.2.3", 5.0))
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self == tmp_path or tmp_path in self.parents:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    store = MeasurementStore(tmp_path)
    assert len(store) == 1  # reading needs nothing written
    with pytest.raises(WorkspaceError, match="read-only"):
        store.add(_length("1.2.3", 6.0))
    assert len(MeasurementStore(tmp_path)) == 1
