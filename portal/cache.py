"""A tiny thread-safe cache with expiry, one per runtime (so tests and instances never share entries)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class TTLCache:
    """Values computed on demand and kept for ``ttl`` seconds; bounded by ``max_entries``."""

    def __init__(self, ttl: float = 60.0, max_entries: int = 256) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        # key -> (expiry on the monotonic clock, value)
        self._items: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for ``key``, computed (outside the lock) when missing or expired."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now < hit[0]:
                value: T = hit[1]
                return value
        value = compute()
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: Any, ttl: float | None = None) -> None:
        """Keep ``value`` under ``key`` for ``ttl`` seconds (default: the cache's ``ttl``)."""
        expires = time.monotonic() + (self.ttl if ttl is None else ttl)
        with self._lock:
            if len(self._items) >= self.max_entries:
                self._items.clear()
            self._items[key] = (expires, value)

    def get(self, key: Hashable) -> Any | None:
        """The live value under ``key``, or None when missing or expired."""
        with self._lock:
            hit = self._items.get(key)
            return hit[1] if hit is not None and time.monotonic() < hit[0] else None
