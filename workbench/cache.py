"""Versioned pickle caches in the workspace (header scans, document text).

The files are written by the workbench into its own workspace and read back only
from there; a damaged or outdated cache is ignored and rebuilt.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from workbench.workspace import atomic_write


def load_cache(cache_file: Path | None, version: int) -> dict[Any, Any]:
    """The cached mapping, or an empty one when absent, damaged or of another version."""
    if cache_file is None or not cache_file.exists():
        return {}
    try:
        with open(cache_file, "rb") as fh:
            stored, data = pickle.load(fh)  # noqa: S301 - our own file in our own workspace
    except Exception:
        return {}
    return data if stored == version and isinstance(data, dict) else {}


def save_cache(cache_file: Path, data: dict[Any, Any], version: int) -> None:
    """Write the mapping atomically."""
    with atomic_write(cache_file) as fh:
        pickle.dump((version, data), fh, protocol=pickle.HIGHEST_PROTOCOL)
