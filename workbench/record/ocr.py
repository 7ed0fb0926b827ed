"""Text from pictures: scanned PDFs and phone photos of reports, read offline with RapidOCR.

The detection, orientation and recognition models ship inside the ``rapidocr`` wheel
and run on ``onnxruntime``; nothing is downloaded. One page takes seconds on a
laptop core, so every result is cached as JSON in the workspace by the content hash
of the file (:class:`OcrReader`), and OCR can be turned off (``ocr=False``).

A photo is classified (:func:`classify_photo`) as a ``report`` (a page of text),
a ``film_or_screen`` (a dark picture of a radiograph or a monitor, little text) or
``other``; only report photos become documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.workspace import atomic_write

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "PHOTO_CLASSES",
    "OcrLine",
    "OcrReader",
    "OcrText",
    "classify_photo",
    "ocr_image",
    "pdf_page_images",
    "recognise_text",
]

PHOTO_CLASSES = ("report", "film_or_screen", "other")
#: Longest side a picture is scaled down to before OCR (phone photos are 4000 px).
MAX_SIDE = 1600
#: Below this many recognised characters the picture is tried turned by 90 degrees.
_FEW_CHARS = 12
#: A report photo has at least this many characters recognised with this confidence.
REPORT_MIN_CHARS = 40
REPORT_MIN_CONFIDENCE = 0.6
#: A film or screen is dark: median brightness (0-255) under this.
DARK_MEDIAN = 90
_CACHE_VERSION = 1


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its text, confidence (0-1) and box (x0, y0, x1, y1) in pixels."""

    text: str
    score: float
    box: tuple[float, float, float, float]


@dataclass
class OcrText:
    """What OCR read from one file: its text, mean confidence, lines and photo class."""

    text: str = ""
    confidence: float | None = None
    n_pages: int = 0
    lines: list[OcrLine] = field(default_factory=list)
    photo_class: str | None = None
    median_brightness: float | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OcrText:
        """The inverse of :meth:`to_json`."""
        lines = [OcrLine(str(x["text"]), float(x["score"]), tuple(x["box"])) for x in data["lines"]]
        return cls(
            text=str(data["text"]),
            confidence=data.get("confidence"),
            n_pages=int(data.get("n_pages", 0)),
            lines=lines,
            photo_class=data.get("photo_class"),
            median_brightness=data.get("median_brightness"),
        )


@lru_cache(maxsize=1)
def _engine() -> Any:
    # rapidocr loads three ONNX sessions (about a second): imported and built on first use
    from rapidocr import RapidOCR

    return RapidOCR(params={"Global.log_level": "error"})


def _run(array: np.ndarray) -> list[OcrLine]:
    # flags always passed: the engine keeps the last call's flags otherwise
    result = _engine()(array, use_det=True, use_cls=True, use_rec=True)
    boxes = getattr(result, "boxes", None)
    if result is None or getattr(result, "txts", None) is None or boxes is None:
        return []
    lines = []
    for text, score, box in zip(result.txts, result.scores, boxes, strict=True):
        pts = np.asarray(box, dtype=float)
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        lines.append(OcrLine(str(text), float(score), (float(x0), float(y0), float(x1), float(y1))))
    return lines


def recognise_text(array: np.ndarray) -> tuple[str, float]:
    """Recognition only (no text detection) of a small crop: (text, score).

    For a single word filling the picture, such as a side marker on a radiograph.
    """
    result = _engine()(array, use_det=False, use_cls=False, use_rec=True)
    if result is None or not getattr(result, "txts", None):
        return "", 0.0
    return str(result.txts[0]), float(result.scores[0])


