"""`crossings reissue`: backfill the forecast archive with hindcasts as they would have been
issued (parsing and checking the flags; the work is `api.reissue`). Registered on the app in
`crossings.app`."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from api.reissue import ReissueSummary
    from api.service import ForecastService

from crossings import output
from forecasting.contract import DEFAULT_HORIZON, MAX_HORIZON, MIN_HORIZON, TARGETS

log = logging.getLogger(__name__)

# Exit codes, as the other commands: 2 bad flags or input, 4 the registry or archive failed.
EXIT_INPUT, EXIT_UNAVAILABLE = 2, 4

FromOpt = Annotated[
    str | None, typer.Option("--from", help="First issue date, YYYY-MM-DD (or --weeks).")
]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last issue date, YYYY-MM-DD.")]
WeeksOpt = Annotated[
    int | None,
    typer.Option(
        "--weeks",
        min=1,
        help="Instead of --from/--to: the last N weeks of issue dates up to the newest arrival "
        "day (what `make run` backfills, so the track record is not empty).",
    ),
]
TargetsOpt = Annotated[
    str, typer.Option("--targets", help="Comma-separated targets (people, boats).")
]
ReissueHorizonOpt = Annotated[
    int,
    typer.Option(
        "--horizon", min=MIN_HORIZON, max=MAX_HORIZON, help="Days forecast from each issue date."
    ),
]
RefitOpt = Annotated[
    int,
    typer.Option(
        "--refit-every",
        min=0,
        help="Refit the champion's model on the data before every Nth issue date, as the "
        "weekly retrain would have (0: use the registered champion as it is).",
    ),
]
ArchiveOpt = Annotated[
    str | None,
    typer.Option("--archive-url", help="Archive URL (default: CROSSINGS_ARCHIVE_URL)."),
]
ReissueDataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="Processed tables (default: CROSSINGS_DATA_DIR)."),
]


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint=flag) from exc


def _check_order(start: date, end: date) -> None:
    if start > end:
        raise typer.BadParameter(f"--from {start} is after --to {end}", param_hint="--from")


def _targets(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in names if t not in TARGETS]
    if bad or not names:
        raise typer.BadParameter(
            f"unknown target {', '.join(bad) or '(none)'}; use {', '.join(TARGETS)}",
            param_hint="--targets",
        )
    return names


class BackfillFailed(Exception):
    """The backfill could not run: `exit_code` as the command's (2 input, 4 unavailable)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _last_weeks(service: ForecastService, weeks: int) -> tuple[date, date]:
    """The last `weeks` weeks of issue dates up to the newest arrival day: every one has a
    scored first day, and together they fill the track record's default window."""
    obs = service.observed.get()
    if obs is None:
        raise BackfillFailed("no processed data: run `crossings ingest` first", EXIT_INPUT)
    end = obs.last_date
    return end - timedelta(days=7 * weeks - 1), end


def backfill(
    names: list[str] | None,
    window: tuple[date, date] | int,
    *,
    horizon: int = DEFAULT_HORIZON,
    refit_every: int = 7,
    overrides: dict[str, object] | None = None,
) -> list[ReissueSummary]:
    """Reissue `names` (None: the served targets) for every issue date of `window` (first,
    last), or of the last N weeks up to the newest arrival day when `window` is an int.
    `overrides` are ApiSettings fields (archive_url, data_dir, mlflow_tracking_uri). Raises
    BackfillFailed."""
    from api.deps import get_registry
    from api.main import build_service
    from api.reissue import reissue
    from api.service import InvalidInput, NotReady
    from api.settings import ApiSettings
    from forecasting.tracking.store import TrackingUnavailable

    fields: dict[str, object] = {"open_meteo_url": "", "poll_seconds": 0, **(overrides or {})}
    settings = ApiSettings(**fields)  # type: ignore[arg-type]
    try:
        registry = get_registry(settings)  # a SQLite store that does not exist is refused
    except TrackingUnavailable as exc:
        raise BackfillFailed(str(exc), EXIT_UNAVAILABLE) from exc
    service = build_service(settings, registry)
    try:
        service.observed.reload_if_changed()
        service.store.refresh()
        start, end = window if isinstance(window, tuple) else _last_weeks(service, window)
        targets = names or list(settings.targets)
        return reissue(service, targets, start, end, horizon=horizon, refit_every=refit_every)
    except (InvalidInput, ValueError) as exc:
        raise BackfillFailed(str(exc), EXIT_INPUT) from exc
    except NotReady as exc:
        raise BackfillFailed(str(exc), EXIT_UNAVAILABLE) from exc
    finally:
        if service.archive is not None:
            service.archive.close()


def reissue_command(
    first: FromOpt = None,
    last: ToOpt = None,
    weeks: WeeksOpt = None,
    targets: TargetsOpt = ",".join(TARGETS),
    horizon: ReissueHorizonOpt = DEFAULT_HORIZON,
    refit_every: RefitOpt = 7,
    archive_url: ArchiveOpt = None,
    data: ReissueDataOpt = None,
) -> None:
    """Backfill the forecast archive with the forecasts the service would have issued on each
    day from --from to --to (honest forecast weather, labelled hindcasts), each beside the
    climatology model's, so /v1/verification has a track record to score."""
    dates_given = first is not None and last is not None
    if dates_given == (weeks is not None) or (first is None) != (last is None):
        raise typer.BadParameter("give --from and --to, or --weeks", param_hint="--from/--weeks")
    window: tuple[date, date] | int = weeks or 1
    if first is not None and last is not None:
        window = _day(first, "--from"), _day(last, "--to")
        _check_order(*window)
    names = _targets(targets)
    overrides: dict[str, object] = {}
    if archive_url is not None:
        overrides["archive_url"] = archive_url
    if data is not None:
        overrides["data_dir"] = data
    try:
        done = backfill(
            names, window, horizon=horizon, refit_every=refit_every, overrides=overrides
        )
    except BackfillFailed as exc:
        output.print_error(exc)
        raise typer.Exit(code=exc.exit_code) from exc
    for s in done:
        output.console.print(
            f"{s.target}: {s.issued} issue dates reissued, {s.skipped} already archived"
        )
