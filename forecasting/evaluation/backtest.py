"""Rolling-origin backtests with an expanding window, fitted in parallel with joblib.

Each origin fits every model once on data strictly before the origin, then forecasts the
`horizon` days from the origin in every requested weather mode. The parent process slices the
data, so an origin's task never receives arrivals from the origin day or later.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from forecasting import schema
from forecasting.errors import ConfigError, InputError
from forecasting.evaluation import metrics
from forecasting.models import create, model_class
from forecasting.models.base import MAX_HORIZON
from forecasting.weather.modes import MODES, ForecastErrorModel, future_weather, observed_days

log = logging.getLogger(__name__)

LEVELS_PCT = (50, 80, 95)
# The per-model metrics of `crossings backtest --json` (the CLI contract).
JSON_METRICS = (
    "crps",
    "wis",
    "mae",
    "rmse",
    "mase",
    "coverage_50",
    "coverage_80",
    "coverage_95",
    "brier",
    "n_forecasts",
    "fit_seconds_median",
)


@dataclass(frozen=True)
class BacktestConfig:
    """What to backtest and how."""

    models: Sequence[str]
    start: pd.Timestamp
    end: pd.Timestamp
    step: int = 7
    horizon: int = 7
    target: str = schema.PEOPLE
    weather_modes: Sequence[str] = ("observed",)
    n_samples: int = 1000
    seed: int = 0
    n_jobs: int = -1
    model_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    error_model: ForecastErrorModel = field(default_factory=ForecastErrorModel)
    levels_pct: Sequence[float] = LEVELS_PCT

    def __post_init__(self) -> None:
        """Check every parameter before any work starts."""
        object.__setattr__(self, "start", pd.Timestamp(self.start))
        object.__setattr__(self, "end", pd.Timestamp(self.end))
        if not self.models:
            raise ConfigError("models: give at least one model name")
        for name in self.models:
            model_class(name)
        if self.start > self.end:
            raise ConfigError(
                f"--start {self.start.date()} is after --end {self.end.date()}; swap them"
            )
        if not 1 <= self.horizon <= MAX_HORIZON:
            raise ConfigError(f"--horizon must be between 1 and {MAX_HORIZON}, got {self.horizon}")
        if self.step < 1:
            raise ConfigError(f"--step must be at least 1 day, got {self.step}")
        if self.n_samples < 10:
            raise ConfigError(f"--samples must be at least 10, got {self.n_samples}")
        if self.target not in schema.TARGETS:
            raise ConfigError(f"--target must be one of {', '.join(schema.TARGETS)}")
        for mode in self.weather_modes:
            if mode not in MODES:
                raise ConfigError(f"--weather-mode must be one of {', '.join(MODES)}, got {mode!r}")

    @property
    def origins(self) -> pd.DatetimeIndex:
        """Forecast origins: the first forecast day of each backtest step."""
        return pd.date_range(self.start, self.end, freq=f"{self.step}D")


@dataclass
class BacktestResult:
    """Per-forecast rows (one per origin × model × mode × lead) and fit times."""

    config: BacktestConfig
    rows: pd.DataFrame
    fits: pd.DataFrame

    def summary(self, by: Sequence[str] = ("model", "weather_mode")) -> pd.DataFrame:
        """Aggregated metrics, with the median fit time per model."""
        agg = metrics.aggregate_scores(self.rows, list(by))
        fit = self.fits.groupby("model")["fit_seconds"].median().rename("fit_seconds_median")
        return agg.merge(fit, left_on="model", right_index=True, how="left")

    def pit_histograms(self, bins: int = 10) -> pd.DataFrame:
        """PIT histogram counts per model and weather mode."""
        rows = []
        for (model, mode), g in self.rows.groupby(["model", "weather_mode"]):
            counts = metrics.pit_histogram(g["pit"].to_numpy(), bins)
            rows.append({"model": model, "weather_mode": mode, "counts": counts.tolist()})
        return pd.DataFrame(rows)


def _check_data(arrivals: pd.DataFrame, weather: pd.DataFrame, cfg: BacktestConfig) -> None:
    first, last = arrivals[schema.DATE].iloc[0], arrivals[schema.DATE].iloc[-1]
    last_needed = cfg.origins[-1] + pd.Timedelta(days=cfg.horizon - 1)
    if last_needed > last:
        raise InputError(
            f"the last origin needs actuals up to {last_needed.date()}, but arrivals end "
            f"{last.date()}",
            hint=f"Move --end to {(last - pd.Timedelta(days=cfg.horizon - 1)).date()} or earlier",
        )
    if cfg.origins[0] - first < pd.Timedelta(days=400):
        raise InputError(
            f"--start {cfg.start.date()} leaves under 400 days of history (arrivals start "
            f"{first.date()})",
            hint="Start the backtest later",
        )
    if {"observed", "forecast"} & set(cfg.weather_modes):
        days = pd.DatetimeIndex(
            sorted({d for o in cfg.origins for d in pd.date_range(o, periods=cfg.horizon)})
        )
        observed_days(weather, days)


def _stream(seed: int, origin: pd.Timestamp, *names: str) -> np.random.Generator:
    """A random stream fixed by the seed, the origin day and names (purpose, model, mode), so
    a model's numbers do not depend on which other models, modes or origins are in the run."""
    keys = [zlib.crc32(n.encode()) for n in names]
    return np.random.default_rng([seed, origin.toordinal(), *keys])


