"""Future weather for serving: the caller's scenario, else a provider chain per day.

For each forecast day the first source that has every variable the model needs wins:

1. ``request``: the day is in the caller's scenario (POST /v1/forecast);
2. ``forecast``: the live Open-Meteo forecast for a point in the Strait (httpx, short
   timeouts, answers cached for a while, failures remembered so a dead provider costs one
   timeout per retry period, not one per request);
3. ``observed``: the stored observed weather (the canonical table `crossings ingest` wrote);
4. ``climatology``: the same days of past years (the last 10, ±7 days), one draw per path.

Provider forecasts are treated as the truth plus lead-time-dependent error (the project's
`ForecastErrorModel`, leads counted from the first provider day used), so bands widen with a
less certain weather forecast instead of trusting one deterministic run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from api.data import Observed
from forecasting import schema
from forecasting.adapters.open_meteo import MAX_FORECAST_DAYS, OpenMeteoClient
from forecasting.models.baselines import analogue_starts
from forecasting.weather.modes import ForecastErrorModel
from forecasting.weather.paths import FutureWeather

log = logging.getLogger(__name__)

SOURCES: Final = ("request", "forecast", "observed", "climatology")
CLIMATOLOGY_YEARS: Final = 10
CLIMATOLOGY_WINDOW_DAYS: Final = 7


class WeatherUnavailable(RuntimeError):
    """No source can supply weather for a day (no provider, no observed table)."""


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


def _complete_rows(frame: pd.DataFrame | None, variables: Sequence[str]) -> pd.DataFrame | None:
    """Rows of `frame` (indexed by date) that have every variable; None if none do."""
    if frame is None or frame.empty or any(v not in frame.columns for v in variables):
        return None
    rows = frame.loc[:, list(variables)].dropna()
    return rows if not rows.empty else None


@lru_cache(maxsize=64)
def _climatology_table(observed: Observed, variables: tuple[str, ...]) -> pd.DataFrame:
    """Observed weather by date with short gaps filled (as the backtest's climatology mode)."""
    w = observed.weather_rows()
    cols = [c for c in variables if c in w.columns]
    w = w.loc[:, cols].astype(float).ffill(limit=3)
    return w.fillna(w.median())


@lru_cache(maxsize=256)
def _analogue_positions(
    observed: Observed, variables: tuple[str, ...], first_day: pd.Timestamp, n_days: int
) -> np.ndarray:
    """Row positions of the analogue start days for a run of `n_days` from `first_day`."""
    table = _climatology_table(observed, variables)
    before = table.index[table.index < first_day]
    if len(before) < n_days:
        raise WeatherUnavailable(
            f"no observed weather before {first_day.date()} to draw climatology from"
        )
    try:
        starts = analogue_starts(
            first_day, before, n_days, CLIMATOLOGY_YEARS, CLIMATOLOGY_WINDOW_DAYS
        )
    except ValueError as exc:
        raise WeatherUnavailable(f"climatology: {exc}") from exc
    return np.asarray(table.index.get_indexer(pd.DatetimeIndex(starts)))


def climatology(
    observed: Observed,
    variables: tuple[str, ...],
    dates: pd.DatetimeIndex,
    n_paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(n_paths, days, variables) weather drawn from the same days of past years."""
    table = _climatology_table(observed, variables)
    if tuple(table.columns) != variables:
        missing = sorted(set(variables) - set(table.columns))
        raise WeatherUnavailable(f"the observed weather has no {', '.join(missing)}")
    pos = _analogue_positions(observed, variables, pd.Timestamp(dates[0]), len(dates))
    pick = rng.choice(pos, size=n_paths)
    values = table.to_numpy()
    return values[pick[:, None] + np.arange(len(dates))[None, :]]


def build_weather(
    variables: tuple[str, ...],
    dates: pd.DatetimeIndex,
    *,
    n_paths: int,
    rng: np.random.Generator,
    observed: Observed | None,
    live: pd.DataFrame | None,
    requested: Mapping[date, Mapping[str, float]] | None = None,
    error_model: ForecastErrorModel | None = None,
) -> FutureWeather:
    """Weather paths over `dates` for a model needing `variables`, and each day's source.

    `requested` holds the caller's days (complete: checked at the edge); the other days come
    from the live forecast, the observed table or climatology, in that order.
    """
    requested = requested or {}
    live_rows = _complete_rows(live, variables)
    obs_rows = _complete_rows(observed.weather_rows(), variables) if observed else None
    sources: list[str] = []
    fixed: dict[int, np.ndarray] = {}
    forecast_idx: list[int] = []
    for i, ts in enumerate(dates):
        day = ts.date()
        if day in requested:
            sources.append("request")
            fixed[i] = np.array([float(requested[day][v]) for v in variables])
        elif live_rows is not None and ts in live_rows.index:
            sources.append("forecast")
            forecast_idx.append(i)
        elif obs_rows is not None and ts in obs_rows.index:
            sources.append("observed")
            fixed[i] = obs_rows.loc[ts].to_numpy(dtype=float)
        else:
            sources.append("climatology")
    if not variables:
        return FutureWeather(dates, np.zeros((1, len(dates), 0)), (), tuple(sources))
    random_days = len(fixed) < len(dates)
    paths = n_paths if random_days else 1
    values = np.empty((paths, len(dates), len(variables)))
    if "climatology" in sources:
        if observed is None:
            day = dates[sources.index("climatology")].date()
            raise WeatherUnavailable(
                f"no weather for {day}: the forecast provider is unavailable and there is no "
                "observed weather table to draw climatology from; supply the day in a POST "
                "scenario"
            )
        values[:] = climatology(observed, variables, dates, paths, rng)
    if forecast_idx:
        assert live_rows is not None
        truth = live_rows.loc[dates[forecast_idx]].to_numpy(dtype=float)
        model = error_model or ForecastErrorModel()
        values[:, forecast_idx, :] = model.perturb(truth, variables, paths, rng)
    for i, row in fixed.items():
        values[:, i, :] = row
    return FutureWeather(dates, values, variables, tuple(sources))
