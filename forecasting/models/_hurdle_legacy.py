"""The simulation of hurdles fitted before issue 21 (one gate per target, a pooled P(any) map
moving samples after the fact), kept so that champions already in a registry forecast exactly
as they did until they are retrained (tests/forecasting/tracking/test_saved_models.py).

New fits never come here: `Hurdle._predict` sends a model here only when it lacks the shared
crossing-day gate's fitted attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecasting import features
from forecasting.weather.paths import FutureWeather


def is_legacy(model: Any) -> bool:
    """True for a hurdle pickled before the shared crossing-day gate."""
    return getattr(model, "gate_mu_", None) is None and hasattr(model, "beta_")


def legacy_predict(
    model: Any,
    dates: pd.DatetimeIndex,
    weather: FutureWeather,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The pre-issue-21 `Hurdle._predict`, unchanged: (n, days) counts."""
    h = len(dates)
    beta = model._draw(model.beta_, model.beta_cov_, n, rng)
    gamma = model._draw(model.gamma_, model.gamma_cov_, n, rng)
    r = 1.0 / max(model.dispersion_, 1e-6)
    state = features.PathState(model.history_tail_, n)
    cols = {c: np.broadcast_to(weather.column(c), (n, h)) for c in features.CORE_WEATHER}
    wind = cols["wind_mean_ms"]
    prev = np.concatenate([np.full((n, 1), model.last_wind_), wind[:, :-1]], axis=1)
    wx = features.weather_terms(cols, prev)  # (n, h, 10)
    season = features.fourier(features.day_of_year(dates), model.harmonics)  # (h, 2H)
    k = season.shape[1]
    n_static = 1 + k + wx.shape[-1]
    X = np.empty((n, n_static + 4))
    X[:, 0] = 1.0
    mu, sd = model.mu_, model.sd_
    calm = wx[..., 3]
    out = np.zeros((n, h), dtype=np.int64)
    for t in range(h):
        X[:, 1 : 1 + k] = (season[t] - mu[:k]) / sd[:k]
        X[:, 1 + k : n_static] = (wx[:, t] - mu[k : n_static - 1]) / sd[k : n_static - 1]
        st = state.terms()
        X[:, n_static : n_static + 3] = (st - mu[n_static - 1 : n_static + 2]) / sd[
            n_static - 1 : n_static + 2
        ]
        X[:, n_static + 3] = (calm[:, t] * st[:, 0] - mu[-1]) / sd[-1]
        p = 1.0 / (1.0 + np.exp(-np.einsum("ij,ij->i", X, beta)))
        eta = np.einsum("ij,ij->i", X, gamma)
        if model.count_family == "negbin":
            mu_t = np.exp(np.clip(eta, -10, 10))
            size = 1 + rng.negative_binomial(r, r / (r + mu_t))
        else:
            noise = model.dispersion_ * rng.standard_normal(n)
            size = np.maximum(1, np.rint(np.exp(np.clip(eta + noise, -10, 12))))
        y = np.where(rng.random(n) < p, size, 0).astype(np.int64)
        out[:, t] = y
        state.update(y)
    recal = getattr(model, "recal_", None)
    if recal is None:
        return out
    return np.asarray(recal.apply(out, rng.spawn(1)[0]))
