"""Writing case.yaml: atomically, with a backup; and the commented bilingual template."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from workbench.errors import CaseNotFoundError, ManifestError
from workbench.record.manifest.schema import MANIFEST_NAME, Manifest, _prune
from workbench.workspace import atomic_write


def dump_manifest(manifest: Manifest, path: Path, *, backup: bool = True) -> Path:
    """Write *manifest* to *path* atomically, as UTF-8 YAML (Chinese kept readable).

    The text goes to a temporary file in the same folder, then replaces *path*.
    With *backup*, the previous file is kept as ``case.yaml.bak``. Empty keys are
    left out. Comments in the previous file are not kept.

    Returns
    -------
    Path
        *path*.
    """
    data = _prune(manifest.model_dump(mode="json", exclude_none=True))
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100) if data else ""
    text = (
        f"# {path.name}: case details for the workbench (schema: workbench.record.manifest)\n{body}"
    )
    if backup and path.exists():
        shutil.copy2(path, path.with_name(path.name + ".bak"))
    with atomic_write(path, "w", durable=True, encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def write_template(folder: Path) -> Path:
    """Write a commented, bilingual ``case.yaml`` template into *folder*.

    Every key is present and explained; the untouched template loads as an
    empty manifest without problems.

    Raises
    ------
    CaseNotFoundError
        If *folder* is not a directory.
    ManifestError
        If *folder* already holds a ``case.yaml`` (it is never overwritten).
    """
    if not folder.is_dir():
        raise CaseNotFoundError(f"Case folder '{folder}' does not exist; create it first.")
    path = folder / MANIFEST_NAME
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(_template())
    except FileExistsError as exc:
        raise ManifestError(
            f"'{path}' already exists; edit it, or move it away to start from a new template."
        ) from exc
    return path


def _template() -> str:
    """The commented case.yaml template shipped in ``workbench/data``."""
    return (Path(__file__).parent.parent.parent / "data" / "case_template.yaml").read_text(
        encoding="utf-8"
    )
