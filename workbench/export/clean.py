"""Clean a case notebook down to what the patient may see (export layer).

nbconvert's defaults are not patient-safe, so before any template sees the
notebook this keeps only the opinion markdown (sanitized through an allowlist
with nh3) and the figure cells' PNG/JPEG outputs, re-encoded by Pillow (which
drops EXIF and anything hidden after the image). Code, streams, errors,
JavaScript, raw HTML, SVG and widget state never reach the page; notebook
metadata is cleared.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import mistune
import nh3
from PIL import Image

from workbench.export.sentences import measurement_sentence

ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "strong", "em",
    "b", "i", "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "span",
    "sup", "sub", "del",
}  # fmt: skip
MAX_FIGURE_PIXELS = 4_000_000
# raw HTML in the reviewer's markdown is shown as text, then the allowlist applies
_MARKDOWN = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
FIGURE_MAX_SIDE = 1600


def sanitize_markdown(source: str) -> str:
    """Markdown → HTML through an allowlist: no links out, no images, no script, no style."""
    rendered = str(_MARKDOWN(source))
    return nh3.clean(rendered, tags=ALLOWED_TAGS, attributes={}, url_schemes=set(),
                     strip_comments=True)  # fmt: skip


def _reencode(data: str, mime: str) -> tuple[str, str, int, int] | None:
    """Decode, check and re-encode an image output; None when it is not a sane image."""
    try:
        raw = base64.b64decode(data, validate=False)
        with Image.open(io.BytesIO(raw)) as im:
            if im.width * im.height > MAX_FIGURE_PIXELS * 4:
                return None
            im.load()
            image = im.convert("RGB") if im.mode not in ("RGB", "L") else im.copy()
    except Exception:
        return None
    image.thumbnail((FIGURE_MAX_SIDE, FIGURE_MAX_SIDE))
    out = io.BytesIO()
    if mime == "image/jpeg":
        image.save(out, "JPEG", quality=88)
    else:
        image.save(out, "PNG", compress_level=6)
        mime = "image/png"
    return base64.b64encode(out.getvalue()).decode("ascii"), mime, image.width, image.height


def _caption(output: Any, lang: str = "en") -> tuple[str, list[str]]:
    meta = output.get("metadata", {}).get("workbench", {}) or {}
    caption = str(meta.get("caption") or "")
    measurements = [
        m if isinstance(m, str) else measurement_sentence(m, None, lang)
        for m in meta.get("measurements", [])
        if isinstance(m, str) or (isinstance(m, dict) and m.get("kind") != "calibration")
    ]  # fmt: skip
    if not caption:
        text = output.get("data", {}).get("text/plain", "")
        text = "".join(text) if isinstance(text, list) else str(text)
        caption = "" if text.startswith("<") else text.strip()[:200]
    return caption, measurements


def figures_of(cell: Any, lang: str = "en") -> list[dict[str, Any]]:
    """The key images of a figure cell, re-encoded, with captions and measurement lines."""
    figures = []
    for output in cell.get("outputs", []):
        if output.get("output_type") not in ("display_data", "execute_result"):
            continue
        data = output.get("data", {})
        for mime in ("image/png", "image/jpeg"):
            if mime in data:
                payload = data[mime]
                payload = "".join(payload) if isinstance(payload, list) else str(payload)
                encoded = _reencode(payload, mime)
                if encoded is None:
                    continue
                caption, measurements = _caption(output, lang)
                b64, out_mime, width, height = encoded
                figures.append({"data": b64, "mime": out_mime, "width": width,
                                "height": height, "caption": caption,
                                "measurements": measurements})  # fmt: skip
                break
    return figures
