"""What every benchmark records the same way: the machine, and its figures as JSON."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

__all__ = ["machine", "rounded", "write_results"]


def machine(load: tuple[float, float, float], **extra: Any) -> dict[str, Any]:
    """CPU count, Python, platform and the load average when the benchmark started."""
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **extra,
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def rounded(value: Any, digits: int, large_digits: int | None = None) -> Any:
    """*value* with its floats rounded to *digits* (*large_digits* from 10 up)."""
    if isinstance(value, float):
        if large_digits is not None and value >= 10:
            return round(value, large_digits)
        return round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits, large_digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits, large_digits) for v in value]
    return value


def write_results(
    path: Path, results: dict[str, Any], digits: int, large_digits: int | None = None
) -> None:
    """Write *results* (rounded, keys sorted) to *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(rounded(results, digits, large_digits), indent=2, sort_keys=True) + "\n"
    )
