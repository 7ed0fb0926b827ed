"""The de-identification secret, UID remapping and pseudonyms.

UIDs are replaced by ``2.25.<integer>`` where the integer is the first 128 bits
of HMAC-SHA256 of the original UID under a per-service secret, marked as an
RFC 9562 version-8 (custom) UUID. The same UID under the same secret always
gives the same replacement, in every file and every run, so references between
instances (a series referenced from another series' sequence) still resolve,
and a study de-identified twice lands on the same study in a PACS. Without the
secret the originals cannot be recovered or confirmed.

The secret comes from, in order: the ``secret`` argument, the environment
variable ``WORKBENCH_DEID_SECRET``, or the file ``$WORKBENCH_HOME/deid-secret``,
created on first use with 256 random bits and mode 0600.

>>> remap_uid("1.2.3.4", b"k") == remap_uid("1.2.3.4", b"k")
True
>>> new = remap_uid("1.2.3.4", b"k")
>>> new.startswith("2.25."), new != remap_uid("1.2.3.5", b"k"), len(new) <= 64
(True, True, True)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from functools import lru_cache
from pathlib import Path

from workbench.errors import DeidentificationError
from workbench.workspace import home

__all__ = ["SECRET_ENV", "load_secret", "pseudonym_for", "remap_uid", "secret_path"]

SECRET_ENV = "WORKBENCH_DEID_SECRET"  # noqa: S105 - a variable name
_SECRET_FILE = "deid-secret"  # noqa: S105 - a file name


def secret_path() -> Path:
    """``$WORKBENCH_HOME/deid-secret``."""
    return home() / _SECRET_FILE


def load_secret(secret: str | bytes | None = None) -> bytes:
    """The secret as bytes: *secret*, else ``$WORKBENCH_DEID_SECRET``, else the secret file.

    Raises
    ------
    DeidentificationError
        The secret file cannot be created or read, or other users can read it.
    """
    if secret is not None:
        value = secret.encode() if isinstance(secret, str) else bytes(secret)
    elif os.environ.get(SECRET_ENV):
        value = os.environ[SECRET_ENV].encode()
    else:
        value = _secret_file(secret_path())
    if len(value) < 8:
        raise DeidentificationError(
            "The de-identification secret is shorter than 8 bytes; put a long random value "
            f"in {SECRET_ENV} (for example the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`)."
        )
    return value


def _secret_file(path: Path) -> bytes:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DeidentificationError(
            f"Cannot create the de-identification secret '{path}' ({exc.strerror}); set "
            f"{SECRET_ENV} or make WORKBENCH_HOME writable."
        ) from exc
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    try:
        mode = path.stat().st_mode
        value = path.read_bytes().strip()
    except OSError as exc:
        raise DeidentificationError(
            f"Cannot read the de-identification secret '{path}' ({exc.strerror})."
        ) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise DeidentificationError(
            f"The de-identification secret '{path}' can be read by other users "
            f"(mode {stat.S_IMODE(mode):o}); run `chmod 600 {path}`."
        )
    return value


@lru_cache(maxsize=65536)
def remap_uid(uid: str, secret: bytes) -> str:
    """The replacement of *uid*: ``2.25.`` and a 128-bit HMAC-SHA256-derived integer.

    Parameters
    ----------
    uid : str
        The original UID (surrounding spaces and NULs are ignored).
    secret : bytes
        The per-service secret.

    Returns
    -------
    str
        At most 44 characters, a valid UID.
    """
    clean = uid.strip().strip("\x00")
    digest = hmac.new(secret, b"uid\x00" + clean.encode("ascii", "replace"), hashlib.sha256)
    number = int.from_bytes(digest.digest()[:16], "big")
    number = (number & ~(0xF << 76)) | (0x8 << 76)  # UUID version 8 (custom)
    number = (number & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    return f"2.25.{number}"


def pseudonym_for(key: str, secret: bytes) -> str:
    """A stable pseudonym such as ``ANON-7K3QX2MD`` for the patient identified by *key*."""
    digest = hmac.new(secret, b"patient\x00" + key.encode("utf-8"), hashlib.sha256).digest()
    return "ANON-" + base64.b32encode(digest[:5]).decode("ascii")
