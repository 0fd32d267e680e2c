"""The live weather forecast for serving: Open-Meteo for one point, cached for a while.

Answers are cached for `cache_seconds`; a failure is remembered for `retry_seconds`, so a dead
provider costs one timeout per retry period, not one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from forecasting import schema
from forecasting.providers.open_meteo import MAX_FORECAST_DAYS, OpenMeteoClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Fetched:
    frame: pd.DataFrame | None  # indexed by date
    at: float
    error: str | None = None


class LiveForecast:
    """The live provider (Open-Meteo forecast API) with a short-lived cache."""

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
        self._last: _Fetched | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    @property
    def enabled(self) -> bool:
        """False when no base URL is configured."""
        return bool(self.base_url)

    @property
    def last_error(self) -> str | None:
        """Why the last fetch failed, if it did."""
        return None if self._last is None else self._last.error

    def _fresh(self, got: _Fetched | None) -> bool:
        if got is None:
            return False
        ttl = self.cache_seconds if got.error is None else self.retry_seconds
        return self._clock() - got.at < ttl

    def get(self) -> pd.DataFrame | None:
        """The provider's daily forecast indexed by date, or None when it is unavailable."""
        if not self.enabled:
            return None
        got = self._last
        if self._fresh(got):
            assert got is not None
            return got.frame
        with self._lock:  # one fetch at a time; the others wait and reuse it
            got = self._last
            if self._fresh(got):
                assert got is not None
                return got.frame
            self._last = got = self._fetch()
            return got.frame

    def _fetch(self) -> _Fetched:
        self.fetches += 1
        try:
            with OpenMeteoClient(
                base_url=self.base_url,
                timeout=self.timeout,
                retries=self.retries,
                backoff=0.1,
                max_backoff=0.5,
            ) as client:
                frame = client.forecast(self.lat, self.lon, days=MAX_FORECAST_DAYS)
        except Exception as exc:  # WeatherProviderError, ConfigError, anything: fall back
            log.warning("weather forecast provider unavailable: %s", exc)
            return _Fetched(None, self._clock(), str(exc))
        return _Fetched(frame.set_index(schema.DATE).sort_index(), self._clock())
