"""The error of an issued daily weather forecast, growing with lead time.

A forecast issued on day T for day T + lead − 1 misses the weather by an error whose spread
grows with lead. The model is used twice, the same way in the backtest and in serving:

1. `issue`: one issued forecast around the observed weather (what a forecaster would have
   published at T). In a backtest this is drawn once per origin and weather draw, and every
   sample path shares it; in serving it is the live provider's forecast (or a caller's
   scenario) instead.
2. `spread`: the sample paths around an issued forecast, with the same error model, because
   the forecaster's own uncertainty is what a planner has to live with.

The paths' mean is the issued forecast, never the observed weather: averaging over paths does
not recover the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from forecasting import schema
from forecasting.contract import MAX_HORIZON
from forecasting.draws import drawn
from forecasting.errors import ConfigError

# Wind speeds are forecast as a log-normal around the centre with the stated error s.d.;
# its mean needs a positive floor (m/s).
_MIN_WIND_CENTRE: Final = 0.5
# AR(1) runs longer than this many days, and longer than they are wide, go through
# scipy's linear filter instead of a Python loop over days (the same numbers).
_FILTER_MIN_DAYS: Final = 64
_SPEEDS: Final = (
    ("wind_mean_ms", "wind"),
    ("wind_max_hourly_ms", "hourly"),
    ("gust_max_ms", "gust"),
)


@dataclass(frozen=True)
class ForecastErrorModel:
    """Assumed error of a daily weather forecast, growing linearly with lead time.

    The default is the floor the project accepts, no kinder than published verification of
    daily-mean 10 m wind from global NWP (about 1 m/s RMSE at day 1, over 2 m/s by day 7):
    the wind error's standard deviation is `wind_sd_day1` m/s at lead day 1, rising linearly to
    `wind_sd_day7` at lead day 7 (and beyond, on the same line). Gust and hourly-maximum errors
    are `gust_ratio` and `hourly_ratio` times the wind error; direction, rain, temperature,
    pressure, visibility and cloud errors grow in proportion to the wind error. Errors are
    correlated across lead days (AR(1), `lead_correlation`).

    How each variable moves, so that no error is shrunk by clipping:

    - wind, hourly maximum and gusts: a log-normal whose mean is the centre and whose s.d. is
      the stated error, so a calm day keeps the full error (skewed upwards) and never goes
      below zero;
    - rain: an additive error on the log1p scale, cut at zero, so rain can appear on a dry day
      and vanish on a wet one;
    - direction: additive, wrapped to [0, 360); temperature, pressure, cloud: additive within
      their physical range; visibility: multiplicative.
    """

    wind_sd_day1: float = 1.0
    wind_sd_day7: float = 2.2
    gust_ratio: float = 1.8
    hourly_ratio: float = 1.4
    lead_correlation: float = 0.6
    direction_sd_deg_day1: float = 25.0
    rain_log_sd_day1: float = 0.6
    temp_sd_day1: float = 0.8
    pressure_sd_day1: float = 1.5
    cloud_sd_day1: float = 1.0

    def __post_init__(self) -> None:
        """Refuse error models kinder than the floor."""
        floors = {"wind_sd_day1": 1.0, "wind_sd_day7": 2.2, "gust_ratio": 1.8}
        for key, floor in floors.items():
            if getattr(self, key) < floor:
                raise ConfigError(
                    f"forecast error model: {key}={getattr(self, key)} is below the floor "
                    f"{floor}; a kinder weather forecast than published verification is not allowed"
                )
        if self.wind_sd_day7 < self.wind_sd_day1:
            raise ConfigError("forecast error model: wind_sd_day7 must be ≥ wind_sd_day1")
        if not 0 <= self.lead_correlation < 1:
            raise ConfigError("forecast error model: lead_correlation must be in [0, 1)")

    def wind_sd(self, lead: np.ndarray) -> np.ndarray:
        """Standard deviation of the daily-mean wind error (m/s) at lead days 1, 2, …"""
        lead = np.asarray(lead, dtype=float)
        return self.wind_sd_day1 + (self.wind_sd_day7 - self.wind_sd_day1) * (lead - 1) / 6.0

    def issue(
        self, truth: np.ndarray, columns: tuple[str, ...], rng: np.random.Generator
    ) -> np.ndarray:
        """One issued forecast (days × variables) of the weather `truth`, leads 1, 2, …"""
        return self.spread(truth, columns, 1, rng)[0]

    def spread(
        self,
        centre: np.ndarray,
        columns: tuple[str, ...],
        n_paths: int,
        rng: np.random.Generator,
        leads: np.ndarray | None = None,
    ) -> np.ndarray:
        """`n_paths` forecast paths (paths × days × variables) around `centre` (days ×
        variables), whose errors follow this model at `leads` (default 1, 2, …).

        The random draws cover MAX_HORIZON lead days whatever the number of days, so a day's
        values do not depend on how many days were asked for.
        """
        centre = np.asarray(centre, dtype=float)
        h = centre.shape[0]
        lead = np.arange(1, h + 1) if leads is None else np.asarray(leads, dtype=float)
        sd = self.wind_sd(lead)
        grow = sd / self.wind_sd_day1
        draw = _Draws(rng, n_paths, max(h, MAX_HORIZON), self.lead_correlation, h)
        wind_z = draw.ar1()
        out = np.repeat(centre[None, :, :], n_paths, axis=0)
        idx = {c: i for i, c in enumerate(columns)}
        ratios = {"wind": 1.0, "hourly": self.hourly_ratio, "gust": self.gust_ratio}
        for col, kind in _SPEEDS:
            z = wind_z if kind == "wind" else 0.8 * wind_z + 0.6 * draw.ar1()
            if col in idx:
                j = idx[col]
                out[:, :, j] = _lognormal(centre[:, j], ratios[kind] * sd, z)
        additive = (
            ("temp_mean_c", self.temp_sd_day1),
            ("pressure_hpa", self.pressure_sd_day1),
            ("cloud_octas", self.cloud_sd_day1),
        )
        for col, sd1 in additive:
            z = draw.ar1()
            if col in idx:
                lo, hi = schema.WEATHER_RANGES[col]
                out[:, :, idx[col]] = np.clip(centre[:, idx[col]] + sd1 * grow * z, lo, hi)
        z = draw.ar1()
        if "wind_dir_deg" in idx:
            j = idx["wind_dir_deg"]
            out[:, :, j] = np.mod(centre[:, j] + self.direction_sd_deg_day1 * grow * z, 360)
        z = draw.ar1()
        if "precip_mm" in idx:
            j = idx["precip_mm"]
            wet = np.log1p(np.clip(centre[:, j], 0, None)) + self.rain_log_sd_day1 * grow * z
            out[:, :, j] = np.minimum(np.expm1(np.maximum(wet, 0.0)), 500.0)
        z = draw.ar1()
        if "visibility_min_m" in idx:
            j = idx["visibility_min_m"]
            vis = centre[:, j] * np.exp(self.rain_log_sd_day1 * grow * z)
            out[:, :, j] = np.clip(vis, 0, schema.WEATHER_RANGES["visibility_min_m"][1])
        return out


class _Draws:
    """Standard-normal AR(1) sequences across lead days, drawn in a fixed order."""

    def __init__(self, rng: np.random.Generator, n: int, width: int, rho: float, keep: int) -> None:
        self.rng, self.n, self.width, self.rho, self.keep = rng, n, width, rho, keep

    def ar1(self) -> np.ndarray:
        """(n, keep) AR(1) draws with unit variance: z_t = ρ z_{t−1} + √(1−ρ²) ε_t
        (read-only; memoised on the generator's state, `forecasting.draws`)."""
        what = ("ar1", self.n, self.width, self.rho, self.keep)
        return drawn(self.rng, what, self.n * self.width, self._ar1)

    def _ar1(self, rng: np.random.Generator) -> np.ndarray:
        raw = rng.standard_normal((self.n, self.width))
        scale = np.sqrt(1 - self.rho**2)
        if self.keep > max(self.n, _FILTER_MIN_DAYS):
            # long and narrow (a training history seen as served): the recursion as a
            # linear filter, y_t = x_t + ρ y_{t−1} with x_t = √(1−ρ²) ε_t and y_0 = ε_0.
            # The same products and sums as the loop below, bit for bit
            # (tests/forecasting/weather/test_error_model.py)
            from scipy.signal import lfilter

            x = scale * raw[:, : self.keep]
            x[:, 0] = raw[:, 0]
            return np.asarray(lfilter([1.0], [1.0, -self.rho], x, axis=-1))
        # the same draws and arithmetic as a loop over columns of (n, width), run over the
        # rows of its transpose: each step is one contiguous vector
        eps = raw.T
        z = np.empty((self.keep, self.n))
        z[0] = eps[0]
        for t in range(1, self.keep):
            z[t] = self.rho * z[t - 1] + scale * eps[t]
        return z.T


def _lognormal(mean: np.ndarray, sd: np.ndarray, z: np.ndarray) -> np.ndarray:
    """exp(μ + σz) with mean `mean` and s.d. `sd` exactly; the mean is floored at light air
    (0.5 m/s, the calmest daily mean on record at Woensdrecht)."""
    m = np.maximum(np.asarray(mean, dtype=float), _MIN_WIND_CENTRE)
    sigma2 = np.log1p((np.asarray(sd, dtype=float) / m) ** 2)
    mu = np.log(m) - sigma2 / 2
    return np.exp(mu + np.sqrt(sigma2) * z)
