"""Leaving the ``workbench`` command without tearing down every loaded module.

When a command is done, the interpreter's own shutdown first waits for the threads
still working (the background CSV and sha256 writers), runs the ``atexit`` handlers and
flushes the standard streams, and then frees every object of every module: with
pandas, pyarrow and numpy loaded that last step costs about 50 ms of CPU, a sixth of
what a short ``workbench ingest`` does after its imports, for nothing. :func:`exit_now`
does the first three steps as the interpreter does them, then ends the process.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

#: The exit status CPython gives when flushing standard output fails at exit.
_FLUSH_FAILED = 120


def exit_now(code: int) -> NoReturn:
    """End the process with *code* once every thread, exit handler and stream is done.

    The steps of CPython's ``Py_FinalizeEx`` that can matter to anyone, in its order:
    wait for non-daemon threads (after the hooks that stop idle executor workers),
    run the ``atexit`` handlers (weakref finalizers, logging, multiprocessing), flush
    ``stdout`` and ``stderr``. Only the module teardown is skipped.
    """
    shutdown = getattr(threading, "_shutdown", None)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if shutdown is None or run_exit_handlers is None:  # another interpreter: its own way
        sys.exit(code)
    shutdown()
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (``workbench ingest ... | head``)
            if stream is sys.stdout:
                code = code or _FLUSH_FAILED
    os._exit(code)
