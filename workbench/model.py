"""Shared closed values of the data contracts: severities, study sources, problem stages.

Contracts travel as data, never as English sentences parsed back: a gap's ``severity``,
a study's ``source`` and a problem's ``stage`` are one of these values. They are
``StrEnum`` so the tables keep plain strings (``"blocker" == Severity.BLOCKER``).
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How much a gap of the readiness check holds up the review."""

    BLOCKER = "blocker"
    MAJOR = "major"
    MINOR = "minor"


class StudySource(StrEnum):
    """Where the workbench learned of an imaging study."""

    DICOM = "dicom"
    REPORT = "report"
    PHOTO = "photo"
