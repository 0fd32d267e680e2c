"""Peer models for benchmarks/peers.py: what a data scientist would build for the same job.

Both peers are direct multi-horizon models: one training row per (origin, lead) with the
target day's weather as an issued forecast at that lead had it, the calendar of the target
day, the lead, and the series state as of the origin (blocked-day run, 28-day level, 56-day
crossing-day size, all from days strictly before the origin). Trained as served: the observed
training weather passes through the project's forecast error model once per lead 1..7
(`forecasting.models._train_weather.weather_as_served`), so the weather effects are learnt on
weather as noisy as the issued forecast a backtest origin hands them.

- `LgbTwoPart`: a LightGBM classifier for P(any), and LightGBM quantile regressors for
  log(count) on crossing days; a path is Bernoulli(P(any)) × a size drawn from the predicted
  quantiles (interpolated, tails extrapolated in log space). Untuned: library defaults.
- `Zinb`: a zero-inflated negative binomial GLM (statsmodels ZeroInflatedNegativeBinomialP)
  with weather, calendar and state terms; paths are drawn from the fitted distribution.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from forecasting import features, schema
from forecasting.models._train_weather import weather_as_served
from forecasting.weather.error_model import ForecastErrorModel

LEADS: tuple[int, ...] = tuple(range(1, 8))
WEATHER = features.CORE_WEATHER
QUANTILES = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
COLUMNS = (*WEATHER, "doy", "weekday", "lead", "blocked", "level", "size")


def origin_state(y: np.ndarray) -> np.ndarray:
    """(days, 3): blocked run, 28-day level and 56-day size strictly before each day."""
    y = np.asarray(y, dtype=float)
    return np.stack(
        [features.blocked_run(y), features.recent_level(y), features.recent_size(y)], axis=1
    )


def state_after(y: np.ndarray) -> np.ndarray:
    """(3,): the state as of the day after the last of `y` (an origin's, from its history)."""
    return origin_state(np.append(np.asarray(y, dtype=float), 0.0))[-1]


def design(
    dates: pd.DatetimeIndex, weather: np.ndarray, lead: np.ndarray, state: np.ndarray
) -> np.ndarray:
    """Feature matrix in COLUMNS order: weather (rows × WEATHER), day of year, weekday, lead,
    origin state (rows × 3)."""
    cal = np.stack([features.day_of_year(dates), dates.dayofweek.to_numpy()], axis=1)
    return np.column_stack([weather, cal, lead, state]).astype(float)


def training_set(
    history: pd.DataFrame,
    weather: pd.DataFrame,
    target: str,
    error_model: ForecastErrorModel | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Training rows from data strictly before the fit origin: every day d of the history and
    lead L, with the origin d − L + 1's state and d's weather as served at lead L."""
    dates = pd.DatetimeIndex(history[schema.DATE])
    y = history[target].to_numpy(dtype=float)
    w = features.fill_weather(weather).reindex(dates)
    observed = w.loc[:, list(WEATHER)].to_numpy(dtype=float)
    served = weather_as_served(np.nan_to_num(observed), WEATHER, LEADS, error_model)
    served[:, np.isnan(observed).any(axis=1), :] = np.nan  # no weather, none served
    state = origin_state(y)
    xs, ys = [], []
    for k, lead in enumerate(LEADS):
        rows = np.arange(lead - 1, len(dates))  # the origin d − L + 1 lies in the history
        origin_rows = rows - (lead - 1)
        xs.append(
            design(dates[rows], served[k, rows], np.full(len(rows), lead), state[origin_rows])
        )
        ys.append(y[rows])
    return np.concatenate(xs), np.concatenate(ys)


def forecast_design(
    history: pd.DataFrame, dates: pd.DatetimeIndex, centre: np.ndarray, target: str
) -> np.ndarray:
    """The rows of one origin's forecast: `centre` is the issued weather (days × WEATHER)."""
    state = state_after(history[target].to_numpy(dtype=float))
    leads = np.arange(1, len(dates) + 1)
    return design(dates, centre, leads, np.tile(state, (len(dates), 1)))


def _draw_sizes(q: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Log-sizes at probabilities u (n, days) from quantiles q (days, levels) of log size:
    linear between levels, linear extrapolation of the end segments in the tails."""
    q = np.sort(q, axis=1)
    out = np.empty_like(u)
    p = QUANTILES
    for t in range(q.shape[0]):
        qt = q[t]
        inner = np.interp(u[:, t], p, qt)
        lo_slope = (qt[1] - qt[0]) / (p[1] - p[0])
        hi_slope = (qt[-1] - qt[-2]) / (p[-1] - p[-2])
        inner = np.where(u[:, t] < p[0], qt[0] - lo_slope * (p[0] - u[:, t]), inner)
        out[:, t] = np.where(u[:, t] > p[-1], qt[-1] + hi_slope * (u[:, t] - p[-1]), inner)
    return out


class LgbTwoPart:
    """LightGBM P(any) classifier + quantile regressors of log(count) on crossing days."""

    name = "lightgbm_two_part"

    def __init__(self, n_jobs: int = 1, seed: int = 0) -> None:
        self.params: dict[str, Any] = {"n_jobs": n_jobs, "random_state": seed, "verbose": -1}

    def fit(self, x: np.ndarray, y: np.ndarray) -> LgbTwoPart:
        """Fit the classifier on every row and one quantile model per level on crossing rows."""
        import lightgbm as lgb

        frame = pd.DataFrame(x, columns=list(COLUMNS))
        self.gate_ = lgb.LGBMClassifier(**self.params).fit(frame, (y > 0).astype(int))
        pos = y > 0
        self.sizes_ = [
            lgb.LGBMRegressor(objective="quantile", alpha=float(a), **self.params).fit(
                frame.loc[pos], np.log(y[pos])
            )
            for a in QUANTILES
        ]
        return self

    def sample(self, x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, days) integer paths: Bernoulli crossing × a size drawn from the quantiles."""
        frame = pd.DataFrame(x, columns=list(COLUMNS))
        p_any = np.asarray(self.gate_.predict_proba(frame))[:, 1]
        q = np.column_stack([m.predict(frame) for m in self.sizes_])
        crossing = rng.random((n, len(x))) < p_any[None, :]
        size = np.exp(_draw_sizes(q, rng.random((n, len(x)))))
        return np.where(crossing, np.maximum(1.0, np.round(size)), 0.0)


def _glm_terms(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ZINB count design and inflation design from rows in COLUMNS order."""
    c = {name: x[:, i] for i, name in enumerate(COLUMNS)}
    wx = {k: np.nan_to_num(c[k]) for k in WEATHER}
    wt = features.weather_terms(wx, wx["wind_mean_ms"])[:, [0, 1, 2, 3, 4, 7, 8, 9]]
    season = features.fourier(c["doy"], 2)
    weekend = (c["weekday"] >= 5).astype(float)[:, None]
    state = features.state_terms(c["blocked"], c["level"], c["size"])
    one = np.ones((len(x), 1))
    count = np.column_stack([one, wt, season, weekend, state])
    infl = np.column_stack([one, wt[:, [0, 1, 4]], state[:, :2]])
    return count, infl


class Zinb:
    """Zero-inflated negative binomial (NB2) GLM with weather, season and state terms."""

    name = "zinb_glm"

    def fit(self, x: np.ndarray, y: np.ndarray) -> Zinb:
        """Maximum likelihood (statsmodels), starting from its default start values."""
        from statsmodels.discrete.count_model import ZeroInflatedNegativeBinomialP

        keep = ~np.isnan(x[:, : len(WEATHER)]).any(axis=1)
        count, infl = _glm_terms(x[keep])
        model = ZeroInflatedNegativeBinomialP(y[keep], count, exog_infl=infl, p=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(method="bfgs", maxiter=300, disp=False)
        self.k_infl_ = infl.shape[1]
        self.params_ = np.asarray(res.params, dtype=float)
        return self

    def sample(self, x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, days) integer paths from the fitted zero-inflated NB2."""
        count, infl = _glm_terms(x)
        k = self.k_infl_
        gamma, beta, alpha = self.params_[:k], self.params_[k:-1], self.params_[-1]
        w = 1.0 / (1.0 + np.exp(-(infl @ gamma)))
        mu = np.exp(np.clip(count @ beta, -20, 15))
        a = max(float(alpha), 1e-6)
        draws = rng.negative_binomial(1.0 / a, 1.0 / (1.0 + a * mu)[None, :], size=(n, len(x)))
        zero = rng.random((n, len(x))) < w[None, :]
        return np.where(zero, 0, draws).astype(float)
