"""Weather-gated hurdle model: P(crossing day) times a negative-binomial count on crossing days.

Part one is a logistic regression of "any arrivals" on season, weather, the run of blocked days
and the recent level. Part two models (count − 1) on crossing days as negative binomial with
the same covariates. Forecasts simulate day by day, so blocked-day runs and the recent level
follow each sample path and are never read from the future.

With `recalibrate` (the default), `fit` also fits a Platt map of P(any crossing) on the
hurdle's own forecasts at `recal_origins` weekly inner origins over the end of the history it
is given (refitted `recal_refits` times, forecasting under simulated issued weather), and
`predict` moves the simulated paths' zeros to match it (`forecasting.models.recalibration`).
"""

from __future__ import annotations

import functools
import logging
import warnings

import numpy as np
import pandas as pd

from forecasting import features, schema
from forecasting.contract import DEFAULT_HORIZON, MIN_HORIZON
from forecasting.draws import drawn
from forecasting.errors import ConfigError
from forecasting.models._train_weather import decay_weights, weather_as_served
from forecasting.models.base import Model
from forecasting.models.recalibration import (
    PAnyCalibration,
    fit_calibration,
    inner_origins,
    inner_pairs,
)
from forecasting.weather.fill import filled_value_at
from forecasting.weather.paths import FutureWeather

log = logging.getLogger(__name__)

COUNT_FAMILIES = ("lognormal", "negbin")
# Train as served (benchmarks/CALIBRATION.md): fit on the training weather seen through the
# forecast error model at these lead days (those of the default horizon), one copy each.
# () fits on the observed weather.
TRAIN_LEADS: tuple[int, ...] = tuple(range(MIN_HORIZON, DEFAULT_HORIZON + 1))
# The seed of the inner forecasts that fit the P(any) recalibration (a refit is reproducible).
RECAL_SEED = 20_260_509
RECAL_HORIZON = DEFAULT_HORIZON


def _design(doy: np.ndarray, weather: np.ndarray, state: np.ndarray, harmonics: int) -> np.ndarray:
    ones = np.ones((*weather.shape[:-1], 1))
    # Surges: a calm day after a run of blocked days.
    surge = (weather[..., 3] * state[..., 0])[..., None]
    season = np.broadcast_to(features.fourier(doy, harmonics), (*weather.shape[:-1], 2 * harmonics))
    return np.concatenate([ones, season, weather, state, surge], axis=-1)


@functools.lru_cache(maxsize=64)
def _mvn_factor_cached(cov_bytes: bytes, k: int) -> np.ndarray:
    cov = np.frombuffer(cov_bytes).reshape(k, k)
    s, u = np.linalg.eigh(cov)
    return u * np.sqrt(abs(s))


def _mvn_factor(cov: np.ndarray) -> np.ndarray:
    """numpy's "eigh" factor of a covariance (A with A Aᵀ = cov), cached by value."""
    cov = np.ascontiguousarray(cov, dtype=float)
    return _mvn_factor_cached(cov.tobytes(), cov.shape[0])


