"""The track record without starving the forecasts: /v1/verification answers are kept per
(target, days, service generation, archive writes) for a while, computed once per key however
many ask at the same time, and at most `max_concurrent` are computed at once.

The key changes when the champions, the observed data or the day change (the service's
generation) and when this process writes to the archive; `ttl` bounds how long forecasts
archived by other replicas can go unseen. At most `verification_cache_entries` answers are
kept (the service's settings, unless `max_entries` is given), the least recently used going
first (api/bounded.py), and one per (target, days): a newer key's answer replaces the older.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from api.bounded import Bounded, CacheStats
from api.settings import ApiSettings

if TYPE_CHECKING:
    from api.service import ForecastService

Verify = Callable[["ForecastService", str, int], dict[str, Any]]


class VerificationCache:
    """Cached, single-flight, concurrency-capped `verify` (see the module doc)."""

    def __init__(
        self,
        verify: Verify,
        ttl: float = 300.0,
        max_entries: int | None = None,
        max_concurrent: int = 1,
    ) -> None:
        self._verify = verify
        self.ttl = ttl
        self._fixed = max_entries  # None: the service's verification_cache_entries
        default = ApiSettings.model_fields["verification_cache_entries"].default
        # by (target, days): the answer, its key (with the generation and archive writes)
        # and expiry; an answer for an older key is replaced, not kept beside the new one
        self._entries: Bounded[tuple[tuple[Any, ...], float, dict[str, Any]]] = Bounded(
            "verification", max_entries or int(default)
        )
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._guard = threading.Lock()
        self.computed = 0

    def get(self, service: ForecastService, target: str, days: int) -> dict[str, Any]:
        """The verification response for `target` over `days` days."""
        settings = getattr(service, "settings", None)  # a stand-in service may have none
        if self._fixed is None and settings is not None:
            self._entries.configure(settings.verification_cache_entries)
        written = service.archive.written if service.archive is not None else 0
        key = (target, days, service.generation, written)
        if (hit := self._fresh(key)) is not None:
            return hit
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        try:
            with lock:  # one computation per key; the others wait for it and take its answer
                if (hit := self._fresh(key)) is not None:
                    return hit
                with self._slots:
                    body = self._verify(service, target, days)
                self.computed += 1
                self._entries.put(key[:2], (key, time.monotonic() + self.ttl, body))
                return body
        finally:
            with self._guard:  # stored or failed: later callers need no lock for this key
                if self._locks.get(key) is lock:
                    del self._locks[key]

    def _fresh(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        entry = self._entries.get(key[:2])
        if entry is None or entry[0] != key or entry[1] < time.monotonic():
            return None
        return entry[2]

    @property
    def max_entries(self) -> int:
        """The most answers kept."""
        return self._entries.max_entries

    @property
    def locks(self) -> int:
        """Keys being computed now."""
        return len(self._locks)

    def stats(self) -> CacheStats:
        """Its size and limits, for /metrics."""
        return self._entries.stats()

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["VerificationCache"]
