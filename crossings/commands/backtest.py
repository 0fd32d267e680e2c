"""`crossings backtest`: a rolling-origin backtest (parsing and checking the flags, each
message naming its flag; the work is `forecasting.evaluation.backtest`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from crossings import output
from crossings.commands.fetch import issued_table
from crossings.exits import fail
from crossings.options import (
    ArrivalsOpt,
    ClusterOpt,
    EndOpt,
    HorizonOpt,
    IssuedWeatherOpt,
    JobsOpt,
    JsonOpt,
    ModelsOpt,
    RowsOutOpt,
    SamplesOpt,
    SeedOpt,
    StartOpt,
    StepOpt,
    TargetOpt,
    WeatherDrawsOpt,
    WeatherModeOpt,
    WeatherOpt,
)
from crossings.sources import resolve_sources
from forecasting.contract import DEFAULT_HORIZON, DEFAULT_WEATHER_DRAWS, MAX_HORIZON, MIN_HORIZON
from forecasting.errors import ConfigError, InputError

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.evaluation.backtest import BacktestConfig


def backtest(
    arrivals: ArrivalsOpt = None,
    weather: WeatherOpt = None,
    models: ModelsOpt = "hurdle,prophet,climatology",
    start: StartOpt = "2025-01-06",
    end: EndOpt = "2026-05-07",
    step: StepOpt = 7,
    horizon: HorizonOpt = DEFAULT_HORIZON,
    target: TargetOpt = "people",
    weather_mode: WeatherModeOpt = "observed",
    weather_draws: WeatherDrawsOpt = DEFAULT_WEATHER_DRAWS,
    issued_weather: IssuedWeatherOpt = None,
    samples: SamplesOpt = 1000,
    seed: SeedOpt = 0,
    jobs: JobsOpt = -1,
    as_json: JsonOpt = False,
    out: RowsOutOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Rolling-origin backtest with an expanding window; metrics per model."""
    from forecasting.adapters import read_arrivals, read_weather
    from forecasting.evaluation.backtest import BacktestConfig, run_backtest
    from forecasting.evaluation.cluster import backend, scheduler_address
    from forecasting.models import parse_model_list

    try:
        cluster_address = scheduler_address(cluster)
        cfg = BacktestConfig(
            models=parse_model_list(models),
            start=_parse_day(start, "--start"),
            end=_parse_day(end, "--end"),
            step=step,
            horizon=horizon,
            target=target,
            weather_modes=(weather_mode,),
            n_samples=samples,
            seed=seed,
            n_jobs=-1 if cluster_address else jobs,  # on a cluster: all its workers
            weather_draws=weather_draws,
        )
        _check_flags(cfg)
        issued = issued_table(issued_weather, weather_mode)
        arrivals_path, weather_path = resolve_sources(arrivals, weather)
        a, w = read_arrivals(arrivals_path), read_weather(weather_path)
        _check_window(a, cfg)
        label = f"backtest {len(cfg.origins)} origins"
        with backend(cluster_address), output.progress(label) as advance:
            result = run_backtest(a, w, cfg, progress=advance, issued=issued)
    except (InputError, ConfigError) as exc:
        raise fail(exc) from exc
    summary = result.summary().set_index("model")
    if out is not None:
        result.rows.to_parquet(out, index=False)
    if as_json:
        typer.echo(output.backtest_json(summary, cfg, weather_mode, result.calibration()))
    else:
        output.print_backtest(summary, cfg)


def _parse_day(text: str, flag: str) -> pd.Timestamp:
    import pandas as pd

    try:
        return pd.Timestamp(text).normalize()
    except ValueError as exc:
        raise ConfigError(f"{flag} '{text}' is not a date; use YYYY-MM-DD") from exc


def _flag_message(field: str, cfg: BacktestConfig) -> str | None:
    """The backtest rule on `field` worded with its flag (None for fields without one)."""
    from forecasting.contract import TARGETS, WEATHER_MODES
    from forecasting.evaluation.backtest import MIN_SAMPLES

    messages = {
        "start": lambda: f"--start {cfg.start.date()} is after --end {cfg.end.date()}; swap them",
        "horizon": lambda: (
            f"--horizon must be between {MIN_HORIZON} and {MAX_HORIZON}, got {cfg.horizon}"
        ),
        "step": lambda: f"--step must be at least 1 day, got {cfg.step}",
        "n_samples": lambda: f"--samples must be at least {MIN_SAMPLES}, got {cfg.n_samples}",
        "target": lambda: f"--target must be one of {', '.join(TARGETS)}",
        "weather_draws": lambda: (
            f"--weather-draws must be at least 1 issued forecast per origin, "
            f"got {cfg.weather_draws}"
        ),
        "weather_modes": lambda: (
            f"--weather-mode must be one of {', '.join(WEATHER_MODES)}, "
            f"got {cfg.weather_modes[0]!r}"
        ),
    }
    return messages[field]() if field in messages else None


def _check_flags(cfg: BacktestConfig) -> None:
    """The backtest's own rules, in its order; each message names the flag."""
    from forecasting.evaluation.backtest import BadValue, check_config

    try:
        check_config(cfg)
    except BadValue as exc:
        raise ConfigError(_flag_message(exc.field, cfg) or str(exc)) from exc


def _check_window(arrivals: pd.DataFrame, cfg: BacktestConfig) -> None:
    """The backtest's rules on the arrivals, worded with the flag to change."""
    from forecasting import schema
    from forecasting.evaluation.backtest import (
        MIN_HISTORY_DAYS,
        latest_origin,
        missing_actuals,
        short_history,
    )

    first, last = arrivals[schema.DATE].iloc[0], arrivals[schema.DATE].iloc[-1]
    if (needed := missing_actuals(arrivals, cfg.origins[-1], cfg.horizon)) is not None:
        raise InputError(
            f"the last origin needs actuals up to {needed.date()}, but arrivals end {last.date()}",
            hint=f"Move --end to {latest_origin(arrivals, cfg.horizon).date()} or earlier",
        )
    if short_history(arrivals, cfg.origins[0]):
        raise InputError(
            f"--start {cfg.start.date()} leaves under {MIN_HISTORY_DAYS} days of history "
            f"(arrivals start {first.date()})",
            hint="Start the backtest later",
        )
