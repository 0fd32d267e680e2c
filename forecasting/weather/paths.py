"""Future weather as model input: one or many weather paths over the forecast days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.contract import WeatherSource
from forecasting.errors import InputError


def every_day(source: WeatherSource, n_days: int) -> tuple[WeatherSource, ...]:
    """One weather source for each of `n_days` days."""
    return (source,) * n_days


@dataclass(frozen=True, eq=False)
class FutureWeather:
    """Weather for forecast days: `values[k, t, j]` is variable `columns[j]` on `dates[t]`
    in weather path k. One path is a single scenario; many paths carry forecast uncertainty.
    `sources[t]` says where day t came from (request, forecast, observed or climatology).

    Days spread around an issued forecast also carry that forecast: `centre[t]` (NaN on other
    days) and its lead `leads[t]` (1 on the issue date; 0 where the weather is taken as known:
    observed, hindsight, climatology draws, a scenario taken exactly). Without them every day
    counts as known."""

    dates: pd.DatetimeIndex
    values: np.ndarray
    columns: tuple[str, ...]
    sources: tuple[WeatherSource, ...] = field(default=())
    leads: np.ndarray | None = None  # (days,) int
    centre: np.ndarray | None = None  # (days, variables)

    def __post_init__(self) -> None:
        """Check shapes; default every day's source to 'observed'."""
        v = np.asarray(self.values, dtype=float)
        if v.ndim != 3 or v.shape[1] != len(self.dates) or v.shape[2] != len(self.columns):
            raise ValueError(
                f"weather values must be (paths, {len(self.dates)} days, {len(self.columns)} "
                f"variables), got {v.shape}"
            )
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "dates", pd.DatetimeIndex(self.dates))
        if not self.sources:
            object.__setattr__(self, "sources", every_day("observed", len(self.dates)))
        if (self.leads is None) != (self.centre is None):
            raise ValueError("future weather needs both leads and centre, or neither")
        if self.leads is not None and self.centre is not None:
            leads = np.asarray(self.leads, dtype=np.int64)
            centre = np.asarray(self.centre, dtype=float)
            if leads.shape != (len(self.dates),) or centre.shape != v.shape[1:]:
                raise ValueError(
                    f"leads must be ({len(self.dates)},) and centre {v.shape[1:]}, got "
                    f"{leads.shape} and {centre.shape}"
                )
            object.__setattr__(self, "leads", leads)
            object.__setattr__(self, "centre", centre)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: WeatherSource = "observed") -> FutureWeather:
        """A single weather path from a canonical weather frame (one row per day)."""
        cols = tuple(c for c in schema.WEATHER_COLUMNS if c in frame.columns)
        vals = frame.loc[:, list(cols)].to_numpy(dtype=float)[None, :, :]
        return cls(pd.DatetimeIndex(frame[schema.DATE]), vals, cols, every_day(source, len(frame)))

    @property
    def n_paths(self) -> int:
        """How many weather paths this holds."""
        return int(self.values.shape[0])

    def column(self, name: str) -> np.ndarray:
        """One variable across paths and days: shape (paths, days)."""
        return self.values[:, :, self.columns.index(name)]

    def path_frame(self, k: int = 0) -> pd.DataFrame:
        """Weather path k as a canonical frame."""
        df = pd.DataFrame(self.values[k], columns=list(self.columns))
        df.insert(0, schema.DATE, self.dates)
        return df

    def mean_frame(self) -> pd.DataFrame:
        """The mean over paths as a canonical frame."""
        df = pd.DataFrame(self.values.mean(axis=0), columns=list(self.columns))
        df.insert(0, schema.DATE, self.dates)
        return df

    def subset_paths(self, idx: np.ndarray) -> FutureWeather:
        """A FutureWeather holding only the paths in `idx` (repeats allowed)."""
        return FutureWeather(
            self.dates, self.values[idx], self.columns, self.sources, self.leads, self.centre
        )

    def head(self, days: int) -> FutureWeather:
        """The first `days` days."""
        return FutureWeather(
            self.dates[:days],
            self.values[:, :days],
            self.columns,
            self.sources[:days],
            None if self.leads is None else self.leads[:days],
            None if self.centre is None else self.centre[:days],
        )

    def day_leads(self) -> np.ndarray:
        """Each day's forecast lead (0: weather taken as known)."""
        return np.zeros(len(self.dates), dtype=np.int64) if self.leads is None else self.leads

    def require(self, variables: Sequence[str]) -> None:
        """Raise InputError naming the first needed variable that is absent or missing a day."""
        for var in variables:
            if var not in self.columns:
                raise InputError(
                    f"future weather lacks '{var}', which the model needs",
                    column=var,
                    hint="Supply every weather variable the model was trained with",
                )
            bad = np.isnan(self.column(var)).any(axis=0)
            if bad.any():
                day = self.dates[np.flatnonzero(bad)[0]].date()
                raise InputError(
                    f"future weather has no '{var}' on {day}",
                    row=str(day),
                    column=var,
                    hint="Supply the value, or use the forecast or climatology weather mode",
                )
