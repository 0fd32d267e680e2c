"""Adapter for Open-Meteo (https://open-meteo.com) weather JSON: the file format only.

`parse_open_meteo` turns a JSON response of the forecast API (api.open-meteo.com/v1/forecast)
or the historical archive API (archive-api.open-meteo.com/v1/archive) into the canonical daily
weather table of `forecasting.schema`. Fetching such responses over HTTP is the job of
`forecasting.providers.open_meteo.OpenMeteoClient`.

Time zones: Open-Meteo resolves the requested `timezone` to a single UTC offset for the whole
response (the offset valid when the request is made; it does not switch at daylight-saving
changes), so each local day in a response holds exactly 24 hourly steps.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.errors import InputError

logger = logging.getLogger(__name__)

SOURCE_ARCHIVE: Final = "open-meteo-archive"
SOURCE_FORECAST: Final = "open-meteo-forecast"
SOURCE_UNKNOWN: Final = "open-meteo"

HOURS_PER_DAY: Final = 24

Block = Literal["daily", "hourly"]
# How a field becomes a daily value: "value" (already daily) or an aggregation of hourly steps;
# "vector_mean" is the speed-weighted vector mean of a direction in degrees.
How = Literal["value", "mean", "max", "min", "sum", "vector_mean"]


@dataclass(frozen=True)
class Field:
    """One Open-Meteo variable and the canonical column it feeds."""

    block: Block
    name: str  # Open-Meteo variable name
    column: str  # canonical column in forecasting.schema.WEATHER_COLUMNS
    quantity: str  # key of UNITS, selects the unit conversion
    how: How = "value"


# The mapping. Several fields may feed one column: the first one present in the payload wins,
# so daily aggregates (computed by Open-Meteo) take precedence over our hourly aggregation.
FIELDS: Final[tuple[Field, ...]] = (
    Field("daily", "wind_speed_10m_mean", "wind_mean_ms", "speed"),
    Field("daily", "wind_speed_10m_max", "wind_max_hourly_ms", "speed"),
    Field("daily", "wind_gusts_10m_max", "gust_max_ms", "speed"),
    Field("daily", "wind_direction_10m_dominant", "wind_dir_deg", "direction"),
    Field("daily", "precipitation_sum", "precip_mm", "precipitation"),
    Field("daily", "temperature_2m_mean", "temp_mean_c", "temperature"),
    Field("daily", "pressure_msl_mean", "pressure_hpa", "pressure"),
    Field("daily", "cloud_cover_mean", "cloud_octas", "cloud"),
    Field("daily", "visibility_min", "visibility_min_m", "length"),
    Field("hourly", "wind_speed_10m", "wind_mean_ms", "speed", "mean"),
    Field("hourly", "wind_speed_10m", "wind_max_hourly_ms", "speed", "max"),
    Field("hourly", "wind_gusts_10m", "gust_max_ms", "speed", "max"),
    Field("hourly", "wind_direction_10m", "wind_dir_deg", "direction", "vector_mean"),
    Field("hourly", "precipitation", "precip_mm", "precipitation", "sum"),
    Field("hourly", "temperature_2m", "temp_mean_c", "temperature", "mean"),
    Field("hourly", "pressure_msl", "pressure_hpa", "pressure", "mean"),
    Field("hourly", "visibility", "visibility_min_m", "length", "min"),
    Field("hourly", "cloud_cover", "cloud_octas", "cloud", "mean"),
    # Last resort: the daily mean visibility overstates the minimum.
    Field("daily", "visibility_mean", "visibility_min_m", "length"),
)

_KNOWN_NAMES: Final[dict[str, frozenset[str]]] = {
    b: frozenset(f.name for f in FIELDS if f.block == b) for b in ("daily", "hourly")
}

# Old Open-Meteo variable spellings (still accepted by the API) -> current names.
LEGACY_PREFIXES: Final[dict[str, str]] = {
    "windspeed_10m": "wind_speed_10m",
    "windgusts_10m": "wind_gusts_10m",
    "winddirection_10m": "wind_direction_10m",
    "cloudcover": "cloud_cover",
}

# Unit label as written in `daily_units` / `hourly_units` -> (scale, offset): si = x*scale + offset.
UNITS: Final[dict[str, dict[str, tuple[float, float]]]] = {
    "speed": {
        "m/s": (1.0, 0.0),
        "km/h": (1 / 3.6, 0.0),
        "kn": (0.514444, 0.0),
        "mph": (0.44704, 0.0),
        "mp/h": (0.44704, 0.0),  # Open-Meteo's own label for wind_speed_unit=mph
    },
    "temperature": {"°C": (1.0, 0.0), "°F": (5 / 9, -32 * 5 / 9)},
    "precipitation": {"mm": (1.0, 0.0), "inch": (25.4, 0.0)},
    "pressure": {"hPa": (1.0, 0.0)},
    "direction": {"°": (1.0, 0.0)},
    "cloud": {"%": (8 / 100, 0.0)},  # percent cover -> octas
    "length": {"m": (1.0, 0.0), "ft": (0.3048, 0.0), "km": (1000.0, 0.0)},
}
# Assumed when a payload has no unit for a field (the API's defaults).
DEFAULT_UNITS: Final[dict[str, str]] = {
    "speed": "km/h",
    "temperature": "°C",
    "precipitation": "mm",
    "pressure": "hPa",
    "direction": "°",
    "cloud": "%",
    "length": "m",
}


# --------------------------------------------------------------------------- parsing


def parse_open_meteo(
    payload: object, *, path: object = None, source: str | None = None
) -> pd.DataFrame:
    """Turn an Open-Meteo JSON response into the canonical daily weather table.

    Reads the `daily` and/or `hourly` blocks in the units given by `daily_units` /
    `hourly_units` and converts to SI. Hourly steps are aggregated per local day of the
    response; only days with all 24 hours are kept (a partial first or last day is dropped),
    and an aggregate is NaN when any of its 24 hourly values is missing. Per column, daily
    variables win and hourly aggregates fill the columns the daily block lacks (see FIELDS).

    `path` names the origin in error messages; `source` overrides the `attrs["source"]` value,
    which is otherwise guessed from `path` when it is an Open-Meteo URL. `attrs` also hold the
    response's point (`location`, and `latitude`/`longitude` when it gives them).
    """
    payload = _checked_payload(payload, path)
    blocks = {b: _read_block(payload, b, path) for b in ("daily", "hourly") if b in payload}
    if not blocks:
        raise InputError(
            "no 'daily' or 'hourly' block",
            path=path,
            hint="Request daily=... or hourly=... variables from Open-Meteo",
        )
    frame = pd.concat(_daily_columns(blocks, path), axis=1, sort=True)  # outer join on the date
    frame.index.name = schema.DATE
    frame = frame.reset_index()
    frame.attrs = {
        schema.ATTR_SOURCE: source or _guess_source(path),
        schema.ATTR_LOCATION: _location(payload),
        **_point(payload),
    }
    result = schema.validate_weather(frame, path=path)
    logger.debug("parsed %d days of Open-Meteo weather from %s", len(result), path)
    return result


def _checked_payload(payload: object, path: object) -> dict[str, Any]:
    """The payload as a JSON object, or an InputError when it is not one or reports an error."""
    if not isinstance(payload, dict):
        raise InputError(
            f"expected a JSON object, got {type(payload).__name__}",
            path=path,
            hint="Pass the Open-Meteo response body as parsed JSON",
        )
    if payload.get("error"):
        raise InputError(
            f"Open-Meteo returned an error: {payload.get('reason', 'no reason given')}",
            path=path,
            column="reason",
            hint="Check the request parameters (variable names, dates, coordinates)",
        )
    return payload


_Blocks = dict[Block, tuple[pd.DatetimeIndex, dict[str, np.ndarray], dict[str, str]]]


def _daily_columns(blocks: _Blocks, path: object) -> dict[str, pd.Series]:
    """One daily series per canonical column, the first field of FIELDS present winning."""
    hourly_days = _full_days(blocks["hourly"][0]) if "hourly" in blocks else None
    if hourly_days is not None and hourly_days.empty and "daily" not in blocks:
        raise InputError(
            f"the hourly block holds no complete day of {HOURS_PER_DAY} hours",
            path=path,
            column="hourly.time",
        )
    columns: dict[str, pd.Series] = {}
    for field in FIELDS:
        if field.column in columns or field.block not in blocks:
            continue
        times, data, units = blocks[field.block]
        if field.name not in data:
            continue
        values = _to_si(data[field.name], units.get(field.name), field, path)
        if field.block == "daily":
            columns[field.column] = pd.Series(values, index=times.floor("D"))
        else:
            assert hourly_days is not None
            weights = data.get("wind_speed_10m") if field.how == "vector_mean" else None
            columns[field.column] = _aggregate(times, values, weights, field.how, hourly_days)
    if not columns:
        raise InputError(
            "no known weather variables",
            path=path,
            hint=f"Expected some of {sorted({f.name for f in FIELDS})}",
        )
    return columns


def load_open_meteo_json(path: str | Path) -> pd.DataFrame:
    """Read a saved Open-Meteo JSON response file into the canonical weather table."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("does not exist", path=path, hint="Check the path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"could not be read ({exc})", path=path) from exc
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise InputError(
            f"is not valid JSON ({exc})",
            path=path,
            hint="Expected a saved Open-Meteo API response",
        ) from exc
    return parse_open_meteo(payload, path=path)


