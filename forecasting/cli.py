"""The `crossings` command line: ingest, backtest, train, retrain, serve.

Parsing and checking the flags only (each message names its flag); what is printed lives in
`forecasting.cli_output`, the work in the library.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from forecasting import cli_output as output
from forecasting.cli_fetch import fetch_weather, issued_table
from forecasting.cli_options import (
    ArrivalsOpt,
    ClusterOpt,
    ConfigOpt,
    DataOpt,
    EndOpt,
    HorizonOpt,
    IssuedWeatherOpt,
    JobsOpt,
    JsonOpt,
    ModelsOpt,
    RowsOutOpt,
    SamplesOpt,
    SeedOpt,
    SourceOpt,
    StartOpt,
    StepOpt,
    TargetOpt,
    TrackingOpt,
    WeatherDrawsOpt,
    WeatherModeOpt,
    WeatherOpt,
)
from forecasting.cli_outlook import outlook
from forecasting.cli_reissue import reissue_command
from forecasting.cli_tune import tune_command
from forecasting.contract import DEFAULT_HORIZON, DEFAULT_WEATHER_DRAWS, MAX_HORIZON, MIN_HORIZON
from forecasting.errors import ConfigError, InputError
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.evaluation.backtest import BacktestConfig

app = typer.Typer(
    help="Forecast daily small-boat crossings of the English Channel.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
EXIT_CONFIG, EXIT_LOCKED, EXIT_TRACKING = 2, 3, 4


def fail(exc: Exception) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    output.print_error(exc)
    return typer.Exit(code=EXIT_CONFIG)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
) -> None:
    """Forecast daily small-boat crossings of the English Channel."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def resolve_sources(
    arrivals: Path | None, weather: Path | None, source: Path | None = None
) -> tuple[Path, Path]:
    """Fill in default source files from --source or the settings' source_dir."""
    src = source or get_settings().source_dir
    return arrivals or default_arrivals_file(src), weather or default_weather_file(src)


@app.command()
def ingest(
    arrivals: ArrivalsOpt = None,
    weather: WeatherOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder.")] = None,
    source: SourceOpt = None,
) -> None:
    """Validate the official files and write canonical Parquet tables plus a manifest."""
    from forecasting.ingest import ingest as run_ingest

    arrivals_path, weather_path = resolve_sources(arrivals, weather, source)
    out_dir = out or get_settings().data_dir
    try:
        result = run_ingest(arrivals_path, weather_path, out_dir)
    except InputError as exc:
        raise fail(exc) from exc
    output.print_ingest(result, out_dir)


# -- backtest --------------------------------------------------------------------------


@app.command()
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


app.command("fetch-weather")(fetch_weather)
app.command("outlook")(outlook)
app.command("reissue")(reissue_command)
app.command("tune")(tune_command)


# -- serve -----------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = False,
) -> None:
    """Serve forecasts over HTTP (FastAPI app in api/; settings from CROSSINGS_* variables,
    the registry from MLFLOW_TRACKING_URI)."""
    import os
    import shutil
    import tempfile

    import uvicorn

    # Fail over quickly when a remote registry is down (MLflow's default retries take minutes);
    # the service keeps serving its last good model meanwhile.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    from api.body_timeout import UVICORN_LIMITS

    logging.getLogger("api").setLevel(logging.INFO)
    # Several workers: /metrics aggregates them through prometheus_client's multiprocess
    # mode, in a fresh directory the workers inherit (unless PROMETHEUS_MULTIPROC_DIR is set).
    fresh_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        fresh_dir = tempfile.mkdtemp(prefix="crossings-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = fresh_dir
    try:
        uvicorn.run(
            "api.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            log_level="info",
            **UVICORN_LIMITS,  # the h11 parser with a 64 KiB header bound, a keep-alive timeout
        )
    finally:
        if fresh_dir is not None:
            shutil.rmtree(fresh_dir, ignore_errors=True)


# -- train and retrain (MLflow lifecycle) ------------------------------------------------


@app.command()
def train(
    config: ConfigOpt = Path("experiments/default.yaml"),
    data: DataOpt = None,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Backtest a config's models, log them to MLflow, register the winner, gate it.

    Exit codes: 0 done; 2 bad config or data (before any run is created); 4 MLflow
    unreachable or failed; 1 anything else.
    """
    from forecasting.training.config import load_config
    from forecasting.training.job import train as run_train

    data_dir = data or get_settings().data_dir
    try:
        cfg = load_config(config)
        with output.stage_progress() as update:
            result = run_train(cfg, data_dir, tracking_uri=tracking_uri, progress=update)
    except Exception as exc:
        raise _job_exit(exc) from exc
    output.print_train_result(result)


def _job_exit(exc: Exception) -> typer.Exit:
    """Print a train/retrain failure and return its documented exit; re-raise the unknown."""
    from forecasting.tracking import TrackingUnavailable
    from forecasting.training.retrain import RetrainLocked

    if isinstance(exc, ConfigError | InputError):
        return fail(exc)
    if isinstance(exc, RetrainLocked):
        output.print_error(exc)
        return typer.Exit(EXIT_LOCKED)
    if isinstance(exc, TrackingUnavailable):
        output.print_error(exc)
        return typer.Exit(EXIT_TRACKING)
    if type(exc).__module__.startswith(("mlflow", "requests", "sqlalchemy")):
        output.print_error(
            RuntimeError(f"MLflow failed: {exc}. No alias was moved by the failed step.")
        )
        return typer.Exit(EXIT_TRACKING)
    raise exc


@app.command()
def retrain(
    config: ConfigOpt = Path("experiments/default.yaml"),
    source: SourceOpt = None,
    arrivals: ArrivalsOpt = None,
    weather: WeatherOpt = None,
    data: DataOpt = None,
    tracking_uri: TrackingOpt = None,
    lock: Annotated[
        Path | None,
        typer.Option("--lock", help="Lock file (default: retrain.lock beside --data)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON summary line on stdout (also on failure)."),
    ] = False,
) -> None:
    """For schedulers: ingest, then train, gate and promote if anything is new.

    Exit codes: 0 done or nothing new; 2 bad config or input; 3 another retrain holds the
    lock; 4 MLflow unreachable or failed; 1 anything else. A failed or killed run never
    moves the champion.
    """
    import time

    from forecasting.training import summary
    from forecasting.training.retrain import retrain as run_retrain

    started = time.monotonic()
    arrivals_path, weather_path = resolve_sources(arrivals, weather, source)
    data_dir = data or get_settings().data_dir
    try:
        with output.stage_progress() as update:
            outcome = run_retrain(
                config,
                arrivals_path,
                weather_path,
                data_dir,
                tracking_uri=tracking_uri,
                lock_path=lock,
                progress=update,
            )
    except Exception as exc:
        exit_ = _job_exit(exc)
        if as_json:
            elapsed = time.monotonic() - started
            typer.echo(summary.to_line(summary.failure_summary(exc, exit_.exit_code, elapsed)))
        raise exit_ from exc
    if as_json:
        typer.echo(summary.to_line(summary.retrain_summary(outcome)))
    else:
        output.print_retrain(outcome)


__all__ = ["app", "resolve_sources"]
