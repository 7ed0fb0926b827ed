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

from workbench.i18n import label as i18n_label
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


_CJK_FILE_HINTS = ("wqy", "notosanscjk", "noto-cjk", "sourcehansans")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font that covers Chinese, or None.

    matplotlib's font cache may predate the font's installation: the system fonts are
    scanned once for a known CJK family when the cache has none.
    """
    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in _CJK_FONTS if name in installed), None)
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(hint in path.lower() for hint in _CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        installed = {f.name for f in font_manager.fontManager.ttflist}
        found = next((name for name in _CJK_FONTS if name in installed), None)
    return found


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
    lang = "zh" if lang == "zh" else "en"
    labels = {lane: i18n_label(f"timeline.lane.{lane}", lang) for lane in LANES}
    for row in dated.itertuples(index=False):
        lane = LANES.index(_LANE_OF.get(str(row.kind), str(row.kind)))
        side = row.side if isinstance(row.side, str) else None
        colour, marker, _ = SIDE_STYLE.get(side, SIDE_STYLE[None])
        start, end = _period(row.date, row.date_precision)
        if end > start:  # known to the month or year: a bar over the period, not a day
            ax.hlines(lane, start, end, color=colour, linewidth=5, alpha=0.45)
            ax.plot(
                start + (end - start) / 2,
                lane,
                marker=marker,
                color=colour,
                markersize=7,
                linestyle="none",
                fillstyle="none",
            )
        else:
            ax.plot(row.date, lane, marker=marker, color=colour, markersize=9, linestyle="none")
        text = _row_label(row, lang)[:38]
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
            i18n_label("timeline.no_dated", lang),
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
        name = i18n_label(f"side.{side}" if side else "side.unknown", lang)
        ax.plot([], [], marker=marker, color=colour, linestyle="none", label=name)
    legend = ax.legend(
        loc="upper left", fontsize=7, ncols=4, frameon=False, bbox_to_anchor=(0, 1.12)
    )
    for text_item in legend.get_texts():
        text_item.set(**_font_kwargs(text_item.get_text()))
    if not undated.empty:
        _list_undated(fig, undated, lang)
    return fig


def _list_undated(fig: Figure, undated: pd.DataFrame, lang: str) -> None:
    title = i18n_label("timeline.undated_list", lang)
    lines = [
        title,
        *[f"• {_row_label(r, lang)[:40]}" for r in undated.itertuples(index=False)][:14],
    ]
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


def _row_label(row: Any, lang: str) -> str:
    zh = getattr(row, "label_zh", None)
    return str(zh) if lang == "zh" and isinstance(zh, str) and zh else str(row.label)


def _period(date: pd.Timestamp, precision: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period a date of this precision stands for (a month date is the whole month)."""
    if precision == "year":
        return date, date + pd.offsets.YearEnd(0)
    if precision == "month":
        return date, date + pd.offsets.MonthEnd(0)
    return date, date
