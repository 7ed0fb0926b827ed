"""Reports and notes: their text, type, date, body part, side and language.

:func:`read_document` turns one PDF, text, markdown or Word file into a row of
``case.documents`` plus :class:`~workbench.problems.Problem` rows. It never raises
on bad content: a scanned PDF, a password, a renamed zip or a binary file named
``.txt`` becomes a problem that names the file and says what to ask for.

The keyword lists below are data a clinician can read and extend. Patterns are
matched case-insensitively with ASCII word boundaries, so ``MRI`` is a word in
``右膝关节MRI检查`` as well as in ``MRI RIGHT KNEE``.

>>> classify_doc_type("手术记录\\n手术名称：右膝关节镜下半月板部分切除术")
'operation_note'
>>> detect_language("右膝关节MRI检查报告")
'zh'
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import pandas as pd

from workbench.problems import Problem
from workbench.record.dates import document_date
from workbench.record.ocr import OcrReader
from workbench.vocab import (
    Side,
    body_part_from_text,
    side_from_text,
    sides_in_text,
    weight_bearing_from_text,
)

__all__ = [
    "DOCUMENT_SUFFIXES",
    "DOC_TYPES",
    "analyse_text",
    "classify_doc_type",
    "decode_text",
    "detect_language",
    "modality_from_text",
    "read_document",
    "read_photo_report",
]

DOC_TYPES = (
    "imaging_report",
    "operation_note",
    "discharge_summary",
    "outpatient_note",
    "lab",
    "treatment_record",
    "other",
)
DOCUMENT_SUFFIXES = frozenset({".pdf", ".txt", ".md", ".docx"})

# --- keyword data ---------------------------------------------------------------------

#: (pattern, weight) per document type. A hit in the first lines or the file name counts
#: three times its weight; each pattern counts at most three times in the body.
DOC_TYPE_KEYWORDS: dict[str, tuple[tuple[str, int], ...]] = {
    "imaging_report": (
        (r"radiology report|imaging report|diagnostic imaging|department of radiology", 3),
        (r"\b(?:mri|mr|ct|x-?ray|radiographs?|ultrasound|sonography)\b[^\n]{0,30}\breport\b", 3),
        (r"(?:mri|mr|ct|dr|x线|磁共振|核磁|超声|b超|彩超|平片)[^\n]{0,12}报告", 3),
        (r"检查所见|影像所见|影像表现|影像学表现|放射科|影像科|检查部位", 2),
        (r"\bfindings\b|\bimpression\b|\btechnique\b|\bradiologist\b|\bsequences\b", 1),
        (r"影像|诊断意见|印象|检查方法|扫描|报告", 1),
    ),
    "operation_note": (
        (r"operation (?:note|record)|operative (?:report|note|record)|procedure performed", 3),
        (r"surgical (?:report|note|record)|name of (?:operation|procedure)", 3),
        (r"手术记录|手术名称|术中所见|手术经过|手术步骤|手术过程", 3),
        (r"\bsurgeon\b|\ban(?:a)?esthe|\bincision\b|\btourniquet\b|\bclosure\b|blood loss", 1),
        (r"\bintra-?operative|\bimplants?\b|\bsutured?\b", 1),
        (r"术者|主刀|麻醉|切口|止血带|出血量|植入物|缝合", 1),
    ),
    "discharge_summary": (
        (r"discharge (?:summary|letter|record)", 4),
        (r"出院小结|出院记录|出院总结", 4),
        (r"discharge diagnosis|hospital course|date of discharge|discharge date", 2),
        (r"admission diagnosis|date of admission|discharge medications?", 2),
        (r"出院诊断|入院诊断|住院经过|诊疗经过|出院医嘱|出院情况|入院情况|出院日期|住院天数", 2),
    ),
    "outpatient_note": (
        (r"clinic (?:note|letter)|out-?patient|follow-?up visit|office visit", 3),
        (r"门诊病历|门诊记录", 4),
        (r"\bconsultation\b|门诊|复诊", 2),
        (r"presenting complaint|chief complaint|history of present(?:ing)? illness", 1),
        (r"assessment and plan|on examination|\bplan\b", 1),
        (r"主诉|现病史|既往史|查体|专科检查|处理意见|初步诊断", 1),
    ),
    "lab": (
        (r"\blaboratory\b|\blab (?:report|results?)\b|reference (?:range|interval)", 3),
        (r"化验单|检验报告|检验科|检验单|检验结果|参考范围|参考值|参考区间", 3),
        (r"\bcrp\b|\besr\b|c-reactive|ha?emoglobin|\bwbc\b|white (?:blood )?cell", 1),
        (r"\bplatelets?\b|creatinine|rheumatoid factor|uric acid|\bhba1c\b", 1),
        (r"化验|血常规|血沉|c反应蛋白|类风湿因子|尿酸|白细胞|血红蛋白|血小板", 1),
    ),
    "treatment_record": (
        (r"physiotherapy|physical therapy|injection record|treatment record|acupuncture", 3),
        (r"康复治疗|康复记录|理疗|注射记录|治疗记录|针灸|推拿|治疗单", 3),
        (r"rehabilitation|\binjections?\b|hyaluronic|corticosteroid|\bbrac(?:e|ing)\b", 1),
        (r"康复|注射|玻璃酸钠|支具|封闭|功能锻炼", 1),
    ),
}

#: Words naming a modality. Abbreviations are matched in capitals only ("MR", not "Mr").
MODALITY_WORDS: dict[str, tuple[str, str]] = {
    # modality: (case-sensitive abbreviations, case-insensitive words)
    "MR": (
        r"\bMRI?\b(?!\.)|\bMRA\b",
        r"\bmri\b|magnetic resonance|\bt[12]wi\b|\bstir\b|磁共振|核磁",
    ),
    "CT": (r"\bCT\b|\bCTA\b", r"computed tomography|\bcat scan\b"),
    "DX": (
        r"\bDR\b(?!\.)|\bCR\b|\bDX\b|\bXR\b",
        r"x-?rays?\b|radiograph|plain film|x线|x光|平片|摄片|正侧位",
    ),
    "US": (r"\bUS\b", r"ultrasound|ultrasonograph|sonograph|超声|b超|彩超"),
    "NM": (r"\bECT\b|\bSPECT\b", r"bone scan|scintigra|nuclear medicine|骨扫描|骨显像|核医学"),
}

#: Labels of the line that names the examination or operation (its side and body part win).
EXAM_LINE_LABELS = (
    r"^\s*(?:exam(?:ination)?|study|procedure|operation|body part|region|protocol"
    r"|检查部位|检查项目|检查名称|检查方法|部位|手术名称|拟行手术|术式)\s*[:：]"
)

#: Preferred among equally good guesses of charset-normalizer (after UTF-8 and GB18030).
FALLBACK_ENCODINGS = ("cp1252",)

MAX_PDF_PAGES = 500
MAX_TEXT_CHARS = 2_000_000
#: Type, date, side and body part are read from this many leading characters.
ANALYSE_CHARS = 200_000
MAX_DOCX_UNCOMPRESSED = 100_000_000
MAX_DOCX_ENTRIES = 5_000
TITLE_CHARS = 120
HEADER_LINES = 3
_MIN_TYPE_SCORE = 2
_FLAGS = re.IGNORECASE | re.ASCII  # ASCII: Chinese characters are not word characters


@functools.cache
def _type_patterns() -> dict[str, list[tuple[re.Pattern[str], int]]]:
    """:data:`DOC_TYPE_KEYWORDS` compiled, on first use (an ingest without documents: never)."""
    return {
        doc_type: [(re.compile(p, _FLAGS), w) for p, w in pairs]
        for doc_type, pairs in DOC_TYPE_KEYWORDS.items()
    }


@functools.cache
def _modality_patterns() -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
    """:data:`MODALITY_WORDS` compiled, on first use."""
    return {
        mod: (re.compile(abbr, re.ASCII), re.compile(words, _FLAGS))
        for mod, (abbr, words) in MODALITY_WORDS.items()
    }


@functools.cache
def _han() -> re.Pattern[str]:
    """Han characters, compiled on first use (the ranges take milliseconds to compile)."""
    return re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


_EXAM_LINE_RE = re.compile(EXAM_LINE_LABELS, _FLAGS)
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CLAUSE_SPLIT = re.compile(r"[\n。；;!?！？]+|\.(?:\s|$)")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))


class _Extracted(NamedTuple):
    text: str
    n_pages: int | None = None
    encoding: str | None = None


# --- reading --------------------------------------------------------------------------


def read_document(
    file: Path,
    *,
    display_path: str,
    max_bytes: int = 50_000_000,
    ocr: OcrReader | None = None,
    sha256: str = "",
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read one report or note into a ``case.documents`` row.

    Parameters
    ----------
    file : Path
        The file to read (``.pdf``, ``.txt``, ``.md`` or ``.docx``).
    display_path : str
        Its path as shown to the user (relative to the case source); goes into ``path``.
    max_bytes : int
        Larger files are refused with a problem row.
    ocr : OcrReader, optional
        Reads a scanned PDF (no text layer) by OCR; without it such a PDF is a
        ``no_text_layer`` problem.
    sha256 : str
        The file's content hash, the key of the OCR cache.

    Returns
    -------
    row : dict or None
        ``path``, ``doc_type``, ``date`` (Timestamp or NaT), ``date_text``,
        ``date_ambiguous``, ``body_part``, ``side``, ``sides_mentioned``, ``modality``,
        ``weight_bearing``, ``language``, ``title``, ``text``, ``n_pages``, ``encoding``,
        ``text_source`` (``text_layer`` or ``ocr``) and ``ocr_confidence`` (0-1);
        None when the file cannot be read at all.
    problems : list of Problem
        Everything that went wrong, each naming the file and the fix.
    """
    # the shown name decides: archive members are unpacked under neutral names
    shown = PurePosixPath(display_path.split("#")[0])
    suffix = shown.suffix.lower() or file.suffix.lower()
    readers = {".pdf": _read_pdf, ".txt": _read_text, ".md": _read_text, ".docx": _read_docx}
    if suffix not in readers:
        msg = f"{display_path}: {suffix or 'no suffix'} is not a document type the workbench reads"
        return None, [
            _problem(display_path, "unsupported_document", msg + " (PDF, TXT, MD, DOCX).")
        ]
    try:
        size = file.stat().st_size
    except OSError as exc:
        return None, [
            _problem(display_path, "file_unreadable", f"{display_path}: cannot read ({exc}).")
        ]
    if size > max_bytes:
        kind = {".pdf": "pdf_too_large", ".docx": "docx_too_large"}.get(suffix, "text_too_large")
        msg = f"{display_path}: {size:,} bytes is over the {max_bytes:,}-byte limit for a document"
        return None, [_problem(display_path, kind, msg + "; send the report on its own.")]
    extracted, problems = readers[suffix](file, display_path)
    if extracted is None:
        return None, problems
    text_source, confidence = "text_layer", None
    if suffix == ".pdf" and not extracted.text.strip() and ocr is not None:
        found = ocr.pdf(file, sha256, display_path)
        if found.text.strip():
            extracted = extracted._replace(text=_normalise(found.text))
            text_source, confidence = "ocr", found.confidence
            problems = [p for p in problems if p.kind != "no_text_layer"]
            problems.extend(_ocr_problems(display_path, found.confidence))
    text = extracted.text
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        problems.append(
            _problem(
                display_path,
                "text_truncated",
                f"{display_path}: only the first {MAX_TEXT_CHARS:,} characters of text were read.",
            )
        )
    if not text.strip() and suffix != ".pdf":
        problems.append(_problem(display_path, "empty_document", f"{display_path}: holds no text."))
    row: dict[str, Any] = {"path": display_path}
    row.update(analyse_text(text, filename=shown.name or file.name))
    row.update(text=text, n_pages=extracted.n_pages, encoding=extracted.encoding)
    row.update(text_source=text_source if text.strip() else None, ocr_confidence=confidence)
    return row, problems


