"""The static fallback every viewer carries: a PNG beside the live widget.

An exported or unexecuted notebook has no kernel, so the widget view cannot render
("model not found"); the ``image/png`` in the same output still shows the image.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["with_png"]


def with_png(bundle: Any, png: bytes) -> Any:
    """*bundle* (a widget's ``_repr_mimebundle_``, possibly None) with *png* added.

    >>> with_png({"text/plain": "viewer"}, b"\\x89PNG")["image/png"]
    'iVBORw=='
    """
    data = dict(bundle or {})
    if png:
        data["image/png"] = base64.b64encode(png).decode("ascii")
    return data
