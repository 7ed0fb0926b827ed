"""Key images: static PNG outputs that stay in the notebook and survive export.

A :class:`KeyImage` displays as ``image/png`` with a ``text/plain`` caption and carries
``{"workbench": {"caption", "measurements", "study_key", "series_key", ...}}`` in its
output metadata, so the exporter can list the values and their calibration source
without reading pixels. Each one is also saved as a PNG under
``<workspace>/key_images/`` (``<workspace>/reviewers/<observer>/key_images/`` when the
reviewer is known, :func:`key_image_folder`) and listed in ``key_images.json`` there;
:func:`key_images` reads that list as a table.

>>> ws = getfixture("tmp_path")
>>> image = save_key_image(ws, b"\\x89PNG...", {"caption": "Standing AP", "series_key": "se-1",
...                                             "index": 0})
>>> image.path.name, list(read_key_images(ws)["caption"])
('001_se-1_0.png', ['Standing AP'])
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.errors import WorkspaceError
from workbench.observer import current_observer, reviewer_folder
from workbench.workspace import atomic_write, file_lock

if TYPE_CHECKING:
    from workbench.record.protocol import CaseRecord

__all__ = [
    "TOOLBAR",
    "KeyImage",
    "key_image_folder",
    "key_images",
    "read_key_images",
    "remove_key_image",
    "save_key_image",
    "toolbar_key_images",
    "toolbar_outputs",
]

FOLDER = "key_images"
INDEX = "key_images.json"
#: Marks a record made by a viewer's ★ key-image button (no notebook cell holds it).
TOOLBAR = {"made_by": "toolbar"}
COLUMNS = [
    "file",
    "caption",
    "study_key",
    "series_key",
    "index",
    "sop_uid",
    "frame",
    "label",
    "side",
    "window",
    "measurements",
    "created",
]
#: This process's threads, and (the lock file) other processes of the case: two kernels
#: saving key images at once each add theirs to the list.
_LOCK = threading.Lock()
LOCK = ".key_images.lock"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def key_image_folder(workspace: str | Path, observer: str | None = None) -> Path:
    """Where the key images of *observer* (default: this reviewer, see
    :func:`workbench.observer.current_observer`) are listed: ``<workspace>/key_images``,
    or ``<workspace>/reviewers/<observer>/key_images`` when there is an observer, so that
    two reviewers of one workspace never export each other's (as with measurements)."""
    who = current_observer() if observer is None else observer.strip()
    return (reviewer_folder(workspace, who) if who else Path(workspace)) / FOLDER


def _png_size(png: bytes) -> tuple[int, int] | None:
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return None
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


@dataclass
class KeyImage:
    """A static image output: PNG bytes, a caption and the facts behind it.

    Attributes
    ----------
    png : bytes
    caption : str
    metadata : dict
        ``caption``, ``measurements`` (value, unit, calibration source, note each),
        ``study_key``, ``series_key``, ``index``, ``label``, ``file``.
    path : Path or None
        Where the PNG was saved in the workspace.
    """

    png: bytes
    caption: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def _repr_png_(self) -> bytes:
        return self.png

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        data = {
            "image/png": base64.b64encode(self.png).decode("ascii"),
            "text/plain": self.caption or "Key image",
        }
        meta: dict[str, Any] = {"workbench": self.metadata}
        size = _png_size(self.png)
        if size is not None:
            meta["image/png"] = {"width": size[0], "height": size[1]}
        return data, meta

    def __repr__(self) -> str:
        where = f" saved as {self.path.name}" if self.path else ""
        return f"<KeyImage {self.caption!r}{where}>"


def _read_index(folder: Path) -> list[dict[str, Any]]:
    path = folder / INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise WorkspaceError(
            f"'{path}' cannot be read as the key-image list ({exc}); move it aside to start anew."
        ) from exc
    items = data.get("key_images", []) if isinstance(data, dict) else []
    return [item for item in items if isinstance(item, dict)]


def _write_index(folder: Path, items: list[dict[str, Any]]) -> None:
    """Write the list (call holding both locks, with *items* as read under them)."""
    with atomic_write(folder / INDEX, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "key_images": items}, fh, ensure_ascii=False, indent=1)


