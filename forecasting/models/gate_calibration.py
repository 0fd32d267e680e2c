"""Calibration of the shared crossing-day gate, fitted out of sample and drawn from inside the
simulation.

Why: under the weather a planner gets (an issued forecast) the raw gate's P(crossing) runs
off (benchmarks/CALIBRATION.md). The hurdle fixes that with only the history it is given:

1. Inner origins over the end of the fitted history, every `INNER_STEP` (8) days, so they
   fall on every weekday and span about two years. The base model (the same hurdle without
   calibration) is refitted `refits` times, each on the history before its block of origins,
   takes its state from the data before each origin (`Model.condition`) and forecasts
   `horizon` days under weather built by the one builder a served forecast uses
   (`build_future_weather`, forecast mode: a simulated issued forecast). Every pair is out of
   sample and before the served origin.
2. Each (origin, day) pair keeps every path's raw gate probability, and the map
   logit p* = a + b·logit p + c·(lead − 1) + weekday + season
   is fitted so that the *mean over paths* of p* matches the outcomes (maximum likelihood,
   a small fixed ridge on all but a and b). That is the quantity the simulation then produces,
   because `Hurdle` draws each path's crossing from its own p*, day by day: the path state
   (blocked run, recent level) follows calibrated outcomes, and no sample is moved after
   the fact, so long runs (the season outlook) never lose paths to a ranking.
3. Days whose weather is known (observed, hindsight, climatology draws, a scenario taken
   exactly: lead 0) are not mapped: the map corrects forecasts under forecast weather only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.contract import DEFAULT_HORIZON
from forecasting.models.base import Model
from forecasting.weather.future import WeatherStreams, build_future_weather
from forecasting.weather.history import WeatherHistory

log = logging.getLogger(__name__)

INNER_STEP: Final = 8  # days between inner origins: every weekday in turn
# The seed of the inner forecasts (a refit is reproducible) and their horizon.
INNER_SEED: Final = 20_260_509
INNER_HORIZON: Final = DEFAULT_HORIZON
P_FLOOR: Final = 0.005  # probabilities are clipped to [P_FLOOR, 1 − P_FLOOR] before logit
RIDGE: Final = 5.0  # L2 penalty on the lead, weekday and season coefficients
N_TERMS: Final = 1 + 6 + 2  # lead, Tuesday..Sunday, season (sin, cos)


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 − p)) with p clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=float), P_FLOOR, 1.0 - P_FLOOR)
    return np.asarray(np.log(p / (1.0 - p)))


def _terms(lead: np.ndarray, days: pd.DatetimeIndex, max_lead: int) -> np.ndarray:
    """Pair-level columns: (lead − 1) capped, weekday indicators, annual season: (m, N_TERMS)."""
    lead = np.minimum(np.asarray(lead, dtype=float), max_lead) - 1.0
    wd = np.asarray(days.dayofweek)
    t = 2 * np.pi * np.asarray(days.dayofyear, dtype=float) / 365.25
    return np.column_stack(
        [lead, (wd[:, None] == np.arange(1, 7)[None, :]).astype(float), np.sin(t), np.cos(t)]
    )


@dataclass(frozen=True)
class GateCalibration:
    """A fitted map of the gate's per-path P(crossing), and where it came from."""

    intercept: float
    slope: float
    terms: tuple[float, ...]  # lead, Tuesday..Sunday, season sin, cos
    max_lead: int
    n_pairs: int
    origins: tuple[pd.Timestamp, ...]  # the inner origins its pairs were forecast from

    def prob(self, p: np.ndarray, lead: int, day: pd.Timestamp) -> np.ndarray:
        """The calibrated P(crossing) of per-path probabilities `p` on `day`, `lead` days
        ahead (≥ 1; leads past the fitted ones use the last fitted lead)."""
        shift = float(
            _terms(np.array([lead]), pd.DatetimeIndex([day]), self.max_lead)[0] @ self.terms
        )
        z = self.intercept + self.slope * logit(p) + shift
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


@dataclass(frozen=True)
class InnerPairs:
    """Per (origin, day): every path's raw gate probability, the lead, the day, the outcome."""

    p: np.ndarray  # (pairs, paths)
    lead: np.ndarray  # (pairs,)
    days: pd.DatetimeIndex
    y: np.ndarray  # (pairs,) bool
    origins: tuple[pd.Timestamp, ...]


def inner_origins(
    last_day: pd.Timestamp, n_origins: int, horizon: int, step: int = INNER_STEP
) -> list[pd.Timestamp]:
    """The last `n_origins` origins, `step` days apart, whose `horizon` days end by
    `last_day`."""
    last = pd.Timestamp(last_day) - pd.Timedelta(days=horizon - 1)
    return [last - pd.Timedelta(days=step * k) for k in reversed(range(n_origins))]


