"""One view of a volume as the viewers draw it: pixels, aspect, letters, calibration, shapes.

The glue between the core (:class:`~workbench.imaging.volume.Volume`,
:class:`~workbench.view.state.ViewState`, :mod:`workbench.imaging.mpr`,
:mod:`workbench.imaging.measure`)
and the two painters (:mod:`workbench.render.frame` with Pillow,
:mod:`workbench.render.figures` with matplotlib). Plain functions, no widgets.

>>> from pydicom.data import get_testdata_file
>>> from workbench.imaging.volume import load_files
>>> from workbench.view.state import initial_state
>>> volume = load_files([get_testdata_file("CT_small.dcm")])
>>> view = slice_image(volume, initial_state(volume))
>>> view.pixels.shape, view.spacing_source, view.labels["left"]
((128, 128), 'PixelSpacing', 'R')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from workbench.imaging import mpr
from workbench.imaging.measure import Measurement
from workbench.imaging.windowing import orientation_labels, window_to_uint8
from workbench.view.overlay import Item, Shape, layout
from workbench.view.state import ViewState, view_labels
from workbench.view.viewport import Viewport

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume

#: The display size the viewers render at unless told otherwise (pixels, longest side).
DEFAULT_SIZE = 640


@dataclass(frozen=True)
class SliceImage:
    """The pixels of one view and what is known about them.

    Attributes
    ----------
    pixels : numpy.ndarray
        Full-resolution values after the modality LUT (or RGB uint8).
    aspect : float
        Pixel height over width.
    labels : dict
        Orientation letters of the unrotated image's edges.
    pixel_spacing : tuple of float or None
        (row, column) mm per pixel.
    spacing_source : str
        Where the spacing comes from (``"none"`` when unknown).
    reduced : callable or None
        ``reduced(k)``: the pixels area-reduced up to *k* times (cached by the volume).
    """

    pixels: np.ndarray
    aspect: float
    labels: dict[str, str]
    pixel_spacing: tuple[float, float] | None
    spacing_source: str
    reduced: Callable[[int], np.ndarray] | None = None


def slice_count(volume: Volume, plane: str = "acquired") -> int:
    """Number of slices the slider runs over in *plane*."""
    return volume.n_frames if plane == "acquired" else mpr.plane_count(volume, plane)


def _plane_column_spacing(volume: Volume, plane: str) -> float | None:
    """mm per column of a reformatted *plane* (columns run right-left, or front-back)."""
    g = volume.geometry
    if g.orientation is None or g.pixel_spacing is None or g.slice_spacing is None:
        return None
    row = np.asarray(g.orientation[:3], dtype=float)
    col = np.asarray(g.orientation[3:6], dtype=float)
    directions = (np.cross(row, col), col, row)  # slice, row index, column index axes
    spacings = (float(g.slice_spacing), float(g.pixel_spacing[0]), float(g.pixel_spacing[1]))
    patient_axis = 1 if plane == "sagittal" else 0
    axis = int(np.argmax([abs(d[patient_axis]) for d in directions]))
    return spacings[axis]


def slice_image(volume: Volume, state: ViewState) -> SliceImage:
    """The pixels and facts of the frame or reformatted slice *state* shows."""
    g = volume.geometry
    source = g.spacing_source if g.pixel_spacing is not None else "none"
    if state.plane == "acquired":
        spacing = g.pixel_spacing
        aspect = spacing[0] / spacing[1] if spacing and spacing[1] > 0 else 1.0
        index = state.index

        def reduced(k: int) -> np.ndarray:
            rows, cols = volume.shape[1], volume.shape[2]
            return volume.display_frame(index, max_size=-(-max(rows, cols) // k))

        return SliceImage(
            volume.frame(index), aspect, orientation_labels(g), spacing, source, reduced
        )
    pixels, aspect = mpr.reformat(volume, state.plane, state.index)
    col_mm = _plane_column_spacing(volume, state.plane)
    spacing = (aspect * col_mm, col_mm) if col_mm else None
    return SliceImage(pixels, aspect, mpr.plane_labels(state.plane), spacing, source)


def windower(volume: Volume, state: ViewState) -> Callable[[np.ndarray], np.ndarray]:
    """Window/level of *state* as a function of an array (MONOCHROME1 handled by the core)."""

    lut = volume.voi_lut(state.index) if state.voi_lut and state.plane == "acquired" else None

    def apply(values: np.ndarray) -> np.ndarray:
        return window_to_uint8(
            values, state.center, state.width, photometric=volume.photometric, voi_lut=lut
        )

    return apply


def measurement_shape(m: Measurement) -> Shape:
    """How a stored measurement is drawn: points to source ``(x, y)``, value as its label."""
    pts = tuple((float(c) + 0.5, float(r) + 0.5) for r, c in m.points)
    if m.kind == "roi" and len(pts) >= 2:
        (cx, cy), (px, py) = pts[0], pts[1]
        radius = float(np.hypot(px - cx, py - cy))
        label = f"{m.value:.1f} ± {m.sd or 0:.1f} {m.unit}"
        return Shape("ellipse", ((cx - radius, cy - radius), (cx + radius, cy + radius)), label)
    label = measurement_value_text(m)
    kind = {"calibration": "length"}.get(m.kind, m.kind)
    return Shape(kind, pts, label if m.kind != "calibration" else f"cal. {label}")


def measurement_value_text(m: Measurement) -> str:
    """``"42.3 mm"``, ``"12.5°"``, ``"310 px"``, ``"45.0 ± 3.1 HU"``."""
    if m.unit == "deg":
        return f"{m.value:.1f}°"
    if m.kind == "roi":
        return f"{m.value:.1f} ± {m.sd or 0:.1f} {m.unit}"
    return f"{m.value:.1f} {m.unit}"


def corner_lines(volume: Volume, state: ViewState, title: Sequence[str] = ()) -> list[str]:
    """Top-right text: title lines, image number, window, zoom."""
    lines = [t for t in title if t]
    n = slice_count(volume, state.plane)
    plane = "" if state.plane == "acquired" else f"{state.plane} "
    if n > 1:
        lines.append(f"{plane}{state.index + 1}/{n}")
    if not volume.is_color:
        lines.append(f"C {state.center:.6g}  W {state.width:.6g}")
    if state.zoom > 1.0:
        lines.append(f"×{state.zoom:.1f}")
    return lines


def view_layout(
    volume: Volume,
    state: ViewState,
    image: SliceImage,
    viewport: Viewport,
    *,
    side: str | None,
    measurements: Iterable[Measurement | Shape] = (),
    title: Sequence[str] = (),
    technical: bool = True,
) -> list[Item]:
    """The overlay items of one view (side badge, letters, scale bar, text, measurements).

    ``technical=False`` leaves out the reviewer's text (window, calibration source).
    """
    shapes = [m if isinstance(m, Shape) else measurement_shape(m) for m in measurements]
    return layout(
        viewport,
        side=side,
        labels=view_labels(image.labels, state),
        pixel_spacing=image.pixel_spacing,
        spacing_source=image.spacing_source,
        corner_lines=corner_lines(volume, state, title),
        shapes=shapes,
        technical=technical,
    )


def viewport_for(state: ViewState, image: SliceImage, max_size: int) -> Viewport:
    """The display mapping of *state* for *image* at *max_size* pixels."""
    return Viewport.for_state(state, image.pixels.shape, max_size, aspect=image.aspect)
