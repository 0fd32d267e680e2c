"""Adapter for Open-Meteo's Previous Runs API JSON: forecasts as they were issued, by lead.

The Previous Runs API (previous-runs-api.open-meteo.com/v1/forecast) answers hourly variables
with a `_previous_dayN` suffix: `wind_speed_10m_previous_day3` at hour h is the value forecast
N × 24 hours before h, so a day's 24 values come from the runs of the day N days earlier.
`parse_previous_runs` aggregates each lead's hours to days exactly as the daily weather adapter
does (`forecasting.adapters.open_meteo.parse_open_meteo`) and returns the canonical issued table
of `forecasting.schema`: one row per (issue_date, valid_date), issue_date = valid_date − N and
lead = N. Days whose every variable is missing at a lead (before the archive starts) are left
out, so an answer with nothing archived gives an empty table.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

import pandas as pd

from forecasting import schema
from forecasting.adapters.open_meteo import parse_open_meteo
from forecasting.errors import InputError

logger = logging.getLogger(__name__)

SOURCE_PREVIOUS_RUNS: Final = "open-meteo-previous-runs"

_SUFFIX: Final = re.compile(r"^(?P<name>.+)_previous_day(?P<lead>\d+)$")


def parse_previous_runs(
    payload: object, *, path: object = None, source: str = SOURCE_PREVIOUS_RUNS
) -> pd.DataFrame:
    """Turn a Previous Runs API response (hourly `<variable>_previous_dayN` arrays) into the
    canonical issued-forecast table (see the module doc).

    `path` names the origin in error messages. Leads outside 1..MAX_ISSUED_LEAD (day 0 is the
    newest run, not an issued forecast) and variables without a suffix are ignored.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("hourly"), dict):
        raise InputError(
            "no 'hourly' block",
            path=path,
            hint="Request hourly=<variable>_previous_dayN variables from the Previous Runs API",
        )
    if payload.get("error"):
        raise InputError(
            f"Open-Meteo returned an error: {payload.get('reason', 'no reason given')}",
            path=path,
            column="reason",
        )
    by_lead = _split_by_lead(payload["hourly"])
    if not by_lead:
        raise InputError(
            "no `_previous_dayN` variables with N in "
            f"{schema.MIN_ISSUED_LEAD}-{schema.MAX_ISSUED_LEAD}",
            path=path,
            column="hourly",
            hint="Request e.g. hourly=wind_speed_10m_previous_day1,...",
        )
    frames = [_lead_frame(payload, lead, names, path) for lead, names in sorted(by_lead.items())]
    table = pd.concat(frames, ignore_index=True)
    point = (schema.ATTR_LOCATION, schema.ATTR_LATITUDE, schema.ATTR_LONGITUDE)
    attrs = {schema.ATTR_SOURCE: source} | {
        k: frames[0].attrs[k] for k in point if k in frames[0].attrs
    }
    table.attrs = attrs
    if table.empty:  # every value missing: nothing was archived for these days
        return table
    result = schema.validate_issued(table, path=path)
    logger.debug("parsed %d issued forecast days from %s", len(result), path)
    return result


def _split_by_lead(hourly: dict[str, Any]) -> dict[int, dict[str, str]]:
    """Per lead, the response key of each variable (`{1: {"wind_speed_10m": "..._day1"}}`)."""
    out: dict[int, dict[str, str]] = {}
    for key in hourly:
        m = _SUFFIX.match(key)
        if m is None:
            continue
        lead = int(m.group("lead"))
        if schema.MIN_ISSUED_LEAD <= lead <= schema.MAX_ISSUED_LEAD:
            out.setdefault(lead, {})[m.group("name")] = key
    return out


def _lead_frame(
    payload: dict[str, Any], lead: int, names: dict[str, str], path: object
) -> pd.DataFrame:
    """One lead's days as issued-table rows, aggregated like any hourly Open-Meteo answer."""
    hourly, units = payload["hourly"], payload.get("hourly_units") or {}
    sub = {k: v for k, v in payload.items() if k not in ("hourly", "hourly_units", "daily")}
    sub["hourly"] = {"time": hourly.get("time"), **{n: hourly[k] for n, k in names.items()}}
    if isinstance(units, dict):
        sub["hourly_units"] = {n: units[k] for n, k in names.items() if k in units}
    where = f"previous_day{lead}" if path is None else f"{path} (previous_day{lead})"
    daily = parse_open_meteo(sub, path=where, source=SOURCE_PREVIOUS_RUNS)
    values = [c for c in schema.WEATHER_COLUMNS if c in daily.columns]
    daily = daily.loc[daily[values].notna().any(axis=1)]
    frame = pd.DataFrame(
        {
            schema.ISSUE_DATE: daily[schema.DATE] - pd.Timedelta(days=lead),
            schema.VALID_DATE: daily[schema.DATE],
            schema.LEAD: lead,
        }
    )
    frame = pd.concat([frame, daily[values]], axis=1)
    frame.attrs = dict(daily.attrs)
    return frame
