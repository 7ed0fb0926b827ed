"""Windowed slices with their overlays as matplotlib figures: notebook, key images, export.

:func:`render_slice` is the one function behind every static view: the viewers'
``snapshot()``, a notebook cell, the exported page. It draws the same windowed view
(:func:`workbench.render.frame.compose` without overlays: the display-size copy, never
the full radiograph) and the same overlay list (:func:`workbench.view.slice_view.view_layout`)
as the live viewer, with matplotlib instead of Pillow.

>>> from pydicom.data import get_testdata_file
>>> from workbench.imaging.volume import load_files
>>> volume = load_files([get_testdata_file("CT_small.dcm")])
>>> fig = render_slice(volume, 0, window=(40, 400), side="left", size=256)
>>> [round(v) for v in fig.get_size_inches() * fig.dpi]
[256, 256]
>>> len(figure_png(fig)) > 1000
True
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse as EllipsePatch

from workbench.render.frame import compose
from workbench.render.timeline_plot import cjk_font
from workbench.view.overlay import Ellipse, Item, Polyline, Shape, Text
from workbench.view.slice_view import DEFAULT_SIZE, slice_image, view_layout
from workbench.view.state import ViewState, initial_state, set_index, set_window

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from workbench.imaging.measure import Measurement
    from workbench.imaging.volume import Volume

__all__ = ["figure_png", "key_image_figure", "render_slice", "side_by_side_figure"]

DPI = 100
_HA = {"l": "left", "m": "center", "r": "right"}
_VA = {"a": "top", "t": "top", "m": "center", "s": "baseline", "b": "bottom", "d": "bottom"}


def _state(
    volume: Volume, index: int, window: tuple[float, float] | None, view: ViewState | None
) -> ViewState:
    state = view if view is not None else initial_state(volume, index=index)
    if view is not None and state.plane == "acquired":
        state = set_index(state, index, volume.n_frames)
    elif view is not None:
        state = replace(state, index=int(index))
    if window is not None:
        state = set_window(state, *window)
    return state


def _font(text: str) -> dict[str, Any]:
    font = cjk_font()
    if font and any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text):
        return {"fontfamily": [font, "DejaVu Sans"]}
    return {}


def paint(ax: Axes, items: Iterable[Item], px_to_pt: float) -> None:
    """Draw overlay items (display pixels) on *ax*, whose data units are display pixels."""
    for item in items:
        if isinstance(item, Polyline):
            pts = list(item.points) + ([item.points[0]] if item.closed else [])
            xs, ys = zip(*pts, strict=True)
            ax.plot(
                xs, ys, color=item.color, linewidth=item.width * px_to_pt, solid_capstyle="butt"
            )
        elif isinstance(item, Ellipse):
            x0, y0, x1, y1 = item.box
            ax.add_patch(
                EllipsePatch(
                    ((x0 + x1) / 2, (y0 + y1) / 2),
                    x1 - x0,
                    y1 - y0,
                    fill=False,
                    edgecolor=item.color,
                    linewidth=item.width * px_to_pt,
                )
            )
        elif isinstance(item, Text):
            kwargs: dict[str, Any] = {}
            if item.background:
                kwargs["bbox"] = {
                    "facecolor": item.background,
                    "edgecolor": "none",
                    "boxstyle": "square,pad=0.2",
                }
            else:
                import matplotlib.patheffects as pe

                kwargs["path_effects"] = [pe.withStroke(linewidth=2 * px_to_pt, foreground="black")]
            ax.text(
                item.xy[0],
                item.xy[1],
                item.text,
                color=item.color,
                fontsize=item.size * px_to_pt,
                fontweight="bold" if item.bold else "normal",
                ha=_HA.get(item.anchor[0], "left"),
                va=_VA.get(item.anchor[1], "top"),
                clip_on=True,
                **kwargs,
                **_font(item.text),
            )


def render_slice(
    volume: Volume,
    index: int,
    *,
    window: tuple[float, float] | None = None,
    ax: Axes | None = None,
    side: str | None = None,
    measurements: Sequence[Measurement | Shape] = (),
    caption: str | None = None,
    view: ViewState | None = None,
    size: int = DEFAULT_SIZE,
    title: Sequence[str] = (),
    technical: bool = True,
) -> Figure:
    """One slice, windowed, with side badge, orientation letters, scale bar and measurements.

    Parameters
    ----------
    volume : Volume
    index : int
        Display frame (or slice of ``view.plane``).
    window : tuple of float, optional
        (center, width) in modality units; default the view's, else the header's or an
        automatic window.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure exactly ``size`` pixels across.
    side : str, optional
        ``"left"``, ``"right"``, ``"bilateral"``; the badge says "SIDE ?" when missing.
    measurements : sequence
        :class:`~workbench.imaging.measure.Measurement` of this frame (or overlay shapes).
    caption : str, optional
        Written under the image (as the axes title when *ax* is given).
    view : ViewState, optional
        Zoom, pan, rotation, mirrors, inversion and plane of a viewer.
    size : int
        Longest side of the image in display pixels.
    title : sequence of str
        First lines of the top-right text.
    technical : bool
        False for the patient's page: no window, image number or calibration text.

    Returns
    -------
    matplotlib.figure.Figure
        Made with :class:`matplotlib.figure.Figure` (no pyplot state).
    """
    state = _state(volume, index, window, view)
    base, viewport = compose(volume, state, max_size=size, overlays=False)
    items = view_layout(
        volume,
        state,
        slice_image(volume, state),
        viewport,
        side=side,
        measurements=measurements,
        title=title,
        technical=technical,
    )
    w, h = viewport.size
    caption_px = 0.0
    if ax is None:
        lines = _wrap(caption, w) if caption else []
        caption_px = (len(lines) * 1.45 + 0.8) * 13 if lines else 0.0
        fig = Figure(figsize=(w / DPI, (h + caption_px) / DPI), dpi=DPI, facecolor="white")
        ax = fig.add_axes((0.0, caption_px / (h + caption_px), 1.0, h / (h + caption_px)))
        if lines:
            fig.text(
                0.01,
                (caption_px - 6) / (h + caption_px),
                "\n".join(lines),
                fontsize=10,
                va="top",
                ha="left",
                **_font(caption or ""),
            )
    root = ax.get_figure(root=True)
    assert isinstance(root, Figure)
    fig = root
    pixels = np.asarray(base)
    ax.imshow(
        pixels,
        cmap="gray" if pixels.ndim == 2 else None,
        vmin=0,
        vmax=255,
        interpolation="nearest",
        extent=(0, w, h, 0),
    )
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.set_axis_off()
    width_px = ax.get_window_extent().width or w
    paint(ax, items, px_to_pt=(width_px / w) * 72.0 / fig.dpi)
    if caption and caption_px == 0.0:
        ax.set_title(caption, fontsize=10, **_font(caption))
    return fig


def _wrap(text: str | None, width_px: int) -> list[str]:
    if not text:
        return []
    columns = max(20, int(width_px / 7))
    return [
        line for para in str(text).splitlines() for line in (textwrap.wrap(para, columns) or [""])
    ]


def key_image_figure(
    volume: Volume,
    index: int,
    *,
    caption: str = "",
    measurements: Sequence[Measurement] = (),
    side: str | None = None,
    view: ViewState | None = None,
    window: tuple[float, float] | None = None,
    size: int = DEFAULT_SIZE,
    title: Sequence[str] = (),
    label: str = "",
) -> Figure:
    """A key image: :func:`render_slice` with the caption, the study label and the values.

    Below the image: *label* (date, side, weight-bearing), the caption, then one line
    per measurement with its calibration source, so the page says where each
    millimetre comes from.
    """
    from workbench.view.slice_view import measurement_value_text

    lines = [label] if label else []
    if caption:
        lines.append(caption)
    for k, m in enumerate(measurements, 1):
        note = f" — {m.note}" if m.note else ""
        lines.append(
            f"{k}. {m.kind} {measurement_value_text(m)} (calibration: {m.calibration_source}){note}"
        )
    return render_slice(
        volume,
        index,
        window=window,
        side=side,
        measurements=measurements,
        caption="\n".join(lines) or None,
        view=view,
        size=size,
        title=title,
    )


def figure_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """PNG bytes of a figure (at its own dpi unless told)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, facecolor=fig.get_facecolor())
    return buf.getvalue()


