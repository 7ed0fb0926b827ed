"""UIDs that stay the same when the same review is exported again.

Every UID of the objects the workbench writes is derived from a SHA-512 hash of what
identifies it (the review, the images it refers to, the object's role) under a fixed
root, with :func:`pydicom.uid.generate_uid` and ``entropy_srcs``: the same review
exported twice gives byte-for-byte the same identifiers, so a PACS stores it once.

>>> stable_uid("review-1", "sr") == stable_uid("review-1", "sr")
True
>>> stable_uid("review-1", "sr") != stable_uid("review-1", "kos")
True
>>> stable_uid("x").startswith(ROOT)
True
"""

from __future__ import annotations

from pydicom.uid import PYDICOM_ROOT_UID, generate_uid

__all__ = ["ROOT", "stable_uid"]

#: The fixed root: pydicom's registered root, branch ``77.`` for the workbench's objects.
ROOT = f"{PYDICOM_ROOT_UID}77."


def stable_uid(*parts: object) -> str:
    """A UID under :data:`ROOT` derived from *parts* (their ``str``), always the same for them."""
    return str(generate_uid(prefix=ROOT, entropy_srcs=["workbench", *map(str, parts)]))
