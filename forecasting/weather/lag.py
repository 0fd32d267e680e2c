"""How far the stored weather trails the arrivals.

The Home Office publishes arrivals weekly; station weather arrives on its own schedule, so the
weather usually ends before the arrivals: the normal state of a live service. Past
``CROSSINGS_WEATHER_LAG_WARN_DAYS`` (default 14) retrain, serve and ``/readyz`` say that forecast
days rely on a weather provider, a simulated forecast or climatology.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from forecasting import schema
from forecasting.settings import Settings, get_settings


def lag_settings() -> Settings:
    """The settings that hold the weather-lag threshold (``CROSSINGS_WEATHER_LAG_WARN_DAYS``)."""
    return get_settings()


@dataclass(frozen=True)
class WeatherLag:
    """How far the weather trails the arrivals."""

    arrivals_end: pd.Timestamp
    weather_end: pd.Timestamp
    days: int  # arrivals_end - weather_end, 0 if the weather runs ahead
    threshold: int

    @property
    def warn(self) -> bool:
        """Whether the lag is over the threshold."""
        return self.days > self.threshold

    def message(self) -> str | None:
        """The warning, or None if the lag is within the threshold."""
        if not self.warn:
            return None
        return (
            f"the weather ends {self.weather_end.date()}, {self.days} days before the arrivals "
            f"({self.arrivals_end.date()}; warning above {self.threshold} days): forecast "
            "days after it rely on a weather provider or climatology"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "arrivals_end": str(self.arrivals_end.date()),
            "weather_end": str(self.weather_end.date()),
            "days": self.days,
            "threshold_days": self.threshold,
            "warning": self.message(),
        }


def weather_lag(
    arrivals: pd.DataFrame, weather: pd.DataFrame, threshold: int | None = None
) -> WeatherLag:
    """How far the weather's last day trails the arrivals' last day."""
    a_end = pd.Timestamp(arrivals[schema.DATE].iloc[-1])
    w_end = pd.Timestamp(weather[schema.DATE].iloc[-1])
    limit = lag_settings().weather_lag_warn_days if threshold is None else threshold
    return WeatherLag(a_end, w_end, max(0, (a_end - w_end).days), limit)


__all__ = ["WeatherLag", "lag_settings", "weather_lag"]
