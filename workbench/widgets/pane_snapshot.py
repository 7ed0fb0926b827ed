"""One key image of several viewers side by side (prior | current, a layout's panes).

Each pane is drawn as its viewer shows it, labelled with its study (and its plane when
reformatted); the record lists every pane's own record under ``panes`` so the export and
the DICOM objects can take each image apart again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from workbench.render.figures import figure_png, side_by_side_figure
from workbench.view.key_images import KeyImage, save_key_image
from workbench.view.labels import study_facts, study_label

if TYPE_CHECKING:
    from workbench.readiness.protocol import ReviewCase
    from workbench.widgets.series_viewer import SeriesViewer

__all__ = ["panes_snapshot"]


def panes_snapshot(
    case: ReviewCase,
    viewers: Sequence[SeriesViewer],
    caption: str = "",
    *,
    save: bool = True,
    size: int,
    extra: dict[str, Any] | None = None,
) -> KeyImage:
    """A key image of *viewers* as they are, with labels, caption and measurements.

    *extra* is added to the record (e.g. the layout's name); with *save* the image goes
    to the workspace's key images.
    """
    panels, records = [], []
    for viewer in viewers:
        volume, state = viewer.volume, viewer.view
        if volume is None or state is None:
            continue
        found = viewer._frame_measurements(state)
        facts = study_facts(case.studies, viewer.study_key or "")
        label = study_label({**facts, "side": viewer.side})
        if state.plane != "acquired":
            label = f"{state.plane} · {label}"
        panel = {"volume": volume, "view": state, "side": viewer.side, "measurements": found}
        panels.append({**panel, "title": viewer._title(), "label": label})
        records.append(viewer.snapshot_record(state, found, label))
    png = figure_png(side_by_side_figure(panels, caption=caption, size=size))
    record = {
        "caption": caption,
        **(extra or {}),
        "study_key": " | ".join(dict.fromkeys(str(r["study_key"]) for r in records)),
        "series_key": " | ".join(dict.fromkeys(str(r["series_key"]) for r in records)),
        "index": records[0]["index"] if records else 0,
        "label": " | ".join(str(r["label"]) for r in records),
        "panes": records,
        "measurements": [m for r in records for m in r["measurements"]],
    }
    if not save:
        return KeyImage(png, caption, record)
    return save_key_image(case.workspace, png, record)
