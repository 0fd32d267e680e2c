"""`crossings fetch-arrivals`: the newest Home Office time series from GOV.UK's Content API,
checked with the ingest adapter, written atomically into the source folder (the work is
`forecasting.sources`). Also the exits shared by the fetching commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from crossings import output
from crossings.options import FetchSourceOpt, JsonOpt
from forecasting.errors import ConfigError, InputError

# Exit codes: 2 bad flags, bad content or an unwritable folder; 4 a source down/missing/slow.
EXIT_INPUT, EXIT_SOURCE = 2, 4


def fetch_exit(exc: Exception) -> typer.Exit:
    """Print a fetch failure and return its exit (4: the source is down, missing or too
    slow; 2: bad flags, a file that fails the check, a folder that cannot be written);
    re-raise anything else."""
    from forecasting.sources.http import SourceUnavailable

    if isinstance(exc, SourceUnavailable):
        output.print_error(exc)
        return typer.Exit(EXIT_SOURCE)
    if isinstance(exc, ConfigError | InputError):
        output.print_error(exc)
        return typer.Exit(EXIT_INPUT)
    if isinstance(exc, OSError):
        output.print_error(ConfigError(f"could not write {exc.filename} ({exc.strerror or exc})"))
        return typer.Exit(EXIT_INPUT)
    raise exc


def check_source(source: Path | None) -> None:
    """ConfigError naming --source when the folder given cannot be written."""
    from forecasting.sources.folders import is_writable

    if source is not None and not is_writable(source):
        raise ConfigError(
            f"--source {source} is not writable; pass a writable folder, or leave --source "
            "out to fetch into $CROSSINGS_FETCH_DIR (data/sources)"
        )


def failed_json(source: str, exc: Exception, exit_code: int) -> str:
    """The JSON line of a fetch that failed."""
    error = f"{type(exc).__name__}: {exc}"
    payload = {"source": source, "status": "failed", "exit_code": exit_code, "error": error}
    return json.dumps(payload, sort_keys=True)


def fetch_arrivals(source: FetchSourceOpt = None, as_json: JsonOpt = False) -> None:
    """Fetch the newest Home Office time series from GOV.UK ($CROSSINGS_GOVUK_URL).

    Writes home-office/small-boats-time-series-<publication date>.ods once per publication
    (an existing file for that date means "unchanged", and nothing is downloaded). Exit
    codes: 0 new or unchanged; 2 bad flags or a file that fails the check; 4 GOV.UK or its
    asset host down, missing or too slow. A failure writes nothing.
    """
    from forecasting.sources.jobs import arrivals_job

    try:
        check_source(source)
        fetched = arrivals_job(source)
    except Exception as exc:
        exit_ = fetch_exit(exc)
        if as_json:
            typer.echo(failed_json("arrivals", exc, exit_.exit_code))
        raise exit_ from exc
    if as_json:
        typer.echo(output.fetched_json(fetched, exit_code=0))
    else:
        output.print_fetched(fetched)
