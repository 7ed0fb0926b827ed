"""A PACS as a case source and destination, over DICOMweb (QIDO-RS, WADO-RS, STOW-RS).

:func:`fetch_to_folder` copies the studies of one patient, or one study, from a
DICOMweb server into a local cache folder that :func:`workbench.open_case`
indexes like any upload. QIDO-RS lists the
instances (query strings built by :mod:`workbench.pacs.qido`); WADO-RS retrieves a whole
series in one multipart answer when none of it is cached, else the missing
instances one by one, so an interrupted fetch resumes where it stopped. Each
instance is written atomically (``<study>/<series>/<instance>.dcm``); the
marker ``<dest>.complete.json`` is written only when every instance the server listed
is present, so a partial cache is never taken for a whole case. The multipart
answers are read here, as raw bytes, and refused without their closing boundary
(dicomweb-client's reader accepts a body cut short, and re-encodes each instance).

:func:`push` sends a case's DICOM files with STOW-RS, after asking QIDO-RS which
instances the server already holds: a failed push is resumed without duplicates.

URLs may be given as ``dicomweb+http://host:port/dicom-web`` (the form
``open_case`` recognises), ``http://...`` or ``https://...``; credentials as
``auth=(user, password)``, in the URL (``dicomweb+http://user:pw@host/...``), or
else in ``WORKBENCH_PACS_USER`` and ``WORKBENCH_PACS_PASSWORD`` (how JupyterHub gives
every reviewer's server the PACS account, see ``examples/jupyterhub_config.py``).

Every failure becomes a :class:`~workbench.errors.PacsError` naming the server
and what to check: unreachable, credentials refused, not a DICOMweb service,
malformed JSON, a multipart answer cut short.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pandas as pd
import pydicom
import pydicom.errors
import requests
from pydicom.datadict import tag_for_keyword

from workbench.dicom import uids
from workbench.dicom.header import HeaderError, walk_bytes
from workbench.dicom.pixel_check import expected_pixel_bytes
from workbench.dicom.values import coerce_header
from workbench.errors import PacsError
from workbench.pacs.qido import build_query, expand, keep
from workbench.record.protocol import CaseRecord
from workbench.workspace import (
    OUTPUTS,
    home,
    workspace_faults,
    workspace_lock,
    write_bytes_atomic,
)

__all__ = [
    "COMPLETE_MARKER",
    "DEFAULT_LIMITS",
    "PUSH_COLUMNS",
    "PacsLimits",
    "complete_marker",
    "fetch_to_folder",
    "list_studies",
    "output_objects",
    "push",
    "split_url",
]

COMPLETE_MARKER = ".complete.json"


def complete_marker(dest: str | Path) -> Path:
    """The marker of a complete fetch into *dest*: ``<dest>.complete.json``, beside it.

    Kept outside the cache folder so that indexing the folder never lists it.
    """
    dest = Path(dest)
    return dest.with_name(dest.name + COMPLETE_MARKER)


PUSH_COLUMNS = ["path", "SOPInstanceUID", "status", "message"]
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_BATCH_BYTES = 32 * 2**20


@dataclass(frozen=True)
class PacsLimits:
    """What one answer of a DICOMweb server may cost: time and bytes.

    A server that trickles its answer (one byte every few seconds never trips a read
    timeout) or sends an endless body is cut off at these limits with a
    :class:`~workbench.errors.PacsError` naming the server.

    Attributes
    ----------
    connect_timeout_s, read_timeout_s : float
        Waiting for the connection, and for any next byte.
    json_deadline_s, json_bytes : float, int
        Total time and size of a JSON answer (QIDO-RS searches, STOW-RS receipts).
    multipart_deadline_s, multipart_bytes : float, int
        Total time and size of one WADO-RS retrieval (a series or an instance).
    part_bytes : int
        Largest single instance in a multipart answer.
    """

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    json_deadline_s: float = 120.0
    json_bytes: int = 64 * 2**20
    multipart_deadline_s: float = 3600.0
    multipart_bytes: int = 32 * 2**30
    part_bytes: int = 2 * 2**30


DEFAULT_LIMITS = PacsLimits()


class _OverLimit(ValueError):
    """An answer took longer than its deadline or grew beyond its ceiling."""


class _Budget:
    """The deadline and size ceiling of one answer, checked as its bytes arrive."""

    def __init__(self, deadline_s: float, max_bytes: int, what: str) -> None:
        self.stop = time.monotonic() + deadline_s
        self.deadline_s = deadline_s
        self.max_bytes = max_bytes
        self.what = what
        self.received = 0

    def charge(self, n: int) -> None:
        self.received += n
        if self.received > self.max_bytes:
            raise _OverLimit(
                f"the {self.what} grew beyond {self.max_bytes:,} bytes, the ceiling for one answer"
            )
        if time.monotonic() > self.stop:
            raise _OverLimit(
                f"the {self.what} was not complete after {self.deadline_s:g} s "
                f"({self.received:,} bytes received), the deadline for one answer"
            )


def _chunks(answer: requests.Response, budget: _Budget, size: int = 2**20) -> Iterator[bytes]:
    """The body of a streamed *answer* as it arrives, within *budget*."""
    raw = answer.raw
    while True:
        budget.charge(0)
        # read1 returns what has arrived (a trickle is seen byte by byte), decompressed in
        # bounded steps, so a gzip bomb counts at its inflated size
        chunk = raw.read1(size, decode_content=True)
        if not chunk:
            return
        budget.charge(len(chunk))
        yield chunk


class _BoundedSession(requests.Session):
    """A session whose every answer is read within a deadline and a size ceiling.

    Answers the caller does not stream (QIDO-RS searches) are read
    here, as they arrive, and refused past ``limits.json_*``; streamed answers are left
    to :func:`_chunks` with ``limits.multipart_*``.
    """

    def __init__(self, limits: PacsLimits) -> None:
        super().__init__()
        self.limits = limits

    def request(self, method: str, url: str, **kwargs: Any) -> Any:  # type: ignore[override]
        stream = bool(kwargs.pop("stream", False))
        kwargs["timeout"] = (self.limits.connect_timeout_s, self.limits.read_timeout_s)
        answer = super().request(method, url, stream=True, **kwargs)
        if stream:
            return answer
        budget = _Budget(self.limits.json_deadline_s, self.limits.json_bytes, "answer")
        try:
            answer._content = b"".join(_chunks(answer, budget))
        finally:
            answer.close()
        return answer


def split_url(url: str) -> tuple[str, tuple[str, str] | None]:
    """The plain ``http(s)://`` base URL of a DICOMweb service and any credentials in it.

    >>> split_url("dicomweb+http://ann:s%40fe@127.0.0.1:8042/dicom-web/")
    ('http://127.0.0.1:8042/dicom-web', ('ann', 's@fe'))
    """
    plain = url.removeprefix("dicomweb+")
    parts = urlsplit(plain)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PacsError(
            f"'{url}' is not a DICOMweb address; give one such as "
            "dicomweb+http://host:8042/dicom-web"
        )
    auth = None
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    netloc = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    if ":" in parts.hostname:
        netloc = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), auth


def _env_auth() -> tuple[str, str] | None:
    """``(WORKBENCH_PACS_USER, WORKBENCH_PACS_PASSWORD)`` when the user is set (JupyterHub)."""
    user = os.environ.get("WORKBENCH_PACS_USER", "")
    return (user, os.environ.get("WORKBENCH_PACS_PASSWORD", "")) if user else None


class _Server:
    """A session on one DICOMweb service, translating every failure to PacsError."""

    def __init__(
        self, url: str, auth: tuple[str, str] | None, limits: PacsLimits = DEFAULT_LIMITS
    ) -> None:
        self.base, in_url = split_url(url)
        self.limits = limits
        self.session = _BoundedSession(limits)
        self.session.auth = auth or in_url or _env_auth()
        self.session.headers["User-Agent"] = "workbench"

    @contextmanager
    def talking(self, what: str) -> Iterator[None]:
        server = f"the DICOMweb server at {self.base}"
        server_ = "T" + server[1:]
        try:
            yield
        except requests.exceptions.HTTPError as exc:
            code = exc.response.status_code if exc.response is not None else 0
            if code in (401, 403):
                raise PacsError(
                    f"{server_} refused the credentials (HTTP {code}) while {what}; check the user "
                    "name and password (auth=(user, password)) and that the user may read and "
                    "store studies."
                ) from exc
            if code == 404:
                raise PacsError(
                    f"{server_} has nothing at this address (HTTP 404) while {what}; check that "
                    "the URL ends with the DICOMweb root (for Orthanc: /dicom-web) and that the "
                    "DICOMweb plugin is enabled."
                ) from exc
            raise PacsError(f"{server_} answered HTTP {code} while {what}.") from exc
        except _OverLimit as exc:
            raise PacsError(
                f"{server_} sent too much or too slowly while {what}: {exc}. Instances received "
                "completely are kept; check the server, then run again."
            ) from exc
        except (requests.exceptions.ChunkedEncodingError, _Truncated) as exc:
            raise PacsError(
                f"{server_} cut its answer short while {what} ({exc}); instances received "
                "completely are kept: run the same command again to resume."
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise PacsError(
                f"{server_} did not answer in time while {what}; check that it is running and not "
                "overloaded, then try again."
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise PacsError(
                f"Cannot reach {server} while {what} ({_reason(exc)}); check the host and port, "
                "that the server is running and that this machine may connect to it."
            ) from exc
        except (ValueError, KeyError, TypeError, IndexError, RecursionError) as exc:
            raise PacsError(
                f"{server_} sent a malformed answer while {what} ({type(exc).__name__}: {exc}); "
                "check that the URL points to a DICOMweb service."
            ) from exc

    def search(
        self,
        path: str,
        filters: Mapping[str, object] | None = None,
        fields: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """QIDO-RS at *path* (``/studies``, ``/studies/<uid>/instances`` ...), as DICOM JSON.

        The query string is built by :func:`workbench.pacs.qido.build_query` and sent
        exactly as built (requests would percent-encode ``^`` and the server would read
        ``%5E`` literally); a list value (``A\\B``) is searched once per value.
        """
        found: dict[str, dict[str, Any]] = {}
        for one in expand(filters or {}):
            query = build_query(one, fields or [])
            request = requests.Request(
                "GET", self.base + path, headers={"Accept": "application/dicom+json"}
            )
            prepared = self.session.prepare_request(request)
            prepared.url = self.base + path + (f"?{query.text}" if query.text else "")
            timeout = (self.limits.connect_timeout_s, self.limits.read_timeout_s)
            answer = self.session.send(prepared, timeout=timeout, stream=True)
            try:  # the same deadline and size ceiling as every other answer
                answer.raise_for_status()
                budget = _Budget(self.limits.json_deadline_s, self.limits.json_bytes, "answer")
                content = b"".join(_chunks(answer, budget))
            finally:
                answer.close()
            items = _items(json.loads(content) if content.strip() else [])
            for item in keep(items, query.widened):
                found.setdefault(json.dumps(item, sort_keys=True), item)
        return list(found.values())

    def get_multipart(self, path: str) -> Iterator[bytes]:
        answer = self.session.get(
            self.base + path,
            headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'},
            stream=True,
        )
        with answer:
            answer.raise_for_status()
            budget = _Budget(
                self.limits.multipart_deadline_s, self.limits.multipart_bytes, "retrieval"
            )
            yield from _parts(answer, budget, self.limits.part_bytes)


class _Truncated(ValueError):
    """A multipart answer ended before its closing boundary."""


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "timed out", "reset"):
        if known.lower() in text.lower():
            return known.lower()
    return type(exc).__name__


def _parts(answer: requests.Response, budget: _Budget, part_bytes: int) -> Iterator[bytes]:
    """The bodies of a ``multipart/related`` answer; raises when the closing boundary is missing.

    No part may exceed *part_bytes* (an endless body without a boundary is cut off there).
    """
    kind = answer.headers.get("Content-Type", "")
    match = re.search(r'boundary="?([^";]+)"?', kind)
    if not kind.lower().startswith("multipart/related") or match is None:
        raise ValueError(f"expected multipart/related with a boundary, got '{kind}'")
    delimiter = b"\r\n--" + match.group(1).encode()
    buffer = bytearray(b"\r\n")  # the first boundary has no CRLF before it
    start = 0  # where the next search begins: earlier bytes hold no delimiter
    closed = False
    for chunk in _chunks(answer, budget):
        buffer += chunk
        while not closed:
            at = buffer.find(delimiter, start)
            if at < 0:
                start = max(0, len(buffer) - len(delimiter) + 1)
                break
            part = bytes(buffer[:at])
            del buffer[: at + len(delimiter)]
            start = 0
            if part.strip():
                yield _body(part)
            closed = buffer.startswith(b"--")
        if closed:
            break
        if len(buffer) > part_bytes + len(delimiter) + 4096:  # what is left is one part
            raise _OverLimit(
                f"one instance of the retrieval grew beyond {part_bytes:,} bytes without a "
                "boundary, the ceiling for one instance"
            )
    if not closed:
        raise _Truncated("the multipart body has no closing boundary")


def _body(part: bytes) -> bytes:
    _head, sep, body = part.partition(b"\r\n\r\n")
    if not sep:
        raise _Truncated("a multipart part has no header/body separator")
    return body


def _items(answer: object) -> list[dict[str, Any]]:
    """A QIDO-RS answer checked to be a list of DICOM JSON data sets."""
    if not isinstance(answer, list) or not all(isinstance(d, dict) for d in answer):
        raise ValueError("expected a JSON array of DICOM data sets")
    return answer


def _value(item: dict[str, Any], tag: str) -> str:
    values = item[tag]["Value"]
    text = str(values[0])
    if not _UID.match(text):
        raise ValueError(f"({tag[:4]},{tag[4:]}) is not a UID: {text[:40]!r}")
    return text


# --- fetch --------------------------------------------------------------------------


def fetch_to_folder(
    url: str,
    dest: str | Path,
    *,
    study: str | None = None,
    patient: str | None = None,
    auth: tuple[str, str] | None = None,
    limits: PacsLimits = DEFAULT_LIMITS,
) -> Path:
    """Copy one study, or every study of one patient, from a DICOMweb server into *dest*.

    Only instances the server listed (QIDO-RS) are stored, each under the study and series
    it was listed in; anything else it sends is refused and the fetch is not complete.

    Parameters
    ----------
    url : str
        The DICOMweb root, e.g. ``dicomweb+http://127.0.0.1:8042/dicom-web``.
    dest : str or Path
        The cache folder (created); instances already there are not fetched again.
    study : str, optional
        (0020,000D) *Study Instance UID* of the study to fetch.
    patient : str, optional
        (0010,0020) *Patient ID* whose studies to fetch.
    auth : (str, str), optional
        User name and password (HTTP basic authentication).
    limits : PacsLimits
        Deadline and size ceiling of every answer.

    Returns
    -------
    Path
        *dest*, holding ``<study>/<series>/<instance>.dcm``; ``<dest>.complete.json``
        beside it marks the fetch complete (see :func:`complete_marker`).

    Raises
    ------
    PacsError
        The server cannot be reached, refuses the credentials, answers garbage or
        stops mid-answer, has no matching study, or some instances did not arrive.
    """
    if (study is None) == (patient is None):
        raise TypeError("give exactly one of study= or patient=")
    server = _Server(url, auth, limits)
    folder = Path(dest)
    folder.mkdir(parents=True, exist_ok=True)
    complete_marker(folder).unlink(missing_ok=True)
    query = {"StudyInstanceUID": study} if study else {"PatientID": patient}
    with server.talking("searching studies (QIDO-RS)"):
        found = server.search("/studies", query, ["StudyInstanceUID"])
        studies = [_value(s, "0020000D") for s in found]
    if not studies:
        which = f"study {study}" if study else f"patient ID {patient}"
        raise PacsError(
            f"The DICOMweb server at {server.base} has no {which}; check the UID or ID."
        )
    expected: dict[str, tuple[str, str]] = {}
    for study_uid in sorted(set(studies)):
        with server.talking(f"listing the instances of study {study_uid} (QIDO-RS)"):
            listed = server.search(f"/studies/{study_uid}/instances", {}, ["SeriesInstanceUID"])
            for item in listed:
                expected[_value(item, "00080018")] = (study_uid, _value(item, "0020000E"))
    cached = _cached(folder)
    refused: list[str] = []
    series: dict[tuple[str, str], list[str]] = {}
    for sop, key in sorted(expected.items()):
        series.setdefault(key, []).append(sop)
    for (study_uid, series_uid), sops in sorted(series.items()):
        missing = [s for s in sops if s not in cached]
        if not missing:
            continue
        if len(missing) == len(sops):
            paths = [f"/studies/{study_uid}/series/{series_uid}"]
        else:
            paths = [f"/studies/{study_uid}/series/{series_uid}/instances/{s}" for s in missing]
        for path in paths:
            with server.talking(f"retrieving {path.split('/', 2)[-1]} (WADO-RS)"):
                for part in server.get_multipart(path):
                    sop, stored = _store(folder, part, expected)
                    if stored:
                        cached[sop] = folder
                    else:
                        refused.append(sop)
    if refused:
        raise PacsError(
            f"The DICOMweb server at {server.base} sent {len(refused)} instances it had not "
            f"listed for this fetch (first: {refused[0]}); they were refused, not stored, and "
            "the fetch is not marked complete. Check the server (a misconfigured or hostile "
            "PACS) before trusting what it sends."
        )
    absent = sorted(set(expected) - set(cached))
    if absent:
        raise PacsError(
            f"The DICOMweb server at {server.base} listed {len(expected)} instances but "
            f"{len(absent)} did not arrive (first: {absent[0]}); run again to resume, and check "
            "the server's log if they never arrive."
        )
    marker = {"server": server.base, "studies": sorted(set(studies)), "instances": len(expected)}
    write_bytes_atomic(complete_marker(folder), json.dumps(marker, indent=2).encode())
    return folder


def _cached(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in folder.glob("*/*/*.dcm")}


def _store(folder: Path, data: bytes, expected: dict[str, tuple[str, str]]) -> tuple[str, bool]:
    """Write one retrieved instance if *expected* lists it; its UIDs name the file.

    Returns its SOP Instance UID and whether it was listed (and so stored) under the
    study and series it claims.
    """
    values = _fast_check(data)
    if values is None:  # a file the fast header reader leaves to pydicom
        ds = _check_complete(data)
        values = {k: ds.get(k, "") for k in _UID_KEYS}
    uids = [str(values.get(k) or "") for k in _UID_KEYS]
    if not all(_UID.match(u) for u in uids):
        raise ValueError("a retrieved part is not a DICOM instance with valid UIDs")
    if expected.get(uids[2]) != (uids[0], uids[1]):
        return uids[2], False  # unlisted, or listed under another study or series
    write_bytes_atomic(folder / uids[0] / uids[1] / f"{uids[2]}.dcm", data)
    return uids[2], True


_UID_KEYS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
_NATIVE = uids.NATIVE_SYNTAXES - {uids.DEFLATED_LE}


def _fast_check(data: bytes) -> dict[str, Any] | None:
    """Header values of one retrieved instance with the index's fast reader (no pixel parse).

    Raises ``_Truncated`` when the instance is cut short; returns None when the file needs
    pydicom (big endian, deflate, enhanced multi-frame, anything unusual).
    """
    try:
        header = walk_bytes(data)
    except HeaderError as exc:
        if exc.kind in {"truncated", "absurd_length", "truncated_header"}:
            raise _Truncated(f"an instance is cut short ({exc.detail})") from exc
        return None
    if header is None:
        return None
    for kind, detail in header.issues:
        if kind == "truncated":
            raise _Truncated(detail)
    values = coerce_header(header.values)
    need = expected_pixel_bytes(values)
    if header.transfer_syntax in _NATIVE and need and (header.pixel_length or 0) < need:
        raise _Truncated(f"pixel data has {header.pixel_length} of {need} bytes")
    return values


def _check_complete(data: bytes) -> pydicom.Dataset:
    """The instance in *data*; refused when its pixel data is shorter than its header says."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            if "PixelData" in ds and not ds.file_meta.TransferSyntaxUID.is_compressed:
                need = ds.Rows * ds.Columns * (ds.BitsAllocated // 8)
                need *= int(ds.get("SamplesPerPixel", 1)) * int(ds.get("NumberOfFrames", 1) or 1)
                if len(ds.PixelData) < need:
                    raise _Truncated(f"pixel data has {len(ds.PixelData)} of {need} bytes")
        except _Truncated:
            raise
        except Exception as exc:
            raise _Truncated(f"an instance cannot be read ({exc})") from exc
    return ds


# --- list ---------------------------------------------------------------------------

#: The study attributes :func:`list_studies` returns, as text.
STUDY_FIELDS = (
    "StudyInstanceUID", "PatientID", "StudyDate", "StudyDescription", "ModalitiesInStudy",
    "NumberOfStudyRelatedInstances",
)  # fmt: skip


def list_studies(
    url: str, filters: dict[str, str] | None = None, *, auth: tuple[str, str] | None = None
) -> list[dict[str, str]]:
    """The studies a DICOMweb server holds (QIDO-RS), optionally matching *filters*.

    Filter values use DICOM matching (``PatientID="H10-*"``); they reach the server as
    it reads them, whatever characters they hold (:mod:`workbench.pacs.qido`).

    Returns
    -------
    list of dict
        One per study: :data:`STUDY_FIELDS` as text (multiple values joined with ``\\``),
        sorted by study date, then UID.

    Raises
    ------
    PacsError
        The server cannot be reached, refuses the credentials or answers garbage.
    """
    server = _Server(url, auth)
    with server.talking("listing studies (QIDO-RS)"):
        found = server.search("/studies", filters or {}, list(STUDY_FIELDS))
        studies = [{k: _text(item, k) for k in STUDY_FIELDS} for item in found]
        for study in studies:
            _value({"0020000D": {"Value": [study["StudyInstanceUID"]]}}, "0020000D")
    return sorted(studies, key=lambda s: (s["StudyDate"], s["StudyInstanceUID"]))


def _text(item: dict[str, Any], keyword: str) -> str:
    tag = f"{tag_for_keyword(keyword):08X}"
    values = item.get(tag, {}).get("Value", [])
    return "\\".join(
        str(v.get("Alphabetic", "")) if isinstance(v, dict) else str(v) for v in values
    )


# --- push ---------------------------------------------------------------------------


def output_objects(case: CaseRecord) -> pd.DataFrame:
    """The review's DICOM objects in ``<workspace>/outputs`` (SR, KOS, GSPS) as instance rows.

    Columns ``path`` (absolute), ``SOPInstanceUID`` and ``StudyInstanceUID``; files that
    are not readable DICOM are left out.
    """
    rows = []
    for path in sorted((Path(case.workspace) / OUTPUTS).glob("*.dcm")):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True,
                                 specific_tags=["SOPInstanceUID", "StudyInstanceUID"])  # fmt: skip
            rows.append({"path": str(path), "SOPInstanceUID": str(ds.SOPInstanceUID),
                         "StudyInstanceUID": str(ds.StudyInstanceUID)})  # fmt: skip
        except (OSError, pydicom.errors.InvalidDicomError, AttributeError):
            continue
    return pd.DataFrame(rows, columns=["path", "SOPInstanceUID", "StudyInstanceUID"])