def _canonical_name(name: str) -> str:
    for old, new in LEGACY_PREFIXES.items():
        if name.startswith(old):
            return new + name[len(old) :]
    return name


def _read_block(
    payload: dict[str, Any], block: Block, path: object
) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray], dict[str, str]]:
    """Times, numeric arrays and unit labels of one block, after shape checks."""
    data = payload[block]
    if not isinstance(data, dict):
        raise InputError(f"'{block}' is not an object", path=path, column=block)
    if "time" not in data:
        raise InputError(f"'{block}' has no 'time' array", path=path, column=f"{block}.time")
    offset = payload.get("utc_offset_seconds") or 0
    if not isinstance(offset, int):
        raise InputError("is not an integer", path=path, column="utc_offset_seconds")
    times = _parse_times(data["time"], offset, block, path)
    if not times.is_unique:
        dup = times[times.duplicated()][0]
        raise InputError(f"duplicate time {dup}", path=path, column=f"{block}.time")
    raw_units = payload.get(f"{block}_units") or {}
    if not isinstance(raw_units, dict):
        raise InputError(f"'{block}_units' is not an object", path=path, column=f"{block}_units")

    order = np.argsort(times.to_numpy(), kind="stable")
    arrays: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    for key, values in data.items():
        if key == "time":
            continue
        name = _canonical_name(key)
        where = f"{block}.{key}"
        if not isinstance(values, list):
            raise InputError("is not an array", path=path, column=where)
        if len(values) != len(times):
            raise InputError(
                f"has {len(values)} values but '{block}.time' has {len(times)}",
                path=path,
                column=where,
                hint="The response is truncated or malformed",
            )
        if name not in _KNOWN_NAMES[block] or (name in arrays and name != key):
            continue  # not used (e.g. sunrise), or both spellings present: keep the current one
        try:
            numeric = np.asarray(values, dtype="float64")  # null -> NaN
        except (TypeError, ValueError) as exc:
            raise InputError(f"holds non-numeric values ({exc})", path=path, column=where) from exc
        arrays[name] = numeric[order]
        if key in raw_units:
            units[name] = str(raw_units[key])
    return pd.DatetimeIndex(times[order]), arrays, units


