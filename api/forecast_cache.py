"""The cache of default-weather forecasts (GET /v1/forecast's hot path).

A forecast is cached per (target, issue date, weather mode, start, horizon, champion version,
data version, live-forecast generation) for `forecast_cache_seconds`, at most
`forecast_cache_size` entries (the least recently stored go first). A cached forecast is one
issued forecast: it is archived once, and every response built from it carries its
`issued_at`. Each key has a lock so that one caller computes a forecast while the others
wait for it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any

from api.champion import Champion
from api.issue_date import IssueDate
from api.rendering import Issued
from api.settings import ApiSettings
from forecasting.contract import ServedWeatherMode

Key = tuple[Any, ...]


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
        self._entries: OrderedDict[Key, Issued] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Key, threading.Lock] = {}

    def fresh_until(self, issued: Issued) -> float:
        """Monotonic time until which `issued` may be served from a cache."""
        return issued.created + self._settings().forecast_cache_seconds

    def get(self, key: Key) -> Issued | None:
        """The forecast cached under `key`, if fresh (cheap: no computation)."""
        hit = self._entries.get(key)
        if (
            hit is not None
            and time.monotonic() - hit.created < self._settings().forecast_cache_seconds
        ):
            return hit
        return None

    def key_lock(self, key: Key) -> threading.Lock:
        """The lock held while computing the forecast for `key`."""
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def put(self, key: Key, issued: Issued) -> None:
        """Store `issued` under `key`, dropping the oldest entries beyond the size."""
        with self._lock:
            self._entries[key] = issued
            self._entries.move_to_end(key)
            while len(self._entries) > self._settings().forecast_cache_size:
                old, _ = self._entries.popitem(last=False)
                self._key_locks.pop(old, None)

    def clear(self) -> None:
        """Forget every cached forecast."""
        with self._lock:
            self._entries.clear()
            self._key_locks.clear()
