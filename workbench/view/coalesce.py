"""Coalesce render requests so the last one wins (no widgets, testable without a kernel).

Slider events reach the kernel one message at a time, and ipywidgets' front end
already holds back further updates of a model while one is being processed, sending
only the latest value once the kernel is idle. What is left to do on this side is
not to render states that are already stale: changes made while a frame is being
rendered (a linked viewer, a Play tick, an observer that moves another slider), and
several changes made in one go (:meth:`LatestWins.hold`), collapse into one render
of the newest state.

>>> seen = []
>>> latest = LatestWins(seen.append)
>>> with latest.hold():
...     latest.submit(1)
...     latest.submit(2)
>>> latest.submit(3)
>>> seen
[2, 3]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")
_EMPTY = object()


class LatestWins(Generic[T]):
    """Run ``render(request)`` for the newest request only.

    Parameters
    ----------
    render : callable
        Called with a request; requests submitted while it runs (or while held) are
        merged, and only the newest is rendered next.
    """

    def __init__(self, render: Callable[[T], None]) -> None:
        self._render = render
        self._pending: object = _EMPTY
        self._busy = False
        self._held = 0
        self.rendered = 0
        self.skipped = 0

    def submit(self, request: T) -> None:
        """Ask for *request* to be rendered; a newer request replaces it if it waits."""
        if self._pending is not _EMPTY:
            self.skipped += 1
        self._pending = request
        if not self._busy and not self._held:
            self._drain()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Collect requests inside the block; render the newest once on leaving it."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and not self._busy and self._pending is not _EMPTY:
                self._drain()

    def _drain(self) -> None:
        self._busy = True
        try:
            while self._pending is not _EMPTY:
                request = self._pending
                self._pending = _EMPTY
                self._render(request)  # type: ignore[arg-type]
                self.rendered += 1
        finally:
            self._busy = False
