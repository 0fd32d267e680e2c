"""Scoring and evaluation of probabilistic forecasts."""
