"""The coordinators' case board: every case, and where it stands.

:func:`case_board` lists every case under a folder (each sub-folder or ``.zip`` is
one upload) and, given a DICOMweb address, every study in the PACS, one row each,
with its state:

``waiting_for_records``
    The readiness check has blockers; ``missing`` says what (the gap messages).
``ready_for_review``
    Nothing blocks the review and no reviewer has started.
``in_review``
    A reviewer has a case notebook or measurements; ``reviewers`` says who.
``opinion_exported``
    An opinion page was exported (``opinion.html`` beside a case notebook, or in the
    workspace's ``outputs/``); ``exported`` says when, ``exported_by`` by whom.
``in_archive``
    A study in the PACS that nobody here has opened yet (its records are unknown).

Who is reading comes from the reviewers' files, never from a separate register:
the ``reviewer`` of each case notebook (``JUPYTERHUB_USER`` when it was written,
see :mod:`workbench.observer`), the ``observer`` of each measurement, and the
``opinion.html`` beside a notebook. On JupyterHub every reviewer has their own
workbench home; pass them all as *homes* (the coordinator needs read access) and
the board looks for each case's workspace in every one.

>>> import shutil
>>> from workbench import samples
>>> root = getfixture("tmp_path") / "cases"
>>> _ = shutil.copytree(samples.path("knee_oa_right"), root / "knee_oa_right")
>>> board = case_board(root, homes=[getfixture("tmp_path") / "home"])
>>> board[["case", "state", "reviewers"]].to_dict("records")
[{'case': 'knee_oa_right', 'state': 'ready_for_review', 'reviewers': ''}]
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.case import Case, open_case
from workbench.errors import CaseNotFoundError, WorkbenchError
from workbench.i18n import label
from workbench.imaging.measure import MeasurementStore
from workbench.model import Severity
from workbench.observer import REVIEWERS_DIR
from workbench.pacs.dicomweb import (
    complete_marker,
    dicomweb_cache,
    dicomweb_workspace,
    list_studies,
    split_url,
)
from workbench.workspace import OUTPUTS, default_workspace, home

__all__ = ["BOARD_COLUMNS", "CaseState", "case_board", "state_label"]


class CaseState(StrEnum):
    """Where a case stands, in the board's order (what needs the coordinator first)."""

    WAITING = "waiting_for_records"
    READY = "ready_for_review"
    IN_REVIEW = "in_review"
    EXPORTED = "opinion_exported"
    IN_ARCHIVE = "in_archive"


BOARD_COLUMNS = [
    "case", "state", "missing", "reviewers", "exported", "exported_by", "updated",
    "n_studies", "n_images", "source", "study_uid", "workspace",
]  # fmt: skip
_OPINION = "opinion.html"


def state_label(state: str, lang: str = "en") -> str:
    """The board's words for *state* (``en``, ``zh`` or ``en+zh``)."""
    return label(f"board.{CaseState(state).value}", lang)


@dataclass
class _Activity:
    """What reviewers left in the workspaces of one case."""

    reviewers: set[str] = field(default_factory=set)
    exports: list[tuple[float, str]] = field(default_factory=list)  # (mtime, reviewer)
    updated: float = 0.0


def case_board(
    root: str | Path | None = None,
    *,
    pacs: str | None = None,
    auth: tuple[str, str] | None = None,
    homes: Sequence[str | Path] | None = None,
    sort_by: str | Sequence[str] = ("state", "case"),
    ascending: bool = True,
) -> pd.DataFrame:
    """One row per case under *root* and per study in the PACS at *pacs*, with its state.

    Parameters
    ----------
    root : str or Path, optional
        A folder whose sub-folders (and ``.zip`` files) are cases; hidden entries are skipped.
    pacs : str, optional
        A DICOMweb root (``dicomweb+http://host:8042/dicom-web``); every study it lists
        (QIDO-RS) is a row.
    auth : (str, str), optional
        User name and password for *pacs*.
    homes : sequence of paths, optional
        Workbench homes to look in for each case's workspace (default: this user's,
        :func:`workbench.workspace.home`). The first one is where the board opens
        cases to check their records (indexing them once if needed).
    sort_by : str or sequence of str
        Columns of :data:`BOARD_COLUMNS`; ``state`` sorts in :class:`CaseState` order.
    ascending : bool

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BOARD_COLUMNS`; ``exported`` and ``updated`` are ISO 8601 UTC times.

    Raises
    ------
    CaseNotFoundError
        *root* is not a folder.
    PacsError
        The PACS cannot be listed.
    ValueError
        *sort_by* names an unknown column.
    """
    if root is None and pacs is None:
        raise TypeError("give a case folder, a DICOMweb address (pacs=), or both")
    keys = [sort_by] if isinstance(sort_by, str) else list(sort_by)
    unknown = [k for k in keys if k not in BOARD_COLUMNS]
    if unknown:
        raise ValueError(f"cannot sort by {unknown}; choose from {', '.join(BOARD_COLUMNS)}")
    places = [Path(h).expanduser() for h in homes] if homes else [home()]
    rows = []
    if root is not None:
        rows += [_folder_row(path, places) for path in _case_paths(Path(root))]
    if pacs is not None:
        rows += [_study_row(pacs, study, places) for study in list_studies(pacs, auth=auth)]
    board = pd.DataFrame(rows, columns=BOARD_COLUMNS)
    for col in ("n_studies", "n_images"):
        board[col] = board[col].astype("Int64")
    order = {s.value: i for i, s in enumerate(CaseState)}
    return board.sort_values(
        keys,
        ascending=ascending,
        kind="stable",
        key=lambda col: col.map(order) if col.name == "state" else col.fillna("").astype(str),
    ).reset_index(drop=True)


