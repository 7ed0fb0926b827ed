"""Orthopedic second-opinion workbench.

Open a patient's upload as tables, check it is reviewable, read the images in
JupyterLab and export the opinion::

    import workbench
    case = workbench.open_case("upload.zip")     # folder, zip or DICOMDIR
    case.studies                                 # imaging studies in date order
    case.gaps                                    # what is missing, blockers first
    case.summary()                               # the one-page summary
    workbench.SeriesViewer(case)                 # in JupyterLab

Every name but the exceptions and ``samples`` loads on first use: importing the
package never pulls in matplotlib, ipywidgets or nbconvert, and not even pandas or
pydicom until :func:`open_case` or :class:`Case` is first touched (the command line
starts in a few tens of milliseconds).
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING

from workbench import samples
from workbench.errors import (
    CaseNotFoundError,
    DeidentificationError,
    ExportError,
    ManifestError,
    NothingUsableError,
    PacsError,
    WorkbenchError,
    WorkspaceError,
)

if TYPE_CHECKING:
    from workbench.board import case_board
    from workbench.case import Case, open_case
    from workbench.deid.pipeline import deidentify
    from workbench.deid.verify import verify_deidentified
    from workbench.export.opinion import export_opinion
    from workbench.notebook.build import build_review_notebook
    from workbench.pacs.dicomweb import push
    from workbench.render.body_map import plot_pain_map
    from workbench.render.figures import render_slice
    from workbench.render.timeline_plot import plot_timeline
    from workbench.view.key_images import key_images, remove_key_image
    from workbench.widgets.compare import CompareViewer
    from workbench.widgets.intake_form import IntakeForm
    from workbench.widgets.layout_viewer import LayoutViewer
    from workbench.widgets.series_viewer import SeriesViewer

#: Public names of the upper layers → the module that defines them (loaded lazily).
_LAZY = {
    # the core façade too: importing workbench (the CLI does) must not pull in pandas,
    # pydicom and pydantic before the arguments are parsed (heavy, lazy: start-up)
    "Case": "workbench.case",
    "open_case": "workbench.case",
    "SeriesViewer": "workbench.widgets.series_viewer",
    "CompareViewer": "workbench.widgets.compare",
    "LayoutViewer": "workbench.widgets.layout_viewer",
    "render_slice": "workbench.render.figures",
    "key_images": "workbench.view.key_images",
    "remove_key_image": "workbench.view.key_images",
    "plot_timeline": "workbench.render.timeline_plot",
    "plot_pain_map": "workbench.render.body_map",
    "IntakeForm": "workbench.widgets.intake_form",
    "build_review_notebook": "workbench.notebook.build",
    "export_opinion": "workbench.export.opinion",
    "deidentify": "workbench.deid.pipeline",
    "verify_deidentified": "workbench.deid.verify",
    "push": "workbench.pacs.dicomweb",
    "case_board": "workbench.board",
}

__all__ = [
    "Case",
    "CaseNotFoundError",
    "CompareViewer",
    "DeidentificationError",
    "ExportError",
    "IntakeForm",
    "LayoutViewer",
    "ManifestError",
    "NothingUsableError",
    "PacsError",
    "SeriesViewer",
    "WorkbenchError",
    "WorkspaceError",
    "build_review_notebook",
    "case_board",
    "deidentify",
    "export_opinion",
    "key_images",
    "open_case",
    "plot_pain_map",
    "plot_timeline",
    "push",
    "remove_key_image",
    "render_slice",
    "samples",
    "verify_deidentified",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | {name for name in globals() if name.startswith("__")})