def _origin_task(
    origin: pd.Timestamp,
    history: pd.DataFrame,
    weather_history: pd.DataFrame,
    weather_future: pd.DataFrame,
    actuals: np.ndarray,
    cfg: BacktestConfig,
) -> tuple[list[pd.DataFrame], list[dict[str, Any]]]:
    """Fit every model on data before `origin`, forecast in every mode, and score."""
    dates = pd.date_range(origin, periods=cfg.horizon, freq="D")
    scale = metrics.mase_scale(history[cfg.target].to_numpy(dtype=float))
    weather_all = pd.concat([weather_history, weather_future], ignore_index=True)
    paths = {
        mode: future_weather(
            mode,
            weather_all if mode != "climatology" else weather_history,
            dates,
            cfg.n_samples,
            _stream(cfg.seed, origin, "weather", mode),
            cfg.error_model,
        )
        for mode in cfg.weather_modes
    }
    frames, fits = [], []
    for name in cfg.models:
        params = {"target": cfg.target, **cfg.model_params.get(name, {})}
        model = create(name, **params)
        t0 = time.perf_counter()
        model.fit(history, weather_history)
        fits.append({"origin": origin, "model": name, "fit_seconds": time.perf_counter() - t0})
        for mode in cfg.weather_modes:
            rng = _stream(cfg.seed, origin, "predict", name, mode)
            fc = model.predict(cfg.horizon, paths[mode], cfg.n_samples, seed=rng)
            scores = metrics.score_forecasts(
                fc.samples.T,
                actuals,
                scale,
                cfg.levels_pct,
                rng=_stream(cfg.seed, origin, "pit", name, mode),
            )
            summary = fc.to_frame(cfg.levels_pct).drop(columns=["model", "date"])
            frame = pd.concat([summary.reset_index(drop=True), scores], axis=1)
            frame.insert(0, "date", dates)
            frame.insert(0, "lead", np.arange(1, cfg.horizon + 1))
            frame.insert(0, "weather_mode", mode)
            frame.insert(0, "model", name)
            frame.insert(0, "origin", origin)
            frame["actual"] = actuals
            frames.append(frame)
    return frames, fits


def run_backtest(
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    cfg: BacktestConfig,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestResult:
    """Run the rolling-origin backtest. `progress(done, total)` is called as origins finish."""
    _check_data(arrivals, weather, cfg)
    origins = cfg.origins
    a_dates, w_dates = arrivals[schema.DATE], weather[schema.DATE]

    def task_args(origin: pd.Timestamp) -> tuple[Any, ...]:
        future = (w_dates >= origin) & (w_dates < origin + pd.Timedelta(days=cfg.horizon))
        actual = arrivals.loc[
            (a_dates >= origin) & (a_dates < origin + pd.Timedelta(days=cfg.horizon)), cfg.target
        ].to_numpy()
        return (
            origin,
            arrivals.loc[a_dates < origin],
            weather.loc[w_dates < origin],
            weather.loc[future],
            actual,
            cfg,
        )

    jobs = (delayed(_origin_task)(*task_args(o)) for o in origins)
    parallel = Parallel(n_jobs=cfg.n_jobs, return_as="generator_unordered")
    frames: list[pd.DataFrame] = []
    fits: list[dict[str, Any]] = []
    for done, (f, t) in enumerate(parallel(jobs), start=1):
        frames.extend(f)
        fits.extend(t)
        if progress:
            progress(done, len(origins))
    rows = pd.concat(frames, ignore_index=True).sort_values(
        ["model", "weather_mode", "origin", "lead"], ignore_index=True
    )
    return BacktestResult(cfg, rows, pd.DataFrame(fits))
