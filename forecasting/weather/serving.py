"""Future weather for serving: the caller's scenario, else a provider chain per day.

For each forecast day the first source that has every variable the model needs wins:

1. ``request``: the day is in the caller's scenario (POST /v1/forecast);
2. ``forecast``: the live forecast (`forecasting.providers.live.LiveForecast`, a frame by
   date), passed in by the caller;
3. ``observed``: the stored observed weather (the canonical table `crossings ingest` wrote);
4. ``climatology``: the same days of past years (the last 10, ±7 days), one draw per path,
   drawn as the backtest's climatology mode draws them.

Provider forecasts are treated as the truth plus lead-time-dependent error (the project's
`ForecastErrorModel`, leads counted from the first provider day used), so bands widen with a
less certain weather forecast instead of trusting one deterministic run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

import numpy as np
import pandas as pd

from forecasting.weather.climatology import draw_analogues
from forecasting.weather.error_model import ForecastErrorModel
from forecasting.weather.history import WeatherHistory, complete_rows
from forecasting.weather.paths import FutureWeather

SOURCES: Final = ("request", "forecast", "observed", "climatology")


class WeatherUnavailable(RuntimeError):
    """No source can supply weather for a day (no provider, no observed table)."""


def climatology(
    history: WeatherHistory,
    variables: tuple[str, ...],
    dates: pd.DatetimeIndex,
    n_paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(n_paths, days, variables) weather drawn from the same days of past years."""
    table = history.filled(variables)
    if tuple(table.columns) != variables:
        missing = sorted(set(variables) - set(table.columns))
        raise WeatherUnavailable(f"the observed weather has no {', '.join(missing)}")
    try:
        pos = history.analogue_positions(pd.Timestamp(dates[0]), len(dates))
    except ValueError as exc:
        raise WeatherUnavailable(str(exc)) from exc
    return draw_analogues(table.to_numpy(), pos, len(dates), n_paths, rng)


def _day_sources(
    variables: tuple[str, ...],
    dates: pd.DatetimeIndex,
    requested: Mapping[date, Mapping[str, float]],
    live_rows: pd.DataFrame | None,
    obs_rows: pd.DataFrame | None,
) -> tuple[list[str], dict[int, np.ndarray], list[int]]:
    """Each day's source, the values of the fixed days by position, and the forecast days."""
    sources: list[str] = []
    fixed: dict[int, np.ndarray] = {}
    forecast_idx: list[int] = []
    for i, ts in enumerate(dates):
        day = ts.date()
        if day in requested:
            sources.append("request")
            fixed[i] = np.array([float(requested[day][v]) for v in variables])
        elif live_rows is not None and ts in live_rows.index:
            sources.append("forecast")
            forecast_idx.append(i)
        elif obs_rows is not None and ts in obs_rows.index:
            sources.append("observed")
            fixed[i] = obs_rows.loc[ts].to_numpy(dtype=float)
        else:
            sources.append("climatology")
    return sources, fixed, forecast_idx


def build_weather(
    variables: tuple[str, ...],
    dates: pd.DatetimeIndex,
    *,
    n_paths: int,
    rng: np.random.Generator,
    history: WeatherHistory | None,
    live: pd.DataFrame | None,
    requested: Mapping[date, Mapping[str, float]] | None = None,
    error_model: ForecastErrorModel | None = None,
) -> FutureWeather:
    """Weather paths over `dates` for a model needing `variables`, and each day's source.

    `requested` holds the caller's days (complete: checked at the edge); the other days come
    from the `live` forecast (a frame by date), the observed `history` or climatology, in that
    order.
    """
    live_rows = complete_rows(live, variables)
    obs_rows = history.complete_rows(variables) if history is not None else None
    sources, fixed, forecast_idx = _day_sources(
        variables, dates, requested or {}, live_rows, obs_rows
    )
    if not variables:
        return FutureWeather(dates, np.zeros((1, len(dates), 0)), (), tuple(sources))
    paths = n_paths if len(fixed) < len(dates) else 1  # one path when nothing is random
    values = np.empty((paths, len(dates), len(variables)))
    if "climatology" in sources:
        if history is None:
            day = dates[sources.index("climatology")].date()
            raise WeatherUnavailable(
                f"no weather for {day}: the forecast provider is unavailable and there is no "
                "observed weather table to draw climatology from; supply the day in a POST "
                "scenario"
            )
        values[:] = climatology(history, variables, dates, paths, rng)
    if forecast_idx:
        assert live_rows is not None
        truth = live_rows.loc[dates[forecast_idx]].to_numpy(dtype=float)
        model = error_model or ForecastErrorModel()
        values[:, forecast_idx, :] = model.perturb(truth, variables, paths, rng)
    for i, row in fixed.items():
        values[:, i, :] = row
    return FutureWeather(dates, values, variables, tuple(sources))
