"""`crossings backtest`: a rolling-origin backtest (parsing and checking the flags, each
message naming its flag; the work is `forecasting.evaluation.backtest`).

Without --start and --end the window is the last year of origins the data supports: the last
origin is the latest whose --horizon days all have arrivals and, in the weather modes that read
observed weather, weather (`forecasting.training.window`, the rule of a config's ``backtest.end:
latest``); the first is DEFAULT_WINDOW_WEEKS weeks before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import typer

from crossings import output
from crossings.commands.fetch import issued_table
from crossings.exits import fail
from crossings.options import (
    DEFAULT_WINDOW_WEEKS,
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
from forecasting.contract import (
    DEFAULT_HORIZON,
    DEFAULT_WEATHER_DRAWS,
    DEFAULT_WEATHER_MODE,
    MAX_HORIZON,
    MIN_HORIZON,
    WeatherMode,
)
from forecasting.errors import ConfigError, InputError

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.evaluation.backtest import BacktestConfig


def backtest(
    arrivals: ArrivalsOpt = None,
    weather: WeatherOpt = None,
    models: ModelsOpt = "hurdle,prophet,climatology",
    start: StartOpt = None,
    end: EndOpt = None,
    step: StepOpt = 7,
    horizon: HorizonOpt = DEFAULT_HORIZON,
    target: TargetOpt = "people",
    weather_mode: WeatherModeOpt = DEFAULT_WEATHER_MODE,
    weather_draws: WeatherDrawsOpt = DEFAULT_WEATHER_DRAWS,
    issued_weather: IssuedWeatherOpt = None,
    samples: SamplesOpt = 1000,
    seed: SeedOpt = 0,
    jobs: JobsOpt = -1,
    as_json: JsonOpt = False,
    out: RowsOutOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Rolling-origin backtest with an expanding window; metrics per model. Default window:
    the last year of weekly origins with actuals (see --start and --end)."""
    from forecasting.adapters import read_arrivals, read_weather
    from forecasting.evaluation.backtest import BacktestConfig, run_backtest
    from forecasting.evaluation.cluster import backend, scheduler_address
    from forecasting.models import parse_model_list

    try:
        cluster_address = scheduler_address(cluster)
        first, last = _parse_day(start, "--start"), _parse_day(end, "--end")
        cfg = BacktestConfig(
            models=parse_model_list(models),
            start=_or(first, last),
            end=_or(last, first),
            step=step,
            horizon=horizon,
            target=target,
            weather_modes=(cast("WeatherMode", weather_mode),),  # checked by _check_flags
            n_samples=samples,
            seed=seed,
            n_jobs=-1 if cluster_address else jobs,  # on a cluster: all its workers
            weather_draws=weather_draws,
        )
        _check_flags(cfg)
        issued = issued_table(issued_weather, mode := cfg.weather_modes[0])
        arrivals_path, weather_path = resolve_sources(arrivals, weather)
        a, w = read_arrivals(arrivals_path), read_weather(weather_path)
        cfg = _default_window(a, w, cfg, first, last)
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
        typer.echo(output.backtest_json(summary, cfg, mode, result.calibration()))
    else:
        output.print_backtest(summary, cfg)


def _parse_day(text: str | None, flag: str) -> pd.Timestamp | None:
    import pandas as pd

    if text is None:
        return None
    try:
        return pd.Timestamp(text).normalize()
    except ValueError as exc:
        raise ConfigError(f"{flag} '{text}' is not a date; use YYYY-MM-DD") from exc


def _or(day: pd.Timestamp | None, other: pd.Timestamp | None) -> pd.Timestamp:
    """`day`, else `other`, else the epoch: a stand-in until the data gives the default window,
    so the flags are checked (in their order) before the files are read."""
    import pandas as pd

    return day if day is not None else other if other is not None else pd.Timestamp(0)


def _default_window(
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    cfg: BacktestConfig,
    first: pd.Timestamp | None,
    last: pd.Timestamp | None,
) -> BacktestConfig:
    """`cfg` with the default window where --start or --end is not given: the last origin the
    data supports (`resolve_window`'s ``end: latest``), the first DEFAULT_WINDOW_WEEKS weeks
    before the last. Says on stderr which window a default chose."""
    from dataclasses import replace

    from forecasting.training.window import resolve_window

    if first is not None and last is not None:
        return cfg
    window = resolve_window(
        arrivals,
        weather,
        end="latest" if last is None else last,
        start=first,
        n_origins=None if first is not None else DEFAULT_WINDOW_WEEKS + 1,
        step=7,  # the default first origin is whole weeks before the last, whatever --step
        horizon=cfg.horizon,
        modes=cfg.weather_modes,
    )
    ends = (
        f"the weather ends {window.weather_end.date()}"
        if window.limited_by == "weather"
        else f"the arrivals end {window.arrivals_end.date()}"
    )
    if window.start > window.end:
        raise ConfigError(
            f"--start {window.start.date()} is after {window.end.date()}, the last origin the "
            f"data supports ({ends}); start earlier or give --end"
        )
    defaults = []
    if last is None:
        defaults.append(f"--end: the last origin the data supports ({ends})")
    if first is None:
        defaults.append(f"--start: {DEFAULT_WINDOW_WEEKS} weeks before --end")
    output.err_console.print(
        f"backtest origins {window.start.date()}..{window.end.date()} every {cfg.step}d "
        f"(default {'; default '.join(defaults)})",
        highlight=False,
        soft_wrap=True,
    )
    return replace(cfg, start=window.start, end=window.end)


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
