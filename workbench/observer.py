"""Who is reading: the observer recorded with measurements and opinions.

On JupyterHub every single-user server has ``JUPYTERHUB_USER`` (the reviewer's hub
user name) in its environment; elsewhere ``WORKBENCH_OBSERVER`` names the reader,
and without either the observer is unknown (``""``, one person on one laptop).

Per-reviewer files live under ``<workspace>/reviewers/<slug>/`` (:func:`reviewer_folder`),
so two reviewers of one case never write the same file.

>>> observer_slug("ana"), observer_slug("Ana María")
('ana', 'ana-maria-8358ed27')
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

__all__ = ["REVIEWERS_DIR", "current_observer", "observer_slug", "reviewer_folder"]

#: The folder of a workspace that holds one sub-folder per reviewer.
REVIEWERS_DIR = "reviewers"


def current_observer() -> str:
    """``$JUPYTERHUB_USER``, else ``$WORKBENCH_OBSERVER``, else ``""`` (stripped)."""
    for name in ("JUPYTERHUB_USER", "WORKBENCH_OBSERVER"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return ""


def observer_slug(observer: str) -> str:
    """A folder name for *observer*: lower-case ASCII letters, digits and ``-``.

    A name that is not already such a slug (``Ben_2``, ``王医生``) gets a short hash of
    itself appended, so two different reviewers never share a folder.
    """
    ascii_ = unicodedata.normalize("NFKD", observer).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:40]
    if slug and slug == observer:
        return slug
    digest = hashlib.sha256(observer.encode()).hexdigest()[:8]  # keeps "Ben_2" apart from "ben-2"
    return f"{slug}-{digest}" if slug else f"reviewer-{digest}"


def reviewer_folder(workspace: str | Path, observer: str) -> Path:
    """``<workspace>/reviewers/<slug of observer>`` (not created)."""
    return Path(workspace) / REVIEWERS_DIR / observer_slug(observer)
