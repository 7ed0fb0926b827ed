"""Problems are data: one row per file that could not be used as expected.

A foreign case folder always holds odd files. Loading never stops at the first
bad one; each becomes a :class:`Problem`, collected into ``case.problems``.

A problem's ``kind`` is one of :class:`ProblemKind`; what a later step needs to know
(the patients found, the paths involved) travels in ``details``, a JSON object,
never parsed back out of the English ``message``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, NamedTuple

import pandas as pd

PROBLEM_COLUMNS = ["path", "stage", "kind", "message", "details"]


class ProblemKind(StrEnum):
    """Every problem code (the README's "Problem kinds" table explains each)."""

    # inventory
    EMPTY_FILE = "empty_file"
    NOT_DICOM = "not_dicom"
    UNREADABLE = "unreadable"
    NOT_A_FILE = "not_a_file"
    UNSAFE_NAME = "unsafe_name"
    READER_FAILED = "reader_failed"
    SYMLINK_LOOP = "symlink_loop"
    LINK_OUTSIDE = "link_outside"
    LINK_NOT_FOLLOWED = "link_not_followed"
    DUPLICATE = "duplicate"
    CHANGED_SINCE_READ = "changed_since_read"
    SHA256_INCOMPLETE = "sha256_incomplete"
    # dicom header
    TRUNCATED = "truncated"
    ABSURD_LENGTH = "absurd_length"
    INVALID_VR = "invalid_vr"
    INVALID_LENGTH = "invalid_length"
    INVALID_SEQUENCE = "invalid_sequence"
    TOO_DEEP = "too_deep"
    UNREADABLE_DICOM = "unreadable_dicom"
    UNDECLARED_CHARSET = "undeclared_charset"
    NO_FILE_META = "no_file_meta"
    UID_COLLISION = "uid_collision"
    MISSING_UID = "missing_uid"
    MULTIPLE_PATIENTS = "multiple_patients"
    TABLES_NOT_SAVED = "tables_not_saved"
    # pixels
    UNKNOWN_TRANSFER_SYNTAX = "unknown_transfer_syntax"
    NO_DECODER = "no_decoder"
    PIXEL_SIZE_MISMATCH = "pixel_size_mismatch"
    PIXEL_DECODE_FAILED = "pixel_decode_failed"
    PIXEL_HEADER_MISSING = "pixel_header_missing"
    VERIFY_SKIPPED = "verify_skipped"
    # archives
    UNSAFE_PATH = "unsafe_path"
    ZIP_LINK = "zip_link"
    ZIP_BOMB = "zip_bomb"
    ZIP_TOO_DEEP = "zip_too_deep"
    ZIP_CORRUPT = "zip_corrupt"
    ZIP_ENCRYPTED = "zip_encrypted"
    # photos
    IMAGE_BOMB = "image_bomb"
    IMAGE_UNREADABLE = "image_unreadable"
    IMAGE_TRUNCATED = "image_truncated"
    WRONG_EXTENSION = "wrong_extension"
    # DICOMDIR
    DICOMDIR_MISSING_FILE = "dicomdir_missing_file"
    DICOMDIR_OUTSIDE = "dicomdir_outside"
    DICOMDIR_UNREADABLE = "dicomdir_unreadable"
    # documents
    BINARY_TEXT = "binary_text"
    DOCX_INVALID = "docx_invalid"
    DOCX_TOO_LARGE = "docx_too_large"
    EMPTY_DOCUMENT = "empty_document"
    ENCODING_UNKNOWN = "encoding_unknown"
    FILE_UNREADABLE = "file_unreadable"
    NO_TEXT_LAYER = "no_text_layer"
    OCR_FAILED = "ocr_failed"
    OCR_LOW_CONFIDENCE = "ocr_low_confidence"
    PDF_ENCRYPTED = "pdf_encrypted"
    PDF_PARTLY_UNREADABLE = "pdf_partly_unreadable"
    PDF_TOO_LARGE = "pdf_too_large"
    PDF_TOO_MANY_PAGES = "pdf_too_many_pages"
    PDF_UNREADABLE = "pdf_unreadable"
    TEXT_TOO_LARGE = "text_too_large"
    TEXT_TRUNCATED = "text_truncated"
    UNSUPPORTED_DOCUMENT = "unsupported_document"
    # case.yaml
    MANIFEST_SYNTAX = "manifest_syntax"
    MANIFEST_INVALID = "manifest_invalid"
    MANIFEST_TOO_LARGE = "manifest_too_large"


class Problem(NamedTuple):
    """One problem row.

    Attributes
    ----------
    path : str
        The file, relative to the case source (archive members as ``a.zip/member``).
    stage : str
        Where it was found: ``inventory``, ``archive``, ``dicom``, ``dicomdir``,
        ``pixels``, ``document``, ``image``, ``manifest``, ``case``.
    kind : str
        A :class:`ProblemKind` value such as ``truncated`` or ``zip_bomb``.
    message : str
        What is wrong, naming the file, and what to do about it.
    details : str
        A JSON object with the facts later steps use (``{"patients": [...]}``,
        ``{"paths": [...]}``); ``""`` when there are none. See :func:`problem_details`.
    """

    path: str
    stage: str
    kind: str
    message: str
    details: str = ""


def details_json(**facts: Any) -> str:
    """The ``details`` text of a problem: *facts* as a JSON object (keys sorted)."""
    return json.dumps(facts, ensure_ascii=False, sort_keys=True, default=str)


def problem_details(details: Any) -> dict[str, Any]:
    """The facts stored in a problem's ``details`` (an empty dict when none or damaged)."""
    if not isinstance(details, str) or not details:
        return {}
    try:
        data = json.loads(details)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


#: Exceptions that must stop the program, never become a problem row.
FATAL_EXCEPTIONS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit, GeneratorExit)


def describe_failure(exc: BaseException) -> str:
    """``TypeName: text`` of an exception, short and on one line, for a problem message."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:197] + "..."
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def problems_frame(rows: Iterable[Problem]) -> pd.DataFrame:
    """Build the problems table, one row per :class:`Problem`, in a stable order."""
    frame = pd.DataFrame([tuple(r) for r in rows], columns=PROBLEM_COLUMNS)
    frame["details"] = frame["details"].fillna("")
    return (
        frame.astype("string")
        .sort_values(["path", "stage", "kind"], kind="stable")
        .reset_index(drop=True)
    )
