"""The as-issued weather at the command line: `crossings fetch-weather` (parsing and checking
its flags, each message naming its flag; the work is `forecasting.fetch`), and reading
`crossings backtest --issued-weather`. Registered on the app in `crossings.app`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crossings import output
from forecasting.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

# Exit codes, as the other commands: 2 bad flags or input, 4 the provider failed.
EXIT_INPUT, EXIT_PROVIDER = 2, 4
_FLAGS = {
    "provider": "--provider",
    "lat": "--lat",
    "lon": "--lon",
    "start": "--start",
    "out": "--out",
    "base_url": "--base-url",
}


ProviderOpt = Annotated[
    str,
    typer.Option(
        "--provider",
        help="open-meteo-archive (daily weather, for `ingest --weather`) or "
        "open-meteo-previous-runs (forecasts as issued, for `backtest --weather-mode issued`).",
    ),
]
LatOpt = Annotated[float, typer.Option("--lat", help="Latitude, degrees north (-90..90).")]
LonOpt = Annotated[float, typer.Option("--lon", help="Longitude, degrees east (-180..180).")]
StartOpt = Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")]
EndOpt = Annotated[str, typer.Option("--end", help="Last day, YYYY-MM-DD (included).")]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="File to write (.csv or .parquet). Default: data/raw/"
        "<provider>_<lat>_<lon>_<start>_<end>.csv (archive) or .parquet (previous runs).",
    ),
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="The provider's base URL (default: https://archive-api.open-meteo.com or "
        "https://previous-runs-api.open-meteo.com).",
    ),
]


def fetch_weather(
    provider: ProviderOpt,
    lat: LatOpt,
    lon: LonOpt,
    start: StartOpt,
    end: EndOpt,
    out: OutOpt = None,
    base_url: BaseUrlOpt = None,
) -> None:
    """Fetch weather for a point from Open-Meteo and write it as a file the project reads.

    Exit codes: 0 written; 2 bad flags; 4 the provider failed or had nothing for the range
    (nothing is written then).
    """
    from forecasting.fetch import BadRequest, FetchRequest
    from forecasting.fetch import fetch_weather as run_fetch
    from forecasting.providers.open_meteo import WeatherProviderError

    try:
        req = FetchRequest(
            provider, lat, lon, _day(start, "--start"), _day(end, "--end"), out, base_url
        )
        with output.progress(f"fetch {provider}") as advance:
            result = run_fetch(req, progress=advance)
    except BadRequest as exc:
        output.print_error(ConfigError(f"{_FLAGS.get(exc.field, exc.field)} {exc.detail}"))
        raise typer.Exit(EXIT_INPUT) from exc
    except ConfigError as exc:
        output.print_error(exc)
        raise typer.Exit(EXIT_INPUT) from exc
    except WeatherProviderError as exc:
        output.print_error(exc)
        raise typer.Exit(EXIT_PROVIDER) from exc
    except OSError as exc:
        where = exc.filename or out
        output.print_error(ConfigError(f"--out: could not write {where} ({exc.strerror or exc})"))
        raise typer.Exit(EXIT_INPUT) from exc
    output.console.print(
        f"Wrote {result.rows} rows ({result.first}..{result.last}, {result.location}, "
        f"{result.requests} request{'s' if result.requests > 1 else ''}) to {result.path}",
        highlight=False,
    )


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{flag} '{text}' is not a date; use YYYY-MM-DD") from exc


def issued_table(path: Path | None, weather_mode: str) -> pd.DataFrame | None:
    """The archived forecasts `--issued-weather` names, checked against `--weather-mode`."""
    from forecasting.adapters import read_issued

    if weather_mode == "issued" and path is None:
        raise ConfigError(
            "--weather-mode issued needs --issued-weather FILE: archived forecasts from "
            "`crossings fetch-weather --provider open-meteo-previous-runs`"
        )
    if path is None:
        return None
    if weather_mode != "issued":
        raise ConfigError(
            f"--issued-weather is read only with --weather-mode issued, not {weather_mode!r}"
        )
    return read_issued(path)