def _prepared(image: Image.Image) -> Image.Image:
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image) or image
    image = image.convert("RGB")
    scale = MAX_SIDE / max(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    return image


def _chars(lines: list[OcrLine]) -> int:
    return sum(len("".join(line.text.split())) for line in lines)


def ocr_image(image: Image.Image) -> OcrText:
    """Read the text of one picture (upright, or turned by 90 or 270 degrees).

    Lines are returned in reading order (top to bottom, then left to right); the
    confidence is the mean of the line scores weighted by their length.
    """
    from PIL import Image as PILImage

    image = _prepared(image)
    gray = np.asarray(image.convert("L"))
    lines = _run(np.asarray(image))
    if _chars(lines) < _FEW_CHARS:  # perhaps a photo taken sideways
        for turn in (PILImage.Transpose.ROTATE_90, PILImage.Transpose.ROTATE_270):
            turned = _run(np.asarray(image.transpose(turn)))
            if _chars(turned) > max(_chars(lines), _FEW_CHARS - 1):
                lines = turned
                break
    return _result(lines, 1, float(np.median(gray)))


def _result(lines: list[OcrLine], n_pages: int, brightness: float | None) -> OcrText:
    lines = sorted(lines, key=lambda ln: (round(ln.box[1] / 12), ln.box[0]))
    weights = [max(len(line.text), 1) for line in lines]
    confidence = (
        float(np.average([line.score for line in lines], weights=weights)) if lines else None
    )
    text = "\n".join(line.text for line in lines)
    return OcrText(text, confidence, n_pages, lines, None, brightness)


def classify_photo(found: OcrText) -> str:
    """``report``, ``film_or_screen`` or ``other`` from what OCR found and how bright it is."""
    readable = sum(len("".join(line.text.split())) for line in found.lines if line.score >= 0.5)
    confident = found.confidence is not None and found.confidence >= REPORT_MIN_CONFIDENCE
    if readable >= REPORT_MIN_CHARS and confident:
        return "report"
    if found.median_brightness is not None and found.median_brightness < DARK_MEDIAN:
        return "film_or_screen"
    return "other"


def pdf_page_images(path: Path, *, max_pages: int = 50) -> Iterator[Image.Image]:
    """The pictures of a scanned PDF, page by page (the largest embedded image of each)."""
    import pypdf

    reader = pypdf.PdfReader(str(path))
    for page in reader.pages[:max_pages]:
        best = None
        for item in page.images:
            picture = item.image
            if picture is not None and (best is None or _area(picture) > _area(best)):
                best = picture
        if best is not None:
            yield best


def _area(image: Image.Image) -> int:
    return int(image.width * image.height)


#: Results of this process by content hash: a file is read once even across workspaces.
_MEMO: dict[str, OcrText] = {}


class OcrReader:
    """OCR of whole files, once per content hash, cached as JSON under *cache_dir*.

    Parameters
    ----------
    cache_dir : Path or None
        Where results are kept (``<workspace>/cache/ocr``); None keeps nothing.
    progress : callable, optional
        Called with a short description of each file before it is read.
    """

    def __init__(
        self, cache_dir: Path | None, progress: Callable[[str], None] | None = None
    ) -> None:
        self.cache_dir = cache_dir
        self.progress = progress

    def _cached(self, sha256: str) -> OcrText | None:
        if sha256 and sha256 in _MEMO:
            return _MEMO[sha256]
        if self.cache_dir is None or not sha256:
            return None
        try:
            data = json.loads((self.cache_dir / f"{sha256}.json").read_text(encoding="utf-8"))
            if data.get("version") != _CACHE_VERSION:
                return None
            return OcrText.from_json(data["result"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _store(self, sha256: str, found: OcrText) -> None:
        if sha256:
            _MEMO[sha256] = found
        if self.cache_dir is None or not sha256:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"version": _CACHE_VERSION, "result": found.to_json()})
        with atomic_write(self.cache_dir / f"{sha256}.json", "w", encoding="utf-8") as handle:
            handle.write(payload)

    def photo(self, path: Path, sha256: str, shown: str) -> OcrText:
        """OCR of a photo, with its class."""
        found = self._cached(sha256)
        if found is None:
            from PIL import Image

            if self.progress:
                self.progress(f"OCR {shown}")
            with Image.open(path) as image:
                found = ocr_image(image)
            found.photo_class = classify_photo(found)
            self._store(sha256, found)
        return found

    def pdf(self, path: Path, sha256: str, shown: str) -> OcrText:
        """OCR of every page of a scanned PDF."""
        found = self._cached(sha256)
        if found is None:
            lines: list[OcrLine] = []
            texts: list[str] = []
            scores: list[tuple[float, int]] = []
            pages = 0
            for pages, image in enumerate(pdf_page_images(path), start=1):
                if self.progress:
                    self.progress(f"OCR {shown} page {pages}")
                page = ocr_image(image)
                lines += page.lines
                texts.append(page.text)
                if page.confidence is not None:
                    scores.append((page.confidence, len(page.text)))
            confidence = (
                float(np.average([s for s, _ in scores], weights=[max(n, 1) for _, n in scores]))
                if scores
                else None
            )
            found = OcrText("\n\n".join(texts).strip(), confidence, pages, lines, None, None)
            self._store(sha256, found)
        return found
