"""The `crossings` command line: ingest, backtest, train, retrain, serve."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from forecasting.errors import ConfigError, InputError
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress

    from forecasting.evaluation.backtest import BacktestConfig

app = typer.Typer(
    help="Forecast daily small-boat crossings of the English Channel.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def fail(exc: Exception) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
) -> None:
    """Forecast daily small-boat crossings of the English Channel."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


ArrivalsOpt = Annotated[
    Path | None,
    typer.Option(
        "--arrivals",
        help="Home Office time series (ODS as published, or CSV). "
        "Default: newest file in $CROSSINGS_SOURCE_DIR/home-office (../shared/data).",
    ),
]
WeatherOpt = Annotated[
    Path | None,
    typer.Option(
        "--weather",
        help="Daily weather: KNMI etmgeg, Open-Meteo JSON or canonical CSV. "
        "Default: $CROSSINGS_SOURCE_DIR/knmi/etmgeg_*.txt.",
    ),
]


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
    source: Annotated[
        Path | None, typer.Option("--source", help="Folder with home-office/ and knmi/.")
    ] = None,
) -> None:
    """Validate the official files and write canonical Parquet tables plus a manifest."""
    from forecasting.ingest import ingest as run_ingest

    arrivals_path, weather_path = resolve_sources(arrivals, weather, source)
    out_dir = out or get_settings().data_dir
    try:
        result = run_ingest(arrivals_path, weather_path, out_dir)
    except InputError as exc:
        raise fail(exc) from exc
    src = result.manifest["sources"]
    table = Table(title=f"Ingested into {out_dir}" + ("" if result.changed else " (unchanged)"))
    for col in ("table", "source", "vintage", "first", "last", "rows"):
        table.add_column(col)
    a, w = src["arrivals"], src["weather"]
    table.add_row(
        "arrivals",
        Path(a["path"]).name,
        a["vintage"],
        a["first_date"],
        a["last_date"],
        str(a["rows"]),
    )
    table.add_row(
        "weather", w["source"], w["vintage"], w["first_date"], w["last_date"], str(w["rows"])
    )
    console.print(table)
    people = result.arrivals
    last365 = people.tail(365)
    console.print(
        f"Last 365 days: {int(last365['people'].sum()):,} people in "
        f"{int(last365['boats'].sum()):,} boats; "
        f"{(last365['people'] > 0).mean():.0%} crossing days. "
        f"Weather: {w['location']}."
    )


@app.command()
def backtest(
    arrivals: ArrivalsOpt = None,
    weather: WeatherOpt = None,
    models: Annotated[
        str, typer.Option("--models", help="Comma-separated model names.")
    ] = "hurdle,prophet,climatology",
    start: Annotated[str, typer.Option("--start", help="First origin, YYYY-MM-DD.")] = "2025-01-06",
    end: Annotated[str, typer.Option("--end", help="Last origin, YYYY-MM-DD.")] = "2026-05-07",
    step: Annotated[int, typer.Option("--step", help="Days between origins.")] = 7,
    horizon: Annotated[int, typer.Option("--horizon", help="Days ahead, 1-14.")] = 7,
    target: Annotated[str, typer.Option("--target", help="people or boats.")] = "people",
    weather_mode: Annotated[
        str, typer.Option("--weather-mode", help="observed, forecast or climatology.")
    ] = "observed",
    samples: Annotated[int, typer.Option("--samples", help="Sample paths per forecast.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    jobs: Annotated[int, typer.Option("--jobs", help="Parallel fits (joblib n_jobs).")] = -1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object as the last line.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write per-forecast rows to this Parquet file.")
    ] = None,
) -> None:
    """Rolling-origin backtest with an expanding window; metrics per model."""
    import json

    from forecasting.adapters import read_arrivals, read_weather
    from forecasting.evaluation.backtest import JSON_METRICS, BacktestConfig, run_backtest
    from forecasting.models import parse_model_list

    try:
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
            n_jobs=jobs,
        )
        arrivals_path, weather_path = resolve_sources(arrivals, weather)
        a, w = read_arrivals(arrivals_path), read_weather(weather_path)
        with _progress(f"backtest {len(cfg.origins)} origins") as advance:
            result = run_backtest(a, w, cfg, progress=advance)
    except (InputError, ConfigError) as exc:
        raise fail(exc) from exc
    summary = result.summary().set_index("model")
    if out is not None:
        result.rows.to_parquet(out, index=False)
    if not as_json:
        _print_summary(summary, cfg)
        return
    payload = {
        "models": {
            name: {k: _jsonable(row[k]) for k in JSON_METRICS} for name, row in summary.iterrows()
        },
        "origins": len(cfg.origins),
        "horizon": cfg.horizon,
        "target": cfg.target,
        "weather_mode": weather_mode,
    }
    typer.echo(json.dumps(payload))


