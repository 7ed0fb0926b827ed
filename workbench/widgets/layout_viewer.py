"""Layouts of viewers: 1×1, 1×2, 2×2 and the three-pane MPR with a linked crosshair (widgets).

A thin binding of :mod:`workbench.view.layout` (which pane shows what; the toolbar's
:func:`~workbench.view.layout.switch_layout`) and :mod:`workbench.view.crosshair` (where
a click in one MPR pane puts the other two) onto :class:`SeriesViewer` panes. Each pane
is labelled with its study's date, side and weight-bearing status
(:func:`workbench.view.labels.study_label_parts`). The kernel keeps the state: the
browser only sends the crosshair tool's clicks (``point`` messages) and draws the
``guides`` it is given.

>>> import workbench
>>> case = workbench.open_case(workbench.samples.path("messy_upload"),
...                            workspace=getfixture("tmp_path"))
>>> from workbench.view.hanging import hang
>>> viewer = LayoutViewer.from_hanging(case, hang(case.studies, case.series)[-1], name="ct")
>>> viewer.current_layout, [p.view.plane for p in viewer.panes]
('mpr', ['axial', 'coronal', 'sagittal'])
"""

from __future__ import annotations

import html
import io
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import traitlets
from PIL import Image

from workbench.errors import PixelDataError, WorkbenchError
from workbench.imaging import mpr
from workbench.imaging.volume import load_series
from workbench.view import crosshair as xh
from workbench.view.key_images import KeyImage, save_key_image
from workbench.view.labels import badge_html, study_facts, study_label, study_label_parts
from workbench.view.layout import (
    GRID,
    Layout,
    LayoutState,
    Pane,
    initial_layout,
    parse_layout,
    switch_layout,
)
from workbench.widgets.fallback import with_png
from workbench.widgets.pane_snapshot import panes_snapshot
from workbench.widgets.panes_key_button import PanesKeyButton
from workbench.widgets.series_viewer import TOOLS, SeriesViewer

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume
    from workbench.readiness.protocol import ReviewCase
    from workbench.view.hanging import Hanging

__all__ = ["CROSSHAIR_TOOL", "LayoutViewer"]

#: The MPR panes' extra tool: a click moves the other planes to the point.
CROSSHAIR_TOOL = {
    "name": "crosshair",
    "label": "✛ crosshair",
    "points": 0,
    "hint": "click a point: the other two planes move to the slices through it",
}
_CHOICES = [("1×1", "1x1"), ("1×2", "1x2"), ("2×2", "2x2"), ("MPR", "mpr")]
#: Longest side of each pane's image per layout (screen pixels).
PANE_SIZE = {Layout.ONE: 640, Layout.SIDE_BY_SIDE: 480, Layout.FOUR: 400, Layout.MPR: 360}


def _pane_list(case: ReviewCase, panes: Sequence[Pane | Sequence[str] | str]) -> tuple[Pane, ...]:
    """Panes from ``Pane``, ``(study_key, series_key[, plane])`` or a series key."""
    out = []
    for p in panes:
        if isinstance(p, Pane):
            out.append(p)
            continue
        if isinstance(p, str):
            rows = case.series[case.series["series_key"] == p]
            if rows.empty:
                raise WorkbenchError(f"No series {p!r} in this case; use a key of case.series.")
            out.append(Pane(str(rows["study_key"].iloc[0]), p))
            continue
        out.append(Pane(*(str(x) for x in p)))
    return tuple(out)


def _pool(case: ReviewCase, panes: Sequence[Pane]) -> tuple[Pane, ...]:
    """The panes' series, their studies' other series, then the case's others (newest first).

    A layout switched to more panes fills them from here.
    """
    out = list(dict.fromkeys(Pane(p.study_key, p.series_key) for p in panes))
    own = list(dict.fromkeys(p.study_key for p in panes))
    dated = case.studies.sort_values("date", kind="stable")["study_key"].astype(str).tolist()
    for study in own + [k for k in reversed(dated) if k not in own]:  # then newest first
        rows = case.series[case.series["study_key"] == study]
        if "SeriesNumber" in rows:
            rows = rows.sort_values("SeriesNumber", na_position="last", kind="stable")
        for key in rows["series_key"].astype(str):
            pane = Pane(study, key)
            if pane not in out:
                out.append(pane)
    return tuple(out)


