"""Future weather for backtests and the training job: observed (upper bound), forecast (observed
plus lead-time error) or climatology (the same season of past years)."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.contract import WEATHER_MODES
from forecasting.errors import ConfigError, InputError
from forecasting.weather.climatology import (
    CLIMATOLOGY_WINDOW_DAYS,
    CLIMATOLOGY_YEARS,
    analogue_positions,
    draw_analogues,
)
from forecasting.weather.error_model import ForecastErrorModel
from forecasting.weather.fill import fill_gaps
from forecasting.weather.paths import FutureWeather

MODES: Final = WEATHER_MODES


def _filled(weather: pd.DataFrame) -> pd.DataFrame:
    """Weather by date with short gaps filled; the wind must be there."""
    w = weather.set_index(schema.DATE).sort_index()
    return fill_gaps(w, [c for c in schema.WEATHER_COLUMNS if c in w.columns])


def observed_days(weather: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The observed weather on `dates`, or an InputError naming the first missing day."""
    w = _filled(weather)
    missing = dates.difference(w.index[w["wind_mean_ms"].notna()])
    if len(missing):
        raise InputError(
            f"observed weather mode needs weather for every forecast day; none for "
            f"{missing[0].date()} (the weather ends {w.index[-1].date()})",
            column="wind_mean_ms",
            hint="Use --weather-mode forecast or climatology, move --end earlier, or update the "
            "weather file",
        )
    return w.loc[dates]


def future_weather(
    mode: str,
    weather: pd.DataFrame,
    dates: pd.DatetimeIndex,
    n_paths: int,
    rng: np.random.Generator,
    error_model: ForecastErrorModel | None = None,
    climatology_years: int = CLIMATOLOGY_YEARS,
) -> FutureWeather:
    """Weather paths for `dates` in one of the modes. Climatology uses only days before
    `dates[0]`; observed and forecast use the observed weather on `dates` itself."""
    if mode not in MODES:
        raise ConfigError(f"weather mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "climatology":
        w = _filled(weather.loc[weather[schema.DATE] < dates[0]])
        pos = analogue_positions(
            w.index, dates[0], len(dates), climatology_years, CLIMATOLOGY_WINDOW_DAYS
        )
        block = draw_analogues(w.to_numpy(), pos, len(dates), n_paths, rng)
        return FutureWeather(dates, block, tuple(w.columns), ("climatology",) * len(dates))
    truth = observed_days(weather, dates)
    cols = tuple(truth.columns)
    if mode == "observed":
        return FutureWeather(dates, truth.to_numpy()[None], cols, ("observed",) * len(dates))
    paths = (error_model or ForecastErrorModel()).perturb(truth.to_numpy(), cols, n_paths, rng)
    return FutureWeather(dates, paths, cols, ("forecast",) * len(dates))


def next_days_weather(
    weather: pd.DataFrame, dates: pd.DatetimeIndex, n_paths: int, seed: int
) -> tuple[FutureWeather, pd.DataFrame, str]:
    """Weather for the days after the data: paths for the fan chart, one frame for the
    input example, and which mode they came from. Uses the observed weather perturbed like
    a forecast where it exists (the weather file often runs ahead of the arrivals), else
    the same season of past years."""
    w = weather
    have = set(pd.DatetimeIndex(w.loc[w["wind_mean_ms"].notna(), schema.DATE]))
    rng = np.random.default_rng([seed, 7])
    if all(d in have for d in dates):
        fw = future_weather("forecast", w, dates, n_paths, rng)
        frame = w.set_index(schema.DATE).loc[dates].reset_index()
        return fw, frame, "forecast"
    past = w.loc[w[schema.DATE] < dates[0]]
    fw = future_weather("climatology", past, dates, n_paths, rng)
    return fw, fw.mean_frame(), "climatology"
