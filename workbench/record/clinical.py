"""The clinical record: documents, photos of films, report ↔ study matching.

Runs after the DICOM tables exist. Every document (PDF, text, Word) becomes a
``documents`` row; every photo becomes a ``studies`` row with ``source ==
"photo"`` and no original DICOM; each imaging report is matched to the study it
describes, by date (same day first, then within :data:`MATCH_WINDOW_DAYS`),
modality and body part. Side is compared, never used to match: a report naming
the other side is exactly what the laterality check must see. A report with no
study on the media creates a ``studies`` row with ``source == "report"``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from workbench import vocab
from workbench.cache import load_cache, plain_data, save_cache
from workbench.ingest.index import STUDY_COLUMNS, short_key
from workbench.problems import FATAL_EXCEPTIONS, Problem, describe_failure
from workbench.record.dates import extract_dates
from workbench.record.documents import DOCUMENT_SUFFIXES, read_document, read_photo_report
from workbench.record.manifest import MANIFEST_NAME
from workbench.record.ocr import OcrReader
from workbench.safe_text import shown_name

#: A report dated up to this many days from a study can describe it.
MATCH_WINDOW_DAYS = 7

DOCUMENT_COLUMNS = [
    "path",
    "doc_type",
    "date",
    "date_text",
    "date_ambiguous",
    "date_precision",
    "body_part",
    "side",
    "sides_mentioned",
    "modality",
    "weight_bearing",
    "language",
    "title",
    "study_key",
    "side_agrees",
    "n_pages",
    "encoding",
    "text",
    "text_source",
    "ocr_confidence",
]
_CACHE_VERSION = 2  # 2: documents carry date_precision

#: Report modality → DICOM modalities it can describe.
_MODALITY_FAMILY = {
    "MR": {"MR"},
    "CT": {"CT"},
    "DX": {"DX", "CR", "RF"},
    "CR": {"DX", "CR", "RF"},
    "US": {"US"},
    "NM": {"NM", "PT"},
}


def is_document(path: str, kind: str) -> bool:
    """Whether a file of the case is a report or note to read (not case.yaml, not junk)."""
    if kind in _NOT_DOCUMENTS:  # checked first: most files of a case are images
        return False
    name = PurePosixPath(path.split("#")[0]).name
    if name == MANIFEST_NAME:
        return False
    return PurePosixPath(name).suffix.lower() in DOCUMENT_SUFFIXES


_NOT_DOCUMENTS = frozenset({"junk", "dicom", "dicomdir", "archive", "image"})


def read_documents(
    files: pd.DataFrame,
    locals_: dict[str, str],
    cache_file: Path | None,
    *,
    ocr: OcrReader | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read every document of the case, reusing results cached by content hash.

    With *ocr*, scanned PDFs are read by OCR and photos that are pictures of a
    report become documents too (``text_source="ocr"``); see :func:`report_photos`.
    """
    cache = load_cache(cache_file, _CACHE_VERSION)
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    fresh = False
    candidates = files[~files["kind"].isin(list(_NOT_DOCUMENTS))]  # DICOM are most rows
    for f in candidates.itertuples(index=False):
        if not is_document(str(f.path), str(f.kind)) or f.duplicate_of:
            continue
        key = f"{f.sha256}\x00{PurePosixPath(str(f.path)).name}"
        entry = _cached_document(cache.get(key))
        if entry is None or (ocr is not None and _wants_ocr(entry)):
            row, found = _read_one(
                Path(locals_[str(f.path)]), str(f.path), ocr=ocr, sha256=str(f.sha256)
            )
            cache[key] = plain_data([row, [list(p) for p in found]])
            entry = _cached_document(cache[key]) or (None, found)
            fresh = True
        row, found = entry
        if row is not None:
            rows.append({**row, "path": f.path})
        problems.extend(p._replace(path=str(f.path)) for p in found)
    if fresh and cache_file is not None:
        save_cache(cache_file, cache, _CACHE_VERSION)
    if ocr is not None:
        photo_rows, photo_problems = report_photos(files, locals_, ocr)
        rows += photo_rows
        problems += photo_problems
    frame = pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["study_key"] = frame["study_key"].astype(object)
    frame = frame.sort_values(["date", "path"], na_position="last", kind="stable")
    return frame.reset_index(drop=True), problems


