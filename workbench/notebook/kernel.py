"""A fresh kernel for a command-line run, launched before anything else is imported.

A command that executes a notebook pays for a new kernel: the process starts, imports
IPython, then the first cells import pandas, pydicom, matplotlib and ipywidgets. On a
machine with two cores most of that can happen while the command does its own work
(importing nbclient and nbconvert, opening the case, compiling the page's templates):
:func:`start_kernel` launches the kernel at once, importing only ``jupyter_client``'s
manager (nbclient, which runs the cells, is imported by
:mod:`workbench.notebook.run` meanwhile). No warm-up import is queued: twice, under
heavy load, a run waited the whole 300 s timeout behind one (cause not found).

>>> kernel = start_kernel()  # doctest: +SKIP
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
    "Kernel",
    "encryption",
    "start_kernel",
]

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


def start_kernel(cwd: str | Path | None = None) -> Kernel:
    """Launch a fresh kernel now; returns at once (it boots in its own process)."""
    manager = KernelManager(kernel_name=KERNEL_NAME, **encryption())
    # nbclient's own default: no IPython history database for a batch run
    manager.start_kernel(
        extra_arguments=[
            "--HistoryManager.hist_file=:memory:",
            f"--IPKernelApp.exec_lines={STARTUP}",
        ],
        cwd=str(cwd) if cwd is not None else None,
    )
    return Kernel(manager, Path(cwd) if cwd is not None else None)
