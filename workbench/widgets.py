"""The notebook viewers (widgets layer): one import for the reviewer's notebook.

:class:`SeriesViewer` shows one series at a time (study → series → slice);
:class:`CompareViewer` shows a prior and a current study side by side. Both are thin
bindings over the core (:mod:`workbench.viewer_state`, :mod:`workbench.comparison`)
and the render layer (:mod:`workbench.frame_render`, :mod:`workbench.render`).
"""

from __future__ import annotations

from workbench.compare_widget import CompareViewer
from workbench.intake_form import IntakeForm
from workbench.viewer_widget import SeriesViewer

__all__ = ["CompareViewer", "IntakeForm", "SeriesViewer"]
