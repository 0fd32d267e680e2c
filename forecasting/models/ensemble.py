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
forecast the next `horizon` days through `forecasting.issuing.issue_forecast`, all members
sharing one weather draw built by the served builder (`build_future_weather`, `forecast` mode:
a simulated issued forecast spread by the error model), exactly as a backtest issues them.
The mixture CRPS of weights w is Σ w_i E|X_i − y| − ½ Σ w_i w_j E|X_i − X_j|, quadratic
in w; the weights per lead minimise it (averaged with the all-lead objective, to steady the
per-lead estimate) over a simplex grid. The inner origins end where both the arrivals and the
observed weather end (weather lagging the arrivals is the normal state of a live service: a
simulated issued forecast needs the weather that happened). The served members are then
refitted on the whole history.

P(any) calibration: by default the members come with their own defaults (the hurdle's gate
calibration is off by default since issue 21). With `recalibrate`, the pool's P(any crossing)
at the inner origins (Σ w_i p_i per lead) fits one Platt map (`forecasting.models.recalibration`)
that moves the pooled paths' zeros in predict after the fact (unlike the hurdle, whose
calibration is drawn inside its simulation), and the hurdle member skips its own. It is off
by default: on 12 inner origins (84 pairs, the same origins that chose the weights) it made
the pool worse (benchmarks/CALIBRATION.md).
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np
import pandas as pd

from forecasting import features, schema
from forecasting.contract import DEFAULT_HORIZON
from forecasting.models.base import Model
from forecasting.models.recalibration import PAnyCalibration, fit_calibration
from forecasting.weather.future import build_future_weather
from forecasting.weather.history import WeatherHistory
from forecasting.weather.paths import FutureWeather

log = logging.getLogger(__name__)

DEFAULT_MEMBERS: tuple[str, ...] = ("hurdle", "sarimax", "climatology")
# Member hyperparameters when the pool's P(any) is recalibrated (`recalibrate`): the hurdle
# member then skips its own recalibration (and its cost); `member_params` overrides them.
POOL_RECAL_MEMBER_PARAMS: dict[str, dict[str, Any]] = {"hurdle": {"recalibrate": False}}


class StackedEnsemble(Model):
    """Linear pool of `members` with per-lead weights learned on earlier origins."""

    name = "ensemble"
    uses_weather = True
    weather_inputs = features.CORE_WEATHER
    weather_paths = True
    supports_conditioning = True
    min_history_days = 366 + 7 * 30
    recalibrate: bool = False  # read by models pickled before the option
    recal_: PAnyCalibration | None = None

    def __init__(
        self,
        target: str = schema.PEOPLE,
        members: tuple[str, ...] = DEFAULT_MEMBERS,
        member_params: dict[str, dict[str, Any]] | None = None,
        inner_origins: int = 12,
        horizon: int = DEFAULT_HORIZON,
        inner_samples: int = 200,
        weight_step: float = 0.05,
        seed: int = 0,
        recalibrate: bool = False,
    ) -> None:
        self.target = target
        self.members = tuple(members)
        self.member_params = member_params
        self.inner_origins = inner_origins
        self.horizon = horizon
        self.inner_samples = inner_samples
        self.weight_step = weight_step
        self.seed = seed
        self.recalibrate = recalibrate

    @property
    def weather_variables(self) -> tuple[str, ...]:
        """The union of the members' weather columns, in canonical order."""
        from forecasting.models import create

        needed = {v for m in self.members for v in create(m).weather_variables}
        return tuple(c for c in schema.WEATHER_COLUMNS if c in needed)

    def _member(self, name: str) -> Model:
        from forecasting.models import create

        params = {
            **(POOL_RECAL_MEMBER_PARAMS.get(name, {}) if self.recalibrate else {}),
            **(self.member_params or {}).get(name, {}),
        }
        return create(name, target=self.target, **params)

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        assert weather is not None
        dates = pd.DatetimeIndex(history[schema.DATE])
        last = min(dates[-1], pd.Timestamp(weather[schema.DATE].max()))
        origins = [
            last - pd.Timedelta(days=self.horizon - 1 + 7 * k)
            for k in reversed(range(self.inner_origins))
        ]
        early = [
            self._member(m).fit(history.loc[dates < origins[0]], weather) for m in self.members
        ]
        a, b, p, y = _score_terms(
            early, history, weather, origins, self.horizon, (self.inner_samples, self.seed)
        )
        self.inner_crps_ = a.mean(axis=0)  # (members, leads): each member's own CRPS
        self.weights_ = _lead_weights(a, b, self.weight_step)
        self.recal_ = (
            fit_calibration(_pooled_pairs(p, y, self.weights_, origins))
            if self.recalibrate
            else None
        )
        self.members_ = [self._member(m).fit(history, weather) for m in self.members]
        log.debug("ensemble weights by lead (members %s): %s", self.members, self.weights_)

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
        pooled = np.take_along_axis(draws, pick[None, :, :], axis=0)[0]
        return pooled if self.recal_ is None else self.recal_.apply(pooled, rng)


