"""Run a case notebook from the command line in a fresh kernel, started early.

:func:`~workbench.notebook.kernel.start_kernel` launches the kernel first (its module
imports only ``jupyter_client``'s manager); :func:`execute_notebook` then runs the
cells in that kernel with nbclient and writes the outputs into the notebook. Shutting
the kernel down can be left to a thread (``shutdown="later"``) while the command goes
on with the executed notebook.

>>> kernel = start_kernel()  # doctest: +SKIP
>>> execute_notebook("review.ipynb", kernel=kernel)  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from workbench.errors import ExportError
from workbench.notebook import nbfile
from workbench.notebook.kernel import KERNEL_NAME, Kernel, encryption, start_kernel

__all__ = ["Kernel", "encryption", "execute_notebook", "start_kernel"]


def execute_notebook(
    path: str | Path,
    *,
    kernel: Kernel | None = None,
    timeout: int = 300,
    shutdown: Literal["now", "later"] = "now",
) -> Path:
    """Run every cell of the notebook at *path* and write it back with its outputs.

    Widget state is not stored. The kernel (started by :func:`start_kernel`, or here
    when None) is shut down afterwards: before returning (*shutdown* ``"now"``), or by
    a (non-daemon) thread while the caller goes on (``"later"``; the process still
    waits for it before exiting).

    Raises
    ------
    ExportError
        A cell raised; the message names the notebook and the error.
    """
    path = Path(path)
    kernel = kernel if kernel is not None else start_kernel(path.parent)
    try:
        nb = nbfile.read_notebook(path)
        client = NotebookClient(
            nb,
            km=kernel.manager,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            store_widget_state=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    except CellExecutionError as exc:
        raise ExportError(
            f"Running '{path}' failed in a cell: {str(exc).strip().splitlines()[-1]}. Open "
            "the notebook in JupyterLab, fix the cell and run it again."
        ) from exc
    finally:
        if shutdown == "later":
            threading.Thread(target=_shutdown, args=(kernel,), name="kernel-shutdown").start()
        else:
            _shutdown(kernel)
    return nbfile.write_notebook(nb, path)


def _shutdown(kernel: Kernel) -> None:
    if kernel.manager.has_kernel:
        kernel.manager.shutdown_kernel(now=True)
