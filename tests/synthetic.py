"""Seeded synthetic arrivals and weather in the canonical schema, for unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.schema import (
    ATTR_LOCATION,
    ATTR_SOURCE,
    BOATS,
    DATE,
    PEOPLE,
    REVISED,
    UNCONTROLLED,
    WEATHER_COLUMNS,
    WEATHER_RANGES,
)

_YEAR = 365.25


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """Stationary AR(1) series with coefficient `phi` and marginal standard deviation `sd`."""
    innov = rng.normal(0.0, sd * np.sqrt(1 - phi**2), size=n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sd)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + innov[t]
    return out


def _weather(rng: np.random.Generator, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Daily weather: seasonal AR(1) wind around 4 m/s and loosely coupled other fields."""
    n = len(dates)
    doy = dates.dayofyear.to_numpy(dtype=float)
    winter = np.cos(2 * np.pi * (doy - 15) / _YEAR)  # +1 mid-January, −1 mid-July
    wind = np.clip(3.5 + 1.0 * winter + _ar1(rng, n, 0.7, 1.7), 0.0, None)
    hourly = wind * rng.uniform(1.3, 1.5, size=n) + np.abs(rng.normal(0.0, 0.3, size=n))
    gust = np.maximum(wind * rng.uniform(1.8, 2.2, size=n), hourly + 0.5)
    direction = np.mod(rng.vonmises(np.deg2rad(225.0), 1.0, size=n), 2 * np.pi)
    wet = rng.uniform(size=n) < 0.3 + 0.04 * wind
    precip = np.where(wet, rng.gamma(0.8, 3.0 + 0.3 * wind, size=n), 0.0)
    temp = 11.0 - 6.0 * winter + _ar1(rng, n, 0.8, 2.0)
    pressure = 1014.0 - 2.5 * (wind - 4.2) + _ar1(rng, n, 0.85, 7.0)
    visibility = np.exp(rng.normal(np.log(25_000.0), 0.6, size=n)) / (1.0 + 0.3 * precip)
    cloud = np.round(np.clip(4.5 + 0.6 * wind - 1.0 + rng.normal(0.0, 2.0, size=n), 0, 8))
    values = {
        "wind_mean_ms": wind,
        "wind_max_hourly_ms": hourly,
        "gust_max_ms": gust,
        "wind_dir_deg": np.rad2deg(direction),
        "precip_mm": precip,
        "temp_mean_c": temp,
        "pressure_hpa": pressure,
        "visibility_min_m": visibility,
        "cloud_octas": cloud,
    }
    frame = pd.DataFrame({DATE: dates})
    for col in WEATHER_COLUMNS:
        lo, hi = WEATHER_RANGES[col]
        frame[col] = np.round(np.clip(values[col], lo, hi), 2)
    frame.attrs[ATTR_SOURCE] = "synthetic"
    frame.attrs[ATTR_LOCATION] = "synthetic"
    return frame


def _arrivals(
    rng: np.random.Generator, dates: pd.DatetimeIndex, weather: pd.DataFrame
) -> pd.DataFrame:
    """Weather-gated, zero-inflated daily counts with a backlog after blocked runs."""
    n = len(dates)
    doy = dates.dayofyear.to_numpy(dtype=float)
    summer = -np.cos(2 * np.pi * (doy - 15) / _YEAR)  # +1 mid-July, −1 mid-January
    wind = weather["wind_mean_ms"].to_numpy()
    gust = weather["gust_max_ms"].to_numpy()
    gate_u = rng.uniform(size=n)
    boat_draws = rng.negative_binomial(3, 0.3, size=n)  # mean 7 boats on crossing days
    boats = np.zeros(n, dtype=np.int64)
    blocked_run = 0
    for t in range(n):
        backlog = min(blocked_run, 10)
        logit = 2.4 - 0.9 * wind[t] - 0.05 * max(gust[t] - 8.0, 0.0)
        logit += 0.5 * summer[t] + 0.08 * backlog
        if gate_u[t] < 1.0 / (1.0 + np.exp(-logit)):
            boost = 1.0 + 0.12 * backlog + 0.3 * max(summer[t], 0.0)
            boats[t] = max(1, int(np.rint(boat_draws[t] * boost)))
            blocked_run = 0
        else:
            blocked_run += 1
    sizes = rng.integers(40, 61, size=int(boats.sum()))
    csum = np.concatenate([[0], np.cumsum(sizes)])
    ends = np.cumsum(boats)
    people = (csum[ends] - csum[ends - boats]).astype(np.int64)
    uncontrolled = pd.array(rng.binomial(boats, 0.05), dtype="Int64")
    uncontrolled[: n // 3] = pd.NA
    return pd.DataFrame(
        {
            DATE: dates,
            PEOPLE: people,
            BOATS: boats,
            UNCONTROLLED: uncontrolled,
            REVISED: np.zeros(n, dtype=bool),
        }
    )


def generate_series(
    n_days: int = 1200, start: str = "2021-01-01", seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deterministic synthetic (arrivals, weather) canonical tables for `n_days` days.

    Wind is seasonal (windier in winter) AR(1) around ~4 m/s; crossings happen with
    probability ~0.8 when wind ≤ 2 m/s, rarely above 5 m/s, more in summer and after runs
    of blocked days (which also raise the boat count). Boats on a crossing day are
    negative binomial and people are the sum of boat sizes (40–60 each). About 50–65% of
    days have no crossings. The first third of ``uncontrolled_landing_boats`` is missing.
    """
    if n_days < 1:
        raise ValueError(f"n_days must be ≥ 1, got {n_days}")
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_days, freq="D").astype("datetime64[ns]")
    weather = _weather(rng, pd.DatetimeIndex(dates))
    arrivals = _arrivals(rng, pd.DatetimeIndex(dates), weather)
    return arrivals, weather
