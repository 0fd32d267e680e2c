"""Canonical tables: column names, units and the one validator each, used at the edge."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from forecasting.errors import InputError

DATE: Final = "date"

# Arrivals: one row per calendar day, no gaps, no duplicates.
PEOPLE: Final = "people"
BOATS: Final = "boats"
UNCONTROLLED: Final = "uncontrolled_landing_boats"
REVISED: Final = "revised"
ARRIVALS_COLUMNS: Final = (DATE, PEOPLE, BOATS, UNCONTROLLED, REVISED)

# Weather: one row per day, SI units.
WEATHER_COLUMNS: Final = (
    "wind_mean_ms",
    "wind_max_hourly_ms",
    "gust_max_ms",
    "wind_dir_deg",
    "precip_mm",
    "temp_mean_c",
    "pressure_hpa",
    "visibility_min_m",
    "cloud_octas",
)
# Plausible physical ranges, used to catch unit mistakes at the boundary.
WEATHER_RANGES: Final[dict[str, tuple[float, float]]] = {
    "wind_mean_ms": (0.0, 60.0),
    "wind_max_hourly_ms": (0.0, 80.0),
    "gust_max_ms": (0.0, 100.0),
    "wind_dir_deg": (0.0, 360.0),
    "precip_mm": (0.0, 500.0),
    "temp_mean_c": (-60.0, 60.0),
    "pressure_hpa": (850.0, 1100.0),
    "visibility_min_m": (0.0, 100_000.0),
    "cloud_octas": (0.0, 9.0),
}
# attrs keys that record where a weather table came from.
ATTR_SOURCE: Final = "source"
ATTR_LOCATION: Final = "location"


def check_daily_index(dates: pd.Series, *, path: object = None, column: str = DATE) -> None:
    """Raise InputError unless `dates` is strictly one row per consecutive calendar day."""
    if dates.empty:
        raise InputError("no rows", path=path, hint="Check that the file holds data rows")
    dup = dates[dates.duplicated()]
    if not dup.empty:
        raise InputError(
            f"duplicate date {dup.iloc[0].date()}",
            path=path,
            row=int(dup.index[0]),
            column=column,
            hint="Each calendar day must appear once",
        )
    ordered = dates.sort_values()
    gaps = ordered.diff().dt.days.fillna(1)
    bad = gaps[gaps != 1]
    if not bad.empty:
        pos = ordered.index.get_loc(bad.index[0])
        prev = ordered.iloc[pos - 1].date()
        raise InputError(
            f"gap in the daily sequence after {prev} (next date {ordered.iloc[pos].date()})",
            path=path,
            row=int(bad.index[0]),
            column=column,
            hint="The daily series must have one row for every calendar day",
        )


def validate_arrivals(df: pd.DataFrame, *, path: object = None) -> pd.DataFrame:
    """Check and normalise a canonical arrivals table; returns it sorted by date."""
    missing = [c for c in ARRIVALS_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"missing columns {missing}", path=path, column=missing[0])
    out = df.loc[:, list(ARRIVALS_COLUMNS)].copy()
    out[DATE] = pd.to_datetime(out[DATE]).astype("datetime64[ns]")
    check_daily_index(out[DATE], path=path)
    for col in (PEOPLE, BOATS):
        out[col] = out[col].astype("int64")
    out[UNCONTROLLED] = out[UNCONTROLLED].astype("Int64")
    out[REVISED] = out[REVISED].astype(bool)
    return out.sort_values(DATE).reset_index(drop=True)


def validate_weather(df: pd.DataFrame, *, path: object = None) -> pd.DataFrame:
    """Check a canonical weather table: daily dates, known columns, physical ranges."""
    if DATE not in df.columns:
        raise InputError("missing the date column", path=path, column=DATE)
    known = [c for c in WEATHER_COLUMNS if c in df.columns]
    if not known:
        raise InputError(
            "no canonical weather columns",
            path=path,
            hint=f"Expected some of {list(WEATHER_COLUMNS)}",
        )
    out = df.loc[:, [DATE, *known]].copy()
    out[DATE] = pd.to_datetime(out[DATE]).astype("datetime64[ns]")
    check_daily_index(out[DATE], path=path)
    for col in known:
        out[col] = pd.to_numeric(out[col]).astype("float64")
        lo, hi = WEATHER_RANGES[col]
        vals = out[col]
        bad = vals[(vals < lo) | (vals > hi)]
        if not bad.empty:
            i = bad.index[0]
            raise InputError(
                f"value {bad.iloc[0]} on {out.loc[i, DATE].date()} is outside [{lo}, {hi}]",
                path=path,
                row=int(i),
                column=col,
                hint="Check the units: the canonical table is in SI units",
            )
    out.attrs = dict(df.attrs)
    return out.sort_values(DATE).reset_index(drop=True)


def as_int_counts(values: np.ndarray) -> np.ndarray:
    """Round and clip model output to non-negative integer counts."""
    return np.clip(np.rint(values), 0, None).astype(np.int64)
