"""The series viewer: study → series → slice, window/level, zoom, orientation (widgets layer).

A thin binding: every control calls a pure transition of
:mod:`workbench.view.state` and the result is drawn by
:func:`workbench.render.frame.compose` into an ``ipywidgets.Image`` as JPEG bytes (no
matplotlib per slider tick). Renders are coalesced (:class:`~workbench.view.coalesce.LatestWins`).
``snapshot()`` makes a key image with :func:`workbench.render.figures.key_image_figure`, and the
widget's ``_repr_mimebundle_`` carries a PNG of the current frame so an exported
notebook still shows it.

The image itself is a :class:`~workbench.widgets.reading_canvas.ReadingCanvas`: the
browser windows the slice's real values, so window/level drags, the wheel (slices),
ctrl-wheel (zoom) and the measurement tools do not wait for the kernel; the kernel
validates and stores what the reviewer finishes.

>>> import workbench
>>> case = workbench.open_case(workbench.samples.path("knee_oa_right"),
...                            workspace=getfixture("tmp_path"))
>>> viewer = SeriesViewer(case)
>>> viewer.badge.value.count("RIGHT")
1
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets

from workbench.errors import MeasurementError, PixelDataError, WorkbenchError
from workbench.imaging import measure, mpr, ortho
from workbench.imaging.measure import Measurement
from workbench.imaging.volume import load_series
from workbench.imaging.windowing import PRESETS, orientation_labels
from workbench.readiness.laterality import disputed_sides, side_display
from workbench.render.figures import figure_png, key_image_figure
from workbench.render.frame import compose, encode, thumbnail
from workbench.view.browser import (
    DISPLAY_SIZE,
    encode_slice,
    view_dict,
    view_from_browser,
    window_params,
)
from workbench.view.coalesce import LatestWins
from workbench.view.key_images import (
    TOOLBAR,
    KeyImage,
    remove_key_image,
    save_key_image,
    toolbar_key_images,
)
from workbench.view.labels import (
    badge_html,
    header_html,
    header_rows,
    measurement_table_html,
    study_facts,
    study_label,
)
from workbench.view.overlay import SHORT_SOURCE
from workbench.view.region import encode_region, region_box
from workbench.view.replay import record_view
from workbench.view.slice_view import DEFAULT_SIZE, measurement_value_text, slice_count
from workbench.view.state import (
    ViewState,
    apply_preset,
    flip,
    initial_state,
    pan_by,
    reset,
    rotate_by,
    set_index,
    set_plane,
    set_window,
    toggle_invert,
    view_labels,
    zoom_by,
)
from workbench.widgets.fallback import with_png
from workbench.widgets.reading_canvas import ReadingCanvas

if TYPE_CHECKING:
    from PIL import Image

    from workbench.imaging.volume import Volume
    from workbench.readiness.protocol import ReviewCase

__all__ = ["SeriesViewer"]

#: Toolbar tools of the browser: name, label, points to click, hint.
TOOLS: list[dict[str, Any]] = [
    {"name": n, "label": label, "points": k, "hint": hint}
    for n, label, k, hint in (
        ("pan", "✥ pan", 0, "drag to pan (when zoomed); click a measurement to select it"),
        ("window", "◐ window", 0, "drag: left-right width, up-down level"),
        ("length", "length", 2, "click both ends"),
        ("angle", "angle", 3, "click arm end, vertex, other arm end"),
        ("cobb", "Cobb", 4, "click two points on each endplate line"),
        ("roi_ellipse", "ROI ◯", 2, "click two corners of the ellipse's box"),
        ("roi_rectangle", "ROI ▭", 2, "click two corners"),
        ("arrow", "arrow", 2, "type the text, then click tail and tip"),
        ("calibration", "calibrate", 2, "type the known mm, then click both ends of the object"),
        ("joint_space_medial", "JSW med", 4, "two points on each bone contour (medial)"),
        ("joint_space_lateral", "JSW lat", 4, "two points on each bone contour (lateral)"),
        ("hka", "HKA", 3, "click hip centre, knee centre, ankle centre"),
        ("line_angle", "∠ lines", 4, "two points on each line"),
        (
            "meyerding",
            "slip %",
            3,
            "posterior, anterior corner of the lower endplate, then "
            "the posterior corner of the vertebra above",
        ),
        ("center_edge", "CE", 3, "head centre, lateral acetabular edge, other head centre"),
        ("leg_length", "LLD", 4, "two points of the pelvic line, then each lesser trochanter"),
    )
]
_TOOL_POINTS = {t["name"]: t["points"] for t in TOOLS if t["points"]}
_KIND_TOOL = {"roi_ellipse": "roi_ellipse", "roi_rectangle": "roi_rectangle"}
_PREFETCH = (1, -1, 2, -2)


def _button() -> widgets.Layout:
    return widgets.Layout(width="2.6em")


_THUMB = 96
_VOLUMES_KEPT = 2
_VOLUMES_SHARED = 4  # a layout's panes: up to four series on screen at once


def _studies_with_images(case: ReviewCase) -> list[tuple[str, str]]:
    """(label, study_key) of the studies that have series, oldest first."""
    keys = set(case.series["study_key"])
    rows = case.studies[case.studies["study_key"].isin(keys)].sort_values("date")
    return [(study_label(study_facts(case.studies, k)), str(k)) for k in rows["study_key"]]


class _SeriesChoice(NamedTuple):
    """One series of the study picker: its key and the parts of its label."""

    key: str
    modality: str
    description: str
    n_images: str

    @property
    def label(self) -> str:
        return f"{self.modality} · {self.description} · {self.n_images}"


def _series_options(case: ReviewCase, study_key: str) -> list[tuple[str, str]]:
    return [(c.label, c.key) for c in _series_choices(case, study_key)]


def _series_choices(case: ReviewCase, study_key: str) -> list[_SeriesChoice]:
    rows = case.series[case.series["study_key"] == study_key]
    if "SeriesNumber" in rows:
        rows = rows.sort_values("SeriesNumber", na_position="last", kind="stable")
    out = []
    for _, row in rows.iterrows():
        desc = str(_value(row, "SeriesDescription") or "").strip() or "(no description)"
        modality = str(_value(row, "Modality") or "?")
        n = _value(row, "n_images")
        count = f"{int(n)} im" if n is not None else "? im"
        out.append(_SeriesChoice(str(row["series_key"]), modality, desc, count))
    return out


def _value(row: pd.Series, name: str) -> Any:
    value = row.get(name)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


def _cine_interval(volume: Volume) -> int:
    """Milliseconds per frame from (0018,1063) *Frame Time* or (0018,0040) *Cine Rate*."""
    try:
        ds = volume.dataset(0)
    except WorkbenchError:
        return 100
    frame_time = ds.get("FrameTime")
    cine_rate = ds.get("CineRate") or ds.get("RecommendedDisplayFrameRate")
    try:
        if frame_time:
            return max(20, round(float(frame_time)))
        if cine_rate:
            return max(20, round(1000 / float(cine_rate)))
    except (TypeError, ValueError):
        pass
    return 100


class SeriesViewer(widgets.VBox):
    """View and measure the series of a case: study → series (thumbnails) → slice.

    The image is drawn in the browser by :class:`~workbench.widgets.reading_canvas.
    ReadingCanvas` (wheel scrolls, drag pans, right- or shift-drag windows, ctrl-wheel
    zooms, a toolbar of measurement tools); this class holds the view state and the
    measurement store and answers the browser's actions.

    Parameters
    ----------
    case : ReviewCase
        From :func:`workbench.open_case`.
    study_key : str, optional
        Study shown first (default: the most recent study with images).
    series_key : str, optional
        Series shown first (default: the study's first series).
    size : int
        Longest side of the displayed image in screen pixels.
    image_format : str
        ``"jpeg"`` or ``"png"``: the format of :meth:`current_image` (static output).
    fixed_study : bool
        Hide the study picker (the comparison viewer shows one study per side).
    name : str, optional
        The viewer's name, stored with each measurement made in it (the notebook gives
        every viewer its own).
    volumes : OrderedDict, optional
        A series-key → Volume cache shared with other viewers (the panes of a
        :class:`~workbench.widgets.layout_viewer.LayoutViewer`: the three MPR panes decode
        their volume once).

    Attributes
    ----------
    view : ViewState
        The current state (a trait: observe it with ``viewer.observe(f, "view")``).
    volume : Volume
        The series on screen.
    canvas : ReadingCanvas
        The browser viewport.
    badge : ipywidgets.HTML
        The side badge, above the image (never over it).
    """

    view = traitlets.Instance(ViewState, allow_none=True)

    def __init__(
        self,
        case: ReviewCase,
        *,
        study_key: str | None = None,
        series_key: str | None = None,
        size: int = DEFAULT_SIZE,
        image_format: str = "jpeg",
        fixed_study: bool = False,
        name: str = "",
        volumes: OrderedDict[str, Volume] | None = None,
    ) -> None:
        super().__init__()
        self.case = case
        self.size = int(size)
        self.image_format = image_format
        self.name = str(name)
        self.store = measure.MeasurementStore(case.workspace)
        self.volume: Volume | None = None
        self.study_key: str | None = None
        self.series_row: pd.Series | None = None
        self.side: str | None = None
        self.reference_window: tuple[float, float] = (0.0, 1.0)
        self.last_key_image: KeyImage | None = None
        self._key_images_of: str | None = None  # the series whose ★ key images are listed
        self._volumes: OrderedDict[str, Volume] = OrderedDict() if volumes is None else volumes
        self._volumes_kept = _VOLUMES_KEPT if volumes is None else _VOLUMES_SHARED
        self._point_handlers: list[Any] = []
        self._prefetch_due: ViewState | None = None
        self._prefetch_paused = False
        self._syncing = False
        self._quiet = False
        self._browser_seq = 0  # the last numbered view action of the browser carried out
        self._pending_series: str | None = None
        self._title_lines: list[str] = []
        self._slice_meta: dict[str, Any] | None = None
        self._pushed: tuple[str, str, int] | None = None
        self._ranges_from_window = False
        self._latest: LatestWins[ViewState] = LatestWins(self._render)
        self._build(fixed_study)
        studies = _studies_with_images(case)
        if not studies:
            self.status.value = "<b>This case has no DICOM series to view.</b>"
            return
        if study_key is None and series_key is not None:
            found = case.series[case.series["series_key"] == series_key]
            study_key = str(found["study_key"].iloc[0]) if len(found) else None
        keys = [k for _, k in studies]
        self._pending_series = series_key
        with self._quietly():
            self.study.options = studies
            self.study.value = None
        self.study.value = study_key if study_key in keys else keys[-1]

    # --- layout -----------------------------------------------------------------------
    def _build(self, fixed_study: bool) -> None:
        W = widgets
        self.study = W.Dropdown(description="Study", layout=W.Layout(width="100%"))
        self.series = W.Dropdown(description="Series", layout=W.Layout(width="100%"))
        self.thumbnails = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.badge = W.HTML()
        self.canvas = ReadingCanvas(size=self.size, tools=TOOLS)
        self.canvas.on_action(self._on_action)
        # 1-based, as the overlay counts: "9/16" is slice 9 on the slider too
        self.slider = W.IntSlider(
            description="Slice", min=1, max=1, continuous_update=True, layout=W.Layout(width="100%")
        )
        # every viewer its own Layout: a shared one showed and hid buttons across viewers
        # one Layout and one ButtonStyle for this viewer's buttons (each is a widget model
        # of its own, a message to the front end; no button is styled or hidden alone) --
        # but never shared with another viewer's: a shared one showed and hid buttons
        # across viewers
        self._button_style = W.ButtonStyle()
        self._auto_width = W.Layout(width="auto")
        arrows = _button()
        self.prev_button = W.Button(description="◀", tooltip="previous slice", layout=arrows,
                                    style=self._button_style)  # fmt: skip
        self.next_button = W.Button(description="▶", tooltip="next slice", layout=arrows,
                                    style=self._button_style)  # fmt: skip
        self.play = W.Play(min=1, max=1, interval=100, description="cine")
        self.center = W.FloatSlider(
            description="Level", continuous_update=True, layout=W.Layout(width="100%")
        )
        self.width = W.FloatSlider(
            description="Width", min=1, continuous_update=True, layout=W.Layout(width="100%")
        )
        self.presets = W.HBox()
        self.plane = W.Dropdown(
            options=["acquired"],
            value="acquired",
            description="Plane",
            layout=W.Layout(width="14em"),
        )
        self.tool_buttons = {
            name: W.Button(
                description=label, tooltip=tip, layout=self._auto_width, style=self._button_style
            )
            for name, label, tip in (
                ("zoom_in", "＋", "zoom in"),
                ("zoom_out", "－", "zoom out"),
                ("pan_left", "←", "pan left"),
                ("pan_right", "→", "pan right"),
                ("pan_up", "↑", "pan up"),
                ("pan_down", "↓", "pan down"),
                ("rotate", "⟳ 90°", "rotate clockwise"),
                ("flip_h", "⇋ flip", "mirror left-right"),
                ("flip_v", "⇵ flip", "mirror top-bottom"),
                ("invert", "invert", "invert grey levels"),
                ("reset", "reset", "whole image, header window"),
            )
        }
        self.header = W.HTML()
        self.header_box = W.Accordion(children=[self.header], selected_index=None)
        self.header_box.set_title(0, "DICOM header (key tags of this image)")
        self.measurements = W.HTML()
        self.status = W.HTML()

        self.study.observe(self._on_study, names="value")
        self.series.observe(self._on_series, names="value")
        self.slider.observe(self._on_slider, names="value")
        self.prev_button.on_click(lambda _: self.scroll(-1))
        self.next_button.on_click(lambda _: self.scroll(1))
        W.link((self.play, "value"), (self.slider, "value"))
        self.center.observe(self._on_window, names="value")
        self.width.observe(self._on_window, names="value")
        self.plane.observe(self._on_plane, names="value")
        self.header_box.observe(lambda _: self._update_header(), names="selected_index")
        actions = {
            "zoom_in": lambda s: zoom_by(s, 1.25),
            "zoom_out": lambda s: zoom_by(s, 0.8),
            "pan_left": lambda s: pan_by(s, 0.0, -0.1 / s.zoom),
            "pan_right": lambda s: pan_by(s, 0.0, 0.1 / s.zoom),
            "pan_up": lambda s: pan_by(s, -0.1 / s.zoom, 0.0),
            "pan_down": lambda s: pan_by(s, 0.1 / s.zoom, 0.0),
            "rotate": lambda s: rotate_by(s, 1),
            "flip_h": lambda s: flip(s, horizontal=True),
            "flip_v": lambda s: flip(s, horizontal=False),
            "invert": toggle_invert,
            "reset": lambda s: reset(s, self._require_volume()),
        }
        for name, button in self.tool_buttons.items():
            button.on_click(lambda _, f=actions[name]: self.apply(f))

        picker = (
            [self.series, self.thumbnails]
            if fixed_study
            else [self.study, self.series, self.thumbnails]
        )
        self.slice_row = W.HBox([self.prev_button, self.slider, self.next_button, self.play])
        self.window_box = W.VBox([self.center, self.width])
        tools = W.HBox(list(self.tool_buttons.values()), layout=W.Layout(flex_flow="row wrap"))
        self.children = [
            *picker,
            self.badge,
            self.canvas,
            self.slice_row,
            self.window_box,
            W.HBox([self.presets, self.plane], layout=W.Layout(flex_flow="row wrap")),
            tools,
            self.header_box,
            self.measurements,
            self.status,
        ]

    # --- selection --------------------------------------------------------------------
    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Change option lists without the selection observers reacting."""
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def _on_study(self, change: dict[str, Any]) -> None:
        key = change["new"]
        if key is None or self._quiet:
            return
        self.study_key = str(key)
        options = _series_options(self.case, self.study_key)
        wanted = self._pending_series
        self._pending_series = None
        keys = [k for _, k in options]
        target = wanted if wanted in keys else (keys[0] if keys else None)
        with self._quietly():
            self.series.options = options
            self.series.value = target
        self._build_thumbnails(_series_choices(self.case, self.study_key))
        if target is not None:
            self.show_series(target)

    def _on_series(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and not self._quiet:
            self.show_series(str(change["new"]))

    def _build_thumbnails(self, choices: Sequence[_SeriesChoice]) -> None:
        boxes = []
        button_layout = widgets.Layout(width=f"{_THUMB + 8}px")
        picture_layout = widgets.Layout(width=f"{_THUMB}px")
        for choice in choices:
            key = choice.key
            button = widgets.Button(
                description=choice.description[:14],
                tooltip=choice.label,
                layout=button_layout,
                style=self._button_style,
            )
            button.on_click(lambda _, k=key: setattr(self.series, "value", k))
            button.series_key = key
            picture = widgets.Image(
                value=self._thumbnail(key, make=self.canvas.viewed),
                format="jpeg",
                layout=picture_layout,
            )
            picture.series_key = key
            boxes.append(widgets.VBox([picture, button]))
        self.thumbnails.children = boxes

    def _fill_thumbnails(self) -> None:
        """Make the thumbnails not made yet (when a front end first shows the viewer)."""
        for box in self.thumbnails.children:
            picture = box.children[0]
            if not picture.value:
                picture.value = self._thumbnail(str(picture.series_key))

    def _thumbnail(self, series_key: str, *, make: bool = True) -> bytes:
        """The series' thumbnail, cached under ``<workspace>/cache/thumbnails``.

        Without *make*, only one already cached (empty bytes otherwise): nothing is
        decoded for a viewer no front end shows yet.
        """
        path = Path(self.case.workspace) / "cache" / "thumbnails" / f"{series_key}.jpg"
        try:
            return path.read_bytes()
        except OSError:
            pass
        if not make:
            return b""
        try:
            data = thumbnail(self._volume(series_key), size=_THUMB)
        except (WorkbenchError, IndexError, ValueError):
            return b""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError:
            pass
        return data

    def _volume(self, series_key: str) -> Volume:
        found = self._volumes.pop(series_key, None)
        volume = found if found is not None else load_series(self.case, series_key)
        self._volumes[series_key] = volume
        while len(self._volumes) > self._volumes_kept:
            self._volumes.popitem(last=False)
        return volume

    def show_series(self, series_key: str, *, index: int | None = None) -> None:
        """Show *series_key* (middle slice of a stack, first image otherwise)."""
        try:
            volume = self._volume(series_key)
            state = initial_state(volume, index=index)
        except (WorkbenchError, IndexError) as exc:
            self.status.value = f"<b>Cannot show this series:</b> {_escape(str(exc))}"
            return
        self.status.value = ""
        self.volume = volume
        self._pushed = None
        rows = self.case.series[self.case.series["series_key"] == series_key]
        self.series_row = rows.iloc[0] if len(rows) else None
        facts = study_facts(self.case.studies, self.study_key or "")
        side = _value(self.series_row, "side") if self.series_row is not None else None
        self.side = side or facts.get("side")
        self.badge.value = badge_html(
            self.side,
            study_label({**facts, "side": None}).replace(" · SIDE ?", ""),
            disputed=self._disputed(self.side),
        )
        self.reference_window = (state.center, state.width)
        desc = _value(self.series_row, "SeriesDescription") if self.series_row is not None else None
        self._title_lines = [str(desc or ""), str(facts.get("date") or "")]
        self._configure_controls(volume, state)
        for box in self.thumbnails.children:
            button = box.children[1]
            button.button_style = (
                "info" if getattr(button, "series_key", None) == series_key else ""
            )
        self._set_state(state)

    def _disputed(self, side: str | None) -> str | None:
        """``LEFT? report says RIGHT`` when the records disagree about this study's side."""
        try:
            dispute = _disputed_sides(self.case).get(self.study_key or "")
        except (AttributeError, KeyError):  # a case without the record tables
            return None
        return side_display(side, dispute) if dispute else None

    def _configure_controls(self, volume: Volume, state: ViewState) -> None:
        self._syncing = True
        try:
            n = volume.n_frames
            self.slider.max = self.play.max = max(n, 1)
            self.play.interval = _cine_interval(volume) if n > 1 else 100
            self.slice_row.layout.display = "" if n > 1 else "none"
            # colour images have no window: no Level/Width sliders (disabled ones misled)
            self.window_box.layout.display = "none" if volume.is_color else ""
            self._set_ranges(volume, state)
            names = (
                []
                if volume.is_color
                else ["auto", *([p for p in PRESETS if volume.modality == "CT"])]
            )
            buttons = []
            for name in names:
                b = widgets.Button(
                    description=name.removeprefix("ct_").replace("_", " "),
                    layout=self._auto_width,
                    style=self._button_style,
                )
                b.on_click(lambda _, n=name: self.apply_preset(n))
                b.preset = name
                buttons.append(b)
            self.preset_buttons = buttons
            self.presets.children = buttons
            planes = ["acquired"]
            try:
                if volume.geometry.uniform and n > 1 and not volume.is_color:
                    mpr.plane_count(volume, "axial")
                    planes += list(mpr.PLANES)
            except PixelDataError:
                pass
            self.plane.options = planes
            self.plane.value = "acquired"
        finally:
            self._syncing = False

    def _set_ranges(self, volume: Volume, state: ViewState) -> None:
        """Level and Width slider ranges from the frame's values (from its window until a
        front end shows the viewer: nothing is decoded for sliders nobody sees)."""
        self._ranges_from_window = not self.canvas.viewed
        if self._ranges_from_window:
            lo, hi = state.center - state.width / 2, state.center + state.width / 2
        else:
            lo, hi = _value_range(volume, state)
        span = max(hi - lo, 1.0)
        lo, hi = lo - span / 2, hi + span / 2
        if volume.modality == "CT":  # presets must fit: air to dense metal
            lo, hi = min(lo, -1024.0), max(hi, 3071.0)
        step = 1.0 if span > 50 else span / 500
        self.center.min, self.center.max = -1e12, 1e12  # widen first: min may not exceed max
        self.center.min, self.center.max = min(lo, state.center), max(hi, state.center)
        self.width.min, self.width.max = 1.0, max(2 * span, state.width)
        self.center.step = self.width.step = step

    def _first_view(self) -> None:
        """A front end shows the viewer for the first time: what was left for it."""
        volume, state = self.volume, self.view
        if volume is not None and state is not None and self._ranges_from_window:
            self._syncing = True
            try:
                self._set_ranges(volume, state)
            finally:
                self._syncing = False
        self._fill_thumbnails()

    # --- transitions ------------------------------------------------------------------
    def _require_volume(self) -> Volume:
        if self.volume is None:
            raise WorkbenchError("No series is shown; pick a study and a series first.")
        return self.volume

    def apply(self, transition: Any) -> ViewState:
        """Apply a pure transition ``ViewState -> ViewState`` and show the result."""
        self._require_volume()
        assert self.view is not None
        new = transition(self.view)
        self._set_state(new)
        return new

    def scroll(self, delta: int) -> None:
        """Move *delta* slices (the ◀ ▶ buttons)."""
        self._require_volume()
        assert self.view is not None
        self.show_index(self.view.index + int(delta))

    def show_index(self, index: int) -> None:
        """Go to slice *index* (0-based) of the current plane."""
        volume = self._require_volume()
        assert self.view is not None
        self._set_state(set_index(self.view, index, slice_count(volume, self.view.plane)))

    def set_window(self, center: float, width: float) -> None:
        """Set window level (*center*) and *width* in modality units."""
        self.apply(lambda s: set_window(s, center, width))

    def apply_preset(self, name: str) -> None:
        """A preset of :data:`workbench.imaging.windowing.PRESETS`, or ``"auto"``."""
        volume = self._require_volume()
        self.apply(lambda s: apply_preset(s, name, volume))

    def _on_slider(self, change: dict[str, Any]) -> None:
        if not self._syncing and self.view is not None:
            self.show_index(int(change["new"]) - 1)

    def _on_window(self, _: dict[str, Any]) -> None:
        if not self._syncing and self.view is not None:
            self.set_window(self.center.value, self.width.value)

    def _on_plane(self, change: dict[str, Any]) -> None:
        if self._syncing or self.view is None or self.volume is None:
            return
        plane = str(change["new"])
        self._set_state(set_plane(self.view, plane, slice_count(self.volume, plane) // 2))

    def _set_state(self, state: ViewState) -> None:
        """Make *state* current: move the controls to it, then update the browser."""
        volume = self._require_volume()
        with self._latest.hold():
            self._syncing = True
            try:
                n = slice_count(volume, state.plane)
                if self.slider.max != max(n, 1):
                    self.slider.max = self.play.max = max(n, 1)
                self.slider.value = state.index + 1
                if not volume.is_color:
                    self.center.min = min(self.center.min, state.center)
                    self.center.max = max(self.center.max, state.center)
                    self.width.max = max(self.width.max, state.width)
                    self.center.value, self.width.value = state.center, state.width
                self.plane.value = state.plane
            finally:
                self._syncing = False
            self.view = state
            self._latest.submit(state)

    # --- the browser ------------------------------------------------------------------
    def _slice_key(self, state: ViewState, index: int | None = None) -> str:
        i = state.index if index is None else index
        return f"{state.series_key}|{state.plane}|{i}"

    def _encoded(self, state: ViewState, index: int) -> tuple[Any, dict[str, Any]]:
        """Codes and metadata of slice *index* of *state*'s plane, as the browser gets them."""
        volume = self._require_volume()
        if state.plane == "acquired":
            values = volume.display_frame(index, max_size=DISPLAY_SIZE)
            rows, cols = int(volume.shape[1]), int(volume.shape[2])
            spacing = volume.geometry.pixel_spacing
            aspect = spacing[0] / spacing[1] if spacing else 1.0
        else:
            values, aspect = mpr.reformat(volume, state.plane, index)
            rows, cols = int(values.shape[0]), int(values.shape[1])
        codes, meta = encode_slice(values)
        meta.update(rows=rows, cols=cols, aspect=float(aspect), index=index)
        meta["unit"] = "HU" if volume.modality == "CT" else ""
        return codes, meta

    def _render(self, state: ViewState) -> None:
        """Send *state* to the browser: the slice once, then window, view and overlay.

        Before a front end has rendered this viewer (:attr:`ReadingCanvas.viewed`) only
        the state is set (view, overlay, measurements): no slice is decoded or encoded
        for a browser that is not there; the first view's ``hello`` asks for it.
        """
        if self.volume is None or state.series_key != self.volume.series_key:
            return
        if not self.canvas.viewed:
            self._state_only(state)
            return
        volume = self.volume
        key = self._slice_key(state)
        try:
            codes, meta = self._encoded(state, state.index)
            params = window_params(volume, state, meta)
        except (WorkbenchError, IndexError, ValueError) as exc:
            self.status.value = f"<b>Cannot draw this image:</b> {_escape(str(exc))}"
            return
        self._slice_meta = meta
        table = params.pop("voi_table")
        found = self._frame_measurements(state)
        with self.canvas.hold_sync():
            self.canvas.send_slice(key, codes, meta, voi_table=table)
            self.canvas.window = params
            self.canvas.presets = self._preset_list(state)
            self._state_traits(state, found)
        self._pushed = (state.series_key, state.plane, state.index)
        self._show_lists(state, found)
        if self._prefetch_paused:
            self._prefetch_due = state
        else:
            self._prefetch(state)

    def _state_only(self, state: ViewState) -> None:
        """What :meth:`_render` sets without a front end: traits read in Python, no pixels."""
        volume = self._require_volume()
        found = self._frame_measurements(state)
        params = window_params(volume, state)  # the header's, no table: that needs the codes
        params.pop("voi_table")
        with self.canvas.hold_sync():
            self.canvas.window = params
            if volume.is_color:
                self.canvas.presets = []
            self._state_traits(state, found)
        self._show_lists(state, found)

    def _state_traits(self, state: ViewState, found: list[Measurement]) -> None:
        """The traits both renders set: view, measurements, overlay, ★ key images."""
        self.canvas.view = self._browser_view(state)
        self.canvas.measurements = [_browser_record(m) for m in found]
        self.canvas.overlay = self._overlay(state)
        self._list_key_images(state.series_key)

    def _show_lists(self, state: ViewState, found: list[Measurement]) -> None:
        """The measurement table under the image and, when it is open, the header tab."""
        self.measurements.value = measurement_table_html(
            [_measurement_row(m, state.index) for m in found]
        )
        if self.header_box.selected_index == 0:
            self._update_header()

    def _list_key_images(self, series_key: str, *, again: bool = False) -> None:
        """List the ★ key images of *series_key* under the toolbar (read once per series)."""
        if series_key != self._key_images_of or again:
            self._key_images_of = series_key
            self.canvas.key_images = toolbar_key_images(self.case.workspace, series_key)

    @contextmanager
    def prefetch_later(self) -> Iterator[None]:
        """Send neighbouring slices only at the end (a layout moves its panes first)."""
        self._prefetch_paused = True
        try:
            yield
        finally:
            self._prefetch_paused = False
            due, self._prefetch_due = self._prefetch_due, None
            if due is not None and self.volume is not None and due == self.view:
                self._prefetch(due)

    def send_region(self, key: str, rect: Any) -> bool:
        """Send the full-resolution pixels of the view rectangle *rect* of slice *key*.

        *rect* is ``(top, left, bottom, right)`` in full-resolution pixel edges (see
        :func:`workbench.view.region.region_box`). Nothing is sent (False) for a slice
        no longer shown, a reformatted plane or a slice the browser holds at full
        resolution already.
        """
        volume, state, meta = self.volume, self.view, self._slice_meta
        if volume is None or state is None or meta is None or state.plane != "acquired":
            return False
        if key != self._slice_key(state) or meta.get("index") != state.index:
            return False  # the reviewer moved on: a stale request
        rows, cols = int(meta["rows"]), int(meta["cols"])
        if int(meta["width"]) >= cols and int(meta["height"]) >= rows:
            return False
        if not isinstance(rect, (list, tuple)):
            raise ValueError(f"A region request needs a view rectangle, got {rect!r}.")
        box = region_box(rect, (rows, cols))
        if box is None:
            return False
        codes, region = encode_region(volume, state.index, box)
        region["unit"] = meta.get("unit", "")
        table = window_params(volume, state, region)["voi_table"]
        self.canvas.send_region(key, codes, region, voi_table=table)
        return True

    def _prefetch(self, state: ViewState) -> None:
        """Send the neighbouring slices ahead, so scrolling shows them at once."""
        assert self.volume is not None
        n = slice_count(self.volume, state.plane)
        for step in _PREFETCH:
            i = state.index + step
            key = self._slice_key(state, i)
            if 0 <= i < n and not self.canvas.has_sent(key):
                try:
                    codes, meta = self._encoded(state, i)
                except (WorkbenchError, IndexError, ValueError):
                    continue
                self.canvas.send_slice(key, codes, meta, show=False)

    def _preset_list(self, state: ViewState) -> list[dict[str, Any]]:
        volume = self._require_volume()
        if volume.is_color:
            return []
        auto = apply_preset(state, "auto", volume)
        out = [{"name": "auto", "center": auto.center, "width": auto.width,
                "voi_lut": auto.voi_lut}]  # fmt: skip
        if volume.modality == "CT":
            out += [{"name": k, "center": c, "width": w} for k, (c, w) in PRESETS.items()]
        return out

    def _overlay(self, state: ViewState) -> dict[str, Any]:
        volume = self._require_volume()
        image_labels = (
            orientation_labels(volume.geometry)
            if state.plane == "acquired"
            else (mpr.plane_labels(state.plane))
        )
        spacing, text = self._calibration_text(state)
        return {
            "labels": view_labels(image_labels, state),
            "title": " · ".join(t for t in self._title_lines if t),
            "n": slice_count(volume, state.plane),
            "plane": state.plane,
            "series_key": state.series_key,
            "spacing": list(spacing) if spacing else None,
            "calibration": text,
            "measurable": state.plane == "acquired",
        }

    def _calibration_text(self, state: ViewState) -> tuple[tuple[float, float] | None, str]:
        """The spacing lengths use on this image and where it comes from, in words."""
        volume = self._require_volume()
        if state.plane != "acquired":
            return None, "reformatted plane: measure on the acquired images"
        user = self.store.calibration_for(*volume.sop_uids[state.index])
        if user is not None:
            return user.mm_per_px, f"calibrated: user calibration ({user.known_mm:g} mm line)"
        geometry = volume.geometry
        if geometry.pixel_spacing is None:
            return None, "not calibrated: lengths in pixels (calibrate on an object of known size)"
        short = SHORT_SOURCE.get(geometry.spacing_source, geometry.spacing_source)
        return geometry.pixel_spacing, f"calibrated: {short}"

    def _on_action(self, msg: dict[str, Any]) -> None:
        """One finished action from the browser; errors go back as a status line."""
        kind = msg.get("type")
        self.canvas.viewed = True  # a front end is there (its first message is its hello)
        seq = msg.get("seq")
        if type(seq) is int and seq > self._browser_seq:
            self._browser_seq = seq  # echoed in the view, so the browser knows it is answered
        try:
            # the reply goes out first, the redraw it causes after it (one coalesced render)
            with self._latest.hold():
                self._answer(kind, msg)
        except (WorkbenchError, ValueError, KeyError, TypeError, IndexError) as exc:
            self.canvas.status = str(exc)
            self.canvas.reply({"type": "error", "text": str(exc)})
            return
        finally:
            self._acknowledge()
        if kind == "hello":
            self._first_view()  # after the slice on screen has gone out
        elif kind not in ("need", "need_region"):
            self.canvas.status = ""

    def _browser_view(self, state: ViewState) -> dict[str, Any]:
        """*state* as the browser keeps it, with the last numbered action carried out."""
        return {**view_dict(state), "seq": self._browser_seq}

    def _acknowledge(self) -> None:
        """Echo the last numbered browser action in the view, also when nothing moved."""
        shown = self.canvas.view
        if shown and shown.get("seq") != self._browser_seq:
            self.canvas.view = {**shown, "seq": self._browser_seq}

    def _answer(self, kind: Any, msg: dict[str, Any]) -> None:
        """Carry out one browser action (errors are reported by the caller)."""
        if kind == "hello":
            if self.view is not None and self.volume is not None:
                self._latest.submit(self.view)
        elif kind == "need":
            self.canvas.forget(str(msg.get("key")))
            if self.view is not None:
                self._latest.submit(self.view)
        elif kind == "need_region":
            self.send_region(str(msg.get("key")), msg.get("rect"))
        elif kind == "index" and self.view is not None:
            self.show_index(int(msg["index"]))
        elif kind == "view" and self.view is not None:
            self.apply(lambda s: view_from_browser(s, msg.get("view") or {}))
        elif kind == "preset":
            self.apply_preset(str(msg.get("name")))
        elif kind == "reset":
            self.apply(lambda s: reset(s, self._require_volume()))
        elif kind == "measure":
            m = self.measure(str(msg.get("tool")), msg.get("points") or [], **_extras(msg))
            text = f"stored: {m.kind} {measurement_value_text(m)}"
            self.canvas.reply({"type": "stored", "id": m.id, "t0": msg.get("t0"), "text": text})
        elif kind == "move":
            self.move_measurement(str(msg.get("id")), msg.get("points") or [])
        elif kind == "delete":
            self.delete_measurement(str(msg.get("id")))
        elif kind == "rename":
            self.rename_measurement(str(msg.get("id")), str(msg.get("label") or ""))
        elif kind == "point":  # a click of the crosshair tool (layouts link the panes)
            row, col = (float(v) for v in msg["point"])
            for handler in self._point_handlers:
                handler(self, row, col)
        elif kind == "key_image":
            ids = msg.get("ids")
            if ids is not None and not isinstance(ids, list):
                raise ValueError(f"The key image's measurements are a list of ids, got {ids!r}.")
            # marked as the toolbar's: the export takes these from the workspace list (a
            # snapshot() in code reaches the page through its workbench-figure cell)
            shot = self.snapshot(str(msg.get("caption") or ""), save=False, measurement_ids=ids)
            shot = save_key_image(self.case.workspace, shot.png, {**shot.metadata, **TOOLBAR})
            self.last_key_image = shot
            self._list_key_images(self._require_volume().series_key, again=True)
            self.canvas.reply({"type": "stored", "text": "key image saved"})
        elif kind == "key_image_remove":
            number = msg.get("number")
            if type(number) is not int:
                raise ValueError(f"A key image is taken back by its number, got {number!r}.")
            removed = remove_key_image(self.case.workspace, number)
            self._list_key_images(self._require_volume().series_key, again=True)
            text = f"key image {number} taken back" if removed else f"no key image {number}"
            self.canvas.reply({"type": "stored", "text": text})

    def on_point(self, handler: Any) -> None:
        """Call ``handler(viewer, row, col)`` when the crosshair tool clicks the image."""
        self._point_handlers.append(handler)

    # --- drawing (static output) ------------------------------------------------------
    def _frame_measurements(self, state: ViewState) -> list[Measurement]:
        if state.plane != "acquired" or self.volume is None:
            return []
        sop, frame = self.volume.sop_uids[state.index]
        return self.store.for_frame(sop, frame)

    def _title(self) -> list[str]:
        """Series description and study date (worked out once per series)."""
        return list(self._title_lines)

    def frame_image(self) -> Image.Image | None:
        """The view on screen drawn by Pillow (overlays burned in), for static output."""
        if self.volume is None or self.view is None:
            return None
        state = self.view
        user = None
        if state.plane == "acquired":
            cal = self.store.calibration_for(*self.volume.sop_uids[state.index])
            user = (cal.mm_per_px, cal.source) if cal is not None else None
        try:
            image, _ = compose(
                self.volume,
                state,
                max_size=self.size,
                side=self.side,
                measurements=self._frame_measurements(state),
                title=self._title(),
                calibration=user,
            )
        except (WorkbenchError, IndexError, ValueError):
            return None
        return image

    def _update_header(self) -> None:
        if self.volume is None or self.view is None or self.header_box.selected_index != 0:
            return
        index = self.view.index if self.view.plane == "acquired" else 0
        try:
            ds = self.volume.dataset(index)
        except WorkbenchError as exc:
            self.header.value = f"<i>{_escape(str(exc))}</i>"
            return
        rows = header_rows(ds)
        rows.append(("calibration", self._calibration_text(self.view)[1]))
        self.header.value = header_html(rows)

    def current_png(self) -> bytes:
        """PNG bytes of the frame on screen, overlays included."""
        image = self.frame_image()
        return b"" if image is None else encode(image, "png")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_png(super()._repr_mimebundle_(**kwargs), self.current_png())

    # --- measurements -----------------------------------------------------------------
    def _acquired(self) -> tuple[Volume, int]:
        volume = self._require_volume()
        assert self.view is not None
        if self.view.plane != "acquired":
            raise WorkbenchError(
                f"Measurements are made on the acquired images; this view is a reformatted "
                f"{self.view.plane} plane. Set viewer.plane.value = 'acquired' first."
            )
        return volume, self.view.index

    def measure(self, tool: str, points: Sequence[Sequence[float]], **extra: Any) -> Measurement:
        """Make and store a measurement with *tool* (a name of :data:`TOOLS`) on this image.

        Points are (row, col) full-resolution pixels; points outside the image are
        refused (:class:`~workbench.errors.MeasurementError`).
        """
        volume, index = self._acquired()
        m = self._make(tool, volume, index, points, **extra)
        m = replace(m, viewer=self.name)
        self.store.add(m)
        self._latest.submit(self.view)  # type: ignore[arg-type]
        return m

    def _make(
        self, tool: str, volume: Volume, index: int, points: Sequence[Sequence[float]], **extra: Any
    ) -> Measurement:
        spec = _TOOL_POINTS.get(tool)
        if spec is None:
            raise MeasurementError(f"Unknown tool {tool!r}; use one of {', '.join(_TOOL_POINTS)}.")
        if len(points) != spec:
            raise MeasurementError(f"The {tool} tool needs {spec} points, got {len(points)}.")
        measure.check_points(volume, index, points)
        cal = self.store.calibration_for(*volume.sop_uids[index])
        p = [tuple(map(float, q)) for q in points]
        series = self.series_row
        if tool == "length":
            return measure.length(volume, index, p[0], p[1], calibration=cal, series=series)
        if tool == "angle":
            return measure.angle(volume, index, p[0], p[1], p[2], calibration=cal)
        if tool == "cobb":
            return measure.cobb(volume, index, p[:2], p[2:], calibration=cal)
        if tool in ("roi_ellipse", "roi_rectangle"):
            shape = tool.removeprefix("roi_")
            return measure.roi_box(volume, index, p[0], p[1], shape=shape, calibration=cal)
        if tool == "arrow":
            return measure.arrow(volume, index, p[0], p[1], str(extra.get("text") or ""))
        if tool == "calibration":
            known: Any = extra.get("known_mm")  # checked by calibrate (the browser sends text)
            return measure.calibrate(volume, index, p[0], p[1], known).as_measurement(
                volume.series_key
            )
        if tool in ("joint_space_medial", "joint_space_lateral"):
            compartment = tool.rsplit("_", 1)[1]
            return ortho.joint_space(volume, index, p[:2], p[2:], compartment=compartment,
                                     calibration=cal, series=series)  # fmt: skip
        if tool == "hka":
            return ortho.hka(volume, index, p[0], p[1], p[2], side=self.side, calibration=cal)
        if tool == "line_angle":
            return ortho.line_angle(volume, index, p[:2], p[2:], calibration=cal)
        if tool == "meyerding":
            return ortho.meyerding(volume, index, p[0], p[1], p[2], calibration=cal)
        if tool == "center_edge":
            return ortho.center_edge(volume, index, p[0], p[1], p[2], calibration=cal)
        assert tool == "leg_length"
        return ortho.leg_length(volume, index, p[0], p[1], p[2], p[3], calibration=cal)

    def _find(self, measurement_id: str) -> Measurement:
        for m in self.store:
            if m.id == measurement_id:
                return m
        raise MeasurementError(f"No measurement with id {measurement_id!r} in {self.store.path}.")

    def move_measurement(
        self, measurement_id: str, points: Sequence[Sequence[float]]
    ) -> Measurement:
        """Recompute a measurement of this image with moved *points* (same id and label)."""
        old = self._find(measurement_id)
        volume, index = self._acquired()
        if volume.sop_uids[index] != (old.sop_uid, old.frame):
            raise MeasurementError("That measurement belongs to another image.")
        tool = _KIND_TOOL.get(old.kind, old.kind)
        if old.kind == "joint_space":
            tool = f"joint_space_{old.details.get('compartment') or 'medial'}"
        extra = {"text": old.label, "known_mm": old.value}
        new = self._make(tool, volume, index, points, **extra)
        new = replace(new, id=old.id, created=old.created, label=old.label, viewer=old.viewer)
        self.store.update(new)
        self._latest.submit(self.view)  # type: ignore[arg-type]
        return new

    def delete_measurement(self, measurement_id: str) -> None:
        """Delete a stored measurement."""
        if not self.store.remove(measurement_id):
            raise MeasurementError(f"No measurement with id {measurement_id!r} to delete.")
        if self.view is not None:
            self._latest.submit(self.view)

    def rename_measurement(self, measurement_id: str, label: str) -> Measurement:
        """Give a stored measurement the reviewer's *label*."""
        new = replace(self._find(measurement_id), label=str(label).strip())
        self.store.update(new)
        if self.view is not None:
            self._latest.submit(self.view)
        return new

    def measure_length(self, p1: Sequence[float], p2: Sequence[float]) -> Measurement:
        """Length from *p1* to *p2* ((row, col) pixels of the full frame), stored and drawn."""
        return self.measure("length", [p1, p2])

    def measure_angle(
        self, a: Sequence[float], vertex: Sequence[float], b: Sequence[float]
    ) -> Measurement:
        """Angle a-vertex-b in degrees ((row, col) pixels), stored and drawn."""
        return self.measure("angle", [a, vertex, b])

    def measure_cobb(
        self, line1: Sequence[Sequence[float]], line2: Sequence[Sequence[float]]
    ) -> Measurement:
        """Cobb angle between two endplate lines, each ((row, col), (row, col))."""
        return self.measure("cobb", [*line1, *line2])

    def measure_roi(self, center: Sequence[float], radius: float) -> Measurement:
        """Mean ± SD in a circle (*center* (row, col), *radius* pixels), stored and drawn."""
        volume, index = self._acquired()
        measure.check_points(volume, index, [center])
        cal = self.store.calibration_for(*volume.sop_uids[index])
        m = replace(measure.roi(volume, index, center, radius, calibration=cal), viewer=self.name)
        self.store.add(m)
        self._latest.submit(self.view)  # type: ignore[arg-type]
        return m

    def calibrate(self, p1: Sequence[float], p2: Sequence[float], known_mm: float) -> None:
        """Calibrate this image on a line of *known_mm* (e.g. a 25 mm marker ball's diameter)."""
        self.measure("calibration", [p1, p2], known_mm=known_mm)

    # --- key images -------------------------------------------------------------------
    def snapshot(
        self,
        caption: str = "",
        *,
        save: bool = True,
        measurement_ids: Sequence[str] | None = None,
    ) -> KeyImage:
        """A key image of the current view: window, zoom, measurements, badge, scale bar.

        Displayed as ``image/png`` with the caption; saved under
        ``<workspace>/key_images`` and listed in ``key_images.json`` there (unless
        ``save=False``), where the export picks it up. *measurement_ids* chooses the
        measurements drawn (default: all of this image; the toolbar's key-image button
        passes the ticked ones).
        """
        volume = self._require_volume()
        state = self.view
        assert state is not None
        found = self._frame_measurements(state)
        if measurement_ids is not None:
            wanted = {str(i) for i in measurement_ids}
            found = [m for m in found if m.id in wanted]
        facts = study_facts(self.case.studies, self.study_key or "")
        label = study_label({**facts, "side": self.side})
        fig = key_image_figure(
            volume,
            state.index,
            caption=caption,
            measurements=found,
            side=self.side,
            view=state,
            size=self.size,
            title=self._title(),
            label=label,
        )
        png = figure_png(fig)
        record = {"caption": caption, "viewer": self.name,
                  **self.snapshot_record(state, found, label)}  # fmt: skip
        if not save:
            return KeyImage(png, caption, record)
        return save_key_image(self.case.workspace, png, record)

    def snapshot_record(
        self, state: ViewState, found: Sequence[Measurement], label: str
    ) -> dict[str, Any]:
        """What a key image of *state* records: study, series, slice, window, values."""
        volume = self._require_volume()
        sop, frame = volume.sop_uids[state.index] if state.plane == "acquired" else ("", 0)
        return {
            "study_key": self.study_key,
            "series_key": volume.series_key,
            "index": state.index,
            "plane": state.plane,
            "sop_uid": sop,
            "frame": frame,
            "label": label,
            "side": self.side,
            "window": [state.center, state.width],
            "view": record_view(state),
            "measurements": [_measurement_record(m) for m in found],
        }


#: The last case's disputed sides, with the objects they were worked out from.
_DISPUTED: list[tuple[tuple[Any, ...], dict[str, dict[str, list[str]]]]] = []


def _disputed_sides(case: ReviewCase) -> dict[str, dict[str, list[str]]]:
    """:func:`~workbench.readiness.laterality.disputed_sides`, once per case and tables.

    A notebook's viewers (a layout's panes, both sides of a comparison) all ask; the
    answer is kept while the case holds the same table and manifest objects.
    """
    names = ("series", "instances", "studies", "documents", "manifest")
    sources = (case, *(getattr(case, name) for name in names))
    if _DISPUTED and all(a is b for a, b in zip(_DISPUTED[0][0], sources, strict=True)):
        return _DISPUTED[0][1]
    found = disputed_sides(case)
    _DISPUTED[:] = [(sources, found)]
    return found


def _value_range(volume: Volume, state: ViewState) -> tuple[float, float]:
    if volume.is_color:
        return 0.0, 255.0
    values = volume.display_frame(state.index, max_size=256) if state.plane == "acquired" else None
    if values is None or values.size == 0:
        return state.center - state.width, state.center + state.width
    return float(np.min(values)), float(np.max(values))


def _measurement_row(m: Measurement, index: int) -> dict[str, Any]:
    from workbench.view.slice_view import measurement_value_text

    return {
        "kind": m.kind,
        "value": measurement_value_text(m),
        "calibration": m.calibration_source,
        "index": index + 1,
        "label": "; ".join(x for x in (m.note, ", ".join(m.flags)) if x),
    }


def _measurement_record(m: Measurement) -> dict[str, Any]:
    return {
        "id": m.id,
        "kind": m.kind,
        "value": m.value,
        "unit": m.unit,
        "sd": m.sd,
        "area": m.area,
        "calibration_source": m.calibration_source,
        "note": m.note,
        "flags": list(m.flags),
        "label": m.label,
        "details": dict(m.details),
    }


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def _browser_record(m: Measurement) -> dict[str, Any]:
    """A measurement as the browser draws and lists it."""
    text = measurement_value_text(m) if m.kind != "arrow" else ""
    if m.kind == "calibration":
        text = f"cal. {text}"
    if m.kind == "meyerding":
        text = f"{m.value:.0f} % (grade {m.details.get('grade', '?')})"
    if m.kind == "hka":
        text = f"{m.value:.1f}° ({m.details.get('direction', '')})"
    return {
        "id": m.id,
        "kind": m.kind,
        "points": [[float(p[0]), float(p[1])] for p in m.points],
        "text": text,
        "label": m.label,
        "calibration": m.calibration_source,
        "flags": list(m.flags),
        "note": m.note,
        "value": m.value,
        "unit": m.unit,
    }


def _extras(msg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "known_mm" in msg:
        out["known_mm"] = msg["known_mm"]
    if "text" in msg:
        out["text"] = str(msg["text"] or "")
    return out