class LayoutViewer(widgets.VBox):
    """Viewers in a layout the reviewer switches from the toolbar: 1×1, 1×2, 2×2, MPR.

    Parameters
    ----------
    case : ReviewCase
        From :func:`workbench.open_case`.
    layout : str
        ``"1x1"``, ``"1x2"``, ``"2x2"`` or ``"mpr"``.
    panes : sequence
        What the panes show, in reading order: ``(study_key, series_key)`` pairs (or
        series keys). For ``"mpr"`` the first is shown in its three planes.
    name : str
        The layout's name in the notebook; pane *i* is named ``f"{name}.panes[{i}]"``
        and stores that name with its measurements.
    text : str
        A line above the layout (the hanging rule that chose it).

    Attributes
    ----------
    panes : list of SeriesViewer
        The panes on screen, in reading order.
    state : LayoutState
        Which layout, which series in which pane (plain data, :mod:`workbench.view.layout`).
    crosshair : Crosshair or None
        The MPR's linked point.
    """

    #: The layout on screen (``"1x1"``, ``"1x2"``, ``"2x2"`` or ``"mpr"``); ``layout`` stays
    #: the widget's CSS layout, as for every ipywidget.
    current_layout = traitlets.Unicode("1x1")

    def __init__(
        self,
        case: ReviewCase,
        *,
        layout: str = "1x1",
        panes: Sequence[Pane | Sequence[str] | str] = (),
        name: str = "",
        text: str = "",
    ) -> None:
        super().__init__()
        self.case = case
        self.name = str(name)
        chosen = _pane_list(case, panes)
        if not chosen:
            keys = case.series["series_key"].astype(str).tolist()
            if not keys:
                raise WorkbenchError("This case has no DICOM series to lay out.")
            chosen = _pane_list(case, keys[:1])
        pool = _pool(case, chosen)
        self.state = LayoutState(Layout.ONE, chosen[:1], pool=pool)
        self.crosshair: xh.Crosshair | None = None
        self._volumes: OrderedDict[str, Volume] = OrderedDict()
        self._viewers: list[SeriesViewer] = []
        self.panes: list[SeriesViewer] = []
        self._busy = False
        self.toolbar = widgets.ToggleButtons(
            options=_CHOICES,
            value="1x1",
            description="Layout",
            tooltips=["one viewer", "two side by side", "four", "axial, coronal, sagittal"],
            style={"button_width": "4.5em"},
        )
        self.toolbar.add_class("wb-layout-switch")
        self.note = widgets.HTML(f"<i>{html.escape(text)}</i>" if text else "")
        self.status = widgets.HTML()
        self.grid = widgets.GridBox(layout=widgets.Layout(grid_gap="8px"))
        made_in = f"layout:{self.name or '|'.join(p.series_key for p in chosen)}"
        self.key_button = PanesKeyButton(case.workspace, made_in, self._toolbar_snapshot)
        self.children = [self.toolbar, self.key_button, self.note, self.grid, self.status]
        try:
            self.state = initial_layout(layout, chosen, pool, reformattable=self._reformattable)
        except ValueError as exc:  # an MPR of a series that cannot be reformatted
            self.status.value = f"<b>{html.escape(str(exc))}</b>"
        self._show()
        self.toolbar.observe(self._on_toolbar, names="value")

    @classmethod
    def from_hanging(cls, case: ReviewCase, hanging: Hanging, *, name: str = "") -> LayoutViewer:
        """The layout a :class:`~workbench.view.hanging.Hanging` describes."""
        return cls(case, layout=hanging.layout, panes=hanging.panes, name=name, text=hanging.text)

    # --- switching --------------------------------------------------------------------
    def _on_toolbar(self, change: dict[str, Any]) -> None:
        if not self._busy and change["new"] != self.current_layout:
            self.switch(str(change["new"]))

    def switch(self, layout: str) -> None:
        """Show *layout* (the toolbar's buttons call this); refusals go to the status line."""
        try:
            self._switch(parse_layout(layout))
        except (ValueError, WorkbenchError) as exc:
            self.status.value = f"<b>{html.escape(str(exc))}</b>"
            self._busy = True
            try:
                self.toolbar.value = self.current_layout
            finally:
                self._busy = False

    def _reformattable(self, series_key: str) -> bool:
        try:
            volume = self._volume(series_key)
            mpr.plane_count(volume, "axial")
        except (PixelDataError, WorkbenchError, IndexError):
            return False
        return True

    def _volume(self, series_key: str) -> Volume:
        found = self._volumes.get(series_key)
        if found is None:
            found = load_series(self.case, series_key)
            self._volumes[series_key] = found
        return found

    def _switch(self, layout: Layout) -> None:
        if layout == self.state.layout:
            return
        self.state = switch_layout(self.state, layout, reformattable=self._reformattable)
        self.status.value = ""
        self._show()

    # --- panes ------------------------------------------------------------------------
    def _viewer(self, i: int, pane: Pane, size: int) -> SeriesViewer:
        """Pane *i*'s viewer showing *pane* (created once, then reused)."""
        label = f"{self.name}.panes[{i}]" if self.name else ""
        if i >= len(self._viewers):
            viewer = SeriesViewer(
                self.case,
                study_key=pane.study_key,
                series_key=pane.series_key,
                size=size,
                name=label,
                volumes=self._volumes,
            )
            viewer.on_point(self._on_point)
            viewer.observe(self._on_view, names="view")
            self._viewers.append(viewer)
            return viewer
        viewer = self._viewers[i]
        viewer.size = size
        viewer.canvas.size = size
        if viewer.study_key != pane.study_key:
            viewer._pending_series = pane.series_key
            viewer.study.value = pane.study_key
        if viewer.volume is None or viewer.volume.series_key != pane.series_key:
            viewer.series.value = pane.series_key
        return viewer

    def _show(self) -> None:
        """Put the panes of ``self.state`` on screen."""
        state = self.state
        size = PANE_SIZE[state.layout]
        self._busy = True
        try:
            viewers = [self._viewer(i, p, size) for i, p in enumerate(state.panes)]
            self.panes = viewers
            is_mpr = state.layout == Layout.MPR
            for viewer, pane in zip(viewers, state.panes, strict=True):
                viewer.canvas.tools = [*TOOLS, CROSSHAIR_TOOL] if is_mpr else list(TOOLS)
                viewer.canvas.tool = "crosshair" if is_mpr else "pan"
                if not is_mpr:
                    viewer.canvas.guides = {}
                if viewer.view is not None and viewer.view.plane != pane.plane:
                    viewer.plane.value = pane.plane
            rows, cols = GRID[state.layout]
            self.grid.layout.grid_template_columns = f"repeat({cols}, auto)"
            self.grid.layout.grid_template_rows = f"repeat({rows}, auto)"
            self.grid.children = [
                widgets.VBox([self._label(v, p), v], layout=widgets.Layout(min_width="0"))
                for v, p in zip(viewers, state.panes, strict=True)
            ]
            self.current_layout = str(state.layout)
            self.toolbar.value = str(state.layout)
        finally:
            self._busy = False
        if state.layout == Layout.MPR:
            volume = self.panes[0].volume
            if volume is not None:
                self.set_crosshair(xh.centre(volume))
        else:
            self.crosshair = None

    def _label(self, viewer: SeriesViewer, pane: Pane) -> widgets.HTML:
        """Date, side and weight-bearing of the pane's study (and the MPR plane)."""
        facts = study_facts(self.case.studies, pane.study_key)
        side = viewer.side or facts.get("side")
        parts = study_label_parts({**facts, "side": None})
        parts = [p for p in parts if p != "SIDE ?"]
        plane = "" if pane.plane == "acquired" else f"<b>{html.escape(pane.plane)}</b> · "
        colour = xh.LINE_COLOURS.get(pane.plane)
        style = f" style='border-left:4px solid {colour};padding-left:4px'" if colour else ""
        text = html.escape(" · ".join(parts))
        return widgets.HTML(
            f"<div class='wb-pane-label'{style}>{plane}{badge_html(side)} {text}</div>"
        )

    def pane_labels(self) -> list[str]:
        """The label of each pane on screen, as text (``2024-01-15 · DX knee · LEFT ...``)."""
        out = []
        for viewer, pane in zip(self.panes, self.state.panes, strict=True):
            facts = study_facts(self.case.studies, pane.study_key)
            text = study_label({**facts, "side": viewer.side or facts.get("side")})
            out.append(text if pane.plane == "acquired" else f"{pane.plane} · {text}")
        return out

    # --- the linked crosshair ---------------------------------------------------------
    def set_crosshair(self, cross: xh.Crosshair) -> None:
        """Move the MPR panes to the slices through *cross* and draw it in each."""
        if self.state.layout != Layout.MPR or not self.panes:
            raise WorkbenchError("The crosshair links the panes of the MPR layout; switch to MPR.")
        volume = self.panes[0].volume
        assert volume is not None
        guides = xh.guides(volume, cross)
        self.crosshair = cross
        self._busy = True
        try:
            with ExitStack() as later:  # every pane on screen first, then the neighbours
                for viewer in self.panes:
                    if viewer.view is None or viewer.view.plane not in guides:
                        continue  # a pane the reviewer put back in its acquired plane
                    later.enter_context(viewer.prefetch_later())
                    guide = guides[viewer.view.plane]
                    with viewer.canvas.hold_sync():
                        viewer.canvas.guides = xh.guide_dict(guide)
                        if viewer.view.index != guide.index:
                            viewer.show_index(guide.index)
        finally:
            self._busy = False

    def click(self, pane: int, row: float, col: float) -> xh.Crosshair:
        """The crosshair tool's click at (*row*, *col*) of pane *pane* (as from the browser)."""
        if self.state.layout != Layout.MPR:
            raise WorkbenchError("The crosshair links the panes of the MPR layout; switch to MPR.")
        viewer = self.panes[pane]
        volume, state = viewer.volume, viewer.view
        if volume is None or state is None:
            raise WorkbenchError(f"Pane {pane} shows no image: {viewer.status.value}")
        self.set_crosshair(xh.click(volume, state.plane, state.index, row, col))
        assert self.crosshair is not None
        return self.crosshair

    def _on_point(self, viewer: SeriesViewer, row: float, col: float) -> None:
        if self.state.layout != Layout.MPR or viewer not in self.panes:
            return
        volume, state = viewer.volume, viewer.view
        if volume is None or state is None or state.plane == "acquired":
            return
        self.set_crosshair(xh.click(volume, state.plane, state.index, row, col))

    def _on_view(self, change: dict[str, Any]) -> None:
        """A pane scrolled on its own (wheel, slider): move the crosshair along with it."""
        old, new = change["old"], change["new"]
        if self._busy or self.crosshair is None or self.state.layout != Layout.MPR:
            return
        if old is None or new is None or old.index == new.index or new.plane == "acquired":
            return
        volume = self.panes[0].volume
        if volume is None or new.series_key != volume.series_key:
            return
        point = xh.guides(volume, self.crosshair)[new.plane].point
        try:
            moved = xh.click(volume, new.plane, new.index, *point)
        except IndexError:
            return
        self.set_crosshair(moved)

    # --- static output ----------------------------------------------------------------
    def current_png(self) -> bytes:
        """The panes on screen in their grid, as PNG."""
        frames = [v.frame_image() for v in self.panes]
        rows, cols = GRID[self.state.layout]
        shown = [f for f in frames if f is not None]
        if not shown:
            return b""
        gap = 8
        w = max(f.width for f in shown)
        h = max(f.height for f in shown)
        sheet = Image.new(
            "RGB", (cols * w + gap * (cols - 1), rows * h + gap * (rows - 1)), "white"
        )
        for k, f in enumerate(frames):
            if f is not None:
                sheet.paste(f, ((k % cols) * (w + gap), (k // cols) * (h + gap)))
        buf = io.BytesIO()
        sheet.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_png(super()._repr_mimebundle_(**kwargs), self.current_png())

    def snapshot(
        self, caption: str = "", *, save: bool = True, extra: dict[str, Any] | None = None
    ) -> KeyImage:
        """A key image of the panes as they are (one pane: that viewer's own snapshot);
        *extra* is added to its record."""
        if len(self.panes) == 1:
            shot = self.panes[0].snapshot(caption, save=False)
            record = {**shot.metadata, **(extra or {})}
            return save_key_image(self.case.workspace, shot.png, record) if save else shot
        more = {"viewer": self.name, "layout": self.current_layout, **(extra or {})}
        return panes_snapshot(
            self.case, self.panes, caption, save=save, size=self.panes[0].size, extra=more
        )

    def _toolbar_snapshot(self, caption: str, extra: dict[str, Any]) -> KeyImage:
        return self.snapshot(caption, extra=extra)