#: Below this mean confidence an OCR text is flagged for a person to check.
OCR_LOW_CONFIDENCE = 0.8


def _ocr_problems(path: str, confidence: float | None) -> list[Problem]:
    if confidence is not None and confidence < OCR_LOW_CONFIDENCE:
        msg = (
            f"{path}: read by OCR with a mean confidence of {confidence:.2f}; check the date, "
            "side and findings against the picture, or ask for a clearer scan."
        )
        return [_problem(path, "ocr_low_confidence", msg)]
    return []


def read_photo_report(
    file: Path, *, display_path: str, ocr: OcrReader, sha256: str = ""
) -> tuple[dict[str, Any] | None, str]:
    """OCR a photo; a ``case.documents`` row when it is a photo of a report.

    Returns the row (None for a film, a screen or anything else) and the photo's
    class (one of :data:`workbench.record.ocr.PHOTO_CLASSES`).
    """
    found = ocr.photo(file, sha256, display_path)
    if found.photo_class != "report":
        return None, str(found.photo_class)
    text = _normalise(found.text)
    row: dict[str, Any] = {"path": display_path}
    row.update(analyse_text(text, filename=PurePosixPath(display_path.split("#")[0]).name))
    row.update(text=text, n_pages=1, encoding=None, text_source="ocr")
    row.update(ocr_confidence=found.confidence)
    return row, "report"


