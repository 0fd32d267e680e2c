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
# attrs keys that record where a weather table came from: the source label, the location label
# (``51.45N 4.34E``) and, where the source names its point exactly, its coordinates (degrees).
ATTR_SOURCE: Final = "source"
ATTR_LOCATION: Final = "location"
ATTR_LATITUDE: Final = "latitude"
ATTR_LONGITUDE: Final = "longitude"

# Issued forecasts (archived weather forecasts as they were published): one row per
# (issue_date, valid_date), lead = valid_date − issue_date in days, plus the weather columns
# above in SI units (NaN where the forecast did not cover a variable).
ISSUE_DATE: Final = "issue_date"
VALID_DATE: Final = "valid_date"
LEAD: Final = "lead"
ISSUED_KEYS: Final = (ISSUE_DATE, VALID_DATE, LEAD)
MIN_ISSUED_LEAD: Final = 1
MAX_ISSUED_LEAD: Final = 16  # days; the longest weather forecast published


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
    _check_ranges(out, known, path, DATE)
    out.attrs = dict(df.attrs)
    return out.sort_values(DATE).reset_index(drop=True)


def _check_ranges(out: pd.DataFrame, columns: list[str], path: object, when: str) -> None:
    """Raise InputError naming the first value outside its column's physical range."""
    for col in columns:
        lo, hi = WEATHER_RANGES[col]
        vals = out[col]
        bad = vals[(vals < lo) | (vals > hi)]
        if not bad.empty:
            i = bad.index[0]
            raise InputError(
                f"value {bad.iloc[0]} on {out.loc[i, when].date()} is outside [{lo}, {hi}]",
                path=path,
                row=int(i),
                column=col,
                hint="Check the units: the canonical table is in SI units",
            )


def _dates(df: pd.DataFrame, column: str, path: object) -> pd.Series:
    """A column parsed as calendar days, or an InputError naming the first unreadable row."""
    parsed = pd.to_datetime(df[column], errors="coerce", format="ISO8601")
    bad = parsed.isna() | (parsed != parsed.dt.normalize())
    if bad.any():
        i = bad.idxmax()
        raise InputError(
            f"'{df.loc[i, column]}' is not a date",
            path=path,
            row=int(i),
            column=column,
            hint="Write dates as YYYY-MM-DD",
        )
    return parsed.astype("datetime64[ns]")


def validate_issued(df: pd.DataFrame, *, path: object = None) -> pd.DataFrame:
    """Check and normalise a canonical issued-forecast table; returns it sorted by issue and
    valid date, with `lead` as integers and the weather columns as floats (NaN allowed)."""
    missing = [c for c in ISSUED_KEYS if c not in df.columns]
    if missing:
        raise InputError(
            f"missing columns {missing}",
            path=path,
            column=missing[0],
            hint=f"An issued-forecast table has {', '.join(ISSUED_KEYS)} and weather columns",
        )
    known = [c for c in WEATHER_COLUMNS if c in df.columns]
    if not known:
        raise InputError(
            "no canonical weather columns",
            path=path,
            hint=f"Expected some of {list(WEATHER_COLUMNS)}",
        )
    if df.empty:
        raise InputError("no rows", path=path, hint="Check that the file holds data rows")
    out = df.loc[:, [*ISSUED_KEYS, *known]].reset_index(drop=True)
    out[ISSUE_DATE] = _dates(out, ISSUE_DATE, path)
    out[VALID_DATE] = _dates(out, VALID_DATE, path)
    _check_leads(out, path)
    dup = out[out.duplicated([ISSUE_DATE, VALID_DATE])]
    if not dup.empty:
        i = dup.index[0]
        raise InputError(
            f"a second forecast issued {out.loc[i, ISSUE_DATE].date()} for "
            f"{out.loc[i, VALID_DATE].date()}",
            path=path,
            row=int(i),
            column=VALID_DATE,
            hint="Keep one row per (issue_date, valid_date)",
        )
    for col in known:
        try:
            out[col] = pd.to_numeric(out[col]).astype("float64")
        except (TypeError, ValueError) as exc:
            raise InputError(f"holds non-numeric values ({exc})", path=path, column=col) from None
    _check_ranges(out, known, path, VALID_DATE)
    out.attrs = dict(df.attrs)
    return out.sort_values([ISSUE_DATE, VALID_DATE]).reset_index(drop=True)


def _check_leads(out: pd.DataFrame, path: object) -> None:
    """Leads must be whole days in range and equal valid_date − issue_date."""
    lead = pd.to_numeric(out[LEAD], errors="coerce")
    days = (out[VALID_DATE] - out[ISSUE_DATE]).dt.days
    bad = out.index[
        lead.isna()
        | (lead != lead.round())
        | (lead < MIN_ISSUED_LEAD)
        | (lead > MAX_ISSUED_LEAD)
        | (lead != days)
    ]
    if len(bad):
        i = bad[0]
        raise InputError(
            f"lead '{out.loc[i, LEAD]}' does not fit a forecast issued "
            f"{out.loc[i, ISSUE_DATE].date()} for {out.loc[i, VALID_DATE].date()}",
            path=path,
            row=int(i),
            column=LEAD,
            hint=f"lead is valid_date − issue_date in whole days, "
            f"{MIN_ISSUED_LEAD}-{MAX_ISSUED_LEAD}",
        )
    out[LEAD] = lead.astype("int64")


def as_int_counts(values: np.ndarray) -> np.ndarray:
    """Round and clip model output to non-negative integer counts."""
    return np.clip(np.rint(values), 0, None).astype(np.int64)