def _parse_times(raw: object, offset: int, block: Block, path: object) -> pd.DatetimeIndex:
    """ISO-8601 local times, or unix seconds shifted by `utc_offset_seconds`, as naive local."""
    where = f"{block}.time"
    if not isinstance(raw, list) or not raw:
        raise InputError("is empty or not an array", path=path, column=where)
    try:
        if all(isinstance(t, int | float) and not isinstance(t, bool) for t in raw):
            seconds = np.asarray(raw, dtype="int64") + offset
            return pd.DatetimeIndex(pd.to_datetime(seconds, unit="s"))
        if not all(isinstance(t, str) for t in raw):
            raise ValueError("mixed value types")
        return pd.DatetimeIndex(pd.to_datetime(raw, format="ISO8601"))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"holds unreadable times ({exc})", path=path, column=where) from exc


def _to_si(values: np.ndarray, unit: str | None, field: Field, path: object) -> np.ndarray:
    table = UNITS[field.quantity]
    label = DEFAULT_UNITS[field.quantity] if unit is None else unit.strip()
    if label not in table:
        raise InputError(
            f"unknown unit '{unit}'",
            path=path,
            column=f"{field.block}_units.{field.name}",
            hint=f"Expected one of {list(table)}",
        )
    scale, offset = table[label]
    return values * scale + offset


