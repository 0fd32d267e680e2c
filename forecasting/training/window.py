"""The backtest window a job can support with the data it has, and why it ends where it does.

The Home Office publishes arrivals weekly; station weather arrives on its own schedule (KNMI
monthly files), so the weather usually ends before the arrivals. With ``backtest.end:
latest`` the window's last origin is the last one whose forecast days all have arrivals
*and*, for the weather modes that read observed weather (`observed`, `forecast`), observed
weather. Arrivals after that still feed the model's state and the served forecast.

How far the weather trails the arrivals is `forecasting.weather.lag`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from forecasting import schema
from forecasting.contract import WeatherMode
from forecasting.evaluation.backtest import MODES_READING_WEATHER, latest_origin
from forecasting.weather.lag import WeatherLag, weather_lag


@dataclass(frozen=True)
class Window:
    """The backtest's first and last origin and why the last one is where it is."""

    start: pd.Timestamp
    end: pd.Timestamp
    horizon: int
    arrivals_end: pd.Timestamp
    weather_end: pd.Timestamp
    limited_by: str  # "arrivals", "weather" or "config"

    @property
    def last_scored_day(self) -> pd.Timestamp:
        """The last day the backtest scores."""
        return self.end + pd.Timedelta(days=self.horizon - 1)

    @property
    def state_only_days(self) -> int:
        """Arrival days after the backtest's last scored day: used for state, not scored."""
        return max(0, (self.arrivals_end - self.last_scored_day).days)

    def reason(self) -> str:
        """E.g. "weather ends 2026-06-25; backtest to 2026-06-19; 56 newer arrival days used
        for state only"."""
        if self.limited_by == "weather":
            why = f"weather ends {self.weather_end.date()}"
        elif self.limited_by == "config":
            why = "backtest.end set in the config"
        else:
            why = f"arrivals end {self.arrivals_end.date()}"
        return (
            f"{why}; backtest to {self.last_scored_day.date()} (last origin {self.end.date()}); "
            f"{self.state_only_days} newer arrival days used for state only"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (also logged to MLflow)."""
        return {
            "first_origin": str(self.start.date()),
            "last_origin": str(self.end.date()),
            "last_scored_day": str(self.last_scored_day.date()),
            "limited_by": self.limited_by,
            "state_only_days": self.state_only_days,
            "reason": self.reason(),
        }


def latest_supported_origin(
    arrivals: pd.DataFrame,
    weather: pd.DataFrame | None,
    horizon: int,
    modes: Sequence[WeatherMode],
) -> tuple[pd.Timestamp, str]:
    """The last origin whose `horizon` days have arrivals and, for modes that read it,
    observed weather; with what limits it ("arrivals" or "weather")."""
    end = latest_origin(arrivals, horizon)
    if weather is None or not MODES_READING_WEATHER & set(modes):
        return end, "arrivals"
    by_weather = pd.Timestamp(weather[schema.DATE].iloc[-1]) - pd.Timedelta(days=horizon - 1)
    if by_weather < end:
        return by_weather, "weather"
    return end, "arrivals"


def resolve_window(
    arrivals: pd.DataFrame,
    weather: pd.DataFrame | None,
    *,
    end: Any,
    start: Any,
    n_origins: int | None,
    step: int,
    horizon: int,
    modes: Sequence[WeatherMode],
) -> Window:
    """The window of a config's backtest spec: `end` is "latest" (what the data supports)
    or a date the config insists on (checked elsewhere, an error if unsupported)."""
    if end == "latest":
        last, limited_by = latest_supported_origin(arrivals, weather, horizon, modes)
    else:
        last, limited_by = pd.Timestamp(end), "config"
    first = (
        last - pd.Timedelta(days=step * (n_origins - 1))
        if n_origins is not None
        else pd.Timestamp(start)
    )
    a_end = pd.Timestamp(arrivals[schema.DATE].iloc[-1])
    w_end = pd.Timestamp(weather[schema.DATE].iloc[-1]) if weather is not None else a_end
    return Window(first, last, horizon, a_end, w_end, limited_by)


__all__ = [
    "MODES_READING_WEATHER",
    "WeatherLag",
    "Window",
    "latest_supported_origin",
    "resolve_window",
    "weather_lag",
]