class Hurdle(Model):
    """Two-part count model for people or boats, gated by the weather."""

    name = "hurdle"
    uses_weather = True
    weather_inputs = features.CORE_WEATHER
    weather_paths = True
    supports_conditioning = True
    # Added after models were first saved: an older pickle reads these (how it was fitted).
    train_leads: tuple[int, ...] = ()
    half_life_days: float | None = None
    recalibrate: bool = False  # models pickled before the option were fitted without it
    recal_origins: int = 52
    recal_refits: int = 4
    recal_samples: int = 200
    recal_: PAnyCalibration | None = None

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
        recalibrate: bool = True,
        recal_origins: int = 52,
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

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        import statsmodels.api as sm

        assert weather is not None
        if self.count_family not in COUNT_FAMILIES:
            raise ConfigError(
                f"hurdle: count_family must be one of {COUNT_FAMILIES}, got {self.count_family!r}"
            )
        w = features.fill_weather(weather)
        y_all = history[self.target].to_numpy(dtype=float)
        state = features.state_terms(
            features.blocked_run(y_all), features.recent_level(y_all), features.recent_size(y_all)
        )
        dates = pd.DatetimeIndex(history[schema.DATE])
        prev = w["wind_mean_ms"].shift(1)
        keep = dates.isin(w.index[1:]) & (np.arange(len(dates)) >= len(dates) - self.history_days)
        d = dates[keep]
        X, copies = self._training_design(d, w, prev, state[keep])
        y = np.tile(y_all[keep], copies)
        weights = np.tile(decay_weights(int(keep.sum()), self.half_life_days), copies)
        any_ = (y > 0).astype(float)
        # Standardise non-constant columns so one ridge penalty suits all of them.
        self.mu_ = X[:, 1:].mean(axis=0)
        self.sd_ = X[:, 1:].std(axis=0) + 1e-9
        Xs = self._scale(X)
        # ridge / (fitted days): the same penalty per day of data however many copies.
        alpha = np.r_[0.0, np.full(X.shape[1] - 1, self.ridge / (len(y) / copies))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logit = sm.GLM(
                any_, Xs, family=sm.families.Binomial(), freq_weights=weights
            ).fit_regularized(alpha=alpha, L1_wt=0.0)
            self.beta_ = np.asarray(logit.params)
            # The copies are one set of days: their information counts once.
            self.beta_cov_ = copies * self._logit_cov(Xs, self.beta_, alpha * len(y), weights)
            pos = y > 0
            if self.count_family == "negbin":
                # check_rank=False: the rank only feeds df_model/df_resid (summaries), never
                # the estimates, and its QR is a large share of the fit
                nb = sm.NegativeBinomial(y[pos] - 1.0, Xs[pos], check_rank=False).fit(
                    disp=0, maxiter=200, method="bfgs"
                )
                params = np.asarray(nb.params)
                self.gamma_, self.dispersion_ = params[:-1], float(params[-1])
                cov = copies * np.asarray(nb.cov_params())[:-1, :-1]
            else:
                ols = sm.OLS(np.log(y[pos]), Xs[pos]).fit()
                self.gamma_, self.dispersion_ = np.asarray(ols.params), float(np.sqrt(ols.scale))
                cov = copies * np.asarray(ols.cov_params())
        self.gamma_cov_ = cov if np.all(np.isfinite(cov)) else np.zeros_like(cov)
        self.history_tail_ = y_all[-features.SIZE_WINDOW :]
        self.last_wind_ = (
            float(w["wind_mean_ms"].iloc[-1])
            if d[-1] == w.index[-1]
            else float(w.loc[: dates[-1], "wind_mean_ms"].iloc[-1])
        )
        log.debug("hurdle fit on %d days (%d crossing days)", len(y), int(pos.sum()))
        self.recal_ = self._fit_recalibration(history, weather) if self.recalibrate else None

    def _fit_recalibration(
        self, history: pd.DataFrame, weather: pd.DataFrame
    ) -> PAnyCalibration | None:
        """The P(any) map fitted on inner rolling origins over the end of `history`
        (`forecasting.models.recalibration`), or None when the history is too short."""
        # the inner forecasts need observed weather to simulate their issued forecast from:
        # with weather lagging the arrivals, they end where the weather ends
        last = min(
            pd.Timestamp(history[schema.DATE].iloc[-1]),
            pd.Timestamp(weather[schema.DATE].iloc[-1]),
        )
        origins = inner_origins(last, self.recal_origins, RECAL_HORIZON)
        before = int((history[schema.DATE] < origins[0]).sum())
        if self.recal_origins < 1 or before < 365:
            log.warning(
                "hurdle: P(any) recalibration skipped: %d inner origins leave %d days of "
                "history before the first (need 365); lower recal_origins or give more history",
                self.recal_origins,
                before,
            )
            return None
        params = {**self.get_params(), "recalibrate": False}
        pairs = inner_pairs(
            lambda: Hurdle(**params),
            history,
            weather,
            origins,
            self.recal_refits,
            RECAL_HORIZON,
            (self.recal_samples, np.random.default_rng(RECAL_SEED)),
        )
        return fit_calibration(pairs)

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        assert weather is not None
        last = pd.Timestamp(history[schema.DATE].iloc[-1])
        self.history_tail_ = history[self.target].to_numpy(dtype=float)[-features.SIZE_WINDOW :]
        # the gap-filled wind of the last day (`features.fill_weather`), without filling all
        self.last_wind_ = filled_value_at(weather, "wind_mean_ms", last)

    def _training_design(
        self, d: pd.DatetimeIndex, w: pd.DataFrame, prev: pd.Series, state: np.ndarray
    ) -> tuple[np.ndarray, int]:
        """The design over the fitted days `d`, stacked once per training lead (the weather
        as a forecast issued that far ahead had it), or once on the observed weather."""
        cols = features.CORE_WEATHER
        observed = w.loc[d, list(cols)].to_numpy(dtype=float)
        prev_obs = prev.loc[d].to_numpy()
        leads = tuple(self.train_leads)
        views = weather_as_served(observed, cols, leads) if leads else observed[None]
        wind = cols.index("wind_mean_ms")
        blocks = []
        for view in views:
            # Yesterday's wind as that forecast had it (the first day's from the record).
            lagged = np.r_[prev_obs[:1], view[:-1, wind]] if leads else prev_obs
            wx = {c: view[:, i] for i, c in enumerate(cols)}
            blocks.append(
                _design(
                    d.dayofyear.to_numpy(),
                    features.weather_terms(wx, lagged),
                    state,
                    self.harmonics,
                )
            )
        return np.concatenate(blocks), len(views)

    @staticmethod
    def _logit_cov(
        X: np.ndarray, beta: np.ndarray, penalty: np.ndarray, weights: np.ndarray | None = None
    ) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-X @ beta))
        v = p * (1 - p) * (1.0 if weights is None else weights)
        info = (X * v[:, None]).T @ X + np.diag(penalty)
        return np.linalg.pinv(info)

    def _scale(self, X: np.ndarray) -> np.ndarray:
        out = X.copy()
        out[..., 1:] = (X[..., 1:] - self.mu_) / self.sd_
        return out

    def _draw(
        self, mean: np.ndarray, cov: np.ndarray, n: int, rng: np.random.Generator
    ) -> np.ndarray:
        if not self.parameter_uncertainty or not np.any(cov):
            return np.tile(mean, (n, 1))
        # rng.multivariate_normal(mean, cov, n, method="eigh") with its factor kept: the same
        # draws and arithmetic, without a decomposition per forecast
        k = len(mean)
        z = drawn(rng, ("standard_normal", n, k), n * k, lambda g: g.standard_normal((n, k)))
        return mean + z @ _mvn_factor(cov).T

    def _predict(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather | None,
        n_samples: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        assert weather is not None
        n, h = n_samples, len(dates)
        beta = self._draw(self.beta_, self.beta_cov_, n, rng)
        gamma = self._draw(self.gamma_, self.gamma_cov_, n, rng)
        r = 1.0 / max(self.dispersion_, 1e-6)
        state = features.PathState(self.history_tail_, n)
        # Everything but the series state is known for every day up front: the season, the
        # weather terms (yesterday's wind is the path's own), already scaled. Each day then
        # only fills in the state columns; the design row is the one `_design` builds.
        cols = {c: np.broadcast_to(weather.column(c), (n, h)) for c in features.CORE_WEATHER}
        wind = cols["wind_mean_ms"]
        prev = np.concatenate([np.full((n, 1), self.last_wind_), wind[:, :-1]], axis=1)
        wx = features.weather_terms(cols, prev)  # (n, h, 10)
        season = features.fourier(features.day_of_year(dates), self.harmonics)  # (h, 2H)
        n_static = 1 + season.shape[1] + wx.shape[-1]
        X = np.empty((n, n_static + 4))
        X[:, 0] = 1.0
        mu, sd = self.mu_, self.sd_
        calm = wx[..., 3]
        out = np.zeros((n, h), dtype=np.int64)
        for t in range(h):
            X[:, 1 : 1 + season.shape[1]] = (season[t] - mu[: season.shape[1]]) / sd[
                : season.shape[1]
            ]
            X[:, 1 + season.shape[1] : n_static] = (
                wx[:, t] - mu[season.shape[1] : n_static - 1]
            ) / sd[season.shape[1] : n_static - 1]
            st = state.terms()
            X[:, n_static : n_static + 3] = (st - mu[n_static - 1 : n_static + 2]) / sd[
                n_static - 1 : n_static + 2
            ]
            X[:, n_static + 3] = (calm[:, t] * st[:, 0] - mu[-1]) / sd[-1]
            p = 1.0 / (1.0 + np.exp(-np.einsum("ij,ij->i", X, beta)))
            eta = np.einsum("ij,ij->i", X, gamma)
            if self.count_family == "negbin":
                mu_t = np.exp(np.clip(eta, -10, 10))
                size = 1 + rng.negative_binomial(r, r / (r + mu_t))
            else:
                noise = self.dispersion_ * rng.standard_normal(n)
                size = np.maximum(1, np.rint(np.exp(np.clip(eta + noise, -10, 12))))
            y = np.where(rng.random(n) < p, size, 0).astype(np.int64)
            out[:, t] = y
            state.update(y)
        if self.recal_ is None:
            return out
        # a child stream (spawning draws nothing from `rng`): day t's moves depend on days
        # up to t only, so a day's numbers do not depend on the horizon asked
        return self.recal_.apply(out, rng.spawn(1)[0])
