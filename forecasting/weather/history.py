"""Observed weather as the serving chain reads it, with its derived tables cached."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.weather.climatology import analogue_positions
from forecasting.weather.fill import fill_gaps


def complete_rows(frame: pd.DataFrame | None, variables: Sequence[str]) -> pd.DataFrame | None:
    """Rows of `frame` (indexed by date) that have every variable; None if none do."""
    if frame is None or frame.empty or any(v not in frame.columns for v in variables):
        return None
    rows = frame.loc[:, list(variables)].dropna()
    return rows if not rows.empty else None


@dataclass(frozen=True, eq=False)
class WeatherHistory:
    """One snapshot of the observed weather (a canonical table) and its `version`.

    Serving asks for the same derived tables on every request, so they are computed once per
    snapshot and cached on it: the rows by date, the gap-filled table climatology draws from,
    and the analogue start positions of a run. A new snapshot starts with empty caches, and
    the caches go when the snapshot does.
    """

    frame: pd.DataFrame
    version: str = ""
    _filled_cached: Callable[[tuple[str, ...]], pd.DataFrame] = field(init=False, repr=False)
    _complete_cached: Callable[[tuple[str, ...]], pd.DataFrame | None] = field(
        init=False, repr=False
    )
    _positions_cached: Callable[[pd.Timestamp, int], np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Bind the bounded per-snapshot caches."""
        object.__setattr__(self, "_filled_cached", lru_cache(maxsize=64)(self._filled))
        object.__setattr__(self, "_complete_cached", lru_cache(maxsize=64)(self._complete))
        object.__setattr__(self, "_positions_cached", lru_cache(maxsize=256)(self._positions))

    @cached_property
    def rows(self) -> pd.DataFrame:
        """The observed weather indexed by date, in date order."""
        return self.frame.set_index(schema.DATE).sort_index()

    def filled(self, variables: tuple[str, ...]) -> pd.DataFrame:
        """Those of `variables` the table has, by date, with gaps filled (`fill_gaps`)."""
        return self._filled_cached(variables)

    def complete_rows(self, variables: tuple[str, ...]) -> pd.DataFrame | None:
        """The observed days that have every one of `variables`; None if none do."""
        return self._complete_cached(variables)

    def analogue_positions(self, first_day: pd.Timestamp, n_days: int) -> np.ndarray:
        """Row positions (in `rows`) of the analogue start days of an `n_days` run from
        `first_day`; ValueError when the history before `first_day` has none."""
        return self._positions_cached(pd.Timestamp(first_day), n_days)

    def _filled(self, variables: tuple[str, ...]) -> pd.DataFrame:
        return fill_gaps(self.rows, [c for c in variables if c in self.rows.columns])

    def _complete(self, variables: tuple[str, ...]) -> pd.DataFrame | None:
        return complete_rows(self.rows, variables)

    def _positions(self, first_day: pd.Timestamp, n_days: int) -> np.ndarray:
        index = self.rows.index
        if (index < first_day).sum() < n_days:
            raise ValueError(
                f"no observed weather before {first_day.date()} to draw climatology from"
            )
        try:
            return analogue_positions(index, first_day, n_days)
        except ValueError as exc:
            raise ValueError(f"climatology: {exc}") from exc