def inner_pairs(
    make_base: Callable[[], Model],
    history: pd.DataFrame,
    weather: pd.DataFrame,
    origins: list[pd.Timestamp],
    refits: int,
    horizon: int,
    draws: tuple[int, int],
    crossing: np.ndarray,
) -> InnerPairs:
    """The base model's per-path gate probabilities at every inner origin and day (see the
    module doc); `draws` is (paths, seed), `crossing` the history's crossing-day indicator."""
    n, seed = draws
    dates = pd.DatetimeIndex(history[schema.DATE])
    wdates = pd.DatetimeIndex(weather[schema.DATE])
    actual = pd.Series(crossing, index=dates)
    book = WeatherHistory(weather)
    ps, leads, days_out, ys, used = [], [], [], [], []
    for block in np.array_split(np.arange(len(origins)), max(1, min(refits, len(origins)))):
        first = origins[block[0]]
        model = make_base().fit(history.loc[dates < first], weather.loc[wdates < first])
        for origin in (origins[i] for i in block):
            days = pd.date_range(origin, periods=horizon, freq="D")
            state = model.condition(history.loc[dates < origin], weather.loc[wdates < origin])
            streams = WeatherStreams(seed, origin, "forecast")
            fw = build_future_weather(tuple(state.weather_variables), days, streams, book, n)
            p = state.gate_paths(horizon, fw, n, streams.predict(state.name))  # type: ignore[attr-defined]
            y = actual.reindex(days)
            for k in range(horizon):
                if pd.notna(y.iloc[k]):  # a day missing from the history scores nothing
                    ps.append(p[:, k])
                    leads.append(k + 1)
                    days_out.append(days[k])
                    ys.append(bool(y.iloc[k]))
            used.append(origin)
    return InnerPairs(
        np.array(ps), np.array(leads), pd.DatetimeIndex(days_out), np.array(ys), tuple(used)
    )


def calibrate_gate(
    make_base: Callable[[], Model],
    history: pd.DataFrame,
    weather: pd.DataFrame,
    size: tuple[int, int, int],
    crossing: np.ndarray,
) -> GateCalibration | None:
    """The gate's calibration fitted on inner origins over the end of `history` (the module
    doc), or None (with a warning) when the history is too short. `size` is (origins,
    refits, paths); `crossing` the history's crossing-day indicator."""
    n_origins, refits, paths = size
    # the inner forecasts need observed weather to simulate their issued forecast from: with
    # weather lagging the arrivals, they end where the weather ends
    last = min(
        pd.Timestamp(history[schema.DATE].iloc[-1]), pd.Timestamp(weather[schema.DATE].iloc[-1])
    )
    origins = inner_origins(last, n_origins, INNER_HORIZON)
    before = int((history[schema.DATE] < origins[0]).sum()) if origins else 0
    if n_origins < 1 or before < 365:
        log.warning(
            "hurdle: gate calibration skipped: %d inner origins leave %d days of history "
            "before the first (need 365); lower recal_origins or give more history",
            n_origins,
            before,
        )
        return None
    pairs = inner_pairs(
        make_base, history, weather, origins, refits, INNER_HORIZON, (paths, INNER_SEED), crossing
    )
    return fit_gate_calibration(pairs)


def fit_gate_calibration(pairs: InnerPairs) -> GateCalibration | None:
    """The map fitted on `pairs` (module doc, step 2), or None (with a warning) when they
    cannot support one: a single outcome, a failed fit, or a map that is not increasing."""
    from scipy.optimize import minimize

    y = pairs.y.astype(float)
    if len(y) == 0 or y.min() == y.max():
        log.warning("gate calibration skipped: the inner outcomes are all one kind")
        return None
    max_lead = int(pairs.lead.max())
    lp = logit(pairs.p)  # (m, n)
    terms = _terms(pairs.lead, pairs.days, max_lead)  # (m, k)
    penalty = RIDGE

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b, c = theta[0], theta[1], theta[2:]
        s = 1.0 / (1.0 + np.exp(-(a + b * lp + (terms @ c)[:, None])))
        q = np.clip(s.mean(axis=1), 1e-9, 1 - 1e-9)
        ds = s * (1.0 - s)
        dq = np.column_stack([ds.mean(axis=1), (ds * lp).mean(axis=1)])
        dq = np.column_stack([dq, ds.mean(axis=1)[:, None] * terms])
        w = -(y / q - (1.0 - y) / (1.0 - q))
        value = -np.sum(y * np.log(q) + (1.0 - y) * np.log(1.0 - q)) + 0.5 * penalty * c @ c
        grad = w @ dq + np.r_[0.0, 0.0, penalty * c]
        return float(value), grad

    start = np.r_[0.0, 1.0, np.zeros(terms.shape[1])]
    fit = minimize(nll, start, jac=True, method="L-BFGS-B")
    theta = np.asarray(fit.x)
    if not np.all(np.isfinite(theta)) or theta[1] <= 0:
        log.warning("gate calibration skipped: fitted map %s is not increasing", theta)
        return None
    return GateCalibration(
        intercept=float(theta[0]),
        slope=float(theta[1]),
        terms=tuple(float(x) for x in theta[2:]),
        max_lead=max_lead,
        n_pairs=len(y),
        origins=pairs.origins,
    )


__all__ = [
    "INNER_STEP",
    "GateCalibration",
    "InnerPairs",
    "calibrate_gate",
    "fit_gate_calibration",
    "inner_origins",
    "inner_pairs",
    "logit",
]