def _problem(path: str, kind: str, message: str) -> Problem:
    return Problem(path, "document", kind, message)


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n").replace("\x00", "")


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's warnings and log lines about malformed files while reading one."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _read_pdf(file: Path, path: str) -> tuple[_Extracted | None, list[Problem]]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    problems: list[Problem] = []
    unreadable = (
        f"{path}: this PDF cannot be read ({{}}); re-export it from the viewer that opens it, "
        "or ask the sender for the original file."
    )
    parts: list[str] = []
    failed = 0
    try:
        with _quiet_pypdf():
            reader = PdfReader(file, strict=False)
            if reader.is_encrypted:
                reason = "the PDF is password-protected"
                try:
                    opened = bool(reader.decrypt(""))
                except DependencyError:  # AES needs the optional 'cryptography' package
                    opened = False
                    reason = "the PDF is AES-encrypted and 'cryptography' is not installed"
                except Exception:  # broken encryption dictionary
                    opened = False
                if not opened:
                    msg = f"{path}: {reason}; ask the sender for an unprotected copy."
                    return None, [_problem(path, "pdf_encrypted", msg)]
            n_pages = len(reader.pages)
            if n_pages > MAX_PDF_PAGES:
                msg = (
                    f"{path}: {n_pages} pages is over the {MAX_PDF_PAGES}-page limit for a "
                    "report; send the relevant reports as separate files."
                )
                return None, [_problem(path, "pdf_too_many_pages", msg)]
            total = 0
            for index in range(n_pages):
                try:
                    page_text = reader.pages[index].extract_text() or ""
                except Exception:
                    failed += 1
                    continue
                parts.append(page_text)
                total += len(page_text)
                if total > MAX_TEXT_CHARS:
                    break
    except Exception as exc:  # pypdf raises many types on malformed files
        return None, [_problem(path, "pdf_unreadable", unreadable.format(type(exc).__name__))]
    if n_pages and failed == n_pages:
        return None, [_problem(path, "pdf_unreadable", unreadable.format("no page could be read"))]
    if failed:
        msg = f"{path}: {failed} of {n_pages} pages could not be read; ask for the original file."
        problems.append(_problem(path, "pdf_partly_unreadable", msg))
    text = _normalise("\n".join(parts)).strip("\n")
    if not text.strip():
        msg = (
            f"{path}: scanned PDF with no text layer, and OCR was off or found no text; open "
            "the case with OCR (the default), ask for the original report text, or type the "
            "key findings into case.yaml."
        )
        problems.append(_problem(path, "no_text_layer", msg))
        text = ""
    return _Extracted(text, n_pages=n_pages), problems