def _full_days(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Days that hold all 24 hourly steps."""
    per_day = pd.Series(1, index=times).groupby(times.floor("D")).size()
    return pd.DatetimeIndex(per_day.index[per_day.to_numpy() == HOURS_PER_DAY])


def _aggregate(
    times: pd.DatetimeIndex,
    values: np.ndarray,
    weights: np.ndarray | None,
    how: How,
    days: pd.DatetimeIndex,
) -> pd.Series:
    """Daily aggregate of hourly values over `days`; NaN where any hour of a day is missing."""
    day = times.floor("D")
    series = pd.Series(values, index=times)
    complete = series.notna()
    if how == "vector_mean":
        # Speed-weighted vector mean; unweighted when the speeds are not in the payload.
        w = pd.Series(1.0 if weights is None else weights, index=times)
        complete &= w.notna()
        rad = np.deg2rad(series)
        east = (w * np.sin(rad)).groupby(day).sum()
        e, n = east.to_numpy(), (w * np.cos(rad)).groupby(day).sum().to_numpy()
        total = w.abs().groupby(day).sum().to_numpy()
        deg = np.round(np.rad2deg(np.arctan2(e, n)), 6) % 360.0
        # Calm or exactly opposing winds have no direction.
        agg = pd.Series(np.where(np.hypot(e, n) > 1e-9 * total, deg, np.nan), index=east.index)
    else:
        agg = series.groupby(day).agg(how)
    n_valid = complete.groupby(day).sum()
    agg = agg.where(n_valid == HOURS_PER_DAY)
    return agg.reindex(days).astype("float64")


def _guess_source(path: object) -> str:
    text = "" if path is None else str(path)
    if not text.startswith(("http://", "https://")):
        return SOURCE_UNKNOWN
    if "archive-api." in text or "/v1/archive" in text:
        return SOURCE_ARCHIVE
    if "/v1/forecast" in text:
        return SOURCE_FORECAST
    return SOURCE_UNKNOWN


def _point(payload: dict[str, Any]) -> dict[str, float]:
    """The grid point the response is for (its `latitude`/`longitude`), when it names one."""
    lat, lon = payload.get("latitude"), payload.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return {}
    return {schema.ATTR_LATITUDE: float(lat), schema.ATTR_LONGITUDE: float(lon)}


def _location(payload: dict[str, Any]) -> str:
    lat, lon = payload.get("latitude"), payload.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return "unknown"
    return f"{abs(lat):.2f}{'N' if lat >= 0 else 'S'} {abs(lon):.2f}{'E' if lon >= 0 else 'W'}"