def save_key_image(workspace: str | Path, png: bytes, record: dict[str, Any]) -> KeyImage:
    """Write *png* to ``<workspace>/key_images/NNN_<series>_<index>.png`` and list it.

    Parameters
    ----------
    workspace : str or Path
        The case workspace.
    png : bytes
        The image.
    record : dict
        Metadata for ``key_images.json`` (``caption``, ``series_key``, ``index`` ...);
        ``file`` and ``created`` are added.

    Returns
    -------
    KeyImage
        With ``metadata`` equal to the stored record and ``path`` set.
    """
    folder = key_image_folder(workspace)
    with _LOCK, file_lock(folder / LOCK):
        items = _read_index(folder)
        number = 1 + max((_number(i) or 0 for i in items), default=0)
        stem = _UNSAFE.sub("-", f"{record.get('series_key') or 'view'}_{record.get('index', 0)}")
        name = f"{number:03d}_{stem}.png"
        entry = {
            **record,
            "number": number,
            "file": name,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        with atomic_write(folder / name) as fh:
            fh.write(png)
        items.append(entry)
        _write_index(folder, items)
    return KeyImage(png, str(record.get("caption") or ""), entry, folder / name)


def remove_key_image(workspace: str | Path | CaseRecord, number: int) -> bool:
    """Take key image *number* (its ``number`` in ``key_images.json`` and in the ``number``
    column of :func:`key_images`) off the case's list; *workspace* may be the case.

    For a key image made by mistake with a viewer's ★ button: it no longer reaches the
    export, :func:`read_key_images` or the viewer's list. Nothing is deleted: its PNG stays
    in the folder and its record in ``key_images.json``, with ``removed`` set to the time
    (a record of what was shown to the reviewer and taken back). Returns False when no key
    image of that number is listed, or it was removed already.
    """
    where = workspace.workspace if hasattr(workspace, "workspace") else workspace
    folder = key_image_folder(where)
    with _LOCK, file_lock(folder / LOCK):
        items = _read_index(folder)
        hit = [i for i in items if _number(i) == number and not i.get("removed")]
        if not hit:
            return False
        hit[0]["removed"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        _write_index(folder, items)
    return True


def _number(item: dict[str, Any]) -> int | None:
    try:
        return int(item.get("number"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def toolbar_key_images(
    workspace: str | Path, series_key: str | None = None, *, made_in: str | None = None
) -> list[dict[str, Any]]:
    """The key images made with a ★ button and not removed, oldest first: ``number``,
    ``caption``, ``index`` and ``plane`` of each (the viewers list them under their
    toolbars). Those of one series (*series_key*, a viewer's own button), or those made
    by the several-pane button of the comparison or layout *made_in*."""
    out = []
    for item in _read_index(key_image_folder(workspace)):
        number = _number(item)
        if (
            number is None
            or item.get("removed")
            or item.get("made_by") != TOOLBAR["made_by"]
            or (series_key is not None and item.get("series_key") != series_key)
            or (made_in is not None and item.get("made_in") != made_in)
            or (made_in is None and "made_in" in item)
        ):
            continue
        index = item.get("index")
        out.append(
            {
                "number": number,
                "caption": str(item.get("caption") or ""),
                "index": index if type(index) is int else 0,
                "plane": str(item.get("plane") or "acquired"),
            }
        )
    return out


def read_key_images(workspace: str | Path, *, observer: str | None = None) -> pd.DataFrame:
    """The key images listed in ``key_images.json`` (:func:`key_image_folder` of *observer*,
    default this reviewer), oldest first, without those taken back
    (:func:`remove_key_image`)."""
    folder = key_image_folder(workspace, observer)
    items = [i for i in _read_index(folder) if not i.get("removed")]
    frame = pd.DataFrame(items)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = pd.Series(dtype=object)
    extra = [c for c in frame.columns if c not in COLUMNS and c != "removed"]
    return frame[COLUMNS + extra].reset_index(drop=True)


def key_images(case: CaseRecord) -> pd.DataFrame:
    """The key images of a case: one row per saved snapshot (file, caption, values ...).

    Files are under ``case.workspace / "key_images"``.
    """
    return read_key_images(case.workspace)


def toolbar_outputs(workspace: str | Path, *, observer: str | None = None) -> list[dict[str, Any]]:
    """The toolbar's key images as notebook ``display_data`` outputs, oldest first (those of
    *observer*, default this reviewer: :func:`key_image_folder`).

    A key image made with a viewer's ★ key-image button is listed in
    ``key_images.json`` (its record carries :data:`TOOLBAR`) and lives in no cell; the
    export reads these outputs beside the ``workbench-figure`` cells. Images whose PNG
    is missing from the folder are left out (the record alone cannot be drawn without
    the case), and so are those taken back (:func:`remove_key_image`); a snapshot made in
    code is not among them (its cell holds it).
    """
    folder = key_image_folder(workspace, observer)
    out = []
    for item in _read_index(folder):
        if item.get("made_by") != TOOLBAR["made_by"] or item.get("removed"):
            continue
        name = Path(str(item.get("file") or "")).name
        try:
            png = (folder / name).read_bytes() if name else b""
        except OSError:
            continue
        if _png_size(png) is None:
            continue
        image = KeyImage(png, str(item.get("caption") or ""), dict(item))
        data, meta = image._repr_mimebundle_()
        out.append({"output_type": "display_data", "data": data, "metadata": meta})
    return out