def decode_text(data: bytes) -> tuple[str, str] | None:
    """Decode the bytes of a text file; None when they look binary.

    Tries, in order: a UTF-8/UTF-16/UTF-32 byte-order mark, UTF-8, GB18030 (a superset
    of GBK and GB2312, when the result reads as Chinese), then charset-normalizer's
    best guess, else UTF-8 with replacement characters.

    Returns
    -------
    (text, encoding) or None
    """
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                break
    sample = data[:65536]
    if b"\x00" in sample:
        return None
    if sample and sum(sample.count(b) for b in _CONTROL_BYTES) / len(sample) > 0.05:
        return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _reads_as_chinese(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if matches:
        least_chaos = min(m.chaos for m in matches)
        for preferred in FALLBACK_ENCODINGS:  # short Western texts fit many code pages
            for match in matches:
                if match.chaos == least_chaos and preferred in match.could_be_from_charset:
                    return data.decode(preferred, errors="replace"), preferred
        return str(matches[0]), matches[0].encoding
    return data.decode("utf-8", errors="replace"), "unknown"


def _reads_as_chinese(text: str) -> bool:
    """Most Han characters sit next to another: Latin-1 read as GB18030 gives lone ones."""
    han = [m.start() for m in _han().finditer(text)]
    if not han:
        return False
    positions = set(han)
    paired = sum(1 for i in han if i - 1 in positions or i + 1 in positions)
    return paired / len(han) >= 0.6


def _read_text(file: Path, path: str) -> tuple[_Extracted | None, list[Problem]]:
    try:
        data = file.read_bytes()
    except OSError as exc:
        return None, [_problem(path, "file_unreadable", f"{path}: cannot read ({exc}).")]
    decoded = decode_text(data)
    if decoded is None:
        msg = (
            f"{path}: named as text but holds binary data; check what the file really is "
            "and ask the sender to re-send it."
        )
        return None, [_problem(path, "binary_text", msg)]
    text, encoding = decoded
    problems = []
    if encoding == "unknown":
        msg = f"{path}: text encoding not recognised; some characters may be wrong. Save as UTF-8."
        problems.append(_problem(path, "encoding_unknown", msg))
    return _Extracted(_normalise(text), encoding=encoding), problems


def _read_docx(file: Path, path: str) -> tuple[_Extracted | None, list[Problem]]:
    invalid = (
        f"{path}: not a readable Word .docx file ({{}}); open it and save as .docx or PDF, "
        "or ask the sender for the original."
    )
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
    except Exception as exc:
        return None, [_problem(path, "docx_invalid", invalid.format(f"not a zip archive: {exc}"))]
    unpacked = sum(info.file_size for info in infos)
    if len(infos) > MAX_DOCX_ENTRIES or unpacked > MAX_DOCX_UNCOMPRESSED:
        msg = (
            f"{path}: unpacks to {unpacked:,} bytes in {len(infos)} parts, over the limit "
            f"({MAX_DOCX_UNCOMPRESSED:,} bytes); it was not opened."
        )
        return None, [_problem(path, "docx_too_large", msg)]
    names = {info.filename for info in infos}
    if "word/document.xml" not in names and "[Content_Types].xml" not in names:
        return None, [_problem(path, "docx_invalid", invalid.format("no word/document.xml"))]
    try:
        import docx

        document = docx.Document(str(file))
        lines: list[str] = []
        total = 0
        for line in _docx_lines(document):
            lines.append(line)
            total += len(line) + 1
            if total > MAX_TEXT_CHARS:
                break
    except Exception as exc:  # python-docx and lxml raise many types on bad parts
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return None, [_problem(path, "docx_invalid", invalid.format(reason))]
    return _Extracted(_normalise("\n".join(lines))), []


def _docx_lines(document: Any) -> Iterator[str]:
    """Paragraphs and table rows (cells joined by tabs) in document order, lazily."""
    from docx.table import Table

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            yield from _table_lines(block, depth=0)
        else:
            yield block.text


def _table_lines(table: Any, depth: int) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = cell.text.strip()
            if text and (not cells or cells[-1] != text):  # merged cells repeat
                cells.append(text)
        yield "\t".join(cells)
        if depth < 3:
            for cell in row.cells:
                for nested in cell.tables:
                    yield from _table_lines(nested, depth + 1)


# --- reading the text -----------------------------------------------------------------


def _nonempty_lines(text: str, limit: int | None = None) -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            lines.append(line.strip())
            if limit is not None and len(lines) >= limit:
                break
    return lines


def classify_doc_type(text: str, filename: str = "") -> str:
    """The document type (one of :data:`DOC_TYPES`) from keywords, weighted by title.

    >>> classify_doc_type("MRI RIGHT KNEE\\nFindings: tear.\\nImpression: tear.")
    'imaging_report'
    """
    head = "\n".join([*_nonempty_lines(text, HEADER_LINES), _filename_words(filename)])
    body = text[:ANALYSE_CHARS]
    scores: dict[str, int] = {}
    for doc_type, patterns in _type_patterns().items():
        score = 0
        for pattern, weight in patterns:
            hits = sum(1 for _ in zip(range(3), pattern.finditer(body), strict=False))
            score += weight * hits + (3 * weight if pattern.search(head) else 0)
        scores[doc_type] = score
    best = max(scores, key=lambda t: (scores[t], -DOC_TYPES.index(t)))
    return best if scores[best] >= _MIN_TYPE_SCORE else "other"


def detect_language(text: str) -> str:
    """``zh``, ``en`` or ``mixed`` from the share of Han characters and Latin words.

    One Latin word counts as two characters; text without Han characters is ``en``.
    """
    han = len(_han().findall(text))
    words = len(_LATIN_WORD.findall(text))
    if han == 0:
        return "en"
    share = han / (han + 2 * words)
    if share >= 0.75:
        return "zh"
    return "en" if share <= 0.2 else "mixed"


def _modality_counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for modality, (abbr, words) in _modality_patterns().items():
        n = len(abbr.findall(text)) + len(words.findall(text))
        if n:
            counts[modality] = n
    return counts


def modality_from_text(text: str) -> str | None:
    """The modality a short text names (``MR``, ``CT``, ``DX``, ``US``, ``NM``), first named wins.

    >>> modality_from_text("右膝关节MRI平扫")
    'MR'
    """
    best: tuple[int, str] | None = None
    for modality, patterns in _modality_patterns().items():
        for pattern in patterns:
            match = pattern.search(text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), modality)
    return best[1] if best else None


