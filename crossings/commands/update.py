"""`crossings update`: the scheduled job: fetch the newest publications, then retrain on the
newest files (the work is `forecasting.sources.update`)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crossings import output
from crossings.commands.fetch_arrivals import EXIT_SOURCE, check_source
from crossings.exits import job_exit
from crossings.options import ConfigOpt, DataOpt, FetchSourceOpt, LockOpt, TrackingOpt
from forecasting.settings import get_settings

if TYPE_CHECKING:
    from forecasting.sources.update import UpdateResult

log = logging.getLogger(__name__)

DEFAULT_TRACK_RECORD_WEEKS = 8


def _exit(exc: Exception) -> typer.Exit:
    """The documented exit of a failed update: a source down, missing or slow is 4, the
    rest as retrain's (2 bad config or input, 3 locked, 4 MLflow)."""
    from forecasting.sources.http import SourceUnavailable

    if isinstance(exc, SourceUnavailable):
        output.print_error(exc)
        return typer.Exit(EXIT_SOURCE)
    return job_exit(exc)


def track_record(weeks: int, data: Path, tracking_uri: str | None) -> dict[str, Any]:
    """Backfill the archive for the last `weeks` weeks (`crossings reissue --weeks`): issue
    dates already archived are skipped, so a run with nothing new costs a query. A failure
    is reported, not raised: the data and models are already updated."""
    from crossings.commands.reissue import BackfillFailed, backfill

    if weeks == 0:
        return {"status": "skipped", "weeks": 0}
    overrides: dict[str, object] = {"data_dir": data}
    if tracking_uri is not None:
        overrides["mlflow_tracking_uri"] = tracking_uri
    started = time.monotonic()
    try:
        done = backfill(None, weeks, overrides=overrides)
    except BackfillFailed as exc:
        log.warning("track record not backfilled: %s", exc)
        return {"status": "failed", "weeks": weeks, "error": str(exc)}
    out: dict[str, Any] = {"status": "done", "weeks": weeks}
    out |= {s.target: {"issued": s.issued, "skipped": s.skipped} for s in done}
    out["elapsed_s"] = round(time.monotonic() - started, 2)
    return out


ReissueWeeksOpt = Annotated[
    int,
    typer.Option(
        "--reissue-weeks",
        min=0,
        help="After the retrain, backfill the track record for the last N weeks (issue "
        "dates already archived are skipped; 0: do not).",
    ),
]


def _report(result: UpdateResult, record: dict[str, Any], as_json: bool) -> None:
    """The JSON line (with `track_record`), or the human summary."""
    from forecasting.training import summary

    if as_json:
        line = summary.retrain_summary(result.retrain, result.fetch_report())
        typer.echo(summary.to_line(line | {"track_record": record}))
        return
    for fetched in result.fetches:
        output.print_fetched(fetched)
    output.print_retrain(result.retrain)
    output.console.print(f"track record: {record}")


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
    reissue_weeks: ReissueWeeksOpt = DEFAULT_TRACK_RECORD_WEEKS,
) -> None:
    """For schedulers: fetch the newest arrivals (GOV.UK) and weather (KNMI), then ingest,
    train, gate and promote if anything is new; then backfill the track record's last weeks.

    Exit codes: 0 done or nothing new; 2 bad config or input (a fetched file that fails its
    check included); 3 another retrain holds the lock; 4 MLflow or a source unreachable,
    missing or too slow; 1 anything else. A source that fails leaves every file as it was:
    nothing is written, ingested or trained. A backfill that fails is reported
    (``track_record`` in the JSON line, a warning in the log) and does not change the exit.
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
    record = track_record(reissue_weeks, data or get_settings().data_dir, tracking_uri)
    _report(result, record, as_json)
