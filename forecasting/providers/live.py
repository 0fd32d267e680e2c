"""The live weather forecast for serving: Open-Meteo at a point, cached for a while per point.

A model is served with the weather source and place it learned from, so the service asks for
each champion's own point (`get(lat, lon)`); the Open-Meteo client maps the answer to the
canonical daily variables. Answers are cached per point for `cache_seconds`; a failure is
remembered for `retry_seconds`, so a dead provider costs one timeout per point and retry
period, not one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import pandas as pd

from forecasting import schema
from forecasting.providers.open_meteo import MAX_FORECAST_DAYS, OpenMeteoClient
from forecasting.weather.source import OPEN_METEO

log = logging.getLogger(__name__)

# The provider family of the live forecast (what a champion must have learned on).
LIVE_PROVIDER: Final = OPEN_METEO
_POINT_DECIMALS: Final = 4  # the precision the client sends (about 10 m)
_MAX_POINTS: Final = 64  # points remembered at once (a server serves one or two)

Point = tuple[float, float]


@dataclass(frozen=True)
class _Fetched:
    frame: pd.DataFrame | None  # indexed by date
    at: float
    error: str | None = None


class LiveForecast:
    """The live provider (Open-Meteo forecast API) with a short-lived cache per point.

    `lat`/`lon` is the point asked for when `get()` is called without one.
    """

    provider: Final = LIVE_PROVIDER

    def __init__(
        self,
        base_url: str,
        lat: float,
        lon: float,
        *,
        timeout: float = 2.0,
        retries: int = 1,
        cache_seconds: float = 900.0,
        retry_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self.lat, self.lon = lat, lon
        self.timeout, self.retries = timeout, retries
        self.cache_seconds, self.retry_seconds = cache_seconds, retry_seconds
        self._clock = clock
        self._fetched: dict[Point, _Fetched] = {}
        self._locks: dict[Point, threading.Lock] = {}
        self._guard = threading.Lock()
        self._last_error: str | None = None
        self.fetches = 0

    @property
    def enabled(self) -> bool:
        """False when no base URL is configured."""
        return bool(self.base_url)

    @property
    def last_error(self) -> str | None:
        """Why the most recent fetch (at any point) failed, if it did."""
        return self._last_error

    def error_at(self, lat: float, lon: float) -> str | None:
        """Why the last fetch for this point failed, if it did."""
        got = self._fetched.get(_point(lat, lon))
        return None if got is None else got.error

    def fetched_at(self, lat: float, lon: float) -> datetime | None:
        """When the forecast now held for this point was fetched (UTC), if one is held."""
        got = self._fetched.get(_point(lat, lon))
        if got is None or got.frame is None:
            return None
        return datetime.now(UTC) - timedelta(seconds=max(0.0, self._clock() - got.at))

    def _fresh(self, got: _Fetched | None) -> bool:
        if got is None:
            return False
        ttl = self.cache_seconds if got.error is None else self.retry_seconds
        return self._clock() - got.at < ttl

    def get(self, lat: float | None = None, lon: float | None = None) -> pd.DataFrame | None:
        """The provider's daily forecast at (lat, lon) (default: this object's point),
        indexed by date, or None when it is unavailable."""
        if not self.enabled:
            return None
        point = _point(self.lat if lat is None else lat, self.lon if lon is None else lon)
        got = self._fetched.get(point)
        if self._fresh(got):
            assert got is not None
            return got.frame
        with self._guard:
            lock = self._locks.setdefault(point, threading.Lock())
        with lock:  # one fetch per point at a time; the others wait and reuse it
            got = self._fetched.get(point)
            if self._fresh(got):
                assert got is not None
                return got.frame
            got = self._fetch(point)
            with self._guard:
                if point not in self._fetched and len(self._fetched) >= _MAX_POINTS:
                    self._fetched.clear()
                self._fetched[point] = got
                self._last_error = got.error
            return got.frame

    def _fetch(self, point: Point) -> _Fetched:
        self.fetches += 1
        try:
            with OpenMeteoClient(
                base_url=self.base_url,
                timeout=self.timeout,
                retries=self.retries,
                backoff=0.1,
                max_backoff=0.5,
            ) as client:
                frame = client.forecast(point[0], point[1], days=MAX_FORECAST_DAYS)
        except Exception as exc:  # WeatherProviderError, ConfigError, anything: fall back
            log.warning("weather forecast provider unavailable at %s: %s", point, exc)
            return _Fetched(None, self._clock(), str(exc))
        return _Fetched(frame.set_index(schema.DATE).sort_index(), self._clock())


def _point(lat: float, lon: float) -> Point:
    """The cache key of a point, at the precision the client sends."""
    return (round(float(lat), _POINT_DECIMALS), round(float(lon), _POINT_DECIMALS))
