"""The case timeline drawn with matplotlib (render layer).

Lanes for symptoms, treatments, surgeries, imaging and documents; the side is
shown by colour and marker; Chinese labels use a CJK font when the machine has
one. Undated events are listed beside the plot, never placed at a made-up date.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure

from workbench.record.scores import score_entry

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from workbench.record.protocol import CaseRecord

LANES = ("symptom", "treatment", "surgery", "imaging", "documents")
_LANE_OF = {
    "report": "documents",
    "visit": "documents",
    "other": "documents",
    "lab": "documents",
    "score": "symptom",
}
_LANE_LABELS = {
    "en": {
        "symptom": "Symptoms",
        "treatment": "Treatment",
        "surgery": "Surgery",
        "imaging": "Imaging",
        "documents": "Reports & visits",
    },
    "zh": {
        "symptom": "症状",
        "treatment": "治疗",
        "surgery": "手术",
        "imaging": "影像",
        "documents": "报告与就诊",
    },
}
SIDE_STYLE = {
    "left": ("#1f77b4", "<", "L"),
    "right": ("#d62728", ">", "R"),
    "bilateral": ("#9467bd", "D", "B"),
    None: ("#7f7f7f", "o", ""),
}
_CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font that covers Chinese, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


def _has_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def _font_kwargs(text: str) -> dict[str, Any]:
    font = cjk_font()
    if font and _has_cjk(text):
        return {"fontfamily": [font, "DejaVu Sans"]}
    return {}


def plot_timeline(case: CaseRecord, *, ax: Axes | None = None, lang: str = "en") -> Figure:
    """Draw ``case.timeline``: one lane per kind, side by colour, undated items listed.

    Parameters
    ----------
    case : CaseRecord
    ax : matplotlib Axes, optional
        Draw into this axes; a new figure is made otherwise.
    lang : ``"en"`` or ``"zh"``
        Language of the lane labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    timeline = case.timeline
    dated = timeline[timeline["date"].notna()]
    undated = timeline[timeline["date"].isna()]
    scored = _dated_scores(case)
    score_ax = None
    if ax is None:
        rows = 2 if scored else 1
        fig = Figure(figsize=(11, 4.2 + 2.0 * (rows - 1)), layout="constrained")
        grid = fig.add_gridspec(rows, 4, height_ratios=[4.2, 2.0][:rows])
        ax = fig.add_subplot(grid[0, :] if undated.empty else grid[0, :3])
        if scored:
            score_ax = fig.add_subplot(grid[1, :] if undated.empty else grid[1, :3], sharex=ax)
    fig = ax.get_figure(root=True)  # type: ignore[assignment]
    if score_ax is not None:
        plot_scores(case, ax=score_ax, lang=lang)
    labels = _LANE_LABELS.get(lang, _LANE_LABELS["en"])
    for row in dated.itertuples(index=False):
        lane = LANES.index(_LANE_OF.get(str(row.kind), str(row.kind)))
        side = row.side if isinstance(row.side, str) else None
        colour, marker, _ = SIDE_STYLE.get(side, SIDE_STYLE[None])
        ax.plot(row.date, lane, marker=marker, color=colour, markersize=9, linestyle="none")
        text = str(row.label)[:38]
        where = (mdates.date2num(row.date), lane)
        ax.annotate(
            text,
            where,
            xytext=(4, 6),
            textcoords="offset points",
            fontsize=7,
            rotation=20,
            **_font_kwargs(text),
        )
    ax.set_yticks(
        range(len(LANES)),
        [labels[lane] for lane in LANES],
        **_font_kwargs("".join(labels.values())),
    )
    ax.set_ylim(-0.6, len(LANES) - 0.2)
    ax.grid(axis="x", alpha=0.3)
    if dated.empty:
        ax.text(
            0.5,
            0.5,
            "No dated events" if lang == "en" else "无日期事件",
            transform=ax.transAxes,
            ha="center",
            **_font_kwargs("无"),
        )
    else:
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        span = dated["date"].max() - dated["date"].min()
        pad = max(span * 0.08, pd.Timedelta(days=30))
        ax.set_xlim(dated["date"].min() - pad, dated["date"].max() + pad * 2)
    for side, (colour, marker, _) in SIDE_STYLE.items():
        ax.plot([], [], marker=marker, color=colour, linestyle="none", label=side or "side unknown")
    ax.legend(loc="upper left", fontsize=7, ncols=4, frameon=False, bbox_to_anchor=(0, 1.12))
    if not undated.empty:
        _list_undated(fig, undated, lang)
    return fig


def _list_undated(fig: Figure, undated: pd.DataFrame, lang: str) -> None:
    title = "Undated (not placed):" if lang == "en" else "无日期（未标注在时间轴上）："
    lines = [title, *[f"• {str(r.label)[:40]}" for r in undated.itertuples(index=False)][:14]]
    text = "\n".join(lines)
    fig.text(0.77, 0.92, text, va="top", ha="left", fontsize=7, **_font_kwargs(text))


def _dated_scores(case: CaseRecord) -> list[tuple[pd.Timestamp, str, float]]:
    """(date, instrument, headline score) of every dated, scorable questionnaire."""
    out = []
    for entry in getattr(case.manifest, "scores", []):
        result = score_entry(entry)
        if entry.date is not None and result.primary is not None:
            name = f"{entry.instrument} {next(iter(result.scales))}"
            out.append((entry.date.as_timestamp(), name, result.primary))
    return out


def plot_scores(case: CaseRecord, *, ax: Axes | None = None, lang: str = "en") -> Figure:
    """Outcome scores over time: one line per instrument scale (KOOS pain, pain NRS ...)."""
    if ax is None:
        fig = Figure(figsize=(11, 2.4), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.get_figure(root=True)  # type: ignore[assignment]
    points = sorted(_dated_scores(case))
    for name in dict.fromkeys(n for _, n, _ in points):
        mine = [(d, v) for d, n, v in points if n == name]
        ax.plot([d for d, _ in mine], [v for _, v in mine], marker="o", label=name)
        for d, v in mine:
            ax.annotate(f"{v:g}", (mdates.date2num(d), v), xytext=(3, 3),
                        textcoords="offset points", fontsize=7)  # fmt: skip
    title = "Scores" if lang == "en" else "评分"
    ax.set_ylabel(title, **_font_kwargs(title))
    ax.grid(alpha=0.3)
    if points:
        ax.legend(loc="upper left", fontsize=7, frameon=False)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    return fig
