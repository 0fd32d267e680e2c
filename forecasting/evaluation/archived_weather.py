"""The rules an archived issued-forecast table must meet for a backtest in the `issued` weather
mode: every origin T needs the forecast issued on T − 1 for each of its `horizon` days (leads
1..horizon), with every weather variable the models read. Checked once, before any fit, so a
table that does not cover the window fails with a message that says how to fetch one that does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from forecasting import schema
from forecasting.errors import InputError
from forecasting.weather.source import SAME_PLACE_DEG, WeatherSource

log = logging.getLogger(__name__)

_FETCH = "crossings fetch-weather --provider open-meteo-previous-runs"


def check_issued(
    issued: pd.DataFrame | None,
    origins: pd.DatetimeIndex,
    horizon: int,
    variables: Sequence[str],
    observed: pd.DataFrame | None = None,
) -> None:
    """Raise InputError unless `issued` covers every origin's days with `variables` (the
    weather the models need); warn when it is for another point than `observed`."""
    if issued is None:
        raise InputError(
            "the issued weather mode needs archived forecasts",
            hint=f"Fetch them with `{_FETCH}` and pass the file (--issued-weather)",
        )
    missing = [v for v in variables if v not in issued.columns]
    if missing:
        raise InputError(
            f"the archived forecasts have no '{missing[0]}', which the models need",
            column=missing[0],
            hint=f"Fetch forecasts with every weather variable (`{_FETCH}`)",
        )
    top = int(issued[schema.LEAD].max())
    if horizon > top:
        raise InputError(
            f"the archived forecasts reach {top} days ahead, the horizon is {horizon}",
            column=schema.LEAD,
            hint=f"Use a horizon of {top} days or less",
        )
    _check_origins(issued, origins, horizon, variables)
    if observed is not None:
        _warn_other_place(issued, observed)


def _check_origins(
    issued: pd.DataFrame, origins: pd.DatetimeIndex, horizon: int, variables: Sequence[str]
) -> None:
    complete = issued.loc[issued[list(variables)].notna().all(axis=1)]
    have = pd.MultiIndex.from_frame(complete[[schema.ISSUE_DATE, schema.VALID_DATE]])
    one = pd.Timedelta(days=1)
    for origin in origins:
        days = pd.date_range(origin, periods=horizon, freq="D")
        wanted = pd.MultiIndex.from_arrays([[origin - one] * horizon, days])
        absent = wanted[~wanted.isin(have)]
        if len(absent):
            day = absent[0][1].date()
            first, last = origins[0].date(), (origins[-1] + (horizon - 1) * one).date()
            raise InputError(
                f"origin {origin.date()} needs the forecast issued on {(origin - one).date()} "
                f"for {day} (lead {(absent[0][1] - absent[0][0]).days}), which the archived "
                "forecasts lack or leave incomplete",
                row=str(day),
                column=schema.VALID_DATE,
                hint=f"Fetch forecasts valid from {first} to {last} (`{_FETCH} --start "
                f"{first} --end {last}`), or move the backtest window inside the archive",
            )


def _warn_other_place(issued: pd.DataFrame, observed: pd.DataFrame) -> None:
    """A warning when the forecasts and the observed weather name different points."""
    here = WeatherSource.from_labels(
        issued.attrs.get(schema.ATTR_SOURCE), issued.attrs.get(schema.ATTR_LOCATION)
    )
    there = WeatherSource.from_labels(
        observed.attrs.get(schema.ATTR_SOURCE), observed.attrs.get(schema.ATTR_LOCATION)
    )
    if here.lat is None or there.lat is None or there.lon is None:
        return
    if not here.same_place(there.lat, there.lon):
        log.warning(
            "the archived forecasts are for %s but the observed weather is for %s "
            "(more than %.2f° apart): the models learned on one place and are scored on "
            "forecasts for another",
            here.location,
            there.location,
            SAME_PLACE_DEG,
        )