def push(
    case: CaseRecord, url: str, *, auth: tuple[str, str] | None = None, outputs: bool = True
) -> pd.DataFrame:
    """Send the DICOM instances of *case* to a DICOMweb server (STOW-RS).

    Instances the server already holds (by QIDO-RS, per study) are not sent
    again, so a push that failed half-way is resumed by running it again. With
    *outputs* (the default) the review's objects in ``<workspace>/outputs``
    (measurement report, key-object selection, presentation states) go too.

    Parameters
    ----------
    case : CaseRecord
        Typically a de-identified copy (open the output of :func:`workbench.deidentify`).
    url : str
        The DICOMweb root.
    auth : (str, str), optional
        User name and password.

    Returns
    -------
    pandas.DataFrame
        One row per instance: ``path``, ``SOPInstanceUID``, ``status``
        (``stored``, ``already_present``, ``failed``) and ``message``.

    Raises
    ------
    PacsError
        The server cannot be reached or refuses the credentials.
    """
    server = _Server(url, auth)
    instances = case.instances.drop_duplicates("SOPInstanceUID").sort_values("path")
    own = output_objects(case) if outputs else pd.DataFrame()
    if len(own):
        own = own[~own["SOPInstanceUID"].isin(instances["SOPInstanceUID"])]
        instances = pd.concat([instances, own], ignore_index=True)
    present: set[str] = set()
    for study_uid in sorted(instances["StudyInstanceUID"].dropna().astype(str).unique()):
        with server.talking(f"asking which instances of study {study_uid} exist (QIDO-RS)"):
            try:
                found = server.search(
                    "/instances", {"StudyInstanceUID": study_uid}, ["SOPInstanceUID"]
                )
            except requests.exceptions.HTTPError as exc:
                if exc.response is None or exc.response.status_code != 404:
                    raise
                found = []
            present |= {_value(item, "00080018") for item in found}
    rows: list[dict[str, str]] = []
    batch: list[tuple[str, str, bytes]] = []
    size = 0
    for row in instances.itertuples(index=False):
        sop = str(row.SOPInstanceUID)
        if sop in present:
            rows.append(_push_row(row.path, sop, "already_present", ""))
            continue
        local = Path(str(row.path)) if Path(str(row.path)).is_absolute() else None
        data = (local or case.local_path(str(row.path))).read_bytes()
        batch.append((str(row.path), sop, data))
        size += len(data)
        if size >= _BATCH_BYTES or len(batch) >= 64:
            rows += _stow(server, batch)
            batch, size = [], 0
    if batch:
        rows += _stow(server, batch)
    return pd.DataFrame(rows, columns=PUSH_COLUMNS)


