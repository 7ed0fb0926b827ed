"""Write the review's DICOM objects to ``<workspace>/outputs/`` (SR, KOS, one GSPS each).

``write_review_objects(case, Review("K-1", "Dr Reviewer", "2024-09-10"))`` writes
``measurement_report.dcm``, ``key_images.dcm`` and ``presentation_state_NN.dcm``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydicom.dataset import Dataset

from workbench.imaging.measure import Measurement, MeasurementStore
from workbench.record.protocol import CaseRecord
from workbench.report.evidence import Evidence, read_evidence
from workbench.report.key_objects import KeyView, key_object_selection, presentation_state
from workbench.report.review import Review
from workbench.report.sr import measurement_report, reportable
from workbench.view.key_images import read_key_images
from workbench.workspace import OUTPUTS, atomic_write

__all__ = ["OUTPUTS", "ReviewObjects", "key_views", "write_review_objects"]

SR_NAME = "measurement_report.dcm"
KOS_NAME = "key_images.dcm"
GSPS_PATTERN = "presentation_state_{:02d}.dcm"


@dataclass
class ReviewObjects:
    """What :func:`write_review_objects` wrote, and what it left out and why.

    Attributes
    ----------
    paths : list of Path
    skipped : list of str
        One sentence per measurement or key image that is not in the objects.
    """

    paths: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _window(value: Any) -> tuple[float, float] | None:
    try:
        center, width = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (center, width) if math.isfinite(center) and math.isfinite(width) else None


def _ids(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        return []
    return [str(m.get("id")) for m in value if isinstance(m, Mapping) and m.get("id")]


def _panes(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The images of one key-image record: its panes (a prior/current pair), or itself."""
    panes = record.get("panes")
    if isinstance(panes, list | tuple) and panes:
        return [p for p in panes if isinstance(p, Mapping)]
    return [record]


def key_views(table: pd.DataFrame, measurements: Iterable[Measurement]) -> list[KeyView]:
    """One :class:`KeyView` per key image (SOP UID and frame; the latest snapshot wins).

    A prior/current snapshot gives one view per pane, each with the snapshot's caption
    and its own window, side and measurements. Reformatted views (no SOP UID) are left
    out; each key image carries the stored measurements its record lists (by id).
    """
    by_id = {m.id: m for m in measurements}
    latest: dict[tuple[str, int], tuple[Mapping[str, Any], str]] = {}
    for record in table.to_dict(orient="records"):
        caption = str(record.get("caption") or "")
        for pane in _panes(record):
            sop = str(pane.get("sop_uid") or "")
            if not sop or sop == "nan":
                continue
            frame = pane.get("frame")
            try:
                frame_number = int(frame) if frame is not None and not pd.isna(frame) else 1
            except (TypeError, ValueError):
                frame_number = 1
            latest.pop((sop, frame_number), None)  # keep the order of the newest snapshot
            latest[(sop, frame_number)] = (pane, caption)
    views = []
    for number, ((sop, frame), (pane, caption)) in enumerate(latest.items(), 1):
        chosen = [by_id[i] for i in _ids(pane.get("measurements")) if i in by_id]
        side = pane.get("side")
        views.append(KeyView(
            number=number, sop_uid=sop, frame=frame,
            caption=caption, window=_window(pane.get("window")),
            measurements=tuple(chosen), side=str(side) if isinstance(side, str) else None,
        ))  # fmt: skip
    return views


def _save(ds: Dataset, path: Path) -> Path:
    with atomic_write(path) as fh:
        ds.save_as(fh, enforce_file_format=True)
    return path


def write_review_objects(
    case: CaseRecord, review: Review, folder: str | Path | None = None
) -> ReviewObjects:
    """Write the measurement report, the KOS and one GSPS per key image.

    Parameters
    ----------
    case : CaseRecord
        Its workspace holds ``measurements.json`` and ``key_images/``.
    review : Review
    folder : path, optional
        Default ``<workspace>/outputs``. Objects of an earlier export there are replaced.

    Returns
    -------
    ReviewObjects
    """
    out = Path(folder) if folder is not None else Path(case.workspace) / OUTPUTS
    out.mkdir(parents=True, exist_ok=True)
    for old in [out / SR_NAME, out / KOS_NAME, *out.glob("presentation_state_*.dcm")]:
        old.unlink(missing_ok=True)
    stored = list(MeasurementStore(case.workspace))
    views = key_views(read_key_images(case.workspace), stored)
    wanted = [m.sop_uid for m in stored] + [v.sop_uid for v in views]
    evidence: Evidence = read_evidence(case, wanted)
    result = ReviewObjects()
    for uid, reason in evidence.missing.items():
        result.skipped.append(f"image {uid}: {reason}")
    measured = reportable(stored, evidence)
    if measured:
        result.paths.append(_save(measurement_report(measured, evidence, review), out / SR_NAME))
    views = [v for v in views if v.sop_uid in evidence]
    if views:
        result.paths.append(_save(key_object_selection(views, evidence, review), out / KOS_NAME))
    for view in views:
        try:
            gsps = presentation_state(view, evidence, review)
        except ValueError as exc:
            result.skipped.append(str(exc))
            continue
        result.paths.append(_save(gsps, out / GSPS_PATTERN.format(view.number)))
    return result
