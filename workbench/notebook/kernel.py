"""A fresh kernel for a command-line run, launched before anything else is imported.

A command that executes a notebook pays for a new kernel: the process starts, imports
IPython, then the first cells import pandas, pydicom, matplotlib and ipywidgets. On a
machine with two cores most of that can happen while the command does its own work
(importing nbclient and nbconvert, opening the case, compiling the page's templates):
:func:`start_kernel` launches the kernel at once, importing only ``jupyter_client``'s
manager (nbclient, which runs the cells, is imported by
:mod:`workbench.notebook.run` meanwhile), and with *warm* queues a silent import of
what the case notebook uses (no output, no execution count, no history).

>>> kernel = start_kernel(warm=False)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.manager import KernelManager

from workbench.notebook import FULL_COLLECTION_EVERY

__all__ = [
    "FULL_COLLECTION_EVERY",
    "KERNEL_NAME",
    "STARTUP",
    "WARM_UP",
    "Kernel",
    "encryption",
    "start_kernel",
]

#: What the case notebook imports, loaded silently while the command does other work.
WARM_UP = """\
import matplotlib_inline.backend_inline, matplotlib.pyplot
import workbench, workbench.case, workbench.render.timeline_plot
import workbench.widgets.series_viewer, workbench.widgets.compare
"""
KERNEL_NAME = "python3"
#: Run by the kernel as it starts, before the first cell (no name, no count, no output).
STARTUP = (
    "__import__('gc').set_threshold(*__import__('gc').get_threshold()[:2], "
    f"{FULL_COLLECTION_EVERY})"
)


@dataclass
class Kernel:
    """A kernel started by :func:`start_kernel` (shut down by
    :func:`~workbench.notebook.run.execute_notebook`)."""

    manager: Any
    cwd: Path | None
    warm_client: Any = None  # kept open until the run: closing it may drop the queued request


def encryption() -> dict[str, str]:
    """KernelManager settings for CurveZMQ-encrypted kernel sockets, where supported.

    Code and outputs, patient data included, cross the kernel's loopback sockets; without
    encryption ipykernel warns "Kernel is running over TCP without encryption", rightly.
    jupyter_client 8.10 and later with a pyzmq built with CURVE support encrypt; elsewhere
    the warning stays, because there it matters.
    """
    if "transport_encryption" in KernelManager.class_trait_names() and zmq.has("curve"):
        return {"transport_encryption": "auto"}
    return {}


def start_kernel(cwd: str | Path | None = None, *, warm: bool = True) -> Kernel:
    """Launch a fresh kernel now and, with *warm*, queue the silent warm-up imports.

    Returns at once: the kernel boots and imports in its own process.
    """
    manager = KernelManager(kernel_name=KERNEL_NAME, **encryption())
    # nbclient's own default: no IPython history database for a batch run
    manager.start_kernel(
        extra_arguments=[
            "--HistoryManager.hist_file=:memory:",
            f"--IPKernelApp.exec_lines={STARTUP}",
        ],
        cwd=str(cwd) if cwd is not None else None,
    )
    if warm:
        client = manager.client()
        # the kernel's shell channel only (no subprocess shell is involved)
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)  # noqa: S604
        # queued by ZeroMQ until the kernel is up; silent: no output, no execution count
        client.execute(WARM_UP, silent=True, store_history=False, allow_stdin=False)
        return Kernel(manager, Path(cwd) if cwd is not None else None, client)
    return Kernel(manager, Path(cwd) if cwd is not None else None)
