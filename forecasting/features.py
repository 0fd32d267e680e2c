"""Features: pure functions of the canonical tables (calendar, weather transforms, series state).

State features (blocked-day runs, recent level) are defined by an update rule so the same
definition is computed over history at fit time and along each simulated path at predict time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.weather.fill import fill_gaps

# Weather columns the weather-aware features use, in SI units.
CORE_WEATHER: Final = (
    "wind_mean_ms",
    "gust_max_ms",
    "wind_max_hourly_ms",
    "wind_dir_deg",
    "precip_mm",
)
LEVEL_WINDOW: Final = 28
SIZE_WINDOW: Final = 56
BLOCKED_CAP: Final = 21
CALM_MS: Final = 2.5


def fill_weather(weather: pd.DataFrame, columns: tuple[str, ...] = CORE_WEATHER) -> pd.DataFrame:
    """Weather indexed by date with short gaps filled (`forecasting.weather.fill_gaps`)."""
    return fill_gaps(weather.set_index(schema.DATE), columns)


def day_of_year(dates: pd.DatetimeIndex) -> np.ndarray:
    """1..366 for each date, as `DatetimeIndex.dayofyear` (computed in numpy: cheaper)."""
    days = np.asarray(dates.values, dtype="datetime64[D]")
    return (days - days.astype("datetime64[Y]")).astype(np.int64) + 1


def fourier(day_of_year: np.ndarray, harmonics: int = 2) -> np.ndarray:
    """Annual Fourier terms: shape (..., 2 * harmonics)."""
    t = 2 * np.pi * np.asarray(day_of_year, dtype=float) / 365.25
    return np.stack([f(k * t) for k in range(1, harmonics + 1) for f in (np.sin, np.cos)], axis=-1)


def weather_terms(w: Mapping[str, np.ndarray], prev_wind: np.ndarray) -> np.ndarray:
    """Weather transforms: wind hinges around the calm threshold, gusts, the previous day's
    wind, direction (sin, cos), rain. Inputs broadcast; output (..., 10)."""
    wind = np.asarray(w["wind_mean_ms"], dtype=float)
    gust = np.asarray(w["gust_max_ms"], dtype=float)
    hourly = np.asarray(w["wind_max_hourly_ms"], dtype=float)
    rad = np.deg2rad(np.asarray(w["wind_dir_deg"], dtype=float))
    rain = np.log1p(np.clip(np.asarray(w["precip_mm"], dtype=float), 0, None))
    prev = np.asarray(prev_wind, dtype=float)
    wind, gust, hourly, rad, rain, prev = np.broadcast_arrays(wind, gust, hourly, rad, rain, prev)
    return np.stack(
        [
            wind,
            np.maximum(wind - 2.0, 0.0),
            np.maximum(wind - 4.0, 0.0),
            (wind <= CALM_MS).astype(float),
            np.maximum(gust - 8.0, 0.0),
            hourly,
            np.minimum(prev, 8.0),
            np.sin(rad) * np.minimum(wind, 6.0),
            np.cos(rad) * np.minimum(wind, 6.0),
            rain,
        ],
        axis=-1,
    )


def state_terms(blocked: np.ndarray, level: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Series-state terms: log run of blocked days (capped), log recent level and log recent
    size of a crossing day."""
    b = np.log1p(np.minimum(np.asarray(blocked, dtype=float), BLOCKED_CAP))
    lvl = np.log1p(np.asarray(level, dtype=float))
    sz = np.log1p(np.asarray(size, dtype=float))
    b, lvl, sz = np.broadcast_arrays(b, lvl, sz)
    return np.stack([b, lvl, sz], axis=-1)


def blocked_run(y: np.ndarray) -> np.ndarray:
    """For each day, how many consecutive days before it had no arrivals (0 after a crossing)."""
    y = np.asarray(y)
    out = np.zeros(len(y), dtype=float)
    run = 0.0
    for t in range(len(y)):
        out[t] = run
        run = 0.0 if y[t] > 0 else run + 1.0
    return out


def recent_level(y: np.ndarray, window: int = LEVEL_WINDOW) -> np.ndarray:
    """Mean of the `window` days strictly before each day (shorter at the start)."""
    s = pd.Series(np.asarray(y, dtype=float))
    return s.shift(1).rolling(window, min_periods=1).mean().fillna(0.0).to_numpy()


def recent_size(y: np.ndarray, window: int = SIZE_WINDOW) -> np.ndarray:
    """Mean count on crossing days among the `window` days strictly before each day."""
    s = pd.Series(np.asarray(y, dtype=float)).shift(1)
    total = s.rolling(window, min_periods=1).sum()
    days = (s > 0).astype(float).rolling(window, min_periods=1).sum()
    return (total / days.clip(lower=1)).fillna(0.0).to_numpy()


class PathState:
    """Blocked-run and level state carried along each simulated path, one step at a time.

    The windows are kept as running sums over a ring of the last SIZE_WINDOW outcomes, so a
    step costs O(paths), not O(paths × window). Outcomes are whole counts, whose float sums
    are exact, so the terms equal the batch definitions (`recent_level`, `recent_size`)
    to the last bit (tests/forecasting/test_features.py)."""

    def __init__(self, history: np.ndarray, n_paths: int) -> None:
        hist = np.asarray(history, dtype=float)
        if len(hist) < SIZE_WINDOW:
            hist = np.concatenate([np.zeros(SIZE_WINDOW - len(hist)), hist])
        window = hist[-SIZE_WINDOW:]
        self.blocked = np.full(n_paths, blocked_run(np.append(hist, 1.0))[-1])
        self._ring = np.tile(window, (n_paths, 1))  # column `_oldest` is the oldest day
        self._oldest = 0
        self._size_sum = np.full(n_paths, window.sum())
        self._size_days = np.full(n_paths, int((window > 0).sum()))
        self._level_sum = np.full(n_paths, window[-LEVEL_WINDOW:].sum())

    def terms(self) -> np.ndarray:
        """State terms for the next day, per path (same definitions as at fit time)."""
        level = self._level_sum / LEVEL_WINDOW
        days = np.maximum(self._size_days, 1)
        return state_terms(self.blocked, level, self._size_sum / days)

    def update(self, y: np.ndarray) -> None:
        """Advance every path by one day with outcomes `y`."""
        new = np.asarray(y, dtype=float)
        gone = self._ring[:, self._oldest]  # leaves the size window
        gone_level = self._ring[:, (self._oldest + SIZE_WINDOW - LEVEL_WINDOW) % SIZE_WINDOW]
        self.blocked = np.where(y > 0, 0.0, self.blocked + 1.0)
        self._size_sum = self._size_sum - gone + new
        self._size_days = self._size_days - (gone > 0) + (new > 0)
        self._level_sum = self._level_sum - gone_level + new
        self._ring[:, self._oldest] = new
        self._oldest = (self._oldest + 1) % SIZE_WINDOW