def _case_paths(root: Path) -> list[Path]:
    if not root.is_dir():
        raise CaseNotFoundError(
            f"'{root}' is not a folder of cases; give the folder that holds one sub-folder "
            "(or .zip) per case."
        )
    return sorted(
        p
        for p in root.iterdir()
        if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() == ".zip")
    )


def _folder_row(path: Path, homes: list[Path]) -> dict[str, Any]:
    name = default_workspace(path).name  # the same in every home: it hashes the source path
    spaces = [h / "workspaces" / name for h in homes]
    row = _row(path.name, str(path), "", spaces[0])
    try:
        case = open_case(path, workspace=spaces[0])
    except WorkbenchError as exc:
        row.update(state=CaseState.WAITING.value, missing=str(exc))
        return row
    return _with_state(row, case, spaces)


def _study_row(url: str, study: dict[str, str], homes: list[Path]) -> dict[str, Any]:
    uid = study["StudyInstanceUID"]
    spaces = [dicomweb_workspace(url, study=uid, root=h) for h in homes]
    base, _ = split_url(url)
    name = " ".join(x for x in (study.get("PatientID", ""), study.get("StudyDate", "")) if x)
    row = _row(name or uid, base, uid, spaces[0])
    row["n_studies"] = 1
    row["n_images"] = pd.to_numeric(study.get("NumberOfStudyRelatedInstances"), errors="coerce")
    opened = next(
        (s for s in spaces if complete_marker(dicomweb_cache(url, s, study=uid)).is_file()), None
    )
    if opened is None:
        activity = _activity(spaces)
        if not activity.reviewers and not activity.exports:
            row["state"] = CaseState.IN_ARCHIVE.value
            return row
    try:
        # the retrieved copy is read where it is (perhaps a reviewer's), indexed in our own home
        cache = dicomweb_cache(url, opened or spaces[0], study=uid)
        case = open_case(cache, workspace=spaces[0] if opened in (None, spaces[0]) else
                         spaces[0].with_name(spaces[0].name + "-board"))  # fmt: skip
    except WorkbenchError as exc:
        row.update(state=CaseState.WAITING.value, missing=str(exc))
        return row
    return _with_state(row, case, spaces)


def _row(case: str, source: str, study_uid: str, workspace: Path) -> dict[str, Any]:
    return {
        "case": case, "state": "", "missing": "", "reviewers": "", "exported": "",
        "exported_by": "", "updated": "", "n_studies": None, "n_images": None,
        "source": source, "study_uid": study_uid, "workspace": str(workspace),
    }  # fmt: skip


def _with_state(row: dict[str, Any], case: Case, spaces: Iterable[Path]) -> dict[str, Any]:
    blockers = case.gaps.loc[case.gaps["severity"] == Severity.BLOCKER, "message"]
    activity = _activity(spaces)
    row["missing"] = "; ".join(str(m) for m in blockers)
    row["reviewers"] = ", ".join(sorted(activity.reviewers))
    row["n_studies"] = len(case.studies)
    row["n_images"] = len(case.instances)
    if activity.updated:
        row["updated"] = _iso(activity.updated)
    if activity.exports:
        when, who = max(activity.exports)
        row.update(state=CaseState.EXPORTED.value, exported=_iso(when), exported_by=who)
    elif activity.reviewers:
        row["state"] = CaseState.IN_REVIEW.value
    elif len(blockers):
        row["state"] = CaseState.WAITING.value
    else:
        row["state"] = CaseState.READY.value
    return row


def _activity(spaces: Iterable[Path]) -> _Activity:
    found = _Activity()
    for space in spaces:
        if not space.is_dir():
            continue
        folders = [space, *sorted(p for p in (space / REVIEWERS_DIR).glob("*") if p.is_dir())]
        latest: tuple[float, str] = (0.0, "")  # the newest case notebook and its reviewer
        for folder in folders:
            for notebook in sorted(folder.glob("*.ipynb")):
                reviewer = _reviewer(notebook)
                if reviewer is None:
                    continue  # not a case notebook
                who = reviewer or "(unnamed)"
                found.reviewers.add(who)
                when = notebook.stat().st_mtime
                found.updated = max(found.updated, when)
                latest = max(latest, (when, who))
                page = notebook.with_name(_OPINION)
                if page.is_file():
                    found.exports.append((page.stat().st_mtime, who))
            store = folder / MeasurementStore.FILENAME
            if store.is_file():
                found.updated = max(found.updated, store.stat().st_mtime)
                try:
                    observers = MeasurementStore.all_observers(folder)["observer"]
                except WorkbenchError:
                    continue  # a damaged store is reported when its reviewer opens it
                found.reviewers |= {str(o) or "(unnamed)" for o in observers if o is not None}
        page = space / OUTPUTS / _OPINION  # the copy `workbench export` leaves for the hospital
        if page.is_file():
            found.exports.append((page.stat().st_mtime, latest[1]))
    return found


def _reviewer(notebook: Path) -> str | None:
    """The ``reviewer`` in a case notebook's metadata; None for any other notebook."""
    try:
        meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return None
    info = meta.get("workbench") if isinstance(meta, dict) else None
    return str(info.get("reviewer") or "") if isinstance(info, dict) else None


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")
