"""De-identify a case: DICOM PS3.15 Basic Profile, for sharing with outside reviewers.

::

    case = workbench.open_case("upload/", workspace="ws/")
    log = workbench.deidentify(case, "shared/", shift_dates=-30)
    leaks = verify_deidentified(case, "shared/")      # empty: nothing identifying left

:func:`deidentify` writes a copy of *case* to *dest*, never touching the source:

* DICOM files by Table E.1-1 of PS3.15 with the Retain Longitudinal Temporal
  Information (full or shifted dates), Retain Patient Characteristics and Clean
  Descriptors options (:mod:`workbench.deid.profile`, :mod:`workbench.deid.dataset`),
  as ``DICOM/<study>/<series>/<instance>.dcm``, UTF-8 text, UIDs remapped;
* ``case.yaml`` with the name, birth year and case ID replaced and free text cleaned;
* text documents with names, IDs and birth dates redacted, as UTF-8;
* ``DEIDENTIFICATION.csv``: every source file (path redacted), its sha256, what
  happened to it, the output's path and sha256, and why anything was held back.

Images whose pixels may show names (see :func:`workbench.deid.dataset.hold_back_reason`),
PDFs, Word files, photos and archives are *held back*: they are not copied to
*dest*; header-cleaned DICOM copies go to ``<workspace>/deid-review/`` for a
person to check. The output is built beside *dest* and moved into place only
when complete; with the same secret and options, a second run gives the same
bytes.
"""

from __future__ import annotations

import hashlib
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import pydicom

from workbench.deid.dataset import DicomRules, clean_dataset, dataset_bytes, hold_back_reason
from workbench.deid.identifiers import case_identity
from workbench.deid.keys import load_secret, pseudonym_for
from workbench.deid.profile import DateMode, action_table
from workbench.deid.text import DatePolicy, Redactor
from workbench.errors import DeidentificationError
from workbench.record.documents import decode_text
from workbench.record.manifest import MANIFEST_NAME, Manifest, PartialDate, dump_manifest
from workbench.record.protocol import CaseRecord

__all__ = ["LOG_COLUMNS", "LOG_NAME", "deidentify"]

LOG_NAME = "DEIDENTIFICATION.csv"
LOG_COLUMNS = [
    "source_path",
    "source_sha256",
    "kind",
    "status",
    "dest_path",
    "dest_sha256",
    "reason",
]
_HELD = {
    "pdf": "PDF: its text and images cannot be de-identified automatically; redact by hand",
    "docx": "Word document: cannot be de-identified automatically; redact by hand",
    "image": "photo or scan: may show the name or the face; review by hand",
    "archive": "archive inside the case: unpack it into the case first",
    "other": "unrecognised file: cannot be checked for identifying content",
}
_DATE_KEYS = frozenset({"onset", "date", "start", "end"})
#: case.yaml keys holding a pseudonym or a closed vocabulary, not free text.
_VOCABULARY_KEYS = frozenset(
    {"name", "case_id", "sex", "side", "kind", "body_part", "case_type", "onset_kind", "languages"}
)


@dataclass
class _Run:
    case: CaseRecord
    rules: DicomRules
    redactor: Redactor
    out: Path
    review: Path
    rows: list[dict[str, Any]]
    written: dict[str, str]
    damaged: dict[str, str]
    containers: set[str]
    #: sha256 of what each output path (case-folded) holds: other bytes get another path
    digests: dict[str, str] = field(default_factory=dict)
    review_digests: dict[str, str] = field(default_factory=dict)


