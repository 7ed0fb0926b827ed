"""The reading-room viewport: an anywidget whose front end windows and draws in the browser.

The front end is a plain ES module and a style sheet shipped in the package
(``widgets/static/viewer.js``, ``viewer.css``): nothing is built with npm. The kernel
stays the source of truth: :class:`ReadingCanvas` only carries data both ways.

Kernel → browser
    traits ``view`` (the :class:`~workbench.view.state.ViewState` as a dict),
    ``window`` (:func:`workbench.view.browser.window_params` without its table),
    ``measurements`` (the current image's, drawn and listed), ``overlay`` (side badge,
    title, orientation letters, calibration line, slice count), ``presets``, ``tools``,
    ``status``, ``guides`` (reference lines and crosshair of a linked MPR pane, see
    :func:`workbench.view.crosshair.guide_dict`), ``key_images`` (the series' key images
    made with the ★ button: number, caption, index, plane); and custom messages ``slice``
    (metadata plus the codes as a binary buffer, and the VOI LUT table as a second one),
    ``show`` (a slice the browser already holds) and ``region`` (the full-resolution
    codes of part of a reduced slice, its box in the metadata). Pixels never go through a
    trait, so saved widget state stays small.
Browser → kernel
    custom messages ``hello``, ``index``, ``view``, ``preset``, ``reset``, ``measure``,
    ``move``, ``delete``, ``rename``, ``key_image``, ``key_image_remove`` (its number),
    ``need``, ``need_region`` (the view
    rectangle of a zoomed, reduced slice), ``point`` (a click of the crosshair tool);
    handed to the callback
    given to :meth:`ReadingCanvas.on_action`, which validates them. ``index``, ``view``
    (only the fields the pointer changed), ``preset`` and ``reset`` carry a number
    ``seq``; the kernel echoes the last one it carried out as ``view["seq"]``, and the
    page keeps its own zoom, pan, window and slice over any view older than its latest
    change of them (a late answer to an earlier action never takes a newer one back).

Nothing goes to the browser before it has spoken: :attr:`ReadingCanvas.viewed` turns
True with the first message of a front end (``hello``, sent when a view renders). A
viewer built where no front end ever renders it (a notebook executed from the command
line for the export) therefore decodes and encodes no slice for the browser; the first
view's ``hello`` asks for the slice on screen.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

__all__ = ["ReadingCanvas"]

_STATIC = Path(__file__).parent / "static"
_SENT_KEPT = 24  # as many slices as the browser keeps (CACHE in viewer.js)


class ReadingCanvas(anywidget.AnyWidget):
    """The browser viewport of one viewer (see the module docstring for the protocol)."""

    _esm = _STATIC / "viewer.js"
    _css = _STATIC / "viewer.css"

    view = traitlets.Dict().tag(sync=True)
    window = traitlets.Dict().tag(sync=True)
    measurements: traitlets.List[Any] = traitlets.List().tag(sync=True)
    overlay = traitlets.Dict().tag(sync=True)
    presets: traitlets.List[Any] = traitlets.List().tag(sync=True)
    tools: traitlets.List[Any] = traitlets.List().tag(sync=True)
    tool = traitlets.Unicode("pan").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    size = traitlets.Int(640).tag(sync=True)
    guides = traitlets.Dict().tag(sync=True)
    key_images: traitlets.List[Any] = traitlets.List().tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handler: Callable[[dict[str, Any]], None] | None = None
        self._sent: OrderedDict[str, None] = OrderedDict()
        self.sent_bytes = 0
        #: Whether a front end has sent a message (a view of this model rendered).
        self.viewed = False
        self.on_msg(self._on_custom)

    def on_action(self, handler: Callable[[dict[str, Any]], None]) -> None:
        """Call *handler* with each message from the browser."""
        self._handler = handler

    def _on_custom(self, _: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and self._handler is not None:
            self.viewed = True
            if content.get("type") == "hello":
                self._sent.clear()  # a new view of the model holds nothing yet
            self._handler(content)

    def has_sent(self, key: str) -> bool:
        """Whether the browser should still hold slice *key*."""
        return key in self._sent

    def forget(self, key: str) -> None:
        """The browser lost slice *key* (it asked for it again)."""
        self._sent.pop(key, None)

    def send_slice(
        self,
        key: str,
        codes: np.ndarray,
        meta: dict[str, Any],
        *,
        voi_table: np.ndarray | None = None,
        show: bool = True,
    ) -> None:
        """Send a slice's codes once; later only ``show`` it by *key*."""
        if key in self._sent and voi_table is None:
            self._sent.move_to_end(key)
            if show:
                self.send({"type": "show", "key": key})
            return
        buffers = _buffers(codes, voi_table)
        self.send({"type": "slice", "key": key, "meta": meta, "show": show}, buffers=buffers)
        self.sent_bytes += sum(len(b) for b in buffers)
        self._sent[key] = None
        self._sent.move_to_end(key)
        while len(self._sent) > _SENT_KEPT:
            self._sent.popitem(last=False)

    def send_region(
        self,
        key: str,
        codes: np.ndarray,
        meta: dict[str, Any],
        *,
        voi_table: np.ndarray | None = None,
    ) -> None:
        """Send the full-resolution codes of a region of slice *key* (box in *meta*)."""
        buffers = _buffers(codes, voi_table)
        self.send({"type": "region", "key": key, "meta": meta}, buffers=buffers)
        self.sent_bytes += sum(len(b) for b in buffers)

    def reply(self, message: dict[str, Any]) -> None:
        """A small message to the browser (``stored``, ``error``)."""
        self.send(message)


def _buffers(codes: np.ndarray, voi_table: np.ndarray | None) -> list[bytes]:
    """The binary buffers of a slice or region message: its codes, then its VOI LUT table."""
    buffers = [np.ascontiguousarray(codes).tobytes()]
    if voi_table is not None:
        buffers.append(np.ascontiguousarray(voi_table, dtype=np.uint8).tobytes())
    return buffers