def _push_row(path: object, sop: str, status: str, message: str) -> dict[str, str]:
    return {"path": str(path), "SOPInstanceUID": sop, "status": status, "message": message}


def _stow(server: _Server, batch: list[tuple[str, str, bytes]]) -> list[dict[str, str]]:
    boundary = uuid.uuid4().hex
    body = b"".join(
        b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + data + b"\r\n"
        for _, _, data in batch
    ) + (b"--" + boundary.encode() + b"--\r\n")
    headers = {
        "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
        "Accept": "application/dicom+json",
    }
    with server.talking(f"storing {len(batch)} instances (STOW-RS)"):
        answer = server.session.post(server.base + "/studies", data=body, headers=headers)
        if answer.status_code not in (200, 202, 409):
            answer.raise_for_status()
        result = json.loads(answer.content.decode("utf-8")) if answer.content.strip() else {}
        stored = {
            str(i["00081155"]["Value"][0])
            for i in result.get("00081199", {}).get("Value", [])
            if isinstance(i, dict)
        }
        failed = {
            str(i["00081155"]["Value"][0]): str(i.get("00081197", {}).get("Value", ["?"])[0])
            for i in result.get("00081198", {}).get("Value", [])
            if isinstance(i, dict)
        }
    rows = []
    for path, sop, _ in batch:
        if sop in stored:
            rows.append(_push_row(path, sop, "stored", ""))
        elif sop in failed:
            rows.append(_push_row(path, sop, "failed", f"failure reason {failed[sop]}"))
        else:
            rows.append(_push_row(path, sop, "failed", "not acknowledged by the server"))
    return rows


