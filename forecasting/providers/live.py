"""The live weather forecast for serving: Open-Meteo at a point, cached for a while per point.

A model is served with the weather source and place it learned from, so the service asks for
each champion's own point (`get(lat, lon)`); the Open-Meteo client maps the answer to the
canonical daily variables. Answers are cached per point for `cache_seconds`; a failure is
remembered for `retry_seconds`, so a dead provider costs one background fetch per point and
retry period. A request never waits on the provider: it gets the cached (possibly stale)
answer, or none, while a single-flight background refresh runs.
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
from forecasting.contract import MAX_BRIDGE_DAYS
from forecasting.providers.open_meteo import MAX_FORECAST_DAYS, OpenMeteoClient
from forecasting.weather.source import OPEN_METEO

log = logging.getLogger(__name__)

# The provider family of the live forecast (what a champion must have learned on).
LIVE_PROVIDER: Final = OPEN_METEO
_POINT_DECIMALS: Final = 4  # the precision the client sends (about 10 m)
_MAX_POINTS: Final = 64  # points remembered at once (a server serves one or two)
# A 16-day daily forecast is a few kB; anything near this cap is not a forecast.
MAX_LIVE_BYTES: Final = 1 << 20

Point = tuple[float, float]


@dataclass(frozen=True)
class _Fetched:
    frame: pd.DataFrame | None  # indexed by date; the last good answer, kept on failure
    at: float  # when the last attempt ended (clock)
    error: str | None = None  # why the last attempt failed
    good_at: float | None = None  # when `frame` was fetched (clock)


class LiveForecast:
    """The live provider (Open-Meteo forecast API) with a cache per point that a request never
    waits on.

    `get()` answers from the cache at once: a fresh answer, else the last good one while it is
    younger than `max_stale_seconds` (stale-while-revalidate), else None (the caller falls to
    its next source). A missing or expired answer starts a background refresh; refreshes are
    single-flight (one fetch at a time, one per point at most) on daemon threads, and each is
    bounded by the client's total deadline and response-size cap, so shutdown never waits on
    the provider. `wait_seconds` lets a caller wait that long for a first answer (the
    library's default and tests; the API asks with 0). `lat`/`lon` is the point asked for when
    `get()` is called without one.
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
        max_stale_seconds: float = 6 * 3600.0,
        wait_seconds: float = 0.0,
        max_bytes: int = MAX_LIVE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self.lat, self.lon = lat, lon
        self.timeout, self.retries = timeout, retries
        self.cache_seconds, self.retry_seconds = cache_seconds, retry_seconds
        self.max_stale_seconds = max_stale_seconds
        self.wait_seconds = wait_seconds
        self.max_bytes = max_bytes
        self._clock = clock
        self._fetched: dict[Point, _Fetched] = {}
        self._inflight: dict[Point, threading.Event] = {}
        self._guard = threading.Lock()
        self._single = threading.Lock()  # one fetch at a time
        self._closed = False
        self._last_error: str | None = None
        self.fetches = 0
        self.generation = 0  # bumped whenever a new answer arrives (a cache key for users)

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
        """When the forecast now served for this point was fetched (UTC), if one is."""
        got = self._fetched.get(_point(lat, lon))
        if got is None or got.frame is None or got.good_at is None:
            return None
        return datetime.now(UTC) - timedelta(seconds=max(0.0, self._clock() - got.good_at))

    def _fresh(self, got: _Fetched | None) -> bool:
        if got is None:
            return False
        ttl = self.cache_seconds if got.error is None else self.retry_seconds
        return self._clock() - got.at < ttl

    def _servable(self, got: _Fetched | None) -> pd.DataFrame | None:
        if got is None or got.frame is None or got.good_at is None:
            return None
        if self._clock() - got.good_at > max(self.max_stale_seconds, self.cache_seconds):
            return None
        return got.frame

    def get(
        self, lat: float | None = None, lon: float | None = None, *, wait: float | None = None
    ) -> pd.DataFrame | None:
        """The provider's daily forecast at (lat, lon) (default: this object's point), indexed
        by date, or None when none is held. Never waits on the provider beyond `wait` seconds
        (default `wait_seconds`); a missing or expired answer is refreshed in the background."""
        if not self.enabled:
            return None
        point = _point(self.lat if lat is None else lat, self.lon if lon is None else lon)
        got = self._fetched.get(point)
        if self._fresh(got):
            return self._servable(got)
        done = self._refresh(point)
        wait = self.wait_seconds if wait is None else wait
        if wait > 0 and self._servable(got) is None and done is not None:
            done.wait(wait)
        return self._servable(self._fetched.get(point))

    def prefetch(self, lat: float, lon: float, wait: float = 0.0) -> bool:
        """Start fetching a point (at start-up) and wait up to `wait` seconds for it; True
        when an answer is held."""
        return self.get(lat, lon, wait=wait) is not None if self.enabled else False

    def close(self) -> None:
        """Start no more refreshes (one running ends within its deadline, on a daemon thread)."""
        self._closed = True

    def _refresh(self, point: Point) -> threading.Event | None:
        """Start a background fetch of `point` unless one is running; its completion event."""
        with self._guard:
            if self._closed:
                return None
            done = self._inflight.get(point)
            if done is not None:
                return done
            done = self._inflight[point] = threading.Event()
        thread = threading.Thread(
            target=self._refresh_now, args=(point, done), name="weather-refresh", daemon=True
        )
        thread.start()
        return done

    def _refresh_now(self, point: Point, done: threading.Event) -> None:
        try:
            with self._single:
                got = self._fetch(point, self._fetched.get(point))
            with self._guard:
                if point not in self._fetched and len(self._fetched) >= _MAX_POINTS:
                    self._fetched.clear()
                self._fetched[point] = got
                self._last_error = got.error
                if got.error is None:
                    self.generation += 1
        finally:
            with self._guard:
                self._inflight.pop(point, None)
            done.set()

    def _fetch(self, point: Point, before: _Fetched | None) -> _Fetched:
        self.fetches += 1
        try:
            with OpenMeteoClient(
                base_url=self.base_url,
                timeout=self.timeout,
                retries=self.retries,
                backoff=0.1,
                max_backoff=0.5,
                max_bytes=self.max_bytes,
            ) as client:
                frame = client.forecast(
                    point[0], point[1], days=MAX_FORECAST_DAYS, past_days=MAX_BRIDGE_DAYS
                )
        except Exception as exc:  # WeatherProviderError, ConfigError, anything: fall back
            log.warning("weather forecast provider unavailable at %s: %s", point, exc)
            keep, good_at = (None, None) if before is None else (before.frame, before.good_at)
            return _Fetched(keep, self._clock(), str(exc), good_at)
        now = self._clock()
        return _Fetched(frame.set_index(schema.DATE).sort_index(), now, None, now)


def _point(lat: float, lon: float) -> Point:
    """The cache key of a point, at the precision the client sends."""
    return (round(float(lat), _POINT_DECIMALS), round(float(lon), _POINT_DECIMALS))
