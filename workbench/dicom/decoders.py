"""Whether the installed pixel decoders handle a transfer syntax, remembered per environment.

Asking pydicom (``pydicom.pixels.get_decoder(uid).is_available``) means importing
it, and its first import loads every pixel decoder plugin (gdcm, Pillow, pylibjpeg):
about a third of a second, which a short ingest would pay to fill one table column
(``instances.decodable``). The answer depends only on the Python environment, so it
is kept in ``$WORKBENCH_HOME/cache/decoders.json``, keyed by a fingerprint of the
environment: the interpreter, pydicom's ``_version.py`` and the modification times of
the site-packages folders (installing, upgrading or removing a package changes their
entries). A syntax not yet asked about, or a changed environment, asks pydicom
again; the answers of the last few environments are kept side by side, since several
virtual environments may share one workbench home. A cache that cannot be read or
written is simply not used.
"""

from __future__ import annotations

import contextlib
import site
import sys
from dataclasses import dataclass
from pathlib import Path

from workbench.cache import load_cache, save_cache
from workbench.workspace import home

_CACHE_VERSION = 2
CACHE_NAME = "decoders.json"
#: Environments remembered (several virtual environments share one workbench home).
MAX_ENVIRONMENTS = 8


@dataclass(frozen=True)
class SyntaxSupport:
    """What pydicom says of a transfer syntax UID.

    Attributes
    ----------
    available : bool or None
        Whether an installed decoder handles it; None when the UID is no transfer syntax
        pydicom knows.
    name : str
        Its name in pydicom's UID dictionary (the UID itself when it has none).
    """

    available: bool | None
    name: str


_KNOWN: dict[str, SyntaxSupport] = {}


def syntax_support(transfer_syntax: str) -> SyntaxSupport:
    """Decoder availability and name of *transfer_syntax*, from the cache or from pydicom."""
    found = _KNOWN.get(transfer_syntax)
    if found is not None:
        return found
    file = cache_file()
    key = environment_key()
    stored = load_cache(file, _CACHE_VERSION)
    environments = stored.get("environments")
    environments = environments if isinstance(environments, dict) else {}
    entries = environments.get(key)
    entries = entries if isinstance(entries, dict) else {}
    found = _from_cache(entries.get(transfer_syntax))
    if found is None:
        found = ask_pydicom(transfer_syntax)
        entries[transfer_syntax] = {"available": found.available, "name": found.name}
        # this environment last (the most recent), the oldest dropped beyond the bound
        environments.pop(key, None)
        environments[key] = entries
        kept = dict(list(environments.items())[-MAX_ENVIRONMENTS:])
        with contextlib.suppress(OSError):  # a read-only home: asked again next time
            save_cache(file, {"environments": kept}, _CACHE_VERSION)
    _KNOWN[transfer_syntax] = found
    return found


def ask_pydicom(transfer_syntax: str) -> SyntaxSupport:
    """What pydicom's decoder registry says of *transfer_syntax* (imports pydicom)."""
    # heavy dependency loaded only here: its first import loads every pixel decoder
    from pydicom.pixels import get_decoder
    from pydicom.uid import UID

    uid = UID(transfer_syntax)
    if not uid.is_transfer_syntax:
        return SyntaxSupport(None, str(uid.name))
    try:
        available = bool(get_decoder(uid).is_available)
    except NotImplementedError:
        available = False
    return SyntaxSupport(available, str(uid.name))


def cache_file() -> Path:
    """``$WORKBENCH_HOME/cache/decoders.json``."""
    return home() / "cache" / CACHE_NAME


def environment_key() -> str:
    """The interpreter, pydicom's ``_version.py`` and the state of the site-packages folders."""
    parts = [sys.executable, sys.version, _pydicom_stamp()]
    for folder in _site_folders():
        try:
            parts.append(f"{folder}:{Path(folder).stat().st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}:-")
    return "\n".join(parts)


def _site_folders() -> list[str]:
    """Where packages are installed: the environment's site-packages (and the user's)."""
    folders = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return folders


def _pydicom_stamp() -> str:
    """Where pydicom's ``_version.py`` is and when it was written (without importing it)."""
    for entry in sys.path:
        candidate = Path(entry or ".") / "pydicom" / "_version.py"
        try:
            return f"pydicom {candidate.stat().st_mtime_ns} {candidate}"
        except OSError:
            continue
    return "pydicom -"


def _from_cache(value: object) -> SyntaxSupport | None:
    if not isinstance(value, dict):
        return None
    available, name = value.get("available"), value.get("name")
    if available not in (True, False, None) or not isinstance(name, str):
        return None
    return SyntaxSupport(available, name)