def side_by_side_figure(
    panels: Sequence[dict[str, Any]], *, caption: str = "", size: int = DEFAULT_SIZE
) -> Figure:
    """Several views in one figure (prior | current), each labelled, caption underneath.

    Each panel is a dict of :func:`render_slice` keywords plus ``volume``, ``view`` and
    ``label`` (written above the image).
    """
    n = max(len(panels), 1)
    fig = Figure(figsize=(n * size / DPI, (size + 90) / DPI), dpi=DPI, facecolor="white")
    bottom = 70 / (size + 90)
    height = size / (size + 90)
    for k, panel in enumerate(panels):
        ax = fig.add_axes((k / n + 0.005, bottom, 1 / n - 0.01, height))
        view = panel["view"]
        render_slice(
            panel["volume"],
            view.index,
            ax=ax,
            view=view,
            side=panel.get("side"),
            measurements=panel.get("measurements", ()),
            size=size,
            title=panel.get("title", ()),
        )
        label = str(panel.get("label") or "")
        ax.set_title(label, fontsize=9, **_font(label))
    lines = _wrap(caption, n * size)
    for m_line in _value_lines(panels):
        lines.append(m_line)
    if lines:
        fig.text(
            0.01, bottom - 0.01, "\n".join(lines), fontsize=9, va="top", ha="left", **_font(caption)
        )
    return fig


def _value_lines(panels: Sequence[dict[str, Any]]) -> list[str]:
    from workbench.view.slice_view import measurement_value_text

    out = []
    for panel in panels:
        for m in panel.get("measurements", ()):
            if hasattr(m, "calibration_source"):
                out.append(
                    f"{panel.get('label', '')}: {m.kind} {measurement_value_text(m)} "
                    f"(calibration: {m.calibration_source})"
                )
    return out