def _filename_words(filename: str) -> str:
    return re.sub(r"[_+]+", " ", Path(filename).stem) if filename else ""


def _exam_lines(text: str, filename: str) -> list[str]:
    """Lines that name the examination: labelled exam lines, the first lines, the file name."""
    first = _nonempty_lines(text, 40)
    labelled = [line for line in first if _EXAM_LINE_RE.search(line)]
    header = [
        line for line in first[:HEADER_LINES] if line not in labelled and len(line) <= TITLE_CHARS
    ]
    return [*labelled, *header, _filename_words(filename)]


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE_SPLIT.split(text) if c.strip()]


def _document_side(exam_lines: list[str], clauses: list[str]) -> str | None:
    for line in exam_lines:
        found = sides_in_text(line)
        if len(found) != 1 and Side.BILATERAL.value not in found:
            continue  # nothing, or a comparison of left and right
        if _EXAM_LINE_RE.search(line) or body_part_from_text(line):
            return side_from_text(line)
    counts: Counter[str] = Counter()
    for clause in clauses:
        counts.update(sides_in_text(clause))
    if not counts:
        return None
    top = max(counts.values())
    leaders = {side for side, n in counts.items() if n == top}
    if Side.BILATERAL.value in leaders:
        return Side.BILATERAL.value
    return leaders.pop() if len(leaders) == 1 else None  # left/right tie: leave it to a person


