"""Observed weather as forecasts read it: one snapshot, with its derived tables cached."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.weather.climatology import analogue_positions
from forecasting.weather.fill import fill_gaps


@dataclass(frozen=True, eq=False)
class DayRows:
    """A table's rows by date as numpy: `values[at.get_loc(day)]` is the row of `day`."""

    at: pd.DatetimeIndex  # the dates, unique and in order
    values: np.ndarray
    last: pd.Timestamp | None  # the last day (None for an empty table)

    def get(self, day: pd.Timestamp) -> np.ndarray | None:
        """The row of `day`, or None when the table has no such day."""
        try:
            return self.values[self.at.get_loc(day)]
        except KeyError:
            return None


@dataclass(frozen=True, eq=False)
class WeatherHistory:
    """One snapshot of the observed weather (a canonical table) and its `version`.

    A server asks for the same derived tables on every request, so they are computed once per
    snapshot and cached on it: the gap-filled table (all of it, or only the days before a
    date, which is what climatology may draw from) and the analogue start positions of a run.
    A new snapshot starts with empty caches, and the caches go when the snapshot does.
    """

    frame: pd.DataFrame
    version: str = ""
    _filled_cached: Callable[[tuple[str, ...], pd.Timestamp | None], pd.DataFrame] = field(
        init=False, repr=False
    )
    _positions_cached: Callable[[tuple[str, ...], pd.Timestamp, int], np.ndarray] = field(
        init=False, repr=False
    )
    _days_cached: Callable[[tuple[str, ...]], DayRows] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Bind the bounded per-snapshot caches."""
        object.__setattr__(self, "_filled_cached", lru_cache(maxsize=64)(self._filled))
        object.__setattr__(self, "_positions_cached", lru_cache(maxsize=256)(self._positions))
        object.__setattr__(self, "_days_cached", lru_cache(maxsize=16)(self._days))

    @cached_property
    def rows(self) -> pd.DataFrame:
        """The observed weather indexed by date, in date order."""
        return self.frame.set_index(schema.DATE).sort_index()

    def filled_before(
        self, variables: tuple[str, ...], before: pd.Timestamp | None
    ) -> pd.DataFrame:
        """Those of `variables` the table has, by date, with gaps filled (`fill_gaps`), from
        the days before `before` only (all days when None)."""
        key = None if before is None else pd.Timestamp(before)
        return self._filled_cached(variables, key)

    def observed_days(self, variables: tuple[str, ...]) -> DayRows:
        """`filled_before(variables, None)` as numpy rows by date, built once per snapshot
        (a forecast looks days up one at a time)."""
        return self._days_cached(variables)

    def _days(self, variables: tuple[str, ...]) -> DayRows:
        table = self.filled_before(variables, None)
        at = pd.DatetimeIndex(table.index)
        return DayRows(at, table.to_numpy(dtype=float), at[-1] if len(at) else None)

    def analogue_positions_before(
        self, variables: tuple[str, ...], first_day: pd.Timestamp, n_days: int
    ) -> np.ndarray:
        """Row positions (in `filled_before(variables, first_day)`) of the analogue start days
        of an `n_days` run from `first_day`; ValueError when there are none."""
        return self._positions_cached(variables, pd.Timestamp(first_day), n_days)

    def _filled(self, variables: tuple[str, ...], before: pd.Timestamp | None) -> pd.DataFrame:
        rows = self.rows if before is None else self.rows.loc[self.rows.index < before]
        return fill_gaps(rows, [c for c in variables if c in rows.columns])

    def _positions(
        self, variables: tuple[str, ...], first_day: pd.Timestamp, n_days: int
    ) -> np.ndarray:
        index = self.filled_before(variables, first_day).index
        if len(index) < n_days:
            raise ValueError(
                f"no observed weather before {first_day.date()} to draw climatology from"
            )
        try:
            return analogue_positions(index, first_day, n_days)
        except ValueError as exc:
            raise ValueError(f"climatology: {exc}") from exc
