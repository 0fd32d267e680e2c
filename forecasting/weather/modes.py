"""The weather modes of a backtest, and the check that observed weather covers the days a mode
needs (the weather itself is built by `forecasting.weather.future`)."""

from __future__ import annotations

import pandas as pd

from forecasting import schema
from forecasting.errors import InputError
from forecasting.weather.fill import fill_gaps


def _filled(weather: pd.DataFrame) -> pd.DataFrame:
    """Weather by date with short gaps filled; the wind must be there."""
    w = weather.set_index(schema.DATE).sort_index()
    return fill_gaps(w, [c for c in schema.WEATHER_COLUMNS if c in w.columns])


def observed_days(weather: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The observed weather on `dates`, or an InputError naming the first missing day."""
    w = _filled(weather)
    missing = dates.difference(w.index[w["wind_mean_ms"].notna()])
    if len(missing):
        raise InputError(
            f"observed weather mode needs weather for every forecast day; none for "
            f"{missing[0].date()} (the weather ends {w.index[-1].date()})",
            column="wind_mean_ms",
            hint="Use the forecast or climatology weather mode, an earlier window, or newer "
            "weather",
        )
    return w.loc[dates]
