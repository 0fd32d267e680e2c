"""Where a champion's weather ahead comes from: the live provider's forecast at the point
the champion learned on, when that provider serves it, else weather simulated from the
stored observations (then climatology)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import pandas as pd

from api.champion import Champion
from api.data import Observed
from api.issue_date import IssueDate
from forecasting.issuing import IssueSpec
from forecasting.providers.live import LiveForecast
from forecasting.weather.source import WeatherSource

Point = tuple[float, float]


def live_point_of(live: LiveForecast, champ: Champion) -> Point | None:
    """The point at which the live provider can serve `champ`: the one it learned on, when
    it learned on that provider's weather; None otherwise (it is then served without the
    live forecast, or was refused at load when the operator asked for the provider)."""
    if not live.enabled or not champ.forecaster.uses_weather:
        return None
    source = WeatherSource.from_metadata(champ.metadata)
    if source.live_mismatch(live.provider) is not None:
        return None
    assert source.lat is not None and source.lon is not None  # no mismatch: a known point
    return (source.lat, source.lon)


def live_points(live: LiveForecast, champions: Iterable[Champion | None]) -> set[Point]:
    """The live provider's points for the loaded `champions` (to prefetch)."""
    points = set()
    for champ in champions:
        if champ is not None and (point := live_point_of(live, champ)) is not None:
            points.add(point)
    return points


def live_point_for(
    live: LiveForecast,
    champ: Champion,
    spec: IssueSpec,
    issue: IssueDate,
    requested: Mapping[date, Mapping[str, float]] | None,
) -> Point | None:
    """The champion's weather point when the live provider should be asked: a forecast
    issued today, in forecast mode, for a model using weather, with days the scenario
    does not cover."""
    if issue.hindcast or spec.mode != "forecast" or not live.enabled:
        return None
    if not champ.forecaster.uses_weather:
        return None
    days = (spec.asked[-1] - spec.issue_date).days + 1
    if requested is not None and len(requested) >= days:
        return None
    return live_point_of(live, champ)


def weather_note(live: LiveForecast, champ: Champion, obs: Observed) -> str | None:
    """Where `champ`'s weather ahead comes from, in words (None if it uses no weather)."""
    if not champ.forecaster.uses_weather:
        return None
    source = WeatherSource.from_metadata(champ.metadata)
    if live_point_of(live, champ) is not None:
        return f"weather: the live {live.provider} forecast for {source.place}"
    end = pd.Timestamp(obs.weather["date"].iloc[-1]).date()
    why = (
        "the live provider is off"
        if not live.enabled
        else f"no live forecast for this source (the live provider is {live.provider})"
    )
    return f"weather: simulated from {source.place} observations to {end}, else climatology; {why}"
