"""Future weather: the one place weather paths are built, for backtests, training and serving."""

from forecasting.weather.climatology import analogue_starts
from forecasting.weather.error_model import ForecastErrorModel
from forecasting.weather.fill import fill_gaps
from forecasting.weather.history import WeatherHistory
from forecasting.weather.modes import MODES, future_weather, next_days_weather, observed_days
from forecasting.weather.paths import FutureWeather
from forecasting.weather.serving import WeatherUnavailable, build_weather

__all__ = [
    "MODES",
    "ForecastErrorModel",
    "FutureWeather",
    "WeatherHistory",
    "WeatherUnavailable",
    "analogue_starts",
    "build_weather",
    "fill_gaps",
    "future_weather",
    "next_days_weather",
    "observed_days",
]
