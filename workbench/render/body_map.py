"""The pain map's body outline: one geometry, drawn by matplotlib and written as SVG.

Front and back views side by side, in one coordinate space (y down, 440 × 400).
Each clickable region is an ellipse with its region key and, for paired regions,
the patient's side. The front view is seen facing the patient (the patient's
right on the viewer's left); the back view from behind (the patient's left on the
viewer's left). The same shapes give the widget's SVG (:func:`body_map_svg`, shipped
as ``workbench/widgets/static/body_outline.svg``) and the static image in the
summary and the notebook (:func:`plot_pain_map`), so what was clicked is what is drawn.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any, NamedTuple

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from workbench.i18n import BODY_REGIONS, label
from workbench.render.timeline_plot import _font_kwargs

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from workbench.record.protocol import CaseRecord

WIDTH, HEIGHT = 440, 400
BACK_OFFSET = 220
KIND_COLOURS = {
    "pain": "#d62728",
    "numbness": "#1f77b4",
    "tingling": "#ff7f0e",
    "weakness": "#9467bd",
}
_OUTLINE = "#c8c8c8"


class Shape(NamedTuple):
    """One clickable ellipse of the outline."""

    region: str
    side: str | None  # the patient's side; None for midline regions
    cx: float
    cy: float
    rx: float
    ry: float


#: (region, cx on the viewer's left half, cy, rx, ry); mirrored for the other side.
_FRONT = [
    ("shoulder", 62, 82, 13, 10),
    ("upper_arm", 52, 117, 8, 20),
    ("elbow", 48, 145, 8, 7),
    ("forearm", 45, 172, 7, 18),
    ("wrist_hand", 41, 204, 8, 12),
    ("lateral_hip", 70, 180, 6, 11),
    ("hip_groin", 86, 186, 9, 7),
    ("anterior_thigh", 86, 225, 11, 25),
    ("knee_lateral", 77, 268, 4, 9),
    ("anterior_knee", 86, 268, 4.5, 9),
    ("knee_medial", 95, 268, 4, 9),
    ("shin", 86, 308, 7, 25),
    ("ankle", 86, 343, 6, 5),
    ("foot_dorsum", 84, 359, 8, 6),
    ("toes", 82, 374, 8, 4),
]
_FRONT_MIDLINE = [("neck", 100, 60, 9, 7), ("chest", 100, 105, 26, 20)]
_BACK = [
    ("buttock", 86, 185, 13, 12),
    ("posterior_thigh", 86, 228, 11, 24),
    ("posterior_knee", 86, 268, 8, 8),
    ("calf", 86, 306, 9, 24),
    ("heel", 86, 358, 6, 6),
    ("sole", 86, 374, 7, 5),
]
_BACK_MIDLINE = [("upper_back", 100, 100, 26, 20), ("lower_back", 100, 148, 22, 14)]
#: Non-clickable silhouette: head, torso and the back view's arms, as (cx, cy, rx, ry).
_SILHOUETTE: list[tuple[float, float, float, float]] = [(100, 32, 18, 21), (100, 130, 34, 62)]


def shapes() -> list[Shape]:
    """Every clickable ellipse, front view then back view."""
    out: list[Shape] = []
    for region, cx, cy, rx, ry in _FRONT:  # viewer's left = patient's right
        out.append(Shape(region, "right", cx, cy, rx, ry))
        out.append(Shape(region, "left", 200 - cx, cy, rx, ry))
    out += [Shape(r, None, cx, cy, rx, ry) for r, cx, cy, rx, ry in _FRONT_MIDLINE]
    for region, cx, cy, rx, ry in _BACK:  # viewer's left = patient's left
        out.append(Shape(region, "left", BACK_OFFSET + cx, cy, rx, ry))
        out.append(Shape(region, "right", BACK_OFFSET + 200 - cx, cy, rx, ry))
    out += [Shape(r, None, BACK_OFFSET + cx, cy, rx, ry) for r, cx, cy, rx, ry in _BACK_MIDLINE]
    return out


#: The back view's arms (not regions of their own: arm pain is marked on the front).
_BACK_ARMS: list[tuple[float, float, float, float]] = [
    (62, 82, 13, 10),
    (52, 117, 8, 20),
    (48, 145, 8, 7),
    (45, 172, 7, 18),
]


def _silhouette() -> list[tuple[float, float, float, float]]:
    both = [(dx + cx, cy, rx, ry) for dx in (0, BACK_OFFSET) for cx, cy, rx, ry in _SILHOUETTE]
    arms = [(BACK_OFFSET + x, cy, rx, ry) for cx, cy, rx, ry in _BACK_ARMS for x in (cx, 200 - cx)]
    return both + arms


def body_map_svg() -> str:
    """The outline as an SVG document: ``<ellipse data-region= data-side=>`` per region."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" class="wb-body-map">',
        '<g class="wb-silhouette" fill="#eeeeee" stroke="#bbbbbb">',
        *(
            f'<ellipse cx="{cx:g}" cy="{cy:g}" rx="{rx:g}" ry="{ry:g}"/>'
            for cx, cy, rx, ry in _silhouette()
        ),
        "</g>",
        '<text x="100" y="396" text-anchor="middle" font-size="11">front</text>',
        f'<text x="{BACK_OFFSET + 100}" y="396" text-anchor="middle" font-size="11">back</text>',
        '<g class="wb-regions" fill="#ffffff" stroke="#888888">',
    ]
    for s in shapes():
        side = f' data-side="{s.side}"' if s.side else ""
        title = html.escape(f"{s.side + ' ' if s.side else ''}{BODY_REGIONS[s.region][3]}")
        parts.append(
            f'<ellipse data-region="{s.region}"{side} cx="{s.cx:g}" cy="{s.cy:g}" '
            f'rx="{s.rx:g}" ry="{s.ry:g}"><title>{title}</title></ellipse>'
        )
    parts += ["</g>", "</svg>"]
    return "\n".join(parts) + "\n"


