"""Commands the workbench suggests, spelled so that they run where they are printed.

A hint such as "open it in JupyterLab" names a command for *this* environment: the
bare name when ``PATH`` finds this environment's script (an activated venv), else the
script's path (``.venv/bin/jupyter``), else ``python -m ...``; file paths are relative
to the current folder when they are inside it, absolute otherwise, and shell-quoted.

>>> shell_path(Path.cwd() / "review notes.ipynb")
"'review notes.ipynb'"
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

#: What ``make lab`` passes: the kernel's loopback sockets carry patient data, so encrypted.
LAB_FLAGS = "--KernelManager.transport_encryption=auto"

__all__ = [
    "LAB_FLAGS",
    "env_command",
    "jupyter_lab",
    "python",
    "python_module",
    "shell_path",
    "workbench",
]


def shell_path(path: str | Path, *, command: bool = False) -> str:
    """*path* for a shell: relative to the current folder when inside it, quoted.

    A *command* in the current folder gets ``./`` so the shell does not search ``PATH``.
    """
    path = Path(path).absolute()  # not resolved: a venv's python is a link
    try:
        text = path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        text = path.as_posix()
    if command and "/" not in text:
        text = f"./{text}"
    return shlex.quote(text)


def _script(name: str) -> str | None:
    """Console script *name* of the running environment, as a shell word, or None."""
    path = Path(sys.executable).parent / name  # not resolved: a venv's python is a link
    if not (path.is_file() and os.access(path, os.X_OK)):
        return None
    found = shutil.which(name)
    if found and Path(found).resolve() == path.resolve():
        return name
    return shell_path(path, command=True)


def _python() -> str:
    return shell_path(sys.executable, command=True)


def env_command(script: str, module: str) -> str:
    """How to run console script *script* of the running environment (else ``python -m``)."""
    return _script(script) or f"{_python()} -m {module}"


def jupyter_lab(notebook: str | Path) -> str:
    """The command that opens *notebook* in this environment's JupyterLab, its kernels'
    sockets encrypted (CurveZMQ) as ``make lab`` has them."""
    jupyter = _script("jupyter")
    lab = f"{jupyter} lab" if jupyter else f"{_python()} -m jupyterlab"
    return f"{lab} {LAB_FLAGS} {shell_path(notebook)}"


def workbench(*args: str | Path) -> str:
    """The ``workbench`` command of this environment with *args* (paths made shell-safe)."""
    return " ".join([env_command("workbench", "workbench"), *_words(args)])


def python(*args: str | Path) -> str:
    """``python args`` with this environment's Python."""
    return " ".join([_python(), *_words(args)])


def python_module(module: str, *args: str | Path) -> str:
    """``python -m module args`` with this environment's Python."""
    return python("-m", module, *args)


def _words(args: tuple[str | Path, ...]) -> list[str]:
    return [shell_path(a) if isinstance(a, Path) else shlex.quote(a) for a in args]
