"""Prophet forecasters: the plain peer baseline and a log-scale, weather-aware variant.

Prophet is imported lazily (inside methods) so importing this module stays cheap.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.models._regressors import (
    REGRESSORS,
    WEATHER_INPUTS,
    count_cap,
    counts_from_log,
    historical_regressors,
    path_regressors,
)
from forecasting.models.base import Model
from forecasting.weather.paths import FutureWeather

# (prediction frame, feature matrix, its column names, component indicator columns)
_Features = tuple[pd.DataFrame, np.ndarray, pd.Index, pd.DataFrame]


def _prophet_class() -> Any:
    """Import Prophet and quieten its and cmdstanpy's logging (fit progress, plotly notice)."""
    # prophet.plot logs an ERROR at import when plotly is absent; plotting is not used here.
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)
    from cmdstanpy.utils import get_logger
    from prophet import Prophet

    # prophet sets its logger to INFO on import, and cmdstanpy sets its own to DEBUG (with
    # a handler) the first time it is used; trigger both, then set the levels.
    get_logger()
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return Prophet


def _predictive_samples(
    model: Any, future: pd.DataFrame, n_samples: int, rng: np.random.Generator
) -> np.ndarray:
    """`n_samples` posterior predictive paths of yhat, shape (n_samples, days).

    Prophet draws `uncertainty_samples` paths per call from numpy's global RNG, so the
    global RNG is seeded from `rng` (same seed, same numbers) and restored afterwards.
    If more paths are asked for than one call gives, further calls are made; the paths are
    then subsampled without replacement to exactly `n_samples`.
    """
    state = np.random.get_state()
    np.random.seed(int(rng.integers(2**31)))
    try:
        batches = []
        have = 0
        while have < n_samples:
            yhat = np.asarray(model.predictive_samples(future)["yhat"], dtype=float).T
            batches.append(yhat)
            have += yhat.shape[0]
    finally:
        np.random.set_state(state)
    paths = np.concatenate(batches, axis=0)
    if paths.shape[0] == n_samples:
        return paths
    return paths[np.sort(rng.choice(paths.shape[0], size=n_samples, replace=False))]


# Per fitted Prophet (dropped with it): its prediction features by forecast dates.
_FEATURES: weakref.WeakKeyDictionary[Any, OrderedDict[bytes, _Features]] = (
    weakref.WeakKeyDictionary()
)
_FEATURES_LOCK = threading.Lock()
_FEATURES_PER_MODEL = 8


def _date_features(model: Any, dates: pd.DatetimeIndex) -> _Features:
    """Prophet's prediction frame (`setup_dataframe`) and feature matrix
    (`make_all_seasonality_features`) for `dates`, with the regressor columns left to the
    caller, and the component indicator columns. They depend on the dates only, so they
    are kept per fitted model for its last few date ranges (every forecast of a backtest
    origin, every question the API asks on a day, reads the same ones)."""
    key = np.asarray(dates.asi8).tobytes()
    with _FEATURES_LOCK:
        cached = _FEATURES.get(model)
        hit = cached.get(key) if cached is not None else None
        if cached is not None and hit is not None:
            cached.move_to_end(key)
    if hit is not None:
        return hit
    frame = pd.DataFrame({"ds": dates, **{name: 0.0 for name in model.extra_regressors}})
    df = model.setup_dataframe(frame)
    feats, _, cols, _ = model.make_all_seasonality_features(df)
    base = feats.to_numpy(dtype=float)
    base.flags.writeable = False
    found = (df, base, feats.columns, cols)
    with _FEATURES_LOCK:
        entries = _FEATURES.setdefault(model, OrderedDict())
        entries[key] = found
        while len(entries) > _FEATURES_PER_MODEL:
            entries.popitem(last=False)
    return found


