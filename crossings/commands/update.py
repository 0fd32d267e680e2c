"""`crossings update`: the scheduled job: fetch the newest publications, then retrain on the
newest files (the work is `forecasting.sources.update`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from crossings import output
from crossings.commands.fetch_arrivals import EXIT_SOURCE, check_source
from crossings.exits import job_exit
from crossings.options import ConfigOpt, DataOpt, FetchSourceOpt, LockOpt, TrackingOpt
from forecasting.settings import get_settings


def _exit(exc: Exception) -> typer.Exit:
    """The documented exit of a failed update: a source down, missing or slow is 4, the
    rest as retrain's (2 bad config or input, 3 locked, 4 MLflow)."""
    from forecasting.sources.http import SourceUnavailable

    if isinstance(exc, SourceUnavailable):
        output.print_error(exc)
        return typer.Exit(EXIT_SOURCE)
    return job_exit(exc)


def update(
    config: ConfigOpt = Path("experiments/default.yaml"),
    source: FetchSourceOpt = None,
    data: DataOpt = None,
    tracking_uri: TrackingOpt = None,
    lock: LockOpt = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON summary line on stdout (also on failure)."),
    ] = False,
) -> None:
    """For schedulers: fetch the newest arrivals (GOV.UK) and weather (KNMI), then ingest,
    train, gate and promote if anything is new.

    Exit codes: 0 done or nothing new; 2 bad config or input (a fetched file that fails its
    check included); 3 another retrain holds the lock; 4 MLflow or a source unreachable,
    missing or too slow; 1 anything else. A source that fails leaves every file as it was:
    nothing is written, ingested or trained.
    """
    from forecasting.sources.update import UpdateFailed
    from forecasting.sources.update import update as run_update
    from forecasting.training import summary

    started = time.monotonic()
    try:
        check_source(source)
        with output.stage_progress() as progress:
            result = run_update(
                config,
                data or get_settings().data_dir,
                source=source,
                tracking_uri=tracking_uri,
                lock_path=lock,
                progress=progress,
            )
    except Exception as exc:
        cause, fetch = (exc.cause, exc.fetch) if isinstance(exc, UpdateFailed) else (exc, {})
        exit_ = _exit(cause)
        if as_json:
            elapsed = time.monotonic() - started
            line = summary.failure_summary(cause, exit_.exit_code, elapsed, fetch=fetch)
            typer.echo(summary.to_line(line))
        raise exit_ from cause
    if as_json:
        typer.echo(summary.to_line(summary.retrain_summary(result.retrain, result.fetch_report())))
        return
    for fetched in result.fetches:
        output.print_fetched(fetched)
    output.print_retrain(result.retrain)
