"""The one model interface: fit(history, weather) -> self; predict(...) -> Forecast."""

from __future__ import annotations

import copy
import inspect
import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.contract import MAX_SIMULATED_DAYS, TARGETS
from forecasting.errors import ConfigError, InputError
from forecasting.forecast import Forecast
from forecasting.weather.paths import FutureWeather

log = logging.getLogger(__name__)

# Models that cannot take one weather path per sample path are run on this many weather
# paths at most, with the samples split evenly among them.
MAX_WEATHER_PATHS_PER_CALL = 25


class NotFittedError(RuntimeError):
    """predict() was called before fit()."""


class Model(ABC):
    """Base class: does the checks; subclasses implement `_fit` and `_predict` only.

    `__init__` stores hyperparameters only; fitted attributes end in `_`.
    Capabilities are declared as class attributes, not discovered.
    """

    name: ClassVar[str] = "base"
    uses_weather: ClassVar[bool] = False
    weather_paths: ClassVar[bool] = False  # one weather path per sample path in one call
    nonnegative_integer: ClassVar[bool] = True
    # Can take its series state from newer observations without a refit (`condition`).
    supports_conditioning: ClassVar[bool] = False
    min_history_days: ClassVar[int] = 56
    weather_inputs: ClassVar[tuple[str, ...]] = ()  # canonical columns needed for future days

    def __init__(self, target: str = schema.PEOPLE) -> None:
        self.target = target

    # -- hyperparameters ---------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Hyperparameters as given to __init__ (what MLflow logs and a clone needs)."""
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def clone(self) -> Model:
        """An unfitted copy with the same hyperparameters."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @property
    def weather_variables(self) -> tuple[str, ...]:
        """Weather columns this model needs for future days (empty if weather-blind)."""
        return self.weather_inputs

    # -- fit / predict -----------------------------------------------------------------
    def fit(self, history: pd.DataFrame, weather: pd.DataFrame | None = None) -> Model:
        """Fit on a canonical arrivals table (and canonical weather covering its days)."""
        if self.target not in TARGETS:
            raise ConfigError(f"target must be one of {TARGETS}, got {self.target!r}")
        if len(history) < self.min_history_days:
            raise InputError(
                f"{self.name} needs at least {self.min_history_days} days of history, "
                f"got {len(history)}"
            )
        if self.uses_weather and weather is None:
            raise InputError(f"{self.name} needs historical weather to fit")
        self.last_date_ = pd.Timestamp(history[schema.DATE].iloc[-1])
        self._fit(history.reset_index(drop=True), weather)
        self.fitted_ = True
        return self

    def condition(self, history: pd.DataFrame, weather: pd.DataFrame | None = None) -> Model:
        """This model with its series state (last day, recent outcomes, yesterday's weather)
        taken from `history`, a canonical arrivals table ending on the day before the first
        forecast day, and `weather` covering its last days. Fitted parameters stay as they
        are: newer data moves the forecast without a refit. Returns self when nothing is new.

        Raises NotImplementedError for models whose state cannot be moved without a refit.
        """
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{self.name} must be fit before it is conditioned")
        last = pd.Timestamp(history[schema.DATE].iloc[-1])
        if last == self.last_date_:
            return self
        if not self.supports_conditioning:
            raise NotImplementedError(
                f"{self.name} cannot take its state from newer data without a refit"
            )
        if self.uses_weather and weather is None:
            raise InputError(f"{self.name} needs the recent weather to take its state")
        new = copy.copy(self)
        new._condition(history.reset_index(drop=True), weather)
        new.last_date_ = last
        return new

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        """Replace (never mutate) the fitted state attributes that depend on the latest days."""
        raise NotImplementedError

    def predict(
        self,
        horizon: int,
        future_weather: FutureWeather | None = None,
        n_samples: int = 1000,
        seed: int | np.random.Generator | None = None,
        max_days: int = MAX_SIMULATED_DAYS,
    ) -> Forecast:
        """Sample paths for the `horizon` days after the last fitted day (at most `max_days`;
        the season outlook, `forecasting.outlook`, simulates longer runs)."""
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{self.name} must be fit before predict")
        if not 1 <= horizon <= max_days:
            raise ConfigError(
                f"horizon must be between 1 and {max_days} simulated days, got {horizon}"
            )
        if n_samples < 1:
            raise ConfigError(f"n_samples must be at least 1, got {n_samples}")
        dates = pd.date_range(self.last_date_ + pd.Timedelta(days=1), periods=horizon, freq="D")
        rng = np.random.default_rng(seed)
        if self.uses_weather:
            if future_weather is None:
                raise InputError(f"{self.name} needs weather for the forecast days")
            if not future_weather.dates[:horizon].equals(dates):
                raise InputError(
                    f"future weather covers {future_weather.dates[0].date()}.."
                    f"{future_weather.dates[-1].date()}, forecast needs {dates[0].date()}.."
                    f"{dates[-1].date()}"
                )
            fw = future_weather.head(horizon)
            fw.require(self.weather_variables)
            samples = self._predict_over_paths(dates, fw, n_samples, rng)
        else:
            samples = self._predict(dates, None, n_samples, rng)
        if self.nonnegative_integer:
            samples = schema.as_int_counts(samples)
        return Forecast(dates=dates, samples=samples, target=self.target, model=self.name)

    def _predict_over_paths(
        self, dates: pd.DatetimeIndex, fw: FutureWeather, n: int, rng: np.random.Generator
    ) -> np.ndarray:
        if self.weather_paths or fw.n_paths == 1:
            idx = np.arange(n) % fw.n_paths
            return self._predict(dates, fw.subset_paths(idx) if fw.n_paths > 1 else fw, n, rng)
        k = min(fw.n_paths, MAX_WEATHER_PATHS_PER_CALL, n)
        chosen = rng.choice(fw.n_paths, size=k, replace=False)
        counts = np.full(k, n // k) + (np.arange(k) < n % k)
        parts = [
            self._predict(dates, fw.subset_paths(np.array([c])), int(m), rng)
            for c, m in zip(chosen, counts, strict=True)
        ]
        return np.concatenate(parts, axis=0)

    @abstractmethod
    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        """Estimate fitted attributes (ending in `_`) from history and weather."""

    @abstractmethod
    def _predict(
        self,
        dates: pd.DatetimeIndex,
        weather: FutureWeather | None,
        n_samples: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Return an (n_samples, len(dates)) array. With `weather_paths`, weather holds one
        path per sample (or a single path); otherwise a single path."""
