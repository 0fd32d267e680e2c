"""Future weather: the one place weather paths are built, for backtests, training and serving."""

from forecasting.weather.climatology import analogue_starts
from forecasting.weather.error_model import ForecastErrorModel
from forecasting.weather.fill import fill_gaps
from forecasting.weather.future import (
    WeatherInputs,
    WeatherStreams,
    WeatherUnavailable,
    build_future_weather,
    stream,
)
from forecasting.weather.history import WeatherHistory
from forecasting.weather.modes import observed_days
from forecasting.weather.paths import FutureWeather

__all__ = [
    "ForecastErrorModel",
    "FutureWeather",
    "WeatherHistory",
    "WeatherInputs",
    "WeatherStreams",
    "WeatherUnavailable",
    "analogue_starts",
    "build_future_weather",
    "fill_gaps",
    "observed_days",
    "stream",
]