def _matches(shape: Shape, mark: Any) -> bool:
    side = mark.side.value if mark.side is not None else None
    if shape.region != mark.region.value:
        return False
    return shape.side is None or side in (shape.side, "bilateral")


def plot_pain_map(
    case_or_marks: CaseRecord | list[Any], *, ax: Axes | None = None, lang: str = "en"
) -> Figure:
    """Draw the pain map: the outline with each marked region filled by its kind's colour.

    Parameters
    ----------
    case_or_marks : CaseRecord or list of PainMark
        A case (its ``manifest.pain_map``) or the marks themselves.
    ax : matplotlib Axes, optional
    lang : ``"en"`` or ``"zh"``
        Language of the legend and the view titles.
    """
    manifest = getattr(case_or_marks, "manifest", None)
    marks: list[Any] = list(manifest.pain_map if manifest is not None else case_or_marks)  # type: ignore[arg-type]
    if ax is None:
        fig = Figure(figsize=(5.5, 5.0), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.get_figure(root=True)  # type: ignore[assignment]
    for cx, cy, rx, ry in _silhouette():
        ax.add_patch(Ellipse((cx, cy), 2 * rx, 2 * ry, facecolor="#eeeeee", edgecolor=_OUTLINE))
    for shape in shapes():
        found = [m for m in marks if _matches(shape, m)]
        colour = KIND_COLOURS[found[-1].kind.value] if found else "#ffffff"
        ax.add_patch(
            Ellipse(
                (shape.cx, shape.cy),
                2 * shape.rx,
                2 * shape.ry,
                facecolor=colour,
                edgecolor="#777777" if not found else "#333333",
                linewidth=0.6 if not found else 1.2,
            )
        )
    front, back = ("前面", "背面") if lang == "zh" else ("front", "back")
    for x, text in ((100, front), (BACK_OFFSET + 100, back)):
        ax.text(x, 394, text, ha="center", fontsize=9, **_font_kwargs(text))
    for x, text in ((22, "R"), (178, "L"), (BACK_OFFSET + 22, "L"), (BACK_OFFSET + 178, "R")):
        ax.text(x, 20, text, ha="center", fontsize=10, fontweight="bold", color="#555555")
    used = [k for k in KIND_COLOURS if any(m.kind.value == k for m in marks)]
    for kind in used:
        name = label(f"pain_kind.{kind}", lang)
        ax.plot([], [], "o", color=KIND_COLOURS[kind], label=name)
    if used:
        legend = ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=len(used),
            fontsize=8,
            frameon=False,
        )
        for legend_text in legend.get_texts():
            legend_text.set(**_font_kwargs(legend_text.get_text()))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(HEIGHT, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    title = label("summary.pain_map", lang)
    ax.set_title(title, fontsize=10, **_font_kwargs(title))
    return fig


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    """*fig* as PNG bytes (for a widget's static ``image/png`` output)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
