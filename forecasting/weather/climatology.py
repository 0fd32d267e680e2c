"""Climatology: weather (or any daily series) drawn from the same days of past years."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

# How far back, and how many days either side of the calendar date, analogues are taken.
CLIMATOLOGY_YEARS: Final = 10
CLIMATOLOGY_WINDOW_DAYS: Final = 7


def analogue_starts(
    first_day: pd.Timestamp,
    available: pd.DatetimeIndex,
    horizon: int,
    years: int,
    window_days: int,
) -> np.ndarray:
    """Start dates in the last `years` years, within ±`window_days` of `first_day`'s calendar
    date, whose `horizon`-day run lies entirely inside `available` (strictly before first_day)."""
    out = []
    last_ok = available[-1] - pd.Timedelta(days=horizon - 1)
    for k in range(1, years + 1):
        centre = first_day - pd.DateOffset(years=k)
        for s in pd.date_range(
            centre - pd.Timedelta(days=window_days), centre + pd.Timedelta(days=window_days)
        ):
            if available[0] <= s <= last_ok:
                out.append(s)
    if not out:
        raise ValueError(f"no analogue days for {first_day.date()} in the last {years} years")
    return np.array(out, dtype="datetime64[ns]")


def analogue_positions(
    index: pd.DatetimeIndex,
    first_day: pd.Timestamp,
    n_days: int,
    years: int = CLIMATOLOGY_YEARS,
    window_days: int = CLIMATOLOGY_WINDOW_DAYS,
) -> np.ndarray:
    """Row positions in `index` (sorted days) of the analogue start days of an `n_days` run
    from `first_day`, using only the days before `first_day` (see `analogue_starts`)."""
    before = index[index < first_day]
    starts = analogue_starts(first_day, before, n_days, years, window_days)
    return np.asarray(index.get_indexer(pd.DatetimeIndex(starts)))


def normals(
    table: pd.DataFrame,
    days: pd.DatetimeIndex,
    years: int = CLIMATOLOGY_YEARS,
    window_days: int = CLIMATOLOGY_WINDOW_DAYS,
) -> pd.DataFrame:
    """The climatological mean of each column of `table` (days × variables, indexed by date)
    for each of `days`: the mean over the same calendar days (±`window_days`) of the last
    `years` years before it. NaN where no past year has that day."""
    index = pd.DatetimeIndex(table.index)
    values = table.to_numpy(dtype=float)
    out = np.full((len(days), values.shape[1]), np.nan)
    for i, day in enumerate(days):
        picks = []
        for k in range(1, years + 1):
            centre = day - pd.DateOffset(years=k)
            lo = index.searchsorted(centre - pd.Timedelta(days=window_days), side="left")
            hi = index.searchsorted(centre + pd.Timedelta(days=window_days), side="right")
            picks.append(values[lo:hi])
        block = np.concatenate(picks) if picks else np.empty((0, values.shape[1]))
        if len(block):
            with np.errstate(invalid="ignore"):
                out[i] = np.nanmean(block, axis=0)
    return pd.DataFrame(out, index=days, columns=table.columns)


def draw_analogues(
    values: np.ndarray,
    positions: np.ndarray,
    n_days: int,
    n_paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """`n_paths` runs of `n_days` consecutive rows of `values` (days × variables), each from a
    start drawn at random from `positions`: shape (n_paths, n_days, variables)."""
    pick = rng.choice(positions, size=n_paths)
    return values[pick[:, None] + np.arange(n_days)[None, :]]
