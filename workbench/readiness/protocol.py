"""A case as the notebook, the widgets and the export see it: tables, images and checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import pandas as pd

from workbench.record.protocol import CaseRecord

if TYPE_CHECKING:
    from workbench.imaging.volume import Volume
    from workbench.readiness.summary import Summary
    from workbench.readiness.triage import Triage


class ReviewCase(CaseRecord, Protocol):
    """A :class:`CaseRecord` whose images can be loaded and whose readiness is checked."""

    def load_series(self, series_key: str) -> Volume:
        """The pixels and geometry of one series."""
        ...

    @property
    def gaps(self) -> pd.DataFrame:
        """Record gaps found by the readiness rules."""
        ...

    def triage(self) -> Triage:
        """Remote review now, after the listed records, or in-person examination."""
        ...

    def summary(self, lang: str = "en") -> Summary:
        """The one-page summary."""
        ...
