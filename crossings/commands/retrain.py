"""`crossings retrain`: the scheduled job on files already fetched: ingest, train, gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crossings import output
from crossings.exits import job_exit
from crossings.options import ArrivalsOpt, ConfigOpt, DataOpt, SourceOpt, TrackingOpt, WeatherOpt
from crossings.sources import resolve_sources
from forecasting.settings import get_settings


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
        exit_ = job_exit(exc)
        if as_json:
            elapsed = time.monotonic() - started
            typer.echo(summary.to_line(summary.failure_summary(exc, exit_.exit_code, elapsed)))
        raise exit_ from exc
    if as_json:
        typer.echo(summary.to_line(summary.retrain_summary(outcome)))
    else:
        output.print_retrain(outcome)