def deidentify(
    case: CaseRecord,
    dest: str | Path,
    *,
    keep_dates: bool = False,
    shift_dates: int | None = None,
    pseudonym: str | None = None,
    secret: str | bytes | None = None,
) -> pd.DataFrame:
    """Write a de-identified copy of *case* to *dest*.

    Parameters
    ----------
    case : CaseRecord
        An opened case (:func:`workbench.open_case`); its source is only read.
    dest : str or Path
        A new or empty folder, or the output of an earlier run (replaced whole).
    keep_dates : bool
        Retain Longitudinal Temporal Information with Full Dates.
    shift_dates : int, optional
        Retain Longitudinal Temporal Information with Modified Dates: every date
        moves by this many days (negative: earlier), the same for every file.
    pseudonym : str, optional
        Replaces the patient's name and ID everywhere. Default: ``ANON-`` and 8
        characters derived from the patient IDs under the secret (stable).
    secret : str or bytes, optional
        Key of the UID and pseudonym mapping. Default: ``$WORKBENCH_DEID_SECRET``
        or ``$WORKBENCH_HOME/deid-secret`` (created on first use, mode 0600).

    Returns
    -------
    pandas.DataFrame
        The rows of ``DEIDENTIFICATION.csv`` (columns :data:`LOG_COLUMNS`).

    Raises
    ------
    DeidentificationError
        Both date options given, *dest* inside the source or not empty, no secret.
    """
    if keep_dates and shift_dates is not None:
        raise DeidentificationError(
            "keep_dates and shift_dates exclude each other: keep the dates, or shift them."
        )
    mode: DateMode = "keep" if keep_dates else ("shift" if shift_dates is not None else "remove")
    target = _check_dest(case, Path(dest))
    key = load_secret(secret)
    identity = case_identity(case)
    name = pseudonym or pseudonym_for(
        "|".join(identity.patient_ids) or _manifest_name(case) or case.source.name, key
    )
    if pseudonym is not None:
        identity.identifiers.names.discard(pseudonym)
    dates = DatePolicy(mode, int(shift_dates or 0))
    redactor = Redactor(identity.identifiers, dates)
    rules = DicomRules(
        table=action_table(dates=mode),
        secret=key,
        redactor=redactor,
        pseudonym=name,
        dates=dates,
        known_uids=identity.uids,
    )
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    review = case.workspace / "deid-review"
    shutil.rmtree(review, ignore_errors=True)
    problems = case.problems[
        case.problems["stage"].isin(["dicom", "pixels"])
        & ~case.problems["kind"].str.contains("duplicate|collision|patient", na=False)
    ]
    damaged = dict(zip(problems["path"].astype(str), problems["kind"].astype(str), strict=True))
    paths = set(case.files["path"].astype(str))
    containers = {p for p in paths if any(q.startswith(p + "/") for q in paths)}
    run = _Run(case, rules, redactor, partial, review, [], {}, damaged, containers)
    try:
        for row in case.files.sort_values("path").itertuples(index=False):
            _one_file(run, str(row.path), str(row.kind), str(row.sha256))
        log = pd.DataFrame(run.rows, columns=LOG_COLUMNS)
        log.to_csv(partial / LOG_NAME, index=False, lineterminator="\n")
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _swap_into_place(partial, target)
    return log


def _manifest_name(case: CaseRecord) -> str:
    patient = case.manifest.patient
    return (patient.name or "") if patient is not None else ""


def _check_dest(case: CaseRecord, dest: Path) -> Path:
    dest = dest.expanduser().resolve()
    source = Path(case.source).expanduser().resolve()
    root = source if source.is_dir() else source.parent
    if dest == root or dest.is_relative_to(root) or root.is_relative_to(dest):
        raise DeidentificationError(
            f"Destination '{dest}' overlaps the case source '{root}'; the originals are never "
            "written to. Choose a folder outside the case."
        )
    if dest.exists() and not dest.is_dir():
        raise DeidentificationError(f"Destination '{dest}' is a file; give a folder.")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / LOG_NAME).is_file():
        raise DeidentificationError(
            f"Destination '{dest}' is not empty and is not the output of an earlier "
            f"de-identification (no {LOG_NAME}); give a new or empty folder."
        )
    return dest