def _path_samples(
    model: Any,
    dates: pd.DatetimeIndex,
    regressors: dict[str, np.ndarray],
    n_samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """`n_samples` posterior predictive paths of yhat, shape (n_samples, days), sample i
    under regressor path ``i % paths`` (`regressors`: name -> (paths, days) values).

    Prophet's own vectorised sampler (`Prophet.sample_model_vectorized`) with one set of
    regressor columns per sample: the seasonal and regressor terms are the deterministic
    part, the trend changes and the observation noise are drawn for all samples at once,
    in Prophet's order, from numpy's global RNG seeded from `rng` (and restored afterwards).
    Each sample is a draw of Prophet's predictive distribution under its own path's
    regressors: exactly what `predictive_samples` gives for a frame holding that path
    (tests/forecasting/models/test_prophet_sarimax.py).
    """
    if set(regressors) != set(model.extra_regressors):
        raise ValueError(
            f"regressors {sorted(regressors)} do not match the model's "
            f"{sorted(model.extra_regressors)}"
        )
    df, base, columns, cols = _date_features(model, dates)
    paths = next(iter(regressors.values())).shape[0]
    X = np.repeat(base[None], paths, axis=0)  # (paths, days, features)
    for name, values in regressors.items():
        props = model.extra_regressors[name]
        X[:, :, columns.get_loc(name)] = (values - props["mu"]) / props["std"]
    iterations = int(model.params["k"].shape[0])
    which = np.arange(n_samples) % paths
    out = np.empty((n_samples, len(dates)))
    state = np.random.get_state()
    np.random.seed(int(rng.integers(2**31)))
    try:
        # Prophet spreads its samples evenly over the parameter draws (one without MCMC)
        for i, part in enumerate(np.array_split(np.arange(n_samples), iterations)):
            if len(part) == 0:
                continue
            beta = model.params["beta"][i]
            xb_a = np.matmul(X, beta * cols["additive_terms"].to_numpy()) * model.y_scale
            xb_m = np.matmul(X, beta * cols["multiplicative_terms"].to_numpy())
            trends = model.sample_predictive_trend_vectorized(df, len(part), i)
            sigma = model.params["sigma_obs"][i]
            noise = np.random.normal(0, sigma, trends.shape) * model.y_scale
            k = which[part]
            out[part] = trends * (1 + xb_m[k]) + xb_a[k] + noise
    finally:
        np.random.set_state(state)
    return out


class PlainProphet(Model):
    """Plain `Prophet()` on the daily target: the untouched peer baseline.

    Default Prophet settings (linear trend, automatic seasonalities, Gaussian noise) except
    `uncertainty_samples`. Samples are Prophet's own predictive samples: floats, possibly
    negative, never rounded or clipped.
    """

    name = "prophet"
    uses_weather = False
    nonnegative_integer = False
    supports_conditioning = True  # no series state: the trend and seasons follow the dates

    def __init__(self, target: str = schema.PEOPLE, uncertainty_samples: int = 1000) -> None:
        self.target = target
        self.uncertainty_samples = uncertainty_samples

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        prophet = _prophet_class()
        df = pd.DataFrame(
            {"ds": history[schema.DATE], "y": history[self.target].to_numpy(dtype=float)}
        )
        model = prophet(uncertainty_samples=self.uncertainty_samples)
        model.fit(df)
        self.model_ = model

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        return None

    def _predict(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather | None,
        n_samples: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        future = pd.DataFrame({"ds": dates})
        return _predictive_samples(self.model_, future, n_samples, rng)


class WeatherProphet(Model):
    """Prophet on log1p(target) over the recent history, with daily weather regressors.

    Regressors (see `forecasting.models._regressors`): mean wind, max gust, a calm-day
    indicator (mean wind ≤ 2.5 m/s), log1p(precipitation) and yesterday's mean wind.
    Predictive samples are back-transformed with expm1, clipped to [0, 3 × the largest
    fitted count] and rounded.

    Each sample path has its own weather path, and one draw of Prophet's predictive
    distribution under that path's regressors (`_path_samples`); `uncertainty_samples` is
    Prophet's own setting and no longer bounds how many samples a forecast draws.
    """

    name = "prophet_weather"
    uses_weather = True
    weather_inputs = WEATHER_INPUTS
    weather_paths = True
    nonnegative_integer = True
    supports_conditioning = True  # its only state is yesterday's wind

    def __init__(
        self,
        target: str = schema.PEOPLE,
        changepoint_prior_scale: float = 0.05,
        seasonality_mode: str = "additive",
        yearly_seasonality: int = 10,
        history_days: int = 1100,
        uncertainty_samples: int = 200,
    ) -> None:
        self.target = target
        self.changepoint_prior_scale = changepoint_prior_scale
        self.seasonality_mode = seasonality_mode
        self.yearly_seasonality = yearly_seasonality
        self.history_days = history_days
        self.uncertainty_samples = uncertainty_samples

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        assert weather is not None  # checked by Model.fit
        prophet = _prophet_class()
        hist = history.iloc[-self.history_days :].reset_index(drop=True)
        regs, self.last_wind_ = historical_regressors(hist[schema.DATE], weather)
        target = hist[self.target].to_numpy(dtype=float)
        df = regs.copy()
        df.insert(0, "ds", hist[schema.DATE].to_numpy())
        df["y"] = np.log1p(target)
        model = prophet(
            changepoint_prior_scale=self.changepoint_prior_scale,
            seasonality_mode=self.seasonality_mode,
            yearly_seasonality=self.yearly_seasonality,
            weekly_seasonality="auto",
            daily_seasonality=False,
            uncertainty_samples=self.uncertainty_samples,
        )
        for reg in REGRESSORS:
            model.add_regressor(reg)
        model.fit(df)
        self.model_ = model
        self.cap_ = count_cap(target)

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        assert weather is not None
        last = pd.Timestamp(history[schema.DATE].iloc[-1])
        tail = history.loc[history[schema.DATE] > last - pd.Timedelta(days=7), schema.DATE]
        _, self.last_wind_ = historical_regressors(tail, weather)

    def _predict(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather | None,
        n_samples: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        assert weather is not None  # checked by Model.predict
        regs = path_regressors(weather, self.last_wind_)
        log_samples = _path_samples(self.model_, dates, regs, n_samples, rng)
        return counts_from_log(log_samples, self.cap_)
