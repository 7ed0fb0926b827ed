"""The patient's key images: drawn again without the reviewer's technical text.

The notebook keeps the reviewer's snapshot (window numbers, calibration source, caption
burned in). For the page each key image is rendered again from its record
(``metadata.workbench`` of the output: series, frame, window, side, the measurements
the reviewer chose) with ``technical=False``; the caption goes under the image once, as
text, and each chosen measurement becomes a sentence. A compare snapshot (``panes``)
becomes a prior | current pair, each pane labelled with its date. One entry per key
image: a snapshot taken again of the same image replaces the earlier one.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from workbench.export.clean import _reencode, figures_of
from workbench.export.sentences import film_label, format_date, measurement_sentence
from workbench.imaging.measure import Measurement, MeasurementStore
from workbench.render.figures import DPI, figure_png, render_slice
from workbench.view.replay import view_from_record

__all__ = ["patient_figures"]

SIZE = 640


def _records(cells: Sequence[Any]) -> list[tuple[dict[str, Any] | None, Any]]:
    """(record, output) of each image output of figure cells, the latest per image.

    The record is None for an image without a key-image record (a plain figure).
    """
    latest: dict[str, tuple[dict[str, Any] | None, Any]] = {}
    for c, cell in enumerate(cells):
        for o, output in enumerate(cell.get("outputs", [])):
            data = output.get("data", {})
            if "image/png" not in data and "image/jpeg" not in data:
                continue
            meta = output.get("metadata", {}).get("workbench")
            if not isinstance(meta, Mapping) or not meta.get("series_key"):
                latest[f"figure-{c}-{o}"] = (None, output)
                continue
            panes = meta.get("panes") or [meta]
            key = "+".join(
                f"{p.get('sop_uid') or p.get('series_key')}:{p.get('frame', p.get('index'))}"
                for p in panes
            )
            latest.pop(key, None)
            latest[key] = (dict(meta), output)
    return list(latest.values())


def _study(case: Any, series_key: str) -> dict[str, Any]:
    series = case.series[case.series["series_key"] == series_key]
    if series.empty:
        return {}
    study_key = series["study_key"].iloc[0]
    studies = case.studies[case.studies["study_key"] == study_key]
    row = dict(studies.iloc[0]) if len(studies) else {}
    if row.get("weight_bearing") is None:
        row["weight_bearing"] = series["weight_bearing"].iloc[0]
    return row


def _chosen(record: Mapping[str, Any], store: MeasurementStore) -> list[Measurement]:
    by_id = {m.id: m for m in store}
    ids = [str(m.get("id")) for m in record.get("measurements") or [] if isinstance(m, Mapping)]
    return [by_id[i] for i in ids if i in by_id]


def _draw(case: Any, pane: Mapping[str, Any], chosen: list[Measurement], ax: Any) -> None:
    volume = case.load_series(str(pane["series_key"]))
    state = view_from_record(volume, pane)  # the plane, window and framing the reviewer chose
    mine = [m for m in chosen if m.sop_uid == pane.get("sop_uid")]
    render_slice(volume, state.index, ax=ax, view=state, side=pane.get("side"), measurements=mine,
                 size=SIZE, technical=False)  # fmt: skip


def _figure(case: Any, record: Mapping[str, Any], chosen: list[Measurement], lang: str) -> Figure:
    panes = record.get("panes") or [record]
    n = len(panes)
    top = 28 if n > 1 else 0
    fig = Figure(figsize=(n * SIZE / DPI, (SIZE + top) / DPI), dpi=DPI, facecolor="white")
    for k, pane in enumerate(panes):
        ax = fig.add_axes((k / n + 0.004, 0.0, 1 / n - 0.008, SIZE / (SIZE + top)))
        _draw(case, pane, chosen, ax)
        if n > 1:
            study = _study(case, str(pane["series_key"]))
            text = f"{film_label(study, lang)}, {format_date(study.get('date'), lang)}"
            fig.text((k + 0.5) / n, 1 - 4 / (SIZE + top), text, ha="center", va="top",
                     fontsize=11, **_cjk(text))  # fmt: skip
    return fig


def _cjk(text: str) -> dict[str, Any]:
    from workbench.render.figures import _font

    return _font(text)


def patient_figures(cells: Sequence[Any], case: Any, lang: str) -> list[dict[str, Any]]:
    """One figure dict per key image (``data``, ``mime``, ``width``, ``height``,
    ``caption``, ``measurements`` as sentences, ``dates``) for the page template.

    Raises
    ------
    WorkbenchError
        The series of a key image cannot be loaded.
    """
    store = MeasurementStore(case.workspace)
    out = []
    for record, output in _records(cells):
        if record is None:
            out += figures_of({"outputs": [output]}, lang)
            continue
        chosen = _chosen(record, store)
        fig = _figure(case, record, chosen, lang)
        png = base64.b64encode(figure_png(fig)).decode("ascii")
        encoded = _reencode(png, "image/png")
        if encoded is None:
            continue
        data, mime, width, height = encoded
        sentences = [
            measurement_sentence({**m.to_json(), **_own(record, m.id)},
                                 _study(case, m.series_key), lang)
            for m in chosen
        ]  # fmt: skip
        out.append({"data": data, "mime": mime, "width": width, "height": height,
                    "caption": str(record.get("caption") or ""),
                    "measurements": sentences})  # fmt: skip
    return out


def _own(record: Mapping[str, Any], measurement_id: str) -> dict[str, Any]:
    """The reviewer's own name for a measurement in the key-image record, if any."""
    for m in record.get("measurements") or []:
        if isinstance(m, Mapping) and m.get("id") == measurement_id:
            return {k: m[k] for k in ("label", "name") if m.get(k)}
    return {}
