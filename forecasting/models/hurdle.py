"""Weather-gated hurdle model: one crossing-day gate shared by people and boats, times a
negative-binomial count of the target on crossing days.

Part one, the gate, is a logistic regression of "any boat arrived" (the shared crossing-day
indicator, `hurdle_design.crossing_days`) on season, weekday, the weather (as it was and
blurred by the forecast's lead), the run of blocked days and the recent rate of crossing days.
Nothing in it reads a target's counts, so the people and the boats models fit the same gate.
Part two models (count − 1) on the target's crossing days as negative binomial on the same
terms plus the target's recent level and size.

Forecasts simulate day by day, so the state follows each sample path and is never read from
the future. Every random number is keyed by (stream, day, path) from streams that do not
depend on the target: people and boats draw the same crossing days on every path (their
P(any) is identical), their counts share one uniform per path and day (a busy day is busy in
both), and changing one day's weather leaves every earlier day bit-identical. Counts are drawn
by inverse CDF, so a day consumes the same randomness whatever its count.

Lead: the gate and counts are fitted on copies of the training days at leads `train_leads`
(0: the observed weather; L ≥ 1: the weather seen through the forecast error at lead L,
"train as served"). Served, a day spread around an issued forecast reads that forecast (the
centre, not each path's spread: the fit already knows the forecast's error at that lead);
a day whose weather is known (observed, climatology draws, an exact scenario) reads each
path's weather at lead 0.

With `recalibrate`, `fit` also fits the gate's calibration on inner origins
(`forecasting.models.gate_calibration`) and the simulation draws each path's crossing from
the calibrated probability on forecast days. It is off by default: on the 2025-26 backtest
the calibrated gate scored worse than the raw one (benchmarks/CALIBRATION.md).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from forecasting import features, schema
from forecasting.contract import DEFAULT_HORIZON
from forecasting.draws import drawn
from forecasting.errors import ConfigError, InputError
from forecasting.models import hurdle_design as hd
from forecasting.models._hurdle_legacy import is_legacy, legacy_predict
from forecasting.models._hurdle_maths import (
    day_uniforms,
    expand,
    logit_cov,
    mvn_factor,
    nbinom_quantile,
    scaled,
)
from forecasting.models._train_weather import decay_weights
from forecasting.models.base import Model
from forecasting.models.gate_calibration import GateCalibration, calibrate_gate
from forecasting.weather.fill import filled_value_at
from forecasting.weather.paths import FutureWeather

log = logging.getLogger(__name__)

COUNT_FAMILIES = ("lognormal", "negbin")
# Train as served (benchmarks/CALIBRATION.md): the observed weather (lead 0) and the weather
# seen through the forecast error at each lead of the default horizon, one copy each.
TRAIN_LEADS: tuple[int, ...] = tuple(range(0, DEFAULT_HORIZON + 1))


class Hurdle(Model):
    """Two-part count model for people or boats: the shared crossing-day gate, then counts."""

    name = "hurdle"
    uses_weather = True
    weather_inputs = features.CORE_WEATHER
    weather_paths = True
    supports_conditioning = True
    # Added after models were first saved: an older pickle reads these (how it was fitted).
    train_leads: tuple[int, ...] = ()
    half_life_days: float | None = None
    recalibrate: bool = False
    recal_origins: int = 96
    recal_refits: int = 4
    recal_samples: int = 200
    gamma_: np.ndarray  # the counts' coefficients and their covariance (`_fit_counts`)
    gamma_cov_: np.ndarray
    recal_: Any = None  # GateCalibration (a pre-issue-21 pickle: recalibration.PAnyCalibration)

    def __init__(
        self,
        target: str = schema.PEOPLE,
        history_days: int = 1095,
        harmonics: int = 2,
        ridge: float = 1.0,
        parameter_uncertainty: bool = True,
        count_family: str = "negbin",
        train_leads: tuple[int, ...] = TRAIN_LEADS,
        half_life_days: float | None = None,
        recalibrate: bool = False,
        recal_origins: int = 96,
        recal_refits: int = 4,
        recal_samples: int = 200,
    ) -> None:
        self.target = target
        self.history_days = history_days
        self.harmonics = harmonics
        self.ridge = ridge
        self.parameter_uncertainty = parameter_uncertainty
        self.count_family = count_family
        self.train_leads = tuple(int(x) for x in train_leads)
        self.half_life_days = half_life_days
        self.recalibrate = recalibrate
        self.recal_origins = recal_origins
        self.recal_refits = recal_refits
        self.recal_samples = recal_samples

    # -- fit ---------------------------------------------------------------------------
    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        import statsmodels.api as sm

        assert weather is not None
        if self.count_family not in COUNT_FAMILIES:
            raise ConfigError(
                f"hurdle: count_family must be one of {COUNT_FAMILIES}, got {self.count_family!r}"
            )
        try:
            leads = hd.training_leads(self.train_leads)
        except ValueError as exc:
            raise ConfigError(f"hurdle: {exc}") from exc
        w = features.fill_weather(weather)
        crossing = hd.crossing_days(history)
        y_all = history[self.target].to_numpy(dtype=float)
        dates = pd.DatetimeIndex(history[schema.DATE])
        keep = dates.isin(w.index[1:]) & (np.arange(len(dates)) >= len(dates) - self.history_days)
        d = dates[keep]
        G = hd.training_design(d, w, hd.gate_state(crossing)[keep], leads, self.harmonics)
        copies = len(leads)
        C = np.concatenate([G, np.tile(hd.count_state(y_all)[keep], (copies, 1))], axis=1)
        any_ = np.tile(crossing[keep], copies).astype(float)
        y = np.tile(y_all[keep], copies)
        weights = np.tile(decay_weights(int(keep.sum()), self.half_life_days), copies)
        # Standardise non-constant columns so one ridge penalty suits all of them.
        self.gate_mu_, self.gate_sd_ = G[:, 1:].mean(axis=0), G[:, 1:].std(axis=0) + 1e-9
        self.mu_, self.sd_ = C[:, 1:].mean(axis=0), C[:, 1:].std(axis=0) + 1e-9
        Gs, Cs = scaled(G, self.gate_mu_, self.gate_sd_), scaled(C, self.mu_, self.sd_)
        # ridge / (fitted days): the same penalty per day of data however many copies.
        alpha = np.r_[0.0, np.full(G.shape[1] - 1, self.ridge / (len(y) / copies))]
        # Columns constant over the fit (the lead terms without forecast leads) keep a zero
        # coefficient: the counts' fit has no penalty to pin them.
        g_on = np.r_[True, self.gate_sd_ > 1e-6]
        c_on = np.r_[True, self.sd_ > 1e-6]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logit = sm.GLM(
                any_, Gs[:, g_on], family=sm.families.Binomial(), freq_weights=weights
            ).fit_regularized(alpha=alpha[g_on], L1_wt=0.0)
            beta = np.asarray(logit.params)
            # The copies are one set of days: their information counts once.
            cov = copies * logit_cov(Gs[:, g_on], beta, alpha[g_on] * len(y), weights)
            self.beta_, self.beta_cov_ = expand(beta, cov, g_on)
            self._fit_counts(y, Cs[:, c_on], copies)
            self.gamma_, self.gamma_cov_ = expand(self.gamma_, self.gamma_cov_, c_on)
        self._keep_state(history, crossing, y_all, w, d, dates)
        log.debug("hurdle fit on %d days (%d crossing days)", len(y), int(any_.sum()))
        self.recal_ = None
        if self.recalibrate:
            params = {**self.get_params(), "recalibrate": False}
            self.recal_ = calibrate_gate(
                lambda: Hurdle(**params),
                history,
                weather,
                (self.recal_origins, self.recal_refits, self.recal_samples),
                crossing,
            )

    def _fit_counts(self, y: np.ndarray, Cs: np.ndarray, copies: int) -> None:
        import statsmodels.api as sm

        pos = y > 0
        if pos.sum() < Cs.shape[1] + 2:
            raise InputError(
                f"hurdle: {int(pos.sum() / copies)} days with {self.target} above zero are too "
                "few to fit the counts; give a longer history"
            )
        if self.count_family == "negbin":
            # check_rank=False: the rank only feeds df_model/df_resid (summaries), never the
            # estimates, and its QR is a large share of the fit
            nb = sm.NegativeBinomial(y[pos] - 1.0, Cs[pos], check_rank=False).fit(
                disp=0, maxiter=200, method="bfgs"
            )
            params = np.asarray(nb.params)
            self.gamma_, self.dispersion_ = params[:-1], float(params[-1])
            try:
                cov = copies * np.asarray(nb.cov_params())[:-1, :-1]
            except ValueError:  # a singular Hessian (short, collinear histories)
                log.warning("hurdle: count covariance unavailable; no parameter uncertainty")
                cov = np.zeros((len(self.gamma_), len(self.gamma_)))
        else:
            ols = sm.OLS(np.log(y[pos]), Cs[pos]).fit()
            self.gamma_, self.dispersion_ = np.asarray(ols.params), float(np.sqrt(ols.scale))
            cov = copies * np.asarray(ols.cov_params())
        self.gamma_cov_ = cov if np.all(np.isfinite(cov)) else np.zeros_like(cov)

    def _keep_state(
        self,
        history: pd.DataFrame,
        crossing: np.ndarray,
        y_all: np.ndarray,
        w: pd.DataFrame,
        d: pd.DatetimeIndex,
        dates: pd.DatetimeIndex,
    ) -> None:
        self.history_tail_ = y_all[-features.SIZE_WINDOW :]
        self.crossing_tail_ = crossing[-features.SIZE_WINDOW :].astype(float)
        # The largest day on record bounds a day's mean, and twice it a day's count: the
        # level and size terms feed back along a path, and over a season a rare path would
        # otherwise run away (58,000 boats in a day against a record of 36).
        self.count_cap_ = float(max(1.0, np.nanmax(y_all)))
        self.last_wind_ = (
            float(w["wind_mean_ms"].iloc[-1])
            if d[-1] == w.index[-1]
            else float(w.loc[: dates[-1], "wind_mean_ms"].iloc[-1])
        )

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        assert weather is not None
        last = pd.Timestamp(history[schema.DATE].iloc[-1])
        self.history_tail_ = history[self.target].to_numpy(dtype=float)[-features.SIZE_WINDOW :]
        crossing = hd.crossing_days(history.iloc[-features.SIZE_WINDOW :])
        self.crossing_tail_ = crossing.astype(float)
        # the gap-filled wind of the last day (`features.fill_weather`), without filling all
        self.last_wind_ = filled_value_at(weather, "wind_mean_ms", last)

    # -- simulate ----------------------------------------------------------------------
    def _draw(
        self, mean: np.ndarray, cov: np.ndarray, n: int, rng: np.random.Generator
    ) -> np.ndarray:
        if not self.parameter_uncertainty or not np.any(cov):
            return np.tile(mean, (n, 1))
        # rng.multivariate_normal(mean, cov, n, method="eigh") with its factor kept: the same
        # draws and arithmetic, without a decomposition per forecast
        k = len(mean)
        z = drawn(rng, ("standard_normal", n, k), n * k, lambda g: g.standard_normal((n, k)))
        return mean + z @ mvn_factor(cov).T

    def _simulate(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather,
        n: int,
        rng: np.random.Generator,
        calibration: GateCalibration | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Counts (n, h) and each path's raw gate probability (n, h), day by day."""
        h = len(dates)
        # one child stream per purpose, none of them the target's: both targets draw alike
        gate_params, count_params, gate_key, count_key = rng.spawn(4)
        beta = self._draw(self.beta_, self.beta_cov_, n, gate_params)
        gamma = self._draw(self.gamma_, self.gamma_cov_, n, count_params)
        keys = (gate_key.integers(2**63, size=2), count_key.integers(2**63, size=2))
        r = 1.0 / max(self.dispersion_, 1e-6)
        gate_state = features.PathState(self.crossing_tail_, n)
        count_state = features.PathState(self.history_tail_, n)
        wx, blur = hd.served_weather(weather, n, self.last_wind_)
        calendar = hd.calendar_terms(dates, self.harmonics)
        leads = weather.day_leads()
        out = np.zeros((n, h), dtype=np.int64)
        raw = np.zeros((n, h))
        for t in range(h):
            gs = gate_state.terms()[:, : hd.GATE_STATE]
            G = hd.gate_design(calendar[t], wx[:, t], np.full(n, blur[t]), gs)
            cs = count_state.terms()[:, 1:]
            C = scaled(np.concatenate([G, cs], axis=1), self.mu_, self.sd_)
            G = scaled(G, self.gate_mu_, self.gate_sd_)
            raw[:, t] = 1.0 / (1.0 + np.exp(-np.einsum("ij,ij->i", G, beta)))
            p = raw[:, t]
            if calibration is not None and leads[t] > 0:
                p = calibration.prob(p, int(leads[t]), dates[t])
            cross = day_uniforms(keys[0], dates[t], n) < p
            u = day_uniforms(keys[1], dates[t], n)
            eta = np.minimum(np.einsum("ij,ij->i", C, gamma), np.log(self.count_cap_))
            if self.count_family == "negbin":
                mu_t = np.exp(np.maximum(eta, -10))
                size = np.ones(n)  # the inverse CDF is the cost: only crossing paths need it
                size[cross] = 1 + nbinom_quantile(u[cross], r, r / (r + mu_t[cross]))
            else:
                noise = self.dispersion_ * special.ndtri(u)
                size = np.maximum(1, np.rint(np.exp(np.clip(eta + noise, -10, 12))))
            size = np.minimum(size, 2 * self.count_cap_)
            y = np.where(cross, size, 0).astype(np.int64)
            out[:, t] = y
            gate_state.update(cross.astype(np.int64))
            count_state.update(y)
        return out, raw

    def gate_paths(
        self, horizon: int, weather: FutureWeather, n: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Each path's raw (uncalibrated) gate probability over the next `horizon` days:
        (n, horizon). What the gate's calibration is fitted on."""
        dates = pd.date_range(self.last_date_ + pd.Timedelta(days=1), periods=horizon, freq="D")
        return self._simulate(dates, weather.head(horizon), n, rng, None)[1]

    def _predict(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather | None,
        n_samples: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        assert weather is not None
        if is_legacy(self):  # a champion pickled before issue 21 forecasts as it did
            return legacy_predict(self, dates, weather, n_samples, rng)
        return self._simulate(dates, weather, n_samples, rng, self.recal_)[0]
