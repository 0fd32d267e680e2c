"""`crossings ingest`: validate the official files and write the canonical tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crossings import output
from crossings.exits import fail
from crossings.options import ArrivalsOpt, SourceOpt, WeatherOpt
from crossings.sources import resolve_sources
from forecasting.errors import InputError
from forecasting.settings import get_settings


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
