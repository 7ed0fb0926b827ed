"""The pain map widget: click regions of a front/back body outline (anywidget).

A thin translator: the outline is :func:`workbench.render.body_map.body_map_svg`
(shipped as ``static/body_outline.svg``), the marks are plain dicts that validate
as :class:`workbench.record.manifest.PainMark`, and the browser code is a plain ES
module (``static/pain_map.js``, no build step). A click on a region toggles a mark of
the chosen kind there, on the side that was clicked; clicking again with another kind
changes the kind. Setting ``marks`` from Python redraws the outline.

>>> pm = PainMapWidget([{"region": "knee_medial", "side": "left", "kind": "pain"}])
>>> pm.toggle("calf", "right", "numbness")
>>> [m["region"] for m in pm.marks]
['knee_medial', 'calf']
"""

from __future__ import annotations

import base64
from importlib.resources import files
from typing import Any

import anywidget
import traitlets

from workbench.i18n import label
from workbench.record.manifest import PainMark
from workbench.render.body_map import KIND_COLOURS, figure_png, plot_pain_map
from workbench.vocab import PainKind

_STATIC = files("workbench.widgets").joinpath("static")


class PainMapWidget(anywidget.AnyWidget):
    """Front/back outline with clickable regions; ``marks`` holds what was clicked."""

    _esm = _STATIC.joinpath("pain_map.js").read_text(encoding="utf-8")
    svg = traitlets.Unicode(_STATIC.joinpath("body_outline.svg").read_text(encoding="utf-8")).tag(
        sync=True
    )
    marks = traitlets.List(traitlets.Dict()).tag(sync=True)
    kind = traitlets.Unicode(PainKind.PAIN.value).tag(sync=True)
    kinds: traitlets.List[list[str]] = traitlets.List().tag(sync=True)

    def __init__(self, marks: list[dict[str, Any]] | None = None, *, lang: str = "en") -> None:
        super().__init__(marks=list(marks or []))
        self.set_language(lang)

    def set_language(self, lang: str) -> None:
        """Label the kind buttons in *lang* (``en`` or ``zh``)."""
        self.kinds = [
            [k.value, label(f"pain_kind.{k.value}", lang), KIND_COLOURS[k.value]] for k in PainKind
        ]

    def toggle(self, region: str, side: str | None, kind: str | None = None) -> None:
        """What a click does: add a mark, change its kind, or remove it (same kind)."""
        kind = kind or self.kind
        same = [m for m in self.marks if (m["region"], m.get("side")) == (region, side)]
        marks = [m for m in self.marks if m not in same]
        if not same or same[0].get("kind") != kind:
            marks.append({"region": region, "side": side, "kind": kind})
        self.marks = marks

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The live widget, plus a PNG of the marks so an exported page still shows them."""
        data: Any = super()._repr_mimebundle_(**kwargs) or {}
        bundle = data[0] if isinstance(data, tuple) else data
        png = figure_png(plot_pain_map([PainMark.model_validate(m) for m in self.marks]))
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return data