def _swap_into_place(partial: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    partial.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _one_file(run: _Run, path: str, kind: str, sha: str) -> None:
    row: dict[str, Any] = {
        "source_path": _clean_path(run.redactor, path),
        "source_sha256": sha,
        "kind": kind,
        "status": "written",
        "dest_path": "",
        "dest_sha256": "",
        "reason": "",
    }
    local = run.case.local_path(path)
    name = path.rsplit("/", 1)[-1]
    if name == MANIFEST_NAME and path.count("/") == _manifest_depth(run.case):
        _write(run, row, MANIFEST_NAME, _manifest_bytes(run))
    elif kind == "dicom" and path in run.damaged:
        _hold(row, f"the original is damaged ({run.damaged[path]}); ask for it again")
    elif kind == "dicom":
        _dicom(run, row, local)
    elif kind == "text":
        decoded = decode_text(local.read_bytes())
        if decoded is None:
            _hold(row, "named as text but holds binary data")
        else:
            text = run.redactor.text(decoded[0]).encode("utf-8")
            _write(run, row, "documents/" + _clean_path(run.redactor, path), text)
    elif kind == "archive" and path in run.containers:
        row["status"] = "dropped"
        row["reason"] = "archive read as the case source: its members are listed one by one"
    elif kind == "dicomdir":
        row["status"] = "dropped"
        row["reason"] = "DICOMDIR lists names and IDs; the DICOM files are copied without it"
    else:
        _hold(row, _HELD.get(kind, _HELD["other"]))
    run.rows.append(row)


def _hold(row: dict[str, Any], reason: str) -> None:
    row["status"] = "held_back"
    row["reason"] = reason


def _write(run: _Run, row: dict[str, Any], rel: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    rel = _free_path(run.digests, rel, digest)
    if rel in run.written:  # the very same bytes: one copy is enough
        row["status"] = "duplicate"
        row["reason"] = f"same output as {run.written[rel]}"
    else:
        target = run.out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        run.written[rel] = row["source_path"]
        run.digests[rel.casefold()] = digest
    row["dest_path"] = rel
    row["dest_sha256"] = digest


def _free_path(taken: dict[str, str], rel: str, digest: str) -> str:
    """*rel*, or ``name-2.ext`` ..., so that two different outputs never share a path.

    The same bytes again keep *rel* (a duplicate); other bytes on a taken path (two
    originals with one SOP Instance UID, two documents whose names redact alike) get a
    path of their own. Compared case-folded, as on the disks the copy is sent on.
    """
    path, n, candidate = PurePosixPath(rel), 1, rel
    while taken.get(candidate.casefold(), digest) != digest:
        n += 1
        candidate = str(path.with_name(f"{path.stem}-{n}{path.suffix}"))
    return candidate


def _dicom(run: _Run, row: dict[str, Any], local: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(local, force=True)
            reason = hold_back_reason(ds)
            clean_dataset(ds, run.rules)
            data = dataset_bytes(ds)
        except Exception as exc:
            _hold(row, f"could not be de-identified ({type(exc).__name__}: {exc})")
            return
    rel = "DICOM/{}/{}/{}.dcm".format(
        *(
            hashlib.sha256(str(ds.get(k, "")).encode()).hexdigest()[:n]
            for k, n in (("StudyInstanceUID", 8), ("SeriesInstanceUID", 8), ("SOPInstanceUID", 16))
        )
    )
    if reason is not None:
        rel = _free_path(run.review_digests, rel, hashlib.sha256(data).hexdigest())
        run.review_digests[rel.casefold()] = hashlib.sha256(data).hexdigest()
        _hold(row, reason + f"; header-cleaned copy for review: deid-review/{rel}")
        target = run.review / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return
    _write(run, row, rel, data)


def _clean_path(redactor: Redactor, path: str) -> str:
    parts = [redactor.text(p).replace("/", "_").replace("\\", "_") for p in path.split("/")]
    return "/".join(p.strip() or "_" for p in parts)


def _manifest_depth(case: CaseRecord) -> int:
    paths = case.files["path"].astype(str)
    named = paths[paths.str.rsplit("/", n=1).str[-1] == MANIFEST_NAME]
    return int(named.str.count("/").min()) if len(named) else -1


def _manifest_bytes(run: _Run) -> bytes:
    """``case.yaml`` with the pseudonym, no birth year or case ID, dates and text cleaned."""
    data = run.case.manifest.model_dump(mode="json", exclude_none=True)
    patient = data.get("patient") or {}
    if patient.get("name"):
        patient["name"] = run.rules.pseudonym
    patient.pop("birth_year", None)
    if data.get("case_id"):
        data["case_id"] = run.rules.pseudonym
    data = _clean_manifest(data, run)
    manifest = Manifest.model_validate(data)
    scratch = run.review.parent / "deid-scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    path = dump_manifest(manifest, scratch / MANIFEST_NAME, backup=False)
    out = path.read_bytes()
    shutil.rmtree(scratch, ignore_errors=True)
    return out


def _clean_manifest(value: Any, run: _Run, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _clean_manifest(v, run, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_manifest(v, run, key) for v in value]
    if not isinstance(value, str) or key in _VOCABULARY_KEYS:
        return value
    if key in _DATE_KEYS:
        return _manifest_date(value, run.rules.dates)
    return run.redactor.text(value)


def _manifest_date(value: str, dates: DatePolicy) -> str | None:
    if dates.mode == "keep":
        return value
    if dates.mode == "remove":
        return None
    date = PartialDate.parse(value)
    moved = dates.shift(date.as_timestamp().date())
    if date.precision == "year":
        return f"{moved.year:04d}"
    if date.precision == "month":
        return f"{moved.year:04d}-{moved.month:02d}"
    return moved.isoformat()
