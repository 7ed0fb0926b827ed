"""Prior versus current side by side (widgets layer).

Two :class:`~workbench.widgets.series_viewer.SeriesViewer` panes, each labelled with the
study's date, side and weight-bearing status. Scrolling, window/level and zoom are
linked by observing each viewer's ``view`` trait; the mapping is the core's
(:func:`workbench.view.comparison.sync_index`: by position in a shared frame of reference,
else by relative index; :func:`workbench.view.comparison.map_window`).

>>> import workbench
>>> from workbench.view.comparison import pick_comparison_pairs
>>> case = workbench.open_case(workbench.samples.path("knee_oa_right"),
...                            workspace=getfixture("tmp_path"))
>>> prior, current = pick_comparison_pairs(case)[0]
>>> viewer = CompareViewer(case, prior, current)
>>> [p.study_key for p in (viewer.a, viewer.b)] == [prior, current]
True
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from PIL import Image

from workbench.view.comparison import ABSOLUTE_UNITS, map_window, match_series, sync_index
from workbench.view.key_images import KeyImage
from workbench.view.labels import label_html, study_facts
from workbench.view.state import ViewState, set_index, set_window
from workbench.widgets.fallback import with_png
from workbench.widgets.pane_snapshot import panes_snapshot
from workbench.widgets.panes_key_button import PanesKeyButton
from workbench.widgets.series_viewer import SeriesViewer

if TYPE_CHECKING:
    from workbench.readiness.protocol import ReviewCase

__all__ = ["CompareViewer"]


class CompareViewer(widgets.VBox):
    """Two studies side by side with synchronised scrolling, window/level and zoom.

    Parameters
    ----------
    case : ReviewCase
    study_a, study_b : str
        Study keys, usually ``(prior, current)`` from
        :func:`workbench.view.comparison.pick_comparison_pairs`.
    size : int
        Longest side of each image in screen pixels.
    link : bool
        Start with the panes linked (the "link" checkbox toggles it).

    Attributes
    ----------
    a, b : SeriesViewer
        The two panes.
    """

    def __init__(
        self, case: ReviewCase, study_a: str, study_b: str, *, size: int = 480, link: bool = True
    ) -> None:
        super().__init__()
        self.case = case
        self.a = SeriesViewer(case, study_key=study_a, size=size, fixed_study=True)
        first = self.a.series.value
        self.b = SeriesViewer(
            case,
            study_key=study_b,
            series_key=match_series(case, first, study_b) if first else None,
            size=size,
            fixed_study=True,
        )
        self.link = widgets.Checkbox(value=link, description="link scroll, window and zoom")
        self._busy = False
        self.labels = [
            widgets.HTML(label_html(study_facts(case.studies, key))) for key in (study_a, study_b)
        ]
        self.a.observe(lambda c: self._follow(self.a, self.b, c), names="view")
        self.b.observe(lambda c: self._follow(self.b, self.a, c), names="view")
        panes = [
            widgets.VBox([label, viewer])
            for label, viewer in zip(self.labels, (self.a, self.b), strict=True)
        ]
        self.key_button = PanesKeyButton(
            case.workspace,
            f"compare:{study_a}|{study_b}",
            lambda caption, extra: panes_snapshot(
                case, (self.a, self.b), caption, size=self.a.size, extra=extra
            ),
        )
        self.children = [widgets.HBox([self.link, self.key_button]), widgets.HBox(panes)]

    def _follow(self, source: SeriesViewer, target: SeriesViewer, change: dict[str, Any]) -> None:
        """Carry a change of *source*'s view over to *target* (never back again)."""
        old, new = change["old"], change["new"]
        if self._busy or not self.link.value or new is None or target.view is None:
            return
        if source.volume is None or target.volume is None:
            return
        self._busy = True
        try:
            if old is None or old.series_key != new.series_key:
                match = match_series(self.case, new.series_key, target.study_key or "")
                if match and match != target.view.series_key:
                    target.series.value = match
                return
            target.apply(lambda s: self._mapped(source, target, old, new, s))
        finally:
            self._busy = False

    def _mapped(
        self,
        source: SeriesViewer,
        target: SeriesViewer,
        old: ViewState,
        new: ViewState,
        s: ViewState,
    ) -> ViewState:
        assert source.volume is not None and target.volume is not None
        out = s
        if new.index != old.index and new.plane == "acquired" and s.plane == "acquired":
            out = set_index(
                out, sync_index(source.volume, new.index, target.volume), target.volume.n_frames
            )
        if (new.center, new.width) != (old.center, old.width):
            absolute = {source.volume.modality, target.volume.modality} <= ABSOLUTE_UNITS
            opposite = (source.volume.photometric == "MONOCHROME1") != (
                target.volume.photometric == "MONOCHROME1"
            )
            out = set_window(
                out,
                *map_window(
                    (new.center, new.width),
                    source.reference_window,
                    target.reference_window,
                    absolute=absolute,
                    opposite=opposite,
                ),
            )
        if (new.zoom, new.pan) != (old.zoom, old.pan):
            out = replace(out, zoom=new.zoom, pan=new.pan)
        return out

    # --- static output ----------------------------------------------------------------
    def current_png(self) -> bytes:
        """Both frames on screen side by side, as PNG."""
        frames = [f for f in (v.frame_image() for v in (self.a, self.b)) if f is not None]
        if not frames:
            return b""
        gap = 8
        width = sum(f.width for f in frames) + gap * (len(frames) - 1)
        canvas = Image.new("RGB", (width, max(f.height for f in frames)), "white")
        x = 0
        for f in frames:
            canvas.paste(f, (x, 0))
            x += f.width + gap
        buf = io.BytesIO()
        canvas.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_png(super()._repr_mimebundle_(**kwargs), self.current_png())

    def snapshot(self, caption: str = "", *, save: bool = True) -> KeyImage:
        """A key image of both panes as they are, with labels, caption and measurements."""
        return panes_snapshot(self.case, (self.a, self.b), caption, save=save, size=self.a.size)
