"""Baselines a user would otherwise pick: last week again, or the same weeks of past years."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.models.base import Model
from forecasting.weather.climatology import analogue_starts
from forecasting.weather.paths import FutureWeather


class SeasonalNaive(Model):
    """Each day repeats the same weekday of the last observed week (a point forecast)."""

    name = "seasonal_naive"
    supports_conditioning = True

    def __init__(self, target: str = schema.PEOPLE, season: int = 7) -> None:
        self.target = target
        self.season = season

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        self.last_season_ = history[self.target].to_numpy()[-self.season :]

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        self._fit(history, weather)

    def _predict(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather | None,
        n_samples: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        path = np.resize(self.last_season_, len(dates))
        return np.tile(path, (n_samples, 1))


class Climatology(Model):
    """The same season in recent years: each sample path is the observed run of days at the
    same calendar dates (shifted by up to ±`window_days`) in one of the last `years` years,
    so weekly totals stay coherent."""

    name = "climatology"
    supports_conditioning = True
    min_history_days = 366

    def __init__(self, target: str = schema.PEOPLE, years: int = 3, window_days: int = 7) -> None:
        self.target = target
        self.years = years
        self.window_days = window_days

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        self.series_ = pd.Series(
            history[self.target].to_numpy(), index=pd.DatetimeIndex(history[schema.DATE])
        )

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        self._fit(history, weather)

    def _predict(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather | None,
        n_samples: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        starts = analogue_starts(
            dates[0], self.series_.index, len(dates), self.years, self.window_days
        )
        pick = rng.choice(starts, size=n_samples)
        values = self.series_.to_numpy()
        pos = self.series_.index.get_indexer(pd.DatetimeIndex(pick))
        return values[pos[:, None] + np.arange(len(dates))[None, :]]
