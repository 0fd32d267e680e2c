"""Bounded in-process caches: least-recently-used maps with a limit in entries and, for those
holding large values, a limit in (estimated) bytes (cachetools).

Every cache of the API is one of these, with its limits in the settings
(CROSSINGS_*_CACHE_ENTRIES / _BYTES, api/settings.py), and `/metrics` exports each one's size
beside its limits (`crossings_cache_entries`, `crossings_cache_bytes`, `crossings_cache_limit`;
api/metrics.py). A value larger than the byte limit on its own is not kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cachetools import LRUCache

V = TypeVar("V")


class _LRU(LRUCache):  # type: ignore[misc,unused-ignore]  # untyped without stubs
    """cachetools' LRUCache noting the keys it evicts."""

    def __init__(self, maxsize: int, getsizeof: Callable[[Any], int] | None = None) -> None:
        super().__init__(maxsize, getsizeof=getsizeof)
        self.evicted: list[Hashable] = []

    def popitem(self) -> tuple[Hashable, Any]:
        key, value = super().popitem()
        self.evicted.append(key)
        return key, value


@dataclass(frozen=True)
class CacheStats:
    """One cache's size and limits (bytes None when it is bounded in entries only)."""

    name: str
    entries: int
    max_entries: int
    bytes: int | None = None
    max_bytes: int | None = None


class Bounded(Generic[V]):
    """A thread-safe LRU map holding at most `max_entries` values and, with `sizeof`, at most
    `max_bytes` of them as `sizeof` counts them; the least recently used go first.
    `configure` changes the limits (the entries are kept when they do not change)."""

    def __init__(
        self,
        name: str,
        max_entries: int,
        max_bytes: int | None = None,
        sizeof: Callable[[V], int] | None = None,
    ) -> None:
        if (max_bytes is None) != (sizeof is None):
            raise ValueError("a byte limit needs a sizeof, and a sizeof a byte limit")
        self.name = name
        self._sizeof = sizeof
        self._lock = threading.Lock()
        self._limits: tuple[int, int | None] = (0, None)
        self._entries: _LRU = _LRU(1)
        self.configure(max_entries, max_bytes)

    def configure(self, max_entries: int, max_bytes: int | None = None) -> None:
        """Set the limits; when they change, the entries are dropped."""
        if max_entries < 1 or (max_bytes is not None and max_bytes < 1):
            raise ValueError(f"cache {self.name}: limits must be positive")
        if (max_entries, max_bytes) == self._limits:
            return
        with self._lock:
            self._limits = (max_entries, max_bytes)
            if self._sizeof is None or max_bytes is None:
                self._entries = _LRU(max_entries)
            else:
                self._entries = _LRU(max_bytes, getsizeof=self._sizeof)

    @property
    def max_entries(self) -> int:
        """The most entries kept."""
        return self._limits[0]

    @property
    def max_bytes(self) -> int | None:
        """The most bytes kept (None: bounded in entries only)."""
        return self._limits[1]

    def get(self, key: Hashable) -> V | None:
        """The value under `key` (now the most recently used), or None."""
        with self._lock:
            value: V | None = self._entries.get(key)
            return value

    def put(self, key: Hashable, value: V) -> list[Hashable]:
        """Keep `value` under `key`; the keys evicted to make room (with `key` itself when
        `value` alone is over the byte limit, and then it is not kept)."""
        with self._lock:
            entries = self._entries
            entries.evicted = []
            try:
                entries[key] = value
            except ValueError:  # larger than the byte limit on its own
                entries.pop(key, None)
                entries.evicted.append(key)
            while len(entries) > self.max_entries:
                entries.popitem()
            evicted: list[Hashable] = entries.evicted
            entries.evicted = []
        return evicted

    def pop(self, key: Hashable) -> V | None:
        """Remove and return the value under `key`, if any."""
        with self._lock:
            value: V | None = self._entries.pop(key, None)
            return value

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()

    def keys(self) -> Iterator[Hashable]:
        """A snapshot of the keys, least recently used first."""
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int | None:
        """The bytes held as `sizeof` counts them (None when bounded in entries only)."""
        return None if self._sizeof is None else int(self._entries.currsize)

    def stats(self) -> CacheStats:
        """The size and limits, for /metrics."""
        return CacheStats(self.name, len(self), self.max_entries, self.nbytes, self.max_bytes)


__all__ = ["Bounded", "CacheStats"]
