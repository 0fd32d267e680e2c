"""`crossings outlook`: the season outlook, cumulative arrivals from the newest data to a day.

It fits `--model` (default: the registry's champion for `--target`, its model and
hyperparameters; without a champion, or when the champion's model has no season outlook,
hurdle, the model the outlook backtest favours: see benchmarks/OUTLOOK.md) on the processed
tables, optionally only on the days before `--as-of`
(a hindcast, as the backtest does), and prints the total to `--until` with its bands,
P(total ≥ X), the year-to-date actual and the year-end total (`--json`: the API's body).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from crossings.options import DataOpt, JsonOpt, SamplesOpt, SeedOpt, TargetOpt, TrackingOpt
from crossings.output import numbers_table
from forecasting import schema
from forecasting.contract import (
    CHAMPION_ALIAS,
    DEFAULT_LEVELS_PCT,
    MAX_OUTLOOK_DAYS,
    TARGETS,
    level_name,
    registered_name,
)
from forecasting.errors import ConfigError, InputError
from forecasting.issuing import CannotIssue
from forecasting.outlook import OUTLOOK_MODELS, simulate_outlook

log = logging.getLogger(__name__)
PROVENANCE = "provenance.json"  # the champion's run artifact with its hyperparameters
console = Console()
err_console = Console(stderr=True)
EXIT_BAD = 2
FALLBACK_MODEL = "hurdle"
CHAMPION = "champion"  # --model's default: the registry's champion


def _day(text: str, flag: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(datetime.strptime(text, "%Y-%m-%d"))
    except ValueError:
        raise ConfigError(f"{flag} must be a date YYYY-MM-DD, got {text!r}") from None


def _thresholds(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        values = [int(p) for p in text.split(",")]
    except ValueError:
        raise ConfigError(
            f"--at-least must be comma-separated whole counts, got {text!r}"
        ) from None
    if any(v < 0 for v in values):
        raise ConfigError("--at-least counts must be non-negative")
    return values


def outlook(
    until: Annotated[
        str,
        typer.Option("--until", help=f"Last day counted, YYYY-MM-DD (≤ {MAX_OUTLOOK_DAYS} days)."),
    ],
    data: DataOpt = None,
    target: TargetOpt = "people",
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help=f"One of {', '.join(OUTLOOK_MODELS)}, or {CHAMPION}: the registry's champion "
            f"for --target, its model and hyperparameters ({FALLBACK_MODEL} if there is none).",
        ),
    ] = CHAMPION,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Use only the data before this day (YYYY-MM-DD)."),
    ] = None,
    at_least: Annotated[
        str | None, typer.Option("--at-least", help="Totals X for P(total ≥ X), e.g. 20000,25000.")
    ] = None,
    samples: SamplesOpt = 1000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Cumulative people or boats from the newest data to --until: median, bands,
    P(total ≥ X), year to date and the year-end total. Weather ahead is climatology."""
    from forecasting.ingest import load_processed
    from forecasting.models import create
    from forecasting.settings import get_settings
    from forecasting.weather.history import WeatherHistory

    try:
        if target not in TARGETS:
            raise ConfigError(f"--target must be one of {', '.join(TARGETS)}, got {target!r}")
        if model not in (*OUTLOOK_MODELS, CHAMPION):
            raise ConfigError(f"--model must be one of {', '.join(OUTLOOK_MODELS)}, got {model!r}")
        model, params = champion_model(target, tracking_uri) if model == CHAMPION else (model, {})
        end = _day(until, "--until")
        xs = _thresholds(at_least)
        arrivals, weather, _ = load_processed(data or get_settings().data_dir)
        if as_of is not None:
            cut = _day(as_of, "--as-of")
            arrivals = arrivals.loc[arrivals[schema.DATE] < cut].reset_index(drop=True)
            weather = weather.loc[weather[schema.DATE] < cut].reset_index(drop=True)
        fitted = create(model, target=target, **params).fit(arrivals, weather)
        result = simulate_outlook(fitted, arrivals, WeatherHistory(weather), end, samples, seed)
    except (ConfigError, InputError, CannotIssue) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_BAD) from exc
    body = result.summary(DEFAULT_LEVELS_PCT, xs)
    if as_json:
        typer.echo(json.dumps(body))
    else:
        _print(body)


def champion_model(target: str, tracking_uri: str | None) -> tuple[str, dict[str, Any]]:
    """The model and hyperparameters of `target`'s registered champion, when it has a season
    outlook; else FALLBACK_MODEL with its defaults. Says which on stderr."""
    from forecasting import tracking
    from forecasting.tracking.store import redact, require_existing_store

    name = registered_name(target)
    try:
        uri = tracking.resolve_tracking_uri(tracking_uri)
        require_existing_store(uri)
        tracking.configure(uri)
        tracking.check_reachable(uri)
        version = tracking.get_version_by_alias(name, CHAMPION_ALIAS)
    except tracking.TrackingUnavailable as exc:
        return _fallback(f"no registry ({exc})")
    if version is None:
        return _fallback(f"{name} has no champion in {redact(uri)}")
    champion = version.tags.get("model_name", "")
    if champion not in OUTLOOK_MODELS:
        return _fallback(
            f"the champion {name} v{version.version} is {champion or 'unnamed'}, "
            "which has no season outlook"
        )
    record = tracking.load_run_dict(version.run_id, PROVENANCE) if version.run_id else None
    params = dict((record or {}).get("model_params") or {})
    err_console.print(
        f"Model: {champion}, the champion {name} v{version.version}.", highlight=False
    )
    return champion, params


def _fallback(why: str) -> tuple[str, dict[str, Any]]:
    err_console.print(f"Model: {FALLBACK_MODEL} ({why}; choose one with --model).", highlight=False)
    return FALLBACK_MODEL, {}


def _print(body: dict) -> None:
    """The outlook as a table that fits the terminal (no number cut), then the year to date
    and P(total ≥ X)."""
    ye = body["year_end"]
    rows = []
    for label, part in ((f"total, {body['days']} days", body["total"]), (f"year {ye['year']}", ye)):
        bands = [f"{b['lo']:,}– {b['hi']:,}" for b in part["bands"].values()]
        rows.append([label, f"{part['median']:,}", f"{part['mean']:,.0f}", *bands])
    headers = ["", "median", "mean", *(f"{level_name(lv)}% band" for lv in DEFAULT_LEVELS_PCT)]
    title = f"Outlook: {body['target']} from {body['from']} to {body['until']}"
    console.print(numbers_table(title, headers, rows))
    ytd = body["year_to_date"]
    console.print(f"Year to date ({ytd['year']}, to {ytd['through']}): {ytd['actual']:,} observed")
    for row in body["exceedance"]:
        console.print(f"P(total ≥ {row['at_least']:,}) = {row['probability']:.2f}")