def _document_body_part(exam_lines: list[str], clauses: list[str]) -> str | None:
    for line in exam_lines:
        part = body_part_from_text(line)
        if part:
            return part
    parts = [p for p in (body_part_from_text(c) for c in clauses) if p]
    if not parts:
        return None
    counts = Counter(parts)
    top = max(counts.values())
    return next(p for p in parts if counts[p] == top)  # ties: the first mentioned


def analyse_text(text: str, filename: str = "") -> dict[str, Any]:
    """Everything :func:`read_document` derives from the text of a document.

    Only the first :data:`ANALYSE_CHARS` characters are read.

    Returns
    -------
    dict
        ``doc_type``, ``date``, ``date_text``, ``date_ambiguous``, ``date_precision``
        (``day`` or ``month``), ``body_part``, ``side``,
        ``sides_mentioned``, ``modality``, ``weight_bearing``, ``language``, ``title``.
    """
    text = text[:ANALYSE_CHARS]
    doc_type = classify_doc_type(text, filename)
    found = document_date(text, doc_type)
    exam_lines = _exam_lines(text, filename)
    clauses = _clauses(text)
    # modality and weight bearing describe an imaging study: an operation note that
    # mentions the preoperative MRI is not an MR document
    study_lines = exam_lines if doc_type in ("imaging_report", "other") else []
    modality = next((m for m in map(modality_from_text, study_lines) if m), None)
    weight_bearing = next(
        (w for w in map(weight_bearing_from_text, study_lines) if w is not None), None
    )
    if doc_type == "imaging_report":
        counts = _modality_counts(text)
        modality = modality or (counts.most_common(1)[0][0] if counts else None)
        if weight_bearing is None:
            weight_bearing = weight_bearing_from_text(text)
    lines = _nonempty_lines(text, 1)
    return {
        "doc_type": doc_type,
        "date": found.date if found else pd.NaT,
        "date_text": found.text if found else "",
        "date_ambiguous": bool(found and found.ambiguous),
        "date_precision": found.precision if found else None,
        "body_part": _document_body_part(exam_lines, clauses),
        "side": _document_side(exam_lines, clauses),
        "sides_mentioned": ",".join(sorted(sides_in_text(text))),
        "modality": modality,
        "weight_bearing": weight_bearing,
        "language": detect_language(text) if text.strip() else None,
        "title": lines[0][:TITLE_CHARS] if lines else "",
    }