def _jsonable(v: object) -> object:
    import numpy as np

    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if np.isnan(v) else round(float(v), 6)
    return v


def _parse_day(text: str, flag: str) -> object:
    import pandas as pd

    try:
        return pd.Timestamp(text).normalize()
    except ValueError as exc:
        raise ConfigError(f"{flag} '{text}' is not a date; use YYYY-MM-DD") from exc


def _print_summary(summary: pd.DataFrame, cfg: BacktestConfig) -> None:
    table = Table(title=f"Backtest: {cfg.target}, {len(cfg.origins)} origins")
    cols = [
        "crps",
        "wis",
        "mae",
        "mase",
        "coverage_80",
        "coverage_95",
        "brier",
        "fit_seconds_median",
    ]
    table.add_column("model")
    for c in cols:
        table.add_column(c, justify="right")
    for name, row in summary.sort_values("crps").iterrows():
        table.add_row(str(name), *(f"{row[c]:.3f}" for c in cols))
    console.print(table)


def _progress_bar() -> Progress:
    """A transient rich progress bar on stderr, shown only on a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


class _progress:
    """A rich progress bar on a terminal (stderr); silent otherwise."""

    def __init__(self, description: str) -> None:
        self._bar = _progress_bar()
        self._description = description

    def __enter__(self) -> Callable[[int, int], None]:
        self._bar.start()
        task = self._bar.add_task(self._description, total=None)

        def advance(done: int, total: int) -> None:
            self._bar.update(task, completed=done, total=total)

        return advance

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


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

    import uvicorn

    # Fail over quickly when a remote registry is down (MLflow's default retries take minutes);
    # the service keeps serving its last good model meanwhile.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    logging.getLogger("api").setLevel(logging.INFO)
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level="info",
    )


def run() -> None:  # pragma: no cover - console entry point
    """Entry point that maps config errors to a clean exit."""
    try:
        app()
    except ConfigError as exc:
        raise SystemExit(str(exc)) from exc


# -- train and retrain (MLflow lifecycle) ------------------------------------------------

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="Experiment config (YAML) in experiments/."),
]
DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data", help="Processed tables from `crossings ingest` (default: data/processed)."
    ),
]
TrackingOpt = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        help="MLflow tracking URI. Default: $MLFLOW_TRACKING_URI, else sqlite:///mlruns.db "
        "with artifacts in ./mlartifacts.",
    ),
]
EXIT_CONFIG, EXIT_LOCKED, EXIT_TRACKING = 2, 3, 4


class _StageProgress:
    """A rich progress bar whose description follows the job's stage (stderr, terminals)."""

    def __init__(self) -> None:
        self._bar = _progress_bar()
        self._task = self._bar.add_task("starting", total=None)

    def __enter__(self) -> Callable[[str, int, int], None]:
        self._bar.start()

        def update(stage: str, done: int, total: int) -> None:
            self._bar.update(self._task, description=stage, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


def _print_train_result(result: object) -> None:
    from forecasting.training.job import TrainResult

    assert isinstance(result, TrainResult)
    mode, metric = result.gate_weather_mode, result.gate_metric
    keys = ("crps", "mae", "coverage_80", "brier")
    for target, tr in result.targets.items():
        table = Table(
            title=f"{result.experiment_name}: {target} (backtest, {mode} weather)",
        )
        table.add_column("model")
        table.add_column(f"gate: {metric}", justify="right")
        for key in keys:
            table.add_column(key, justify="right")
        for run in sorted(tr.runs, key=lambda r: r.gate_score):
            cells = [f"{run.metrics.get(f'{mode}/{k}', float('nan')):.3f}" for k in keys]
            name = f"[bold]{run.model}[/] (winner)" if run.model == tr.winner else run.model
            table.add_row(name, f"{run.gate_score:.3f}", *cells)
        console.print(table)
        d = tr.decision
        if d is not None:
            versus = (
                f"; champion v{d.champion_version}: {d.champion_score:.3f}"
                if d.champion_version and d.champion_score is not None
                else ""
            )
            console.print(
                f"{d.registered_name} v{d.version} → [bold]{d.alias}[/] ({d.reason}{versus})",
                highlight=False,
            )
    from forecasting.tracking import DEFAULT_TRACKING_URI

    if result.tracking_uri == DEFAULT_TRACKING_URI:
        console.print(
            f"Runs in {result.tracking_uri}: see them with "
            f"`mlflow ui --backend-store-uri {result.tracking_uri}`",
            highlight=False,
        )
    else:
        console.print(f"Runs in {result.tracking_uri}", highlight=False)


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
        with _StageProgress() as update:
            result = run_train(cfg, data_dir, tracking_uri=tracking_uri, progress=update)
    except Exception as exc:
        raise _job_exit(exc) from exc
    _print_train_result(result)


def _job_exit(exc: Exception) -> typer.Exit:
    """Print a train/retrain failure and return its documented exit; re-raise the unknown."""
    from forecasting.tracking import TrackingUnavailable
    from forecasting.training.retrain import RetrainLocked

    if isinstance(exc, ConfigError | InputError):
        return fail(exc)
    if isinstance(exc, RetrainLocked):
        fail(exc)
        return typer.Exit(EXIT_LOCKED)
    if isinstance(exc, TrackingUnavailable):
        fail(exc)
        return typer.Exit(EXIT_TRACKING)
    if type(exc).__module__.startswith(("mlflow", "requests", "sqlalchemy")):
        fail(RuntimeError(f"MLflow failed: {exc}. No alias was moved by the failed step."))
        return typer.Exit(EXIT_TRACKING)
    raise exc


@app.command()
def retrain(
    config: ConfigOpt = Path("experiments/default.yaml"),
    source: Annotated[
        Path | None, typer.Option("--source", help="Folder with home-office/ and knmi/.")
    ] = None,
    arrivals: ArrivalsOpt = None,
    weather: WeatherOpt = None,
    data: DataOpt = None,
    tracking_uri: TrackingOpt = None,
    lock: Annotated[
        Path | None,
        typer.Option("--lock", help="Lock file (default: retrain.lock beside --data)."),
    ] = None,
) -> None:
    """For schedulers: ingest, then train, gate and promote if anything is new.

    Exit codes: 0 done or nothing new; 2 bad config or input; 3 another retrain holds the
    lock; 4 MLflow unreachable or failed; 1 anything else. A failed or killed run never
    moves the champion.
    """
    from forecasting.training.retrain import retrain as run_retrain

    arrivals_path, weather_path = resolve_sources(arrivals, weather, source)
    data_dir = data or get_settings().data_dir
    try:
        with _StageProgress() as update:
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
        raise _job_exit(exc) from exc
    if outcome.status == "skipped":
        console.print(f"Nothing new: {outcome.reason}.", highlight=False)
        return
    console.print(f"Retrained: {outcome.reason}.", highlight=False)
    assert outcome.train is not None
    _print_train_result(outcome.train)
