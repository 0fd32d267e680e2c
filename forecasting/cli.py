"""The `crossings` command line: ingest, backtest, train, retrain, serve."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from forecasting.errors import ConfigError, InputError
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings

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


def run() -> None:  # pragma: no cover - console entry point
    """Entry point that maps config errors to a clean exit."""
    try:
        app()
    except ConfigError as exc:
        raise SystemExit(str(exc)) from exc
