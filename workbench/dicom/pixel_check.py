"""``verify=True``: decode every frame of a file, under a size budget.

Header indexing cannot tell whether compressed pixel data decodes, nor whether
native pixel data matches *Rows* × *Columns* × frames; this check does, at the
cost of reading the pixels.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from workbench.dicom.header import CappedFile
from workbench.problems import Problem, describe_failure

#: Files whose decoded pixels would exceed this are not verified (and say so).
VERIFY_BUDGET_BYTES = 2 * 1024**3


def expected_pixel_bytes(record: dict[str, Any]) -> int | None:
    """Decoded size in bytes from the header, or None when the header lacks the fields."""
    try:
        rows = int(record["Rows"])
        cols = int(record["Columns"])
        bits = int(record.get("BitsAllocated") or 8)
        samples = int(record.get("SamplesPerPixel") or 1)
        frames = int(record.get("NumberOfFrames") or 1)
    except (KeyError, TypeError, ValueError):
        return None
    if str(record.get("PhotometricInterpretation") or "").startswith("YBR_FULL_422"):
        return (rows * cols * 2 * frames * bits + 7) // 8  # chroma subsampled 2:1
    return (rows * cols * samples * frames * bits + 7) // 8


def native_shortfall(record: dict[str, Any], available: int | None) -> str:
    """Why native (uncompressed) pixel data is shorter than its header needs, or ``""``.

    *record* holds the header (``Rows`` ...; ``pixel_length`` is the declared length of
    (7FE0,0010) *Pixel Data*, None when encapsulated); *available* is how many bytes of
    it the file really holds. Every bit depth counts, 1-bit included:
    ``ceil(rows × columns × frames × samples × bits / 8)`` bytes.
    """
    declared = record.get("pixel_length")
    expected = expected_pixel_bytes(record)
    if declared is None or expected is None:
        return ""
    present = int(declared) if available is None else min(int(declared), max(available, 0))
    if present >= expected:
        return ""
    return (
        f"its pixel data holds {present} bytes but {record.get('Rows')} rows × "
        f"{record.get('Columns')} columns × {int(record.get('NumberOfFrames') or 1)} frames at "
        f"{record.get('BitsAllocated') or 8} bits need {expected}"
    )


def verify_pixels(
    local: str | Path, path: str, record: dict[str, Any], *, available: int | None = None
) -> list[Problem]:
    """Decode every frame of *local*; a problem row for each failure.

    *available* is how many bytes of pixel data the file holds after the (7FE0,0010)
    header (None: not known); short native pixel data is reported without decoding.
    """
    from pydicom.pixels import iter_pixels

    short = native_shortfall(record, available)
    if short:
        return [
            Problem(
                path,
                "pixels",
                "pixel_size_mismatch",
                f"'{path}': {short}; the image is cut short. Ask for it again from the CD.",
            )
        ]
    expected = expected_pixel_bytes(record)
    if expected is None:
        return [
            Problem(
                path,
                "pixels",
                "pixel_header_missing",
                f"'{path}' has pixel data but no Rows/Columns; it cannot be displayed.",
            )
        ]
    if expected > VERIFY_BUDGET_BYTES:
        return [
            Problem(
                path,
                "pixels",
                "verify_skipped",
                f"'{path}' would decode to {expected} bytes, over the verification "
                f"budget of {VERIFY_BUDGET_BYTES}; not verified.",
            )
        ]
    frames = int(record.get("NumberOfFrames") or 1)
    count = 0
    try:  # through a capped file: a fragment length field cannot ask for more than exists
        with CappedFile(local) as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for frame in iter_pixels(fh, raw=True):  # type: ignore[arg-type]
                count += 1
                if frame.shape[:2] != (int(record["Rows"]), int(record["Columns"])):
                    raise ValueError(f"frame {count} has shape {frame.shape}")
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # decoders written in Rust panic (BaseException)
        return [
            Problem(
                path,
                "pixels",
                "pixel_decode_failed",
                f"'{path}': pixel data cannot be decoded ({describe_failure(exc)}). "
                "Ask for the original, uncompressed export of this image.",
            )
        ]
    if count != frames:
        return [
            Problem(
                path,
                "pixels",
                "pixel_size_mismatch",
                f"'{path}' declares {frames} frames but {count} decoded.",
            )
        ]
    return []
