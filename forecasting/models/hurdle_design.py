"""The hurdle's design matrices: one for the shared crossing-day gate, one for the counts.

The gate's columns depend only on the calendar, the weather, the forecast's lead and the
series' crossing days (never on a target's counts), so people and boats fit and simulate the
same gate. The count design adds the target's own recent level and crossing-day size.

Lead: a weather forecast `lead` days ahead blurs the weather it shows; the weather terms enter
once as they are and once times `lead_blur(lead)` (0 for weather taken as known, rising with
the forecast's error), so one fit learns how much less a day-7 forecast says than a day-1 one.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from forecasting import features
from forecasting.contract import TARGETS
from forecasting.models._train_weather import weather_as_served
from forecasting.weather.error_model import ForecastErrorModel
from forecasting.weather.paths import FutureWeather

# A typical day-to-day variance of the daily-mean wind in the strait ((m/s)²): the blur of a
# forecast at a lead is its error variance over this plus the error variance (0 → 1).
WIND_VARIANCE: Final = 9.0
N_WEATHER: Final = 10  # `features.weather_terms` columns
GATE_STATE: Final = 2  # log1p blocked run, log1p crossing-day rate (of the shared indicator)
COUNT_STATE: Final = 2  # log1p recent level, log1p recent crossing-day size (of the target)


def lead_blur(lead: np.ndarray) -> np.ndarray:
    """How much a forecast `lead` days ahead blurs the weather: 0 for known weather (lead 0),
    the error model's wind error variance over (that + WIND_VARIANCE) otherwise."""
    lead = np.asarray(lead, dtype=float)
    sd = ForecastErrorModel().wind_sd(np.maximum(lead, 1.0))
    blur = sd**2 / (sd**2 + WIND_VARIANCE)
    return np.where(lead > 0, blur, 0.0)


def weekday_terms(dates: pd.DatetimeIndex) -> np.ndarray:
    """Tuesday..Sunday indicators (Monday is the baseline): shape (days, 6)."""
    wd = np.asarray(dates.dayofweek)
    return (wd[:, None] == np.arange(1, 7)[None, :]).astype(float)


def crossing_days(history: pd.DataFrame) -> np.ndarray:
    """The shared crossing-day indicator: any target above zero (people > 0 exactly when
    boats > 0 in the official series)."""
    out = np.zeros(len(history), dtype=bool)
    for target in TARGETS:
        if target in history.columns:
            out |= history[target].to_numpy(dtype=float) > 0
    return out


def gate_state(indicator: np.ndarray) -> np.ndarray:
    """The gate's state terms over a history of crossing days: (days, GATE_STATE)."""
    y = np.asarray(indicator, dtype=float)
    return features.state_terms(
        features.blocked_run(y), features.recent_level(y), np.zeros(len(y))
    )[:, :GATE_STATE]


def count_state(y: np.ndarray) -> np.ndarray:
    """The count part's own state terms over a target's history: (days, COUNT_STATE)."""
    y = np.asarray(y, dtype=float)
    terms = features.state_terms(
        np.zeros(len(y)), features.recent_level(y), features.recent_size(y)
    )
    return terms[:, 1:]


def calendar_terms(dates: pd.DatetimeIndex, harmonics: int) -> np.ndarray:
    """Season (annual Fourier) and weekday columns: (days, 2·harmonics + 6)."""
    season = features.fourier(features.day_of_year(dates), harmonics)
    return np.concatenate([season, weekday_terms(dates)], axis=-1)


def gate_design(
    calendar: np.ndarray, wx: np.ndarray, blur: np.ndarray, state: np.ndarray
) -> np.ndarray:
    """[1, calendar, weather, weather × blur, gate state, surge] broadcast over leading axes.

    calendar (..., C), wx (..., 10) weather terms, blur (...,) and state (..., 2). Surge: a
    calm day after a run of blocked days."""
    shape = np.broadcast_shapes(calendar.shape[:-1], wx.shape[:-1], blur.shape, state.shape[:-1])
    ones = np.ones((*shape, 1))
    cal = np.broadcast_to(calendar, (*shape, calendar.shape[-1]))
    wx = np.broadcast_to(wx, (*shape, wx.shape[-1]))
    blurred = wx * np.broadcast_to(blur, shape)[..., None]
    st = np.broadcast_to(state, (*shape, state.shape[-1]))
    surge = (wx[..., 3] * st[..., 0])[..., None]
    return np.concatenate([ones, cal, wx, blurred, st, surge], axis=-1)


def training_design(
    d: pd.DatetimeIndex,
    w: pd.DataFrame,
    state: np.ndarray,
    leads: tuple[int, ...],
    harmonics: int,
) -> np.ndarray:
    """The gate design over the fitted days `d` (`w`: gap-filled weather by date), stacked
    once per training lead: the observed weather for lead 0, the weather as a forecast issued
    that far ahead had it otherwise (yesterday's wind as that forecast had it, the first
    day's observed)."""
    cols = features.CORE_WEATHER
    observed = w.loc[d, list(cols)].to_numpy(dtype=float)
    prev_obs = w["wind_mean_ms"].shift(1).loc[d].to_numpy()
    forecast_leads = tuple(x for x in leads if x > 0)
    views = iter(weather_as_served(observed, cols, forecast_leads) if forecast_leads else [])
    calendar = calendar_terms(d, harmonics)
    wind = cols.index("wind_mean_ms")
    blocks = []
    for lead in leads:
        view = observed if lead == 0 else next(views)
        lagged = prev_obs if lead == 0 else np.r_[prev_obs[:1], view[:-1, wind]]
        wx = features.weather_terms({c: view[:, i] for i, c in enumerate(cols)}, lagged)
        blur = np.full(len(d), float(lead_blur(np.array(lead))))
        blocks.append(gate_design(calendar, wx, blur, state))
    return np.concatenate(blocks)


def served_weather(
    weather: FutureWeather, n: int, last_wind: float
) -> tuple[np.ndarray, np.ndarray]:
    """Weather terms (n, h, 10) as the hurdle reads them, and each day's lead blur (h,): a
    forecast day reads its issued forecast at its lead, a known day each path's own weather
    (`last_wind`: the wind of the day before the first)."""
    leads = weather.day_leads()
    h = len(weather.dates)
    values = np.broadcast_to(weather.values, (n, h, len(weather.columns))).copy()
    if weather.centre is not None and (leads > 0).any():
        values[:, leads > 0, :] = weather.centre[leads > 0]
    cols = {c: values[:, :, weather.columns.index(c)] for c in features.CORE_WEATHER}
    wind = cols["wind_mean_ms"]
    prev = np.concatenate([np.full((n, 1), last_wind), wind[:, :-1]], axis=1)
    return features.weather_terms(cols, prev), lead_blur(leads)


def training_leads(leads: tuple[int, ...]) -> tuple[int, ...]:
    """The training copies' leads, checked: whole days from 0 (the observed weather) up."""
    out = tuple(int(x) for x in leads)
    if any(x < 0 for x in out):
        raise ValueError(f"train_leads must be 0 (observed weather) or more, got {out}")
    return out or (0,)


__all__ = [
    "COUNT_STATE",
    "GATE_STATE",
    "calendar_terms",
    "count_state",
    "crossing_days",
    "gate_design",
    "gate_state",
    "lead_blur",
    "served_weather",
    "training_design",
    "training_leads",
    "weekday_terms",
]