def fetch_case_source(
    url: str,
    workspace: str | Path | None,
    *,
    study: str | None = None,
    patient: str | None = None,
    auth: tuple[str, str] | None = None,
) -> tuple[Path, Path]:
    """Retrieve a DICOMweb study into the workspace; return (folder, workspace)."""
    space = Path(workspace) if workspace else dicomweb_workspace(url, study=study, patient=patient)
    with workspace_faults(space):
        space.mkdir(parents=True, exist_ok=True)
    with workspace_lock(space), workspace_faults(space):  # one fetcher per workspace
        folder = fetch_to_folder(url, dicomweb_cache(url, space, study=study, patient=patient),
                                 study=study, patient=patient, auth=auth)  # fmt: skip
    return Path(folder), space


def _dicomweb_key(url: str, study: str | None, patient: str | None) -> str:
    base, _ = split_url(url)  # credentials never reach case.source
    return hashlib.sha256(f"{base}|{study}|{patient}".encode()).hexdigest()[:12]


def dicomweb_workspace(
    url: str, *, study: str | None = None, patient: str | None = None, root: Path | None = None
) -> Path:
    """The default workspace of a DICOMweb study (or patient): ``<home>/workspaces/dicomweb-<key>``.

    *root* is the workbench home to look in (default :func:`workbench.workspace.home`);
    the key hashes the server's address (without credentials) and the UID or ID, so
    every reader of one study on one server finds the same name.
    """
    return (root or home()) / "workspaces" / f"dicomweb-{_dicomweb_key(url, study, patient)}"


def dicomweb_cache(
    url: str, workspace: Path, *, study: str | None = None, patient: str | None = None
) -> Path:
    """The folder of *workspace* that holds the retrieved instances of a DICOMweb source."""
    return workspace / "dicomweb" / _dicomweb_key(url, study, patient)
