"""The track record without starving the forecasts: /v1/verification answers are kept per
(target, days, service generation, archive writes) for a while, computed once per key however
many ask at the same time, and at most `max_concurrent` are computed at once.

The key changes when the champions, the observed data or the day change (the service's
generation) and when this process writes to the archive; `ttl` bounds how long forecasts
archived by other replicas can go unseen.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.service import ForecastService

Verify = Callable[["ForecastService", str, int], dict[str, Any]]


class VerificationCache:
    """Cached, single-flight, concurrency-capped `verify` (see the module doc)."""

    def __init__(
        self, verify: Verify, ttl: float = 300.0, max_entries: int = 64, max_concurrent: int = 1
    ) -> None:
        self._verify = verify
        self.ttl = ttl
        self.max_entries = max_entries
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, dict[str, Any]]] = OrderedDict()
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._guard = threading.Lock()
        self.computed = 0

    def get(self, service: ForecastService, target: str, days: int) -> dict[str, Any]:
        """The verification response for `target` over `days` days."""
        written = service.archive.written if service.archive is not None else 0
        key = (target, days, service.generation, written)
        if (hit := self._fresh(key)) is not None:
            return hit
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one computation per key; the others wait for it and take its answer
            if (hit := self._fresh(key)) is not None:
                return hit
            with self._slots:
                body = self._verify(service, target, days)
            self.computed += 1
            with self._guard:
                self._entries[key] = (time.monotonic() + self.ttl, body)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    old, _ = self._entries.popitem(last=False)
                    self._locks.pop(old, None)
            return body

    def _fresh(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._guard:
            entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["VerificationCache"]
