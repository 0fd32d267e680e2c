"""SARIMAX on log1p(count): ARMA errors around weather and annual Fourier regressors."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Final

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.contract import MAX_SIMULATED_DAYS
from forecasting.models._regressors import (
    WEATHER_INPUTS,
    annual_fourier,
    count_cap,
    counts_from_log,
    historical_regressors,
    weather_regressors,
)
from forecasting.models.base import Model
from forecasting.weather.paths import FutureWeather

# L-BFGS iterations for one fit: enough to converge on ~2 years of daily data (about 30
# iterations) in well under a second; a fit that stops early still gives usable estimates.
MAX_ITER: Final = 50
# Days re-filtered when the model takes its state from newer data: ARMA(1, 1) state forgets
# its start within weeks, so a season's tail gives the same state as the whole history.
CONDITION_DAYS: Final = 120


class WeatherSarimax(Model):
    """Regression with ARMA(p, q) errors on log1p(target) over the recent history.

    exog = the shared weather regressors (mean wind, max gust, calm indicator,
    log1p(precipitation), yesterday's wind) + `fourier_terms` annual harmonics, all
    standardised with the fitted window's mean and sd; a constant when `order` has no
    differencing. No seasonal order (too slow for daily data; the Fourier terms carry the
    season).

    Sample paths are draws from the exact joint Gaussian of the log-scale forecast over
    the horizon, the distribution `simulate(anchor="end")` samples from: mean = forecast
    with zero exog + exog · β (exog enters the observation equation linearly), covariance =
    the state-space forecast-error covariance across days (its diagonal is
    `get_forecast`'s variance). Both are computed once at fit time, so predicting is a few
    numpy operations per weather path rather than a statsmodels call (~0.1 s each). Paths
    are autocorrelated across days, so horizon totals are coherent. Parameter uncertainty
    is not included. Paths are back-transformed with expm1, clipped to [0, 3 × the largest
    fitted count] and rounded.
    """

    name = "sarimax"
    uses_weather = True
    weather_inputs = WEATHER_INPUTS
    weather_paths = False
    nonnegative_integer = True
    # Takes its state by re-filtering the newest days with the fitted parameters.
    supports_conditioning = True

    def __init__(
        self,
        target: str = schema.PEOPLE,
        order: tuple[int, int, int] = (1, 0, 1),
        fourier_terms: int = 2,
        history_days: int = 730,
    ) -> None:
        self.target = target
        self.order = order
        self.fourier_terms = fourier_terms
        self.history_days = history_days

    def _design(self, regressors: pd.DataFrame, dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """Weather regressors + Fourier terms as one unstandardised matrix."""
        four = annual_fourier(dates, self.fourier_terms)
        return np.column_stack([regressors.to_numpy(dtype=float), four])

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        assert weather is not None  # checked by Model.fit
        from statsmodels.tools.sm_exceptions import ConvergenceWarning
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        hist = history.iloc[-self.history_days :].reset_index(drop=True)
        regs, self.last_wind_ = historical_regressors(hist[schema.DATE], weather)
        x = self._design(regs, hist[schema.DATE])
        self.x_mean_ = x.mean(axis=0)
        sd = x.std(axis=0)
        self.x_scale_ = np.where(sd > 0, sd, 1.0)
        target = hist[self.target].to_numpy(dtype=float)
        order = tuple(int(o) for o in self.order)
        model = SARIMAX(
            np.log1p(target),
            exog=(x - self.x_mean_) / self.x_scale_,
            order=order,
            trend="c" if order[1] == 0 else "n",
            concentrate_scale=True,  # sigma² profiled out: one parameter fewer to optimise
        )
        with warnings.catch_warnings(), _single_threaded_blas():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # Starting-parameter notices (non-stationary / non-invertible start values).
            warnings.simplefilter("ignore", UserWarning)
            # No parameter covariance: it is not used and costs extra likelihood evaluations.
            self.result_ = model.fit(disp=False, maxiter=MAX_ITER, cov_type="none")
        self.cap_ = count_cap(target)
        self._forecast_state(self.result_)

    def _forecast_state(self, result: Any) -> None:
        """The zero-exog mean path, the exog coefficients and the forecast-error factor of a
        filtered result (everything `_predict` needs)."""
        self.result_ = result
        zero = np.zeros((MAX_SIMULATED_DAYS, len(self.x_mean_)))
        self.mean0_ = np.asarray(
            self.result_.get_forecast(MAX_SIMULATED_DAYS, exog=zero).predicted_mean
        )
        names = list(self.result_.model.param_names)
        params = np.asarray(self.result_.params, dtype=float)
        self.beta_ = params[[names.index(n) for n in self.result_.model.exog_names]]
        self.chol_ = _psd_factor(forecast_error_cov(self.result_, MAX_SIMULATED_DAYS))

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        """Re-filter the last `CONDITION_DAYS` days with the fitted parameters (no refit)."""
        assert weather is not None
        hist = history.iloc[-CONDITION_DAYS:].reset_index(drop=True)
        regs, self.last_wind_ = historical_regressors(hist[schema.DATE], weather)
        x = (self._design(regs, hist[schema.DATE]) - self.x_mean_) / self.x_scale_
        endog = np.log1p(hist[self.target].to_numpy(dtype=float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._forecast_state(self.result_.apply(endog, exog=x))

    def future_exog(self, dates: pd.DatetimeIndex, weather: FutureWeather) -> np.ndarray:
        """Standardised exog for the forecast days from one weather path."""
        regs = weather_regressors(weather, self.last_wind_)
        return (self._design(regs, dates) - self.x_mean_) / self.x_scale_

    def _predict(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather | None,
        n_samples: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        assert weather is not None  # checked by Model.predict
        h = len(dates)
        mean = self.mean0_[:h] + self.future_exog(dates, weather) @ self.beta_
        # The leading h×h block of the Cholesky factor is the factor of the h-day covariance.
        z = rng.standard_normal((n_samples, h))
        log_paths = mean + z @ self.chol_[:h, :h].T
        return counts_from_log(log_paths, self.cap_)


def _single_threaded_blas() -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS to one thread while fitting (if threadpoolctl is installed).

    The Kalman filter works on tiny matrices; multi-threaded OpenBLAS only adds overhead,
    and on a busy machine it made one fit 5-10× slower (≈8 s instead of ≈1 s).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it, fits are just slower under load
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _time_invariant(matrix: np.ndarray) -> np.ndarray:
    """A state-space system matrix without its (length-1) time axis."""
    return matrix[:, :, 0] if matrix.ndim == 3 else matrix


def forecast_error_cov(result: Any, horizon: int) -> np.ndarray:
    """Covariance of the 1..`horizon`-step forecast errors of a fitted SARIMAX, (H, H).

    With a = Z·Tʰ: e_h = Z Tʰ (α_{n+1} − a_{n+1}) + Σ_{l<h} Z T^{h−1−l} R η_{n+1+l} + ε_{n+1+h},
    so Σ = A P Aᵀ + Σ_l B_l RQRᵀ B_lᵀ + H·I, where P is the predicted state covariance at
    the end of the sample. P is already scaled; with a concentrated scale, Q and H are not.
    """
    ssm = result.model.ssm
    design, transition, selection, state_cov, obs_cov = (
        _time_invariant(np.asarray(ssm[n], dtype=float))
        for n in ("design", "transition", "selection", "state_cov", "obs_cov")
    )
    scale = float(result.scale) if result.filter_results.filter_concentrated else 1.0
    p_end = np.asarray(result.filter_results.predicted_state_cov, dtype=float)[:, :, -1]
    rows = [design]
    for _ in range(1, horizon):
        rows.append(rows[-1] @ transition)
    a = np.concatenate(rows, axis=0)  # row h is Z Tʰ
    rqr = scale * selection @ state_cov @ selection.T
    cov = a @ p_end @ a.T
    for lag in range(horizon - 1):
        b = np.zeros_like(a)
        b[lag + 1 :] = a[: horizon - 1 - lag]  # the shock at step lag+1 reaches later days
        cov += b @ rqr @ b.T
    cov += scale * float(obs_cov[0, 0]) * np.eye(horizon)
    return np.asarray((cov + cov.T) / 2.0)


def _psd_factor(cov: np.ndarray) -> np.ndarray:
    """Lower-triangular L with L Lᵀ = cov (a tiny jitter if cov is only semi-definite)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        jitter = 1e-9 * max(float(np.trace(cov)) / len(cov), 1.0)
        return np.linalg.cholesky(cov + jitter * np.eye(len(cov)))
