"""The assumed error of a daily weather forecast, growing with lead time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecasting import schema
from forecasting.errors import ConfigError


@dataclass(frozen=True)
class ForecastErrorModel:
    """Assumed error of a daily weather forecast, growing linearly with lead time.

    The default is the floor the project accepts, no kinder than published verification of
    daily-mean 10 m wind from global NWP (about 1 m/s RMSE at day 1, over 2 m/s by day 7):
    the wind error's standard deviation is `wind_sd_day1` m/s at lead day 1, rising linearly to
    `wind_sd_day7` at lead day 7 (and beyond, on the same line). Gust and hourly-maximum errors
    are `gust_ratio` and `hourly_ratio` times the wind error; direction, rain, temperature,
    pressure, visibility and cloud are perturbed in proportion to the wind error's growth.
    Errors are correlated across lead days (AR(1), `lead_correlation`) and drawn afresh for
    each weather path.
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

    def perturb(
        self, truth: np.ndarray, columns: tuple[str, ...], n_paths: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw `n_paths` forecast paths around `truth` (days × variables)."""
        h = truth.shape[0]
        sd = self.wind_sd(np.arange(1, h + 1))
        grow = sd / self.wind_sd_day1  # how much every variable's error has grown

        def ar1() -> np.ndarray:
            eps = rng.standard_normal((n_paths, h))
            z = np.empty_like(eps)
            z[:, 0] = eps[:, 0]
            rho = self.lead_correlation
            for t in range(1, h):
                z[:, t] = rho * z[:, t - 1] + np.sqrt(1 - rho**2) * eps[:, t]
            return z

        wind_z = ar1()
        out = np.repeat(truth[None, :, :], n_paths, axis=0).astype(float)
        idx = {c: i for i, c in enumerate(columns)}

        def shift(col: str, delta: np.ndarray, lo: float, hi: float) -> None:
            if col in idx:
                out[:, :, idx[col]] = np.clip(out[:, :, idx[col]] + delta, lo, hi)

        def other() -> np.ndarray:  # partly shared with the wind error
            return 0.8 * wind_z + 0.6 * ar1()

        shift("wind_mean_ms", sd * wind_z, 0, 60)
        shift("wind_max_hourly_ms", self.hourly_ratio * sd * other(), 0, 80)
        shift("gust_max_ms", self.gust_ratio * sd * other(), 0, 100)
        shift("temp_mean_c", self.temp_sd_day1 * grow * ar1(), -60, 60)
        shift("pressure_hpa", self.pressure_sd_day1 * grow * ar1(), 850, 1100)
        shift("cloud_octas", self.cloud_sd_day1 * grow * ar1(), 0, 8)
        if "wind_dir_deg" in idx:
            j = idx["wind_dir_deg"]
            out[:, :, j] = np.mod(out[:, :, j] + self.direction_sd_deg_day1 * grow * ar1(), 360)
        for col in ("precip_mm", "visibility_min_m"):
            if col in idx:
                j = idx[col]
                factor = np.exp(self.rain_log_sd_day1 * grow * ar1())
                out[:, :, j] = np.clip(out[:, :, j] * factor, 0, schema.WEATHER_RANGES[col][1])
        return out
