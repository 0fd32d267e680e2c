"""Rolling-origin backtests with an expanding window, fitted in parallel with joblib.

Each origin fits every model once on data strictly before the origin, then forecasts the
`horizon` days from the origin in every requested weather mode. The parent process slices the
data, so an origin's task never receives arrivals from the origin day or later.

`BacktestConfig` is a plain value. The rules it must meet (`check_config`) and the rules the
data must meet (`latest_origin`, `missing_actuals`, `short_history`) are written once here;
`run_backtest` applies them in the core's words (ValueError / InputError), and each edge (the
CLI's flags, the YAML experiment config) words them itself, naming its flag or key.
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
from forecasting.contract import DEFAULT_LEVELS_PCT, TARGETS, WEATHER_MODES, check_horizon
from forecasting.errors import InputError
from forecasting.evaluation import metrics
from forecasting.models import create, model_class
from forecasting.weather import ForecastErrorModel, future_weather, observed_days

log = logging.getLogger(__name__)

MIN_SAMPLES = 10  # sample paths per forecast, at least
MIN_HISTORY_DAYS = 400  # days of arrivals before the first origin, at least
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
    """What to backtest and how (`start`/`end` accept anything `pd.Timestamp` does)."""

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
    levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT

    def __post_init__(self) -> None:
        """Hold the first and last origin as timestamps."""
        object.__setattr__(self, "start", pd.Timestamp(self.start))
        object.__setattr__(self, "end", pd.Timestamp(self.end))

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


class BadValue(ValueError):
    """A value no backtest can run with; `field` names the BacktestConfig field, so an edge
    (the CLI, the YAML config) can word its own message naming its flag or key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_config(cfg: BacktestConfig) -> None:
    """Raise BadValue (a ValueError, in the core's words) for the first value no backtest
    can run with, checking the fields in order: models, start/end, horizon, step,
    n_samples, target, weather_modes."""
    if not cfg.models:
        raise BadValue("models", "models: give at least one model name")
    for name in cfg.models:
        try:
            model_class(name)
        except ValueError as exc:  # unknown, or an optional dependency missing
            raise BadValue("models", str(exc)) from exc
    if cfg.start > cfg.end:
        raise BadValue("start", f"start {cfg.start.date()} is after end {cfg.end.date()}")
    try:
        check_horizon(cfg.horizon)
    except ValueError as exc:
        raise BadValue("horizon", str(exc)) from exc
    if cfg.step < 1:
        raise BadValue("step", f"step must be at least 1 day, got {cfg.step}")
    if cfg.n_samples < MIN_SAMPLES:
        raise BadValue(
            "n_samples", f"n_samples must be at least {MIN_SAMPLES}, got {cfg.n_samples}"
        )
    if cfg.target not in TARGETS:
        raise BadValue("target", f"target must be one of {', '.join(TARGETS)}, got {cfg.target!r}")
    for mode in cfg.weather_modes:
        if mode not in WEATHER_MODES:
            raise BadValue(
                "weather_modes",
                f"weather mode must be one of {', '.join(WEATHER_MODES)}, got {mode!r}",
            )


def latest_origin(arrivals: pd.DataFrame, horizon: int) -> pd.Timestamp:
    """The last origin whose `horizon` days all have actuals."""
    return pd.Timestamp(arrivals[schema.DATE].iloc[-1]) - pd.Timedelta(days=horizon - 1)


def missing_actuals(
    arrivals: pd.DataFrame, last_origin: pd.Timestamp, horizon: int
) -> pd.Timestamp | None:
    """The last day the window needs actuals for, if the arrivals end before it; else None."""
    if last_origin <= latest_origin(arrivals, horizon):
        return None
    return last_origin + pd.Timedelta(days=horizon - 1)


def short_history(arrivals: pd.DataFrame, first_origin: pd.Timestamp) -> bool:
    """Whether the arrivals leave under MIN_HISTORY_DAYS days before the first origin."""
    return bool(first_origin - arrivals[schema.DATE].iloc[0] < pd.Timedelta(days=MIN_HISTORY_DAYS))


def _check_data(arrivals: pd.DataFrame, weather: pd.DataFrame, cfg: BacktestConfig) -> None:
    first, last = arrivals[schema.DATE].iloc[0], arrivals[schema.DATE].iloc[-1]
    if (needed := missing_actuals(arrivals, cfg.origins[-1], cfg.horizon)) is not None:
        raise InputError(
            f"the last origin needs actuals up to {needed.date()}, but arrivals end {last.date()}",
            hint=f"Move the last origin to {latest_origin(arrivals, cfg.horizon).date()} "
            "or earlier",
        )
    if short_history(arrivals, cfg.origins[0]):
        raise InputError(
            f"the first origin {cfg.origins[0].date()} leaves under {MIN_HISTORY_DAYS} days of "
            f"history (arrivals start {first.date()})",
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
    """Run the rolling-origin backtest. `progress(done, total)` is called as origins finish.

    Raises ValueError for impossible values (`check_config`) and InputError when the data
    cannot support the window.
    """
    check_config(cfg)
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
