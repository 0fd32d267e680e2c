"""Probabilistic, weather-aware forecasts of daily small-boat crossings of the English Channel."""

__version__ = "0.1.0"
