"""The series viewer: study → series → slice, window/level, zoom, orientation (widgets layer).

A thin binding: every control calls a pure transition of
:mod:`workbench.view.state` and the result is drawn by
:func:`workbench.render.frame.compose` into an ``ipywidgets.Image`` as JPEG bytes (no
matplotlib per slider tick). Renders are coalesced (:class:`~workbench.view.coalesce.LatestWins`).
``snapshot()`` makes a key image with :func:`workbench.render.figures.key_image_figure`, and the
widget's ``_repr_mimebundle_`` carries a PNG of the current frame so an exported
notebook still shows it.

ipywidgets has no mouse-wheel event: scroll with the slider (arrow keys once it has
focus), the ◀ ▶ buttons, or ▶ Play for cine loops.

>>> import workbench
>>> case = workbench.open_case(workbench.samples.path("knee_oa_right"),
...                            workspace=getfixture("tmp_path"))
>>> viewer = SeriesViewer(case)
>>> viewer.badge.value.count("RIGHT")
1
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets
from ipyevents import Event

from workbench.errors import PixelDataError, WorkbenchError
from workbench.imaging import measure, mpr
from workbench.imaging.volume import load_series
from workbench.imaging.windowing import PRESETS
from workbench.readiness.laterality import disputed_sides, side_display
from workbench.render.figures import figure_png, key_image_figure
from workbench.render.frame import compose, encode, thumbnail
from workbench.view.coalesce import LatestWins
from workbench.view.key_images import KeyImage, save_key_image
from workbench.view.labels import (
    badge_html,
    header_html,
    header_rows,
    measurement_table_html,
    study_facts,
    study_label,
)
from workbench.view.slice_view import DEFAULT_SIZE, slice_count
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
    zoom_by,
)

if TYPE_CHECKING:
    from PIL import Image

    from workbench.imaging.volume import Volume
    from workbench.readiness.protocol import ReviewCase

__all__ = ["SeriesViewer"]

_BUTTON = widgets.Layout(width="2.6em")
_THUMB = 96
_VOLUMES_KEPT = 2


def _studies_with_images(case: ReviewCase) -> list[tuple[str, str]]:
    """(label, study_key) of the studies that have series, oldest first."""
    keys = set(case.series["study_key"])
    rows = case.studies[case.studies["study_key"].isin(keys)].sort_values("date")
    return [(study_label(study_facts(case.studies, k)), str(k)) for k in rows["study_key"]]


def _series_options(case: ReviewCase, study_key: str) -> list[tuple[str, str]]:
    rows = case.series[case.series["study_key"] == study_key]
    if "SeriesNumber" in rows:
        rows = rows.sort_values("SeriesNumber", na_position="last", kind="stable")
    out = []
    for _, row in rows.iterrows():
        desc = str(row.get("SeriesDescription") or "").strip() or "(no description)"
        out.append(
            (
                f"{row.get('Modality', '')} · {desc} · {row.get('n_images', '')} im",
                str(row["series_key"]),
            )
        )
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
    """View the series of a case: study → series (with thumbnails) → slice.

    Parameters
    ----------
    case : ReviewCase
        From :func:`workbench.open_case`.
    study_key : str, optional
        Study shown first (default: the most recent study with images).
    series_key : str, optional
        Series shown first (default: the study's first series).
    size : int
        Longest side of the displayed image in screen pixels; frames are rendered at
        this size, not at their full resolution.
    image_format : str
        ``"jpeg"`` (default, fast) or ``"png"`` (lossless) for the live image.
    fixed_study : bool
        Hide the study picker (the comparison viewer shows one study per side).

    Attributes
    ----------
    view : ViewState
        The current state (a trait: observe it with ``viewer.observe(f, "view")``).
    volume : Volume
        The series on screen.
    image : ipywidgets.Image
        The rendered frame (JPEG or PNG bytes in ``image.value``).
    badge : ipywidgets.HTML
        The side badge (also drawn in the frame).
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
    ) -> None:
        super().__init__()
        self.case = case
        self.size = int(size)
        self.image_format = image_format
        self.store = measure.MeasurementStore(case.workspace)
        self.volume: Volume | None = None
        self.study_key: str | None = None
        self.series_row: pd.Series | None = None
        self.side: str | None = None
        self.reference_window: tuple[float, float] = (0.0, 1.0)
        self._volumes: OrderedDict[str, Volume] = OrderedDict()
        self._syncing = False
        self._quiet = False
        self._pending_series: str | None = None
        self._title_lines: list[str] = []
        self._frame: Image.Image | None = None
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
        # shown at its own pixel size (never upscaled to the cell width), shrinking if needed
        self.image = W.Image(
            format=self.image_format,
            layout=W.Layout(max_width="100%", width="auto", height="auto", align_self="flex-start"),
        )
        self.slider = W.IntSlider(
            description="Slice", min=0, max=0, continuous_update=True, layout=W.Layout(width="100%")
        )
        self.prev_button = W.Button(description="◀", tooltip="previous slice", layout=_BUTTON)
        self.next_button = W.Button(description="▶", tooltip="next slice", layout=_BUTTON)
        self.play = W.Play(min=0, max=0, interval=100, description="cine")
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
            name: W.Button(description=label, tooltip=tip, layout=W.Layout(width="auto"))
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
        # the mouse wheel over the image scrolls through slices (ipyevents: ipywidgets has no
        # wheel event); the page itself does not scroll while the pointer is on the image
        self.wheel = Event(source=self.image, watched_events=["wheel"], prevent_default_action=True,
                           wait=40)  # fmt: skip
        self.wheel.on_dom_event(self._on_wheel)
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
        slice_row = W.HBox([self.prev_button, self.slider, self.next_button, self.play])
        tools = W.HBox(list(self.tool_buttons.values()), layout=W.Layout(flex_flow="row wrap"))
        self.children = [
            *picker,
            self.badge,
            self.image,
            slice_row,
            self.center,
            self.width,
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
        self._build_thumbnails(options)
        if target is not None:
            self.show_series(target)

    def _on_series(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and not self._quiet:
            self.show_series(str(change["new"]))

    def _build_thumbnails(self, options: Sequence[tuple[str, str]]) -> None:
        boxes = []
        for label, key in options:
            button = widgets.Button(
                description=label.split(" · ")[1][:14],
                tooltip=label,
                layout=widgets.Layout(width=f"{_THUMB + 8}px"),
            )
            button.on_click(lambda _, k=key: setattr(self.series, "value", k))
            button.series_key = key
            picture = widgets.Image(
                value=self._thumbnail(key),
                format="jpeg",
                layout=widgets.Layout(width=f"{_THUMB}px"),
            )
            boxes.append(widgets.VBox([picture, button]))
        self.thumbnails.children = boxes

    def _thumbnail(self, series_key: str) -> bytes:
        """The series' thumbnail, cached under ``<workspace>/cache/thumbnails``."""
        path = Path(self.case.workspace) / "cache" / "thumbnails" / f"{series_key}.jpg"
        try:
            return path.read_bytes()
        except OSError:
            pass
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
        while len(self._volumes) > _VOLUMES_KEPT:
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
            dispute = disputed_sides(self.case).get(self.study_key or "")
        except (AttributeError, KeyError):  # a case without the record tables
            return None
        return side_display(side, dispute) if dispute else None

    def _configure_controls(self, volume: Volume, state: ViewState) -> None:
        self._syncing = True
        try:
            n = volume.n_frames
            self.slider.max = max(n - 1, 0)
            self.play.max = max(n - 1, 0)
            self.play.interval = _cine_interval(volume) if n > 1 else 100
            for w in (self.slider, self.prev_button, self.next_button, self.play):
                w.layout.visibility = "visible" if n > 1 else "hidden"
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
            for w in (self.center, self.width):
                w.disabled = volume.is_color
            names = ["auto", *([p for p in PRESETS if volume.modality == "CT"])]
            buttons = []
            for name in names:
                b = widgets.Button(
                    description=name.removeprefix("ct_").replace("_", " "),
                    layout=widgets.Layout(width="auto"),
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

    def _on_wheel(self, event: dict[str, Any]) -> None:
        """One wheel notch is one slice; a fast flick moves several (last request wins)."""
        if self.volume is None:
            return
        steps = wheel_steps(event)
        if steps:
            self.scroll(steps)

    def scroll(self, delta: int) -> None:
        """Move *delta* slices (the ◀ ▶ buttons)."""
        self._require_volume()
        assert self.view is not None
        self.show_index(self.view.index + int(delta))

    def show_index(self, index: int) -> None:
        """Go to slice *index* of the current plane."""
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
            self.show_index(int(change["new"]))

    def _on_window(self, _: dict[str, Any]) -> None:
        if not self._syncing and self.view is not None:
            self.set_window(self.center.value, self.width.value)

    def _on_plane(self, change: dict[str, Any]) -> None:
        if self._syncing or self.view is None or self.volume is None:
            return
        plane = str(change["new"])
        self._set_state(set_plane(self.view, plane, slice_count(self.volume, plane) // 2))

    def _set_state(self, state: ViewState) -> None:
        """Make *state* current: move the controls to it, then render (coalesced)."""
        volume = self._require_volume()
        with self._latest.hold():
            self._syncing = True
            try:
                n = slice_count(volume, state.plane)
                if self.slider.max != n - 1:
                    self.slider.max = self.play.max = max(n - 1, 0)
                self.slider.value = state.index
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

    # --- drawing ----------------------------------------------------------------------
    def _frame_measurements(self, state: ViewState) -> list[measure.Measurement]:
        if state.plane != "acquired" or self.volume is None:
            return []
        sop, frame = self.volume.sop_uids[state.index]
        return self.store.for_frame(sop, frame)

    def _title(self) -> list[str]:
        """Series description and study date (worked out once per series)."""
        return list(self._title_lines)

    def _render(self, state: ViewState) -> None:
        if self.volume is None or state.series_key != self.volume.series_key:
            return
        found = self._frame_measurements(state)
        try:
            image, _ = compose(
                self.volume,
                state,
                max_size=self.size,
                side=self.side,
                measurements=found,
                title=self._title(),
            )
        except (WorkbenchError, IndexError, ValueError) as exc:
            self.status.value = f"<b>Cannot draw this image:</b> {_escape(str(exc))}"
            return
        self._frame = image
        self.image.value = encode(image, self.image_format)
        self.measurements.value = measurement_table_html(
            [_measurement_row(m, state.index) for m in found]
        )
        if self.header_box.selected_index == 0:
            self._update_header()

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
        rows.append(("calibration", self.volume.geometry.spacing_source))
        self.header.value = header_html(rows)

    def current_png(self) -> bytes:
        """PNG bytes of the frame on screen, overlays included."""
        if self._frame is None:
            return b""
        return encode(self._frame, "png")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        data = super()._repr_mimebundle_(**kwargs) or {}
        png = self.current_png()
        if png:
            data["image/png"] = base64.b64encode(png).decode("ascii")
        return data

    # --- measurements -----------------------------------------------------------------
    def _measure(self, make: Any) -> measure.Measurement:
        volume = self._require_volume()
        assert self.view is not None
        if self.view.plane != "acquired":
            raise WorkbenchError(
                f"Measurements are made on the acquired images; this view is a reformatted "
                f"{self.view.plane} plane. Set viewer.plane.value = 'acquired' first."
            )
        calibration = self.store.calibration_for(*volume.sop_uids[self.view.index])
        m = self.store.add(make(volume, self.view.index, calibration))
        self._latest.submit(self.view)
        return m

    def measure_length(self, p1: Sequence[float], p2: Sequence[float]) -> measure.Measurement:
        """Length from *p1* to *p2* ((row, col) pixels of the full frame), stored and drawn."""
        return self._measure(
            lambda v, i, cal: measure.length(v, i, p1, p2, calibration=cal, series=self.series_row)
        )

    def measure_angle(
        self, a: Sequence[float], vertex: Sequence[float], b: Sequence[float]
    ) -> measure.Measurement:
        """Angle a-vertex-b in degrees ((row, col) pixels), stored and drawn."""
        return self._measure(lambda v, i, cal: measure.angle(v, i, a, vertex, b, calibration=cal))

    def measure_cobb(
        self, line1: Sequence[Sequence[float]], line2: Sequence[Sequence[float]]
    ) -> measure.Measurement:
        """Cobb angle between two endplate lines, each ((row, col), (row, col))."""
        return self._measure(lambda v, i, cal: measure.cobb(v, i, line1, line2, calibration=cal))

    def measure_roi(self, center: Sequence[float], radius: float) -> measure.Measurement:
        """Mean ± SD in a circle (*center* (row, col), *radius* pixels), stored and drawn."""
        return self._measure(lambda v, i, cal: measure.roi(v, i, center, radius, calibration=cal))

    def calibrate(self, p1: Sequence[float], p2: Sequence[float], known_mm: float) -> None:
        """Calibrate this image on a line of *known_mm* (e.g. a 25 mm marker ball's diameter)."""
        self._measure(
            lambda v, i, _: measure.calibrate(v, i, p1, p2, known_mm).as_measurement(v.series_key)
        )

    # --- key images -------------------------------------------------------------------
    def snapshot(self, caption: str = "", *, save: bool = True) -> KeyImage:
        """A key image of the current view: window, zoom, measurements, badge, scale bar.

        Displayed as ``image/png`` with the caption; saved under
        ``<workspace>/key_images`` and listed in ``key_images.json`` there (unless
        ``save=False``).
        """
        volume = self._require_volume()
        state = self.view
        assert state is not None
        found = self._frame_measurements(state)
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
        record = {"caption": caption, **self.snapshot_record(state, found, label)}
        if not save:
            return KeyImage(png, caption, record)
        return save_key_image(self.case.workspace, png, record)

    def snapshot_record(
        self, state: ViewState, found: Sequence[measure.Measurement], label: str
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
            "measurements": [_measurement_record(m) for m in found],
        }


def _value_range(volume: Volume, state: ViewState) -> tuple[float, float]:
    if volume.is_color:
        return 0.0, 255.0
    values = volume.display_frame(state.index, max_size=256) if state.plane == "acquired" else None
    if values is None or values.size == 0:
        return state.center - state.width, state.center + state.width
    return float(np.min(values)), float(np.max(values))


def _measurement_row(m: measure.Measurement, index: int) -> dict[str, Any]:
    from workbench.view.slice_view import measurement_value_text

    return {
        "kind": m.kind,
        "value": measurement_value_text(m),
        "calibration": m.calibration_source,
        "index": index + 1,
        "label": "; ".join(x for x in (m.note, ", ".join(m.flags)) if x),
    }


def _measurement_record(m: measure.Measurement) -> dict[str, Any]:
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
    }


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def wheel_steps(event: dict[str, Any]) -> int:
    """Slices to move for a DOM wheel event: sign of ``deltaY``, larger for big deltas.

    >>> wheel_steps({"deltaY": 100}), wheel_steps({"deltaY": -3}), wheel_steps({"deltaY": 0})
    (1, -1, 0)
    >>> wheel_steps({"deltaY": 480, "deltaMode": 0})
    4
    """
    delta = float(event.get("deltaY") or 0.0)
    if event.get("deltaMode") == 1:  # lines, not pixels
        delta *= 40.0
    if delta == 0:
        return 0
    size = max(1, min(10, round(abs(delta) / 120)))
    return size if delta > 0 else -size
