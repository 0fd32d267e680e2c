"""A stacked ensemble: a linear pool of member models' sample paths, weighted per lead day by
the mixture CRPS the members scored on rolling origins inside the fitted history.

Why a linear pool of samples rather than quantile averaging: the pool is a distribution over
whole paths, so weekly totals, P(any crossing) and P(≥ k) stay coherent (quantile averaging
gives per-day marginals with no joint law, and for a series that is mostly zeros it moves the
point mass at zero into a smear of small counts). The pool is also wider than its members
where they disagree, which is what the over-confident hurdle needs under honest weather.

Fitting, with only the history it is given (no look-ahead): the members are fitted once on
the history before the first inner origin; at each of the last `inner_origins` weekly origins
they take their state from the data before that origin (`Model.condition`, no refit) and
forecast the next `horizon` days under a simulated issued weather forecast (the project's
error model), as a backtest in `forecast` mode does. The mixture CRPS of weights w is
Σ w_i E|X_i − y| − ½ Σ w_i w_j E|X_i − X_j|, quadratic in w; the weights per lead minimise it
(averaged with the all-lead objective, to steady the per-lead estimate) over a simplex grid.
The served members are then refitted on the whole history.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np
import pandas as pd

from forecasting import features, schema
from forecasting.models.base import Model
from forecasting.weather.error_model import ForecastErrorModel
from forecasting.weather.paths import FutureWeather

log = logging.getLogger(__name__)

DEFAULT_MEMBERS: tuple[str, ...] = ("hurdle", "sarimax", "climatology")


class StackedEnsemble(Model):
    """Linear pool of `members` with per-lead weights learned on earlier origins."""

    name = "ensemble"
    uses_weather = True
    weather_inputs = features.CORE_WEATHER
    weather_paths = True
    supports_conditioning = True
    min_history_days = 366 + 7 * 30

    def __init__(
        self,
        target: str = schema.PEOPLE,
        members: tuple[str, ...] = DEFAULT_MEMBERS,
        member_params: dict[str, dict[str, Any]] | None = None,
        inner_origins: int = 12,
        horizon: int = 7,
        inner_samples: int = 200,
        weight_step: float = 0.05,
        seed: int = 0,
    ) -> None:
        self.target = target
        self.members = tuple(members)
        self.member_params = member_params
        self.inner_origins = inner_origins
        self.horizon = horizon
        self.inner_samples = inner_samples
        self.weight_step = weight_step
        self.seed = seed

    @property
    def weather_variables(self) -> tuple[str, ...]:
        """The union of the members' weather columns, in canonical order."""
        from forecasting.models import create

        needed = {v for m in self.members for v in create(m).weather_variables}
        return tuple(c for c in schema.WEATHER_COLUMNS if c in needed)

    def _member(self, name: str) -> Model:
        from forecasting.models import create

        return create(name, target=self.target, **(self.member_params or {}).get(name, {}))

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        assert weather is not None
        dates = pd.DatetimeIndex(history[schema.DATE])
        origins = [
            dates[-1] - pd.Timedelta(days=self.horizon - 1 + 7 * k)
            for k in reversed(range(self.inner_origins))
        ]
        early = [
            self._member(m).fit(history.loc[dates < origins[0]], weather) for m in self.members
        ]
        a, b = _score_terms(early, history, weather, origins, self.horizon, self._inner_draws())
        self.inner_crps_ = a.mean(axis=0)  # (members, leads): each member's own CRPS
        self.weights_ = _lead_weights(a, b, self.weight_step)
        self.members_ = [self._member(m).fit(history, weather) for m in self.members]
        log.debug("ensemble weights by lead (members %s): %s", self.members, self.weights_)

    def _inner_draws(self) -> tuple[int, np.random.Generator]:
        return self.inner_samples, np.random.default_rng(self.seed)

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        self.members_ = [m.condition(history, weather) for m in self.members_]

    def _predict(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather | None,
        n_samples: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        h = len(dates)
        draws = np.stack(
            [
                m.predict(h, weather if m.uses_weather else None, n_samples, rng).samples
                for m in self.members_
            ]
        )  # (members, n, h)
        # One uniform per path, shared by every lead: a path keeps its member wherever the
        # weights allow, so weekly totals stay coherent (comonotone member choice).
        u = rng.random(n_samples)
        w = self.weights_[np.minimum(np.arange(h), len(self.weights_) - 1)]  # (h, members)
        cum = np.cumsum(w, axis=1)
        pick = (u[:, None, None] >= cum[None, :, :-1]).sum(axis=2)  # (n, h)
        return np.take_along_axis(draws, pick[None, :, :], axis=0)[0]


def _issued_weather(
    weather: pd.DataFrame, days: pd.DatetimeIndex, n: int, rng: np.random.Generator
) -> FutureWeather:
    """Paths spread around one simulated issued forecast of the observed weather on `days`."""
    cols = features.CORE_WEATHER
    truth = features.fill_weather(weather).reindex(days)[list(cols)].ffill().bfill()
    err = ForecastErrorModel()
    issued = err.issue(truth.to_numpy(dtype=float), cols, rng)
    paths = err.spread(issued, cols, n, rng)
    return FutureWeather(days, paths, cols, ("simulated",) * len(days))


def _score_terms(
    fitted: list[Model],
    history: pd.DataFrame,
    weather: pd.DataFrame,
    origins: list[pd.Timestamp],
    horizon: int,
    draws: tuple[int, np.random.Generator],
) -> tuple[np.ndarray, np.ndarray]:
    """Per origin and lead: A[o, i, l] = E|X_i − y| and B[o, i, j, l] = E|X_i − X_j|."""
    n, rng = draws
    dates = pd.DatetimeIndex(history[schema.DATE])
    k = len(fitted)
    a = np.zeros((len(origins), k, horizon))
    b = np.zeros((len(origins), k, k, horizon))
    for o, origin in enumerate(origins):
        known = history.loc[dates < origin]
        days = pd.date_range(origin, periods=horizon, freq="D")
        actual = history.loc[dates.isin(days), fitted[0].target].to_numpy(dtype=float)
        fw = _issued_weather(weather, days, n, rng)
        samples = []
        for model in fitted:
            state = model.condition(known, weather.loc[weather[schema.DATE] < origin])
            fc = state.predict(horizon, fw if model.uses_weather else None, n, rng)
            samples.append(fc.samples.astype(float))
        for i in range(k):
            a[o, i] = np.abs(samples[i] - actual).mean(axis=0)
            for j in range(i, k):
                diff = np.abs(samples[i][:, None, :] - samples[j][None, :, :])
                b[o, i, j] = b[o, j, i] = diff.mean(axis=(0, 1))
    return a, b


def _simplex(k: int, step: float) -> np.ndarray:
    """Every weight vector on the k-simplex with coordinates on a grid of `step`."""
    m = round(1 / step)
    pts = [c for c in itertools.product(range(m + 1), repeat=k - 1) if sum(c) <= m]
    return np.array([[*c, m - sum(c)] for c in pts], dtype=float) / m


def _lead_weights(a: np.ndarray, b: np.ndarray, step: float) -> np.ndarray:
    """(leads, members) weights minimising the mean mixture CRPS per lead, each lead's
    objective averaged with the all-lead one."""
    grid = _simplex(a.shape[1], step)  # (g, k)
    a_mean, b_mean = a.mean(axis=0), b.mean(axis=0)  # (k, L), (k, k, L)
    lin = grid @ a_mean  # (g, L)
    quad = np.einsum("gi,ijl,gj->gl", grid, b_mean, grid)
    score = lin - 0.5 * quad
    score = 0.5 * score + 0.5 * score.mean(axis=1, keepdims=True)
    return np.asarray(grid[np.argmin(score, axis=0)])
