"""A least-recently-used cache bounded by the bytes its values hold (thread-safe).

>>> import numpy as np
>>> cache = ByteLRU(1000)
>>> cache.put("a", np.zeros(100, np.float32))  # 400 bytes
>>> cache.put("b", np.zeros(100, np.float32))
>>> cache.put("c", np.zeros(100, np.float32))  # evicts "a"
>>> cache.get("a") is None, cache.info()["evictions"]
(True, 1)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

__all__ = ["ByteLRU", "size_of"]


def size_of(value: Any) -> int:
    """Bytes held by *value*: ``nbytes`` of arrays, the pixel data of datasets, else 0."""
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    if isinstance(value, tuple | list):
        return sum(size_of(v) for v in value)
    pixels = getattr(value, "_dict", {}).get(0x7FE00010)
    raw = getattr(pixels, "value", None)
    return len(raw) if isinstance(raw, bytes | bytearray) else 0


class ByteLRU:
    """Values kept while their total size stays within *budget* bytes.

    A value larger than the whole budget is not kept. Reading a value makes it
    the most recently used; adding one evicts the least recently used until the
    total fits.
    """

    def __init__(self, budget: int) -> None:
        self.budget = int(budget)
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def get(self, key: Hashable) -> Any:
        """The value under *key* (now most recently used), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: Any) -> None:
        """Keep *value* under *key*, evicting old values to stay within the budget."""
        size = size_of(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.budget:
                return
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.budget:
                _, (_, freed) = self._items.popitem(last=False)
                self._bytes -= freed
                self.evictions += 1

    def discard(self, key: Hashable) -> None:
        """Forget *key* if present."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def clear(self) -> None:
        """Forget everything (the counters stay)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def info(self) -> dict[str, int]:
        """Counters: ``hits``, ``misses``, ``evictions``, ``entries``, ``bytes``, ``budget``."""
        with self._lock:
            return {
                "hits": self.hits,
                "misses": self.misses,
                "evictions": self.evictions,
                "entries": len(self._items),
                "bytes": self._bytes,
                "budget": self.budget,
            }