def _pooled_pairs(
    p: np.ndarray, y: np.ndarray, weights: np.ndarray, origins: list[pd.Timestamp]
) -> pd.DataFrame:
    """(origin, lead, p, y) of the pool's P(any) at the inner origins: Σ_i w_i p_i per lead.
    The weights were chosen on these same origins, so the pool's P(any) here is a little
    better than out of sample; its P(any) map is fitted on them all the same (the members'
    fits are not: they see only the history before the first inner origin)."""
    pooled = np.einsum("oil,li->ol", p, weights)
    o, lead = np.meshgrid(np.arange(len(origins)), np.arange(p.shape[2]), indexing="ij")
    return pd.DataFrame(
        {
            "origin": [origins[i] for i in o.ravel()],
            "lead": lead.ravel() + 1,
            "p": pooled.ravel(),
            "y": y.ravel(),
        }
    )


def _score_terms(
    fitted: list[Model],
    history: pd.DataFrame,
    weather: pd.DataFrame,
    origins: list[pd.Timestamp],
    horizon: int,
    draws: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per origin and lead: A[o, i, l] = E|X_i − y|, B[o, i, j, l] = E|X_i − X_j|, the
    members' P(any) P[o, i, l] and whether a crossing happened Y[o, l]. `draws` is (paths,
    seed); each origin's forecasts are issued as a backtest issues them (module doc)."""
    from forecasting.issuing import IssueSpec, issue_forecast

    n, seed = draws
    dates = pd.DatetimeIndex(history[schema.DATE])
    book = WeatherHistory(weather)
    # every observed column, as the backtest builds its shared draw (the same random streams)
    variables = tuple(c for c in schema.WEATHER_COLUMNS if c in book.rows.columns)
    k = len(fitted)
    a = np.zeros((len(origins), k, horizon))
    b = np.zeros((len(origins), k, k, horizon))
    p = np.zeros((len(origins), k, horizon))
    hit = np.zeros((len(origins), horizon), dtype=bool)
    for o, origin in enumerate(origins):
        spec = IssueSpec(origin, horizon, None, n, seed, "forecast")
        actual = history.loc[dates.isin(spec.asked), fitted[0].target].to_numpy(dtype=float)
        fw = build_future_weather(variables, spec.asked, spec.streams, book, n)
        samples = [
            issue_forecast(m, history, book, spec, weather=fw).forecast.samples.astype(float)
            for m in fitted
        ]
        hit[o] = actual > 0
        for i in range(k):
            p[o, i] = (samples[i] > 0).mean(axis=0)
            a[o, i] = np.abs(samples[i] - actual).mean(axis=0)
            for j in range(i, k):
                diff = np.abs(samples[i][:, None, :] - samples[j][None, :, :])
                b[o, i, j] = b[o, j, i] = diff.mean(axis=(0, 1))
    return a, b, p, hit


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
