"""Bundled synthetic sample cases (no real patient data).

Three cases ship in the repository's ``sample_cases/`` folder, written by
``sample_cases/generate.py`` (deterministic; its docstring lists what each case holds
and which record gaps it is built to contain):

``knee_oa_right``
    A complete right-knee osteoarthritis case (standing X-rays 2023 and 2024, MRI 2024,
    two PDF reports, a full ``case.yaml``).
``lumbar_spine_zh``
    A Chinese lumbar case (GB18030 and ISO 2022 IR 58 headers, a GB18030 report, an
    operation note as .docx, a partial ``case.yaml``).
``messy_upload``
    A patient's zip: CD with DICOMDIR, a corrupt file, a phone photo of a film, a report
    whose side contradicts the images, macOS junk, no ``case.yaml``.

>>> names()
['knee_oa_right', 'lumbar_spine_zh', 'messy_upload']
>>> path("messy_upload").name
'upload.zip'
"""

from __future__ import annotations

from pathlib import Path

from workbench.errors import CaseNotFoundError
from workbench.hints import python

__all__ = ["SAMPLE_ROOT", "names", "path"]

#: The ``sample_cases`` folder of a repository checkout (not shipped in the wheel).
SAMPLE_ROOT: Path = Path(__file__).resolve().parent.parent / "sample_cases"

#: Sample name → the file or folder to open, relative to its sample folder.
_SAMPLES: dict[str, str] = {
    "knee_oa_right": ".",
    "lumbar_spine_zh": ".",
    "messy_upload": "upload.zip",
}


def names() -> list[str]:
    """The names of the bundled sample cases.

    Returns
    -------
    list of str
        ``["knee_oa_right", "lumbar_spine_zh", "messy_upload"]``.
    """
    return list(_SAMPLES)


def path(name: str) -> Path:
    """Where a sample case lives, ready for ``workbench.open_case``.

    Parameters
    ----------
    name : str
        One of :func:`names`.

    Returns
    -------
    pathlib.Path
        The case folder; for ``messy_upload`` the ``upload.zip`` inside it.

    Raises
    ------
    CaseNotFoundError
        If *name* is not a sample, or its files are missing (an installed package
        without the repository checkout, or the generator has not been run).
    """
    if name not in _SAMPLES:
        available = ", ".join(_SAMPLES)
        raise CaseNotFoundError(f"unknown sample case {name!r}; available: {available}")
    target = (SAMPLE_ROOT / name / _SAMPLES[name]).resolve()
    if not target.exists():
        generator = SAMPLE_ROOT / "generate.py"
        fix = (
            f"run `{python(generator)}` to (re)create them"
            if generator.is_file()
            else "clone the repository and open them there"
        )
        raise CaseNotFoundError(
            f"sample case {name!r} is missing at {target}; the samples ship with a "
            f"repository checkout: {fix}"
        )
    return target
