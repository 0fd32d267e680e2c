"""The cache of default-weather forecasts (GET /v1/forecast's hot path).

A forecast is cached per (target, issue date, weather mode, start, horizon, champion version,
data version, live-forecast generation) for `forecast_cache_seconds`, at most
`forecast_cache_size` entries and `forecast_cache_bytes` bytes of sample paths, weather
paths and renderings (`issued_nbytes`; the least recently used go first: api/bounded.py). A
cached forecast is one issued forecast: it is archived once, and every response built from it
carries its `issued_at`. Each key has a lock so that one caller computes a forecast while the others
wait for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any, Final

from api.bounded import Bounded, CacheStats
from api.champion import Champion
from api.issue_date import IssueDate
from api.rendering import Issued
from api.settings import ApiSettings
from forecasting.contract import ServedWeatherMode

Key = tuple[Any, ...]
# What an entry holds besides its arrays: the JSON payloads and renderings built from it.
RENDERINGS_ALLOWANCE: Final = 64 * 1024


def issued_nbytes(issued: Issued) -> int:
    """The bytes a cached forecast holds, estimated: its sample paths (and their sorted copy),
    its weather paths and an allowance for its renderings."""
    f = issued.issued.forecast
    size = 2 * f.samples.nbytes + RENDERINGS_ALLOWANCE
    weather = issued.issued.weather
    if weather is not None:
        size += weather.values.nbytes
        size += sum(a.nbytes for a in (weather.centre, weather.leads) if a is not None)
    return int(size)


def forecast_key(
    champ: Champion,
    issue: IssueDate,
    weather_mode: ServedWeatherMode,
    start: date | None,
    horizon: int,
    observed_version: str,
    live_generation: int,
) -> Key:
    """The cache key of a default-weather forecast."""
    return (
        champ.target,
        issue.day,
        issue.hindcast,
        weather_mode,
        start or issue.day,
        horizon,
        champ.version,
        id(champ),
        observed_version,
        live_generation,  # a new live answer makes a new forecast
    )


class ForecastCache:
    """Issued forecasts by key, fresh for `forecast_cache_seconds`. The settings are read at
    each use (the service's may be replaced)."""

    def __init__(self, settings: Callable[[], ApiSettings]) -> None:
        self._settings = settings
        s = settings()
        self._entries: Bounded[Issued] = Bounded(
            "forecast", s.forecast_cache_size, s.forecast_cache_bytes, issued_nbytes
        )
        self._lock = threading.Lock()
        self._key_locks: dict[Key, threading.Lock] = {}

    def _configured(self) -> Bounded[Issued]:
        s = self._settings()
        self._entries.configure(s.forecast_cache_size, s.forecast_cache_bytes)
        return self._entries

    def fresh_until(self, issued: Issued) -> float:
        """Monotonic time until which `issued` may be served from a cache."""
        return issued.created + self._settings().forecast_cache_seconds

    def get(self, key: Key) -> Issued | None:
        """The forecast cached under `key`, if fresh (cheap: no computation)."""
        hit = self._configured().get(key)
        if (
            hit is not None
            and time.monotonic() - hit.created < self._settings().forecast_cache_seconds
        ):
            return hit
        return None

    def key_lock(self, key: Key) -> threading.Lock:
        """The lock held while computing the forecast for `key` (dropped once it is stored,
        or its computation failed: `release`)."""
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def release(self, key: Key, lock: threading.Lock) -> None:
        """Forget `key`'s `lock` (unless another took its place): the forecast is stored
        (later callers find it in the cache) or its computation failed. A caller already
        waiting on it still gets it."""
        with self._lock:
            if self._key_locks.get(key) is lock:
                del self._key_locks[key]

    def put(self, key: Key, issued: Issued) -> None:
        """Store `issued` under `key`, dropping the least recently used entries beyond the
        limits."""
        self._configured().put(key, issued)

    def stats(self) -> CacheStats:
        """Its size and limits, for /metrics."""
        return self._configured().stats()

    @property
    def locks(self) -> int:
        """Keys being computed now."""
        return len(self._key_locks)

    def clear(self) -> None:
        """Forget every cached forecast."""
        with self._lock:
            self._entries.clear()
            self._key_locks.clear()