def _read_one(
    local: Path, path: str, *, ocr: OcrReader | None = None, sha256: str = ""
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """:func:`read_document`, where a reader failing in an unforeseen way is a problem row."""
    try:
        return read_document(local, display_path=path, ocr=ocr, sha256=sha256)
    except FATAL_EXCEPTIONS:
        raise
    except OSError as exc:  # reading an original: its problem, whatever the errno
        message = f"{shown_name(path)} cannot be read ({describe_failure(exc)})."
        return None, [Problem(path, "document", "file_unreadable", message)]
    except BaseException as exc:  # native parsers raise BaseException subclasses
        message = (
            f"{shown_name(path)} cannot be read as a document ({describe_failure(exc)}); "
            "ask the sender for it again, or as a PDF."
        )
        return None, [Problem(path, "document", "file_unreadable", message)]


def _cached_document(entry: Any) -> tuple[dict[str, Any] | None, list[Problem]] | None:
    """A cache entry checked to be a (row or None, problems) pair of plain data."""
    if not isinstance(entry, list) or len(entry) != 2:
        return None
    row, found = entry
    if row is not None and not isinstance(row, dict):
        return None
    try:
        return row, [Problem(*(str(x) for x in p)) for p in found]
    except TypeError:
        return None


def _wants_ocr(cached: tuple[dict[str, Any] | None, list[Problem]]) -> bool:
    """A cached read of a scanned PDF without text (OCR results are cached apart, by hash)."""
    return any(p.kind == "no_text_layer" for p in cached[1])


def _photos(files: pd.DataFrame) -> list[Any]:
    images = files[files["kind"] == "image"]
    return [f for f in images.itertuples(index=False) if not f.duplicate_of]


def report_photos(
    files: pd.DataFrame, locals_: dict[str, str], ocr: OcrReader
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Document rows of the photos that are pictures of a report (read by OCR, cached).

    A picture OCR cannot read stays a photo, with an ``ocr_failed`` problem.
    """
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for f in _photos(files):
        path = str(f.path)
        try:
            row, _ = read_photo_report(
                Path(locals_[path]), display_path=path, ocr=ocr, sha256=str(f.sha256)
            )
        except Exception as exc:  # Pillow and onnxruntime raise many types on odd pictures
            message = (
                f"{path}: could not be read by OCR ({type(exc).__name__}); it is kept as a "
                "photo. If it is a report, ask for a clearer photo or the original document."
            )
            problems.append(Problem(path, "document", "ocr_failed", message))
            continue
        if row is not None:
            rows.append({**row, "path": f.path})
    return rows, problems


def photo_studies(files: pd.DataFrame, documents: pd.DataFrame | None = None) -> pd.DataFrame:
    """One ``studies`` row per photo or screenshot: imaging known only from a picture.

    Photos read as reports (rows of *documents*) are documents, not imaging.
    """
    as_documents = set(documents["path"]) if documents is not None else set()
    rows = []
    for f in _photos(files):
        if f.path in as_documents:
            continue
        name = PurePosixPath(str(f.path)).stem.replace("_", " ")
        dates = extract_dates(name)
        rows.append(
            _study_row(
                key=short_key("ph", str(f.sha256)),
                date=dates[0][0] if dates else None,
                modality=None,
                body_part=vocab.body_part_from_text(name),
                side=vocab.side_from_text(name),
                description=f"Photo: {PurePosixPath(str(f.path)).name}",
                source="photo",
            )
        )
    return pd.DataFrame(rows, columns=STUDY_COLUMNS)


def _study_row(
    *,
    key: str,
    date: Any,
    modality: str | None,
    body_part: str | None,
    side: str | None,
    description: str,
    source: str,
    has_report: bool = False,
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(STUDY_COLUMNS)
    row.update(
        study_key=key,
        date=date,
        date_source=source if date is not None and not pd.isna(date) else None,
        modality=modality,
        body_part=body_part,
        side=side,
        description=description,
        n_series=0,
        n_images=0,
        has_original_dicom=False,
        has_report=has_report,
        weight_bearing=None,
        source=source,
    )
    return row


def match_reports(
    studies: pd.DataFrame, documents: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match imaging reports to studies; add report-only studies. Returns new tables."""
    studies = studies.copy()
    documents = documents.copy()
    documents["study_key"] = documents["study_key"].astype(object)
    documents["side_agrees"] = documents["side_agrees"].astype(object)
    taken: dict[str, int] = {}
    extra: list[dict[str, Any]] = []
    precision: dict[str, Any] = {}
    for i, doc in documents.iterrows():
        if doc["doc_type"] != "imaging_report":
            continue
        key = _best_study(doc, studies, taken)
        if key is None:
            key = short_key("rp", str(doc["path"]))
            extra.append(
                _study_row(
                    key=key,
                    date=doc["date"] if not pd.isna(doc["date"]) else None,
                    modality=doc["modality"],
                    body_part=doc["body_part"],
                    side=doc["side"],
                    description=str(doc["title"] or doc["path"])[:80],
                    source="report",
                    has_report=True,
                )
            )
            documents.at[i, "study_key"] = key
            documents.at[i, "side_agrees"] = None
            precision[key] = doc.get("date_precision")
            continue
        taken[key] = taken.get(key, 0) + 1
        documents.at[i, "study_key"] = key
        study_side = studies.loc[studies["study_key"] == key, "side"].iloc[0]
        documents.at[i, "side_agrees"] = _sides_agree(doc["side"], study_side)
    if extra:
        studies = pd.concat([studies, pd.DataFrame(extra, columns=STUDY_COLUMNS)])
    documents["side_agrees"] = documents["side_agrees"].astype("boolean")
    matched = set(documents["study_key"].dropna())
    studies["has_report"] = studies["study_key"].isin(matched)
    studies["date"] = pd.to_datetime(studies["date"])
    studies["weight_bearing"] = studies["weight_bearing"].astype("boolean")
    # a DICOM study date is a day; a report-only study is as precise as its report's date
    studies["date_precision"] = [
        None if pd.isna(d) else (precision.get(k) or "day")
        for k, d in zip(studies["study_key"], studies["date"], strict=True)
    ]
    studies = studies.sort_values(["date", "study_key"], na_position="last", kind="stable")
    return studies.reset_index(drop=True), documents


def _sides_agree(report_side: Any, study_side: Any) -> bool | None:
    if not isinstance(report_side, str) or not isinstance(study_side, str):
        return None
    if "bilateral" in (report_side, study_side):
        return True
    return report_side == study_side


def _best_study(doc: pd.Series, studies: pd.DataFrame, taken: dict[str, int]) -> str | None:
    best: tuple[float, str] | None = None
    for s in studies.itertuples(index=False):
        score = _match_score(doc, s)
        if score is None:
            continue
        score += taken.get(str(s.study_key), 0) * 0.5  # prefer a study without a report yet
        if best is None or score < best[0]:
            best = (score, str(s.study_key))
    return best[1] if best else None


def _match_score(doc: pd.Series, study: Any) -> float | None:
    """Lower is better; None means this report cannot describe this study."""
    if doc["body_part"] and study.body_part and doc["body_part"] != study.body_part:
        return None
    modalities = set(str(study.modality or "").split("/")) - {""}
    family = _MODALITY_FAMILY.get(str(doc["modality"]), set())
    if doc["modality"] and modalities and not (family & modalities):
        return None
    if pd.isna(doc["date"]) or pd.isna(study.date):
        # without dates, only an exact modality and body-part match may pair them
        return 50.0 if doc["modality"] and doc["body_part"] and study.body_part else None
    if doc.get("date_precision") == "month":  # a report of "2024-03": a study of that month
        same = (doc["date"].year, doc["date"].month) == (study.date.year, study.date.month)
        return 10.0 if same else None
    days = abs((doc["date"] - study.date).days)
    if days > MATCH_WINDOW_DAYS:
        return None
    return float(days) + (0.0 if doc["modality"] else 0.3) + (0.0 if doc["body_part"] else 0.3)
