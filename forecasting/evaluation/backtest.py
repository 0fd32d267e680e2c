"""Rolling-origin backtests with an expanding window, fitted in parallel with joblib.

Each origin fits every model once on data strictly before the origin, then issues its
forecast for the `horizon` days from the origin (`forecasting.issuing.issue_forecast`, the
function the API serves with) in every requested weather mode. In `forecast` mode the weather
is an issued forecast simulated from the observations, shared by every sample path, plus the
spread around it; because one issued forecast per origin is noisy, `weather_draws` of them
are drawn per origin (keyed by seed, origin and draw) and all are scored. The parent process
slices the arrivals, so an origin's task never receives arrivals from the origin day or later.

`BacktestConfig` is a plain value. The rules it must meet (`check_config`) and the rules the
data must meet (`latest_origin`, `missing_actuals`, `short_history`) are written once here;
`run_backtest` applies them in the core's words (ValueError / InputError), and each edge (the
CLI's flags, the YAML experiment config) words them itself, naming its flag or key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from forecasting import schema
from forecasting.contract import (
    DEFAULT_HORIZON,
    DEFAULT_LEVELS_PCT,
    DEFAULT_WEATHER_DRAWS,
    TARGETS,
    WEATHER_MODES,
    WeatherMode,
    check_horizon,
    coverage_name,
)
from forecasting.errors import InputError
from forecasting.evaluation import metrics
from forecasting.evaluation.archived_weather import check_issued
from forecasting.evaluation.calibration import calibration_report, weekly_total_scores
from forecasting.forecast import Forecast
from forecasting.issuing import IssueSpec, issue_forecast
from forecasting.models import create, model_class
from forecasting.weather import ForecastErrorModel, observed_days
from forecasting.weather.future import WeatherInputs, build_future_weather
from forecasting.weather.history import WeatherHistory

log = logging.getLogger(__name__)

MIN_SAMPLES = 10  # sample paths per forecast, at least
MIN_HISTORY_DAYS = 400  # days of arrivals before the first origin, at least
# Weather modes whose forecast days read observed weather (hindsight, or the truth a simulated
# issued forecast is drawn around), so the weather must reach the last forecast day.
MODES_READING_WEATHER: frozenset[WeatherMode] = frozenset({"observed", "forecast"})
# The per-model metrics of `crossings backtest --json` (the CLI contract).
JSON_METRICS = (
    "crps",
    "wis",
    "mae",
    "rmse",
    "mase",
    *(coverage_name(lv) for lv in DEFAULT_LEVELS_PCT),
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
    horizon: int = DEFAULT_HORIZON
    target: str = schema.PEOPLE
    weather_modes: Sequence[WeatherMode] = ("observed",)
    n_samples: int = 1000
    seed: int = 0
    n_jobs: int = -1
    model_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    error_model: ForecastErrorModel = field(default_factory=ForecastErrorModel)
    levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT
    weather_draws: int = DEFAULT_WEATHER_DRAWS  # issued forecasts per origin, forecast mode

    def draws(self, mode: WeatherMode) -> int:
        """How many weather draws `mode` gets per origin (only `forecast` is random per
        origin: the other modes have one)."""
        return self.weather_draws if mode == "forecast" else 1

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

    def calibration(self) -> dict[str, list[dict[str, Any]]]:
        """The calibration report (`forecasting.evaluation.calibration`): PIT histograms
        overall and on crossing days, P(any) reliability, bands and weekly totals."""
        return calibration_report(self.rows, self.config.levels_pct)

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
    if cfg.weather_draws < 1:
        raise BadValue(
            "weather_draws", f"weather_draws must be at least 1, got {cfg.weather_draws}"
        )
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


def _check_data(
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    cfg: BacktestConfig,
    issued: pd.DataFrame | None = None,
) -> None:
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
    if MODES_READING_WEATHER & set(cfg.weather_modes):
        days = pd.DatetimeIndex(
            sorted({d for o in cfg.origins for d in pd.date_range(o, periods=cfg.horizon)})
        )
        observed_days(weather, days)
    if "issued" in cfg.weather_modes:
        check_issued(issued, cfg.origins, cfg.horizon, _weather_needed(cfg), weather)


def _weather_needed(cfg: BacktestConfig) -> tuple[str, ...]:
    """The weather columns the models read for future days, in canonical order."""
    needed = {
        v
        for name in cfg.models
        for v in create(name, **cfg.model_params.get(name, {})).weather_variables
    }
    return tuple(c for c in schema.WEATHER_COLUMNS if c in needed)


def _origin_task(
    origin: pd.Timestamp,
    history: pd.DataFrame,
    weather_history: pd.DataFrame,
    weather_future: pd.DataFrame,
    actuals: np.ndarray,
    cfg: BacktestConfig,
    issued: pd.DataFrame | None = None,
) -> tuple[list[pd.DataFrame], list[dict[str, Any]]]:
    """Fit every model on data before `origin`, issue its forecast in every mode and weather
    draw, and score."""
    dates = pd.date_range(origin, periods=cfg.horizon, freq="D")
    scale = metrics.mase_scale(history[cfg.target].to_numpy(dtype=float))
    wx = WeatherHistory(pd.concat([weather_history, weather_future], ignore_index=True))
    inputs = WeatherInputs(issued=issued, error_model=cfg.error_model)
    columns = tuple(c for c in schema.WEATHER_COLUMNS if c in wx.rows.columns)
    specs = [
        IssueSpec(origin, cfg.horizon, None, cfg.n_samples, cfg.seed, mode, draw)
        for mode in cfg.weather_modes
        for draw in range(cfg.draws(mode))
    ]
    # Archived forecasts carry the variables the models read (`check_issued`), not always
    # every observed one (visibility, say), so the issued mode is built over those alone.
    needed = _weather_needed(cfg)
    mode_columns = {m: columns for m in cfg.weather_modes} | {
        "issued": tuple(c for c in columns if c in needed)
    }
    paths = {
        (s.mode, s.draw): build_future_weather(
            mode_columns[s.mode], dates, s.streams, wx, cfg.n_samples, inputs
        )
        for s in specs
    }
    frames, fits = [], []
    for name in cfg.models:
        params = {"target": cfg.target, **cfg.model_params.get(name, {})}
        model = create(name, **params)
        t0 = time.perf_counter()
        model.fit(history, weather_history)
        fits.append({"origin": origin, "model": name, "fit_seconds": time.perf_counter() - t0})
        for spec in specs:
            issued_fc = issue_forecast(
                model, history, wx, spec, weather=paths[(spec.mode, spec.draw)]
            )
            frames.append(_scored(issued_fc.forecast, spec, actuals, scale, cfg))
    return frames, fits


def _scored(
    fc: Forecast, spec: IssueSpec, actuals: np.ndarray, scale: float, cfg: BacktestConfig
) -> pd.DataFrame:
    """One forecast's rows: its summary, its scores and the actuals, one row per lead."""
    rng = spec.streams.pit(fc.model)
    scores = metrics.score_forecasts(fc.samples.T, actuals, scale, cfg.levels_pct, rng=rng)
    summary = fc.to_frame(cfg.levels_pct).drop(columns=["model", "date"])
    frame = pd.concat([summary.reset_index(drop=True), scores], axis=1)
    # The horizon total from the paths (the same value on every lead's row): only paths give
    # a coherent weekly total, so the backtest keeps what its calibration needs here.
    for key, value in weekly_total_scores(fc.samples, actuals, rng).items():
        frame[key] = value
    frame.insert(0, "date", fc.dates)
    frame.insert(0, "lead", np.arange(1, cfg.horizon + 1))
    frame.insert(0, "weather_draw", spec.draw)
    frame.insert(0, "weather_mode", spec.mode)
    frame.insert(0, "model", fc.model)
    frame.insert(0, "origin", spec.issue_date)
    frame["actual"] = actuals
    return frame


def _issued_for(issued: pd.DataFrame | None, origin: pd.Timestamp) -> pd.DataFrame | None:
    """The archived forecasts an origin may use: those issued the day before it."""
    if issued is None:
        return None
    day = pd.to_datetime(issued["issue_date"]) == origin - pd.Timedelta(days=1)
    return issued.loc[day]


def run_backtest(
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    cfg: BacktestConfig,
    progress: Callable[[int, int], None] | None = None,
    issued: pd.DataFrame | None = None,
) -> BacktestResult:
    """Run the rolling-origin backtest. `progress(done, total)` is called as origins finish.
    `issued` holds archived real forecasts (issue_date, valid_date, lead and the weather
    columns) for the `issued` weather mode.

    Raises ValueError for impossible values (`check_config`) and InputError when the data
    cannot support the window.
    """
    check_config(cfg)
    _check_data(arrivals, weather, cfg, issued)
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
            _issued_for(issued, origin),
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
        ["model", "weather_mode", "origin", "weather_draw", "lead"], ignore_index=True
    )
    return BacktestResult(cfg, rows, pd.DataFrame(fits))
