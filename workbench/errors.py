"""The workbench's exceptions and warnings.

Every error the workbench raises on purpose derives from :class:`WorkbenchError`;
subclasses also inherit the matching builtin so ``except FileNotFoundError``
keeps working for callers who do not know this package::

    WorkbenchError
    ├── CaseNotFoundError (FileNotFoundError)   source path does not exist
    ├── NothingUsableError (ValueError)         source holds nothing the workbench can read
    ├── UnsafeSourceError (ValueError)          archive or path that would escape its folder
    ├── WorkspaceError (OSError)                workspace cannot be created or is inside the source
    ├── ManifestError (ValueError)              case.yaml does not match the schema
    ├── InstrumentError (ValueError)            a questionnaire definition file is invalid
    ├── HangingRulesError (ValueError)          a hanging rules file is invalid
    ├── SeriesNotFoundError (KeyError)          unknown series or study key
    ├── PixelDataError (ValueError)             pixels cannot be decoded
    ├── MeasurementError (ValueError)           a measurement point outside the image, a bad length
    ├── ExportError (RuntimeError)              opinion export refused or failed
    ├── NotebookExistsError (FileExistsError)   an edited notebook would be overwritten
    ├── DeidentificationError (ValueError)      de-identification refused or failed
    └── PacsError (ConnectionError)             DICOMweb server unreachable, refusing or garbled

Messages name the file, the value and the fix. Foreign exceptions (pydicom,
zipfile, nbconvert) are translated where they enter, with ``raise ... from exc``.
"""

from __future__ import annotations

from workbench.safe_text import redact_secrets

__all__ = [
    "CaseNotFoundError",
    "DeidentificationError",
    "ExportError",
    "HangingRulesError",
    "InstrumentError",
    "ManifestError",
    "MeasurementError",
    "NotebookExistsError",
    "NothingUsableError",
    "PacsError",
    "PixelDataError",
    "SeriesNotFoundError",
    "UnsafeSourceError",
    "WorkbenchError",
    "WorkbenchWarning",
    "WorkspaceError",
]


class WorkbenchError(Exception):
    """Root of every error the workbench raises on purpose.

    Text arguments are redacted: a ``user:password@`` in any URL of the message becomes
    ``***@``, so no secret reaches a terminal, a log or a notebook output.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact_secrets(a) if isinstance(a, str) else a for a in args))


class CaseNotFoundError(WorkbenchError, FileNotFoundError):
    """The case source (folder, zip or DICOMDIR) does not exist."""


class NothingUsableError(WorkbenchError, ValueError):
    """The source exists but holds nothing the workbench can index."""


class UnsafeSourceError(WorkbenchError, ValueError):
    """An archive member or a link would reach outside its folder."""


class WorkspaceError(WorkbenchError, OSError):
    """The workspace cannot be used (not writable, or inside the source)."""


class ManifestError(WorkbenchError, ValueError):
    """case.yaml does not match the schema."""


class MeasurementError(WorkbenchError, ValueError):
    """A measurement cannot be made as asked (point outside the image, bad calibration)."""


class InstrumentError(WorkbenchError, ValueError):
    """A questionnaire definition (``workbench/data/instruments/*.yaml`` or a site's) is invalid."""


class HangingRulesError(WorkbenchError, ValueError):
    """A hanging rules file (``view/hanging_rules.json`` or a site's) is invalid."""


class SeriesNotFoundError(WorkbenchError, KeyError):
    """A series or study key is not in the case."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class PixelDataError(WorkbenchError, ValueError):
    """Pixel data cannot be decoded or does not match its header."""


class ExportError(WorkbenchError, RuntimeError):
    """The opinion export was refused or failed."""


class DeidentificationError(WorkbenchError, ValueError):
    """De-identification was refused (bad destination, no secret) or failed."""


class PacsError(WorkbenchError, ConnectionError):
    """A DICOMweb server cannot be reached, refuses the request or answers garbage."""


class WorkbenchWarning(UserWarning):
    """Something the user should know that does not stop the work."""


class NotebookExistsError(WorkbenchError, FileExistsError):
    """A case notebook would overwrite one that a reviewer has edited (pass force=True)."""
