"""Burned-in side markers on radiographs: the lead "L"/"R" (LT, RT, 左, 右) in the pixels.

A lead marker stops the X-rays, so it shows as the brightest, compact shape on the
film. :func:`marker_candidates` finds bright compact blobs (strokes of a letter, not
a solid bone); each is cropped, made dark-on-white and read by the same OCR
recogniser as the reports (:mod:`workbench.record.ocr`), in four orientations, since
markers are often put on the cassette sideways. Whole-image OCR does not find them.

:func:`series_markers` reads the first image of every CR/DX series once, cached as
JSON in the workspace by content hash.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import vocab
from workbench.record.ocr import recognise_text
from workbench.workspace import atomic_write

__all__ = ["MARKER_WORDS", "Marker", "find_marker", "marker_candidates", "series_markers"]

#: What a marker may say, and the side it names.
MARKER_WORDS: dict[str, str] = {
    "L": "left",
    "LT": "left",
    "LEFT": "left",
    "左": "left",
    "R": "right",
    "RT": "right",
    "RIGHT": "right",
    "右": "right",
}
#: Marker images are read at this size (longest side) for blob finding.
WORK_SIDE = 512
#: A marker's box is this fraction of the image's shorter side (min, max).
SIZE_RANGE = (0.02, 0.2)
#: Share of the box covered by bright pixels: letters are strokes, bones are solid.
FILL_RANGE = (0.08, 0.7)
MIN_SCORE = 0.85
#: Thresholds between the median and the brightest value, highest first.
THRESHOLDS = (0.85, 0.7, 0.55)
MAX_CANDIDATES = 4
_CACHE_VERSION = 1


@dataclass(frozen=True)
class Marker:
    """A side marker read in an image: the side, what it says, the OCR score and where."""

    side: str
    text: str
    score: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels


def to_uint8(frame: np.ndarray, photometric: str) -> np.ndarray:
    """Grey image 0-255 with X-ray-opaque (lead, bone) bright, whatever the photometric."""
    values = np.asarray(frame, dtype=np.float64)
    if values.ndim == 3:  # colour: its luminance
        values = values[..., :3].mean(axis=-1)
    lo, hi = np.percentile(values, 0.5), values.max()
    scaled = np.clip((values - lo) / max(hi - lo, 1e-9), 0, 1) * 255
    if photometric == "MONOCHROME1":  # high values are dark
        scaled = 255 - scaled
    return scaled.astype(np.uint8)


def marker_candidates(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of bright compact blobs that may be lead letters.

    The picture is thresholded at a few levels below its (robust) brightest value,
    since a marker is not always the single brightest thing (bone edges, noise);
    character strokes are merged by a small dilation; a blob is kept when its box is
    letter-sized, not a strip, and only partly filled (strokes, not a solid bone).
    """
    from PIL import Image, ImageFilter  # heavy dependency, needed only for radiographs

    height, width = image.shape
    scale = min(1.0, WORK_SIDE / max(height, width))
    small = Image.fromarray(image)
    if scale < 1:
        small = small.resize((max(1, round(width * scale)), max(1, round(height * scale))))
    pixels = np.asarray(small)
    top = float(np.percentile(pixels, 99.95))
    floor = float(np.percentile(pixels, 50))
    if top < 64 or top - floor < 40:
        return []
    short = min(pixels.shape)
    grow = max(3, (short // 60) | 1)
    found: list[tuple[float, tuple[int, int, int, int]]] = []
    for level in THRESHOLDS:
        bright = pixels >= floor + level * (top - floor)
        if bright.mean() > 0.2:  # a washed-out picture, not a marker
            continue
        merged = np.asarray(
            Image.fromarray(bright.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(grow))
        )
        for y0, x0, y1, x1 in _components(merged > 0):
            h, w = y1 - y0, x1 - x0
            if not (SIZE_RANGE[0] * short <= max(h, w) <= SIZE_RANGE[1] * short):
                continue
            if min(h, w) < 0.4 * max(h, w):
                continue
            fill = float(bright[y0:y1, x0:x1].mean())
            if not (FILL_RANGE[0] <= fill <= FILL_RANGE[1]):
                continue
            box = (x0, y0, x1, y1)
            if not any(_overlap(box, other) > 0.5 for _, other in found):
                found.append((level, box))
    return [tuple(round(v / scale) for v in box) for _, box in found[:MAX_CANDIDATES]]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(smaller, 1)


def _components(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (y0, x0, y1, x1) of the 4-connected True regions of *mask*."""
    seen = np.zeros(mask.shape, dtype=bool)
    height, width = mask.shape
    boxes = []
    for start in zip(*np.nonzero(mask), strict=True):
        if seen[start]:
            continue
        queue = deque([start])
        seen[start] = True
        y0 = y1 = int(start[0])
        x0 = x1 = int(start[1])
        while queue:
            y, x = queue.popleft()
            y0, y1, x0, x1 = min(y0, y), max(y1, y), min(x0, x), max(x1, x)
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < height and 0 <= nx < width and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        boxes.append((y0, x0, y1 + 1, x1 + 1))
    return boxes


def read_marker(image: np.ndarray) -> Marker | None:
    """The side marker of a grey image (bright = opaque), or None when none is legible.

    Two legible markers naming different sides (a film with both) give None.
    """
    found: list[Marker] = []
    for box in marker_candidates(image):
        x0, y0, x1, y1 = box
        pad = max(4, (x1 - x0 + y1 - y0) // 8)
        crop = image[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
        best = _read_crop(crop)
        if best is not None:
            found.append(Marker(best[0], best[1], best[2], box))
    sides = {m.side for m in found}
    if len(sides) != 1:
        return None
    return max(found, key=lambda m: m.score)


def _read_crop(crop: np.ndarray) -> tuple[str, str, float] | None:
    """(side, text, score) of the best reading of a crop in any of four orientations."""
    from PIL import Image  # heavy dependency, needed only for radiographs

    ink = 255 - crop  # dark letter on white, as the recogniser was trained
    picture = Image.fromarray(ink).convert("RGB")
    factor = 64 / max(1, min(picture.size))
    if factor > 1:
        picture = picture.resize((round(picture.width * factor), round(picture.height * factor)))
    readings: list[tuple[str, str, float]] = []
    for turn in range(4):
        text, score = recognise_text(np.ascontiguousarray(np.rot90(np.asarray(picture), turn)))
        word = "".join(text.split()).upper().strip(".:-|[]()")
        side = MARKER_WORDS.get(word)
        if side and score >= MIN_SCORE:
            readings.append((side, word, score))
    if len({side for side, _, _ in readings}) != 1:
        return None  # nothing legible, or orientations that disagree (a box corner, a "7")
    return max(readings, key=lambda r: r[2])


def find_marker(path: Path) -> Marker | None:
    """The side marker of the first frame of a radiograph file, or None."""
    # heavy dependency, needed only for radiographs: the first import of pydicom loads
    # every pixel decoder (a third of a second an ingest without CR/DX need not pay)
    import pydicom
    from pydicom.pixels import apply_modality_lut

    ds = pydicom.dcmread(path)
    frame = ds.pixel_array
    if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:
        frame = frame[0]
    frame = apply_modality_lut(frame, ds)
    return read_marker(to_uint8(frame, str(getattr(ds, "PhotometricInterpretation", ""))))


def series_markers(
    series: pd.DataFrame,
    instances: pd.DataFrame,
    locals_: dict[str, str],
    cache_dir: Path | None,
) -> pd.DataFrame:
    """``series_key``, ``image_marker`` (side) and ``image_marker_text`` of CR/DX series.

    The first instance of each projection radiograph series is read; results are
    cached by content hash. A file that cannot be decoded has no marker (the pixel
    check reports it).
    """
    rows = []
    xray = series[series["Modality"].isin(list(vocab.XRAY_MODALITIES))]
    for s in xray.itertuples(index=False):
        mine = instances[instances["series_key"] == s.series_key]
        if mine.empty:
            continue
        first = mine.iloc[0]
        # content_id (BLAKE3) is there at once; the sha256 of DICOM files may follow later
        key = str(first.get("content_id") or "") or str(first["sha256"])
        marker = _cached(cache_dir, key, Path(locals_.get(first["path"], "")))
        rows.append(
            {
                "series_key": s.series_key,
                "image_marker": marker.side if marker else None,
                "image_marker_text": marker.text if marker else None,
            }
        )
    return pd.DataFrame(rows, columns=["series_key", "image_marker", "image_marker_text"])


#: Markers read by this process, by content hash (the same film in several workspaces).
_MEMO: dict[str, Marker | None] = {}


def _cached(cache_dir: Path | None, sha256: str, path: Path) -> Marker | None:
    """The marker of the file at *path*, cached under its content hash *sha256*."""
    file = cache_dir / f"{sha256}.json" if cache_dir is not None and sha256 else None
    if file is not None:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.get("version") == _CACHE_VERSION:
                found = data["marker"]
                return Marker(**{**found, "box": tuple(found["box"])}) if found else None
        except (OSError, ValueError, KeyError, TypeError):
            pass
    if sha256 and sha256 in _MEMO:
        marker = _MEMO[sha256]
    else:
        try:
            marker = find_marker(path)
        except Exception:  # undecodable pixels are the pixel check's problem row
            marker = None
        if sha256:
            _MEMO[sha256] = marker
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        payload = {"version": _CACHE_VERSION, "marker": asdict(marker) if marker else None}
        with atomic_write(file, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
    return marker
