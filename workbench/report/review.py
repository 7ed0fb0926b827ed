"""Who reviewed which case when: what identifies a review in the objects it writes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Review"]

MANUFACTURER = "workbench"
MODEL = "orthopedic review workbench"


@dataclass(frozen=True)
class Review:
    """The identity of one review.

    Attributes
    ----------
    case_id : str
    reviewer : str
        The reviewer's name as written in the notebook (the SR observer).
    review_date : str
        ISO date (``YYYY-MM-DD``) of the review.
    conclusion : str
        The reviewer's summary text (FHIR ``DiagnosticReport.conclusion``).
    """

    case_id: str
    reviewer: str
    review_date: str
    conclusion: str = ""

    @property
    def key(self) -> str:
        """What the review's UIDs are derived from (case, reviewer, date)."""
        return f"{self.case_id}|{self.reviewer}|{self.review_date}"

    @property
    def observer_name(self) -> str:
        """The reviewer as a DICOM person name (PN): no backslash, at most 64 characters."""
        name = " ".join(self.reviewer.replace("\\", " ").split())[:63] or "Reviewer"
        # a name written as one component is marked as such (PS3.5 6.2.1.2)
        return name if "^" in name else name + "^"

    @property
    def dicom_date(self) -> str:
        """``YYYYMMDD``."""
        return self.review_date.replace("-", "")[:8]
