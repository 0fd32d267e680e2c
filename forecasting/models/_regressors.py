"""Regressors and the log-scale back-transform shared by the Prophet and SARIMAX wrappers.

Both wrappers model log1p(count) with the same daily weather regressors, built here from the
canonical weather columns so the fitted and forecast designs cannot drift apart. Gap filling,
the calm threshold and the Fourier terms come from `forecasting.features`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from forecasting import features, schema
from forecasting.errors import InputError
from forecasting.weather.paths import FutureWeather

WIND: Final = "wind_mean_ms"
GUST: Final = "gust_max_ms"
PRECIP: Final = "precip_mm"
# The canonical weather columns the regressors are built from.
WEATHER_INPUTS: Final = (WIND, GUST, PRECIP)
# Regressor names, in design-matrix order.
REGRESSORS: Final = ("wind", "gust", "calm", "log_precip", "wind_lag1")


def weather_regressors(weather: pd.DataFrame | FutureWeather, prev_wind: float) -> pd.DataFrame:
    """The weather regressors for consecutive days, one row per day (index 0..n-1).

    `weather` is a canonical weather frame without gaps or NaNs in `WEATHER_INPUTS`, or a
    single-path `FutureWeather` (its path 0 is used). `prev_wind` is the daily mean wind
    on the day before the first row; it becomes that row's lagged wind.

    Columns: ``wind`` and ``gust`` (m/s), ``calm`` (1 if wind ≤ `features.CALM_MS`,
    else 0), ``log_precip`` (log1p of mm) and ``wind_lag1`` (yesterday's mean wind, m/s).
    """
    frame = weather.path_frame(0) if isinstance(weather, FutureWeather) else weather
    return pd.DataFrame(
        _regressor_arrays(
            frame[WIND].to_numpy(dtype=float),
            frame[GUST].to_numpy(dtype=float),
            frame[PRECIP].to_numpy(dtype=float),
            prev_wind,
        )
    )


def path_regressors(weather: FutureWeather, prev_wind: float) -> dict[str, np.ndarray]:
    """The weather regressors of every path of `weather`, each of shape (paths, days): row k
    is `weather_regressors` of path k (the same arithmetic), keyed as `REGRESSORS`."""
    return _regressor_arrays(
        weather.column(WIND), weather.column(GUST), weather.column(PRECIP), prev_wind
    )


def _regressor_arrays(
    wind: np.ndarray, gust: np.ndarray, precip: np.ndarray, prev_wind: float
) -> dict[str, np.ndarray]:
    """The regressors of (..., days) arrays of consecutive days (see `weather_regressors`)."""
    wind = np.asarray(wind, dtype=float)
    first = np.full((*wind.shape[:-1], 1), float(prev_wind))
    return {
        "wind": wind,
        "gust": np.asarray(gust, dtype=float),
        "calm": (wind <= features.CALM_MS).astype(float),
        "log_precip": np.log1p(np.clip(np.asarray(precip, dtype=float), 0.0, None)),
        "wind_lag1": np.concatenate([first, wind[..., :-1]], axis=-1),
    }


def historical_regressors(
    dates: pd.Series | pd.DatetimeIndex, weather: pd.DataFrame
) -> tuple[pd.DataFrame, float]:
    """Weather regressors for the historical `dates` (consecutive days), for fitting.

    Weather is reindexed to every day from the day before ``dates[0]`` (when the frame
    starts earlier) to ``dates[-1]``; missing days and NaNs are filled by
    `features.fill_weather` (forward, then the column median). Returns the regressors (one
    row per date, index 0..n-1) and the wind on the last date, which is the lagged wind for
    the first forecast day.
    """
    days = pd.DatetimeIndex(dates)
    missing = [c for c in WEATHER_INPUTS if c not in weather.columns]
    if missing:
        raise InputError(
            f"historical weather lacks '{missing[0]}', which the model needs",
            column=missing[0],
            hint="Fit on a canonical weather table with wind, gust and precipitation",
        )
    wx = weather.loc[:, [schema.DATE, *WEATHER_INPUTS]].copy()
    wx[schema.DATE] = pd.to_datetime(wx[schema.DATE]).astype("datetime64[ns]")
    wx = wx.drop_duplicates(schema.DATE, keep="last").set_index(schema.DATE).sort_index()
    has_prev = len(wx) > 0 and wx.index.min() < days[0]
    start = days[0] - pd.Timedelta(days=1) if has_prev else days[0]
    span = pd.date_range(start, days[-1], freq="D").astype("datetime64[ns]")
    full = features.fill_weather(
        wx.reindex(span).rename_axis(schema.DATE).reset_index(), WEATHER_INPUTS
    )
    for col in WEATHER_INPUTS:
        if full[col].isna().any():
            raise InputError(
                f"historical weather has no '{col}' values over the fitted days "
                f"{days[0].date()}..{days[-1].date()}",
                column=col,
                hint="Supply weather covering the history the model is fitted on",
            )
    body = full.loc[full.index >= days[0]].reset_index(names=schema.DATE)
    # Without weather for the day before, the first day's lag is its own wind.
    prev_wind = float(full[WIND].iloc[0])
    return weather_regressors(body, prev_wind), float(body[WIND].iloc[-1])


def annual_fourier(dates: pd.Series | pd.DatetimeIndex, harmonics: int) -> np.ndarray:
    """Annual Fourier terms of the dates' day of year, shape (days, 2 * harmonics)."""
    doy = pd.DatetimeIndex(dates).day_of_year.to_numpy(dtype=float)
    return features.fourier(doy, harmonics)


def count_cap(target: pd.Series | np.ndarray) -> float:
    """Upper bound for sampled counts: three times the largest count in the fitted window.

    A Gaussian on log1p(count) has a very long right tail once exponentiated; the cap keeps
    samples physically plausible (and finite) without touching the bulk of the distribution.
    """
    return 3.0 * max(float(np.max(np.asarray(target, dtype=float))), 1.0)


def counts_from_log(log_samples: np.ndarray, cap: float) -> np.ndarray:
    """Back-transform log1p-scale samples to non-negative integer counts: expm1, clip
    to [0, cap], round."""
    arr = np.asarray(log_samples, dtype=float)
    if not np.isfinite(arr).all():
        raise RuntimeError("the model produced non-finite samples on the log scale")
    vals = np.expm1(np.clip(arr, None, float(np.log1p(cap))))
    return schema.as_int_counts(np.clip(vals, 0.0, cap))
