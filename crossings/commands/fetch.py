"""The weather at the command line: `crossings fetch-weather` (parsing and checking its flags
per provider, each message naming its flag; the work is `forecasting.fetch` for Open-Meteo and
`forecasting.sources` for KNMI), and reading `crossings backtest --issued-weather`.
Registered on the app in `crossings.app`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crossings import output
from crossings.options import FetchSourceOpt, JsonOpt
from forecasting.contract import WeatherMode
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
KNMI = "knmi"
DEFAULT_STATION = 340


ProviderOpt = Annotated[
    str,
    typer.Option(
        "--provider",
        help="open-meteo-archive (daily weather, for `ingest --weather`), "
        "open-meteo-previous-runs (forecasts as issued, for `backtest --weather-mode issued`) "
        "or knmi (a KNMI station's daily etmgeg file into the source folder).",
    ),
]
LatOpt = Annotated[
    float | None,
    typer.Option("--lat", help="Latitude, degrees north (-90..90). Open-Meteo only."),
]
LonOpt = Annotated[
    float | None,
    typer.Option("--lon", help="Longitude, degrees east (-180..180). Open-Meteo only."),
]
StartOpt = Annotated[
    str | None, typer.Option("--start", help="First day, YYYY-MM-DD. Open-Meteo only.")
]
EndOpt = Annotated[
    str | None, typer.Option("--end", help="Last day, YYYY-MM-DD (included). Open-Meteo only.")
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="File to write (.csv or .parquet). Default: data/raw/"
        "<provider>_<lat>_<lon>_<start>_<end>.csv (archive) or .parquet (previous runs). "
        "Open-Meteo only (knmi writes knmi/etmgeg_<station>.txt in the source folder).",
    ),
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="The provider's base URL (default: https://archive-api.open-meteo.com or "
        "https://previous-runs-api.open-meteo.com; for knmi $CROSSINGS_KNMI_URL, a template "
        "with {station} or a base to which /etmgeg_<station>.zip is added).",
    ),
]
StationOpt = Annotated[
    int | None,
    typer.Option("--station", help=f"KNMI station number (default {DEFAULT_STATION}). knmi only."),
]


def fetch_weather(
    provider: ProviderOpt,
    lat: LatOpt = None,
    lon: LonOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    out: OutOpt = None,
    base_url: BaseUrlOpt = None,
    station: StationOpt = None,
    source: FetchSourceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch weather: a point from Open-Meteo as a file the project reads (needs --lat,
    --lon, --start, --end), or a KNMI station's daily file into the source folder.

    Exit codes: 0 written (knmi: new or unchanged); 2 bad flags or a file that fails the
    check; 4 the provider failed or had nothing for the range (nothing is written then).
    """
    from forecasting.fetch import PROVIDERS

    if provider == KNMI:
        _fetch_knmi(
            station, source, base_url, as_json, lat=lat, lon=lon, start=start, end=end, out=out
        )
        return
    try:
        if provider not in PROVIDERS:
            known = ", ".join((*PROVIDERS, KNMI))
            raise ConfigError(f"--provider must be one of {known}, got {provider!r}")
        _refuse({"--station": station, "--source": source}, f"--provider {provider}")
        _require({"--lat": lat, "--lon": lon, "--start": start, "--end": end}, provider)
    except ConfigError as exc:
        output.print_error(exc)
        raise typer.Exit(EXIT_INPUT) from exc
    assert lat is not None and lon is not None and start is not None and end is not None
    _fetch_open_meteo(provider, lat, lon, start, end, out, base_url, as_json)


def _require(flags: dict[str, object], provider: str) -> None:
    for flag, value in flags.items():
        if value is None:
            raise ConfigError(f"{flag} is required with --provider {provider}")


def _refuse(flags: dict[str, object], what: str) -> None:
    for flag, value in flags.items():
        if value is not None:
            raise ConfigError(f"{flag} is not used with {what}")


def _fetch_knmi(
    station: int | None,
    source: Path | None,
    base_url: str | None,
    as_json: bool,
    **open_meteo_only: object,
) -> None:
    """`fetch-weather --provider knmi`: the station's zip into the source folder."""
    from crossings.commands.fetch_arrivals import check_source, failed_json, fetch_exit
    from forecasting.sources.jobs import knmi_job

    number = DEFAULT_STATION if station is None else station
    try:
        flags = {f"--{k}": v for k, v in open_meteo_only.items()}
        _refuse(flags, f"--provider {KNMI}")
        if number <= 0:
            raise ConfigError(f"--station must be a positive KNMI station number, got {number}")
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"--base-url {base_url!r} is not an http(s) URL")
        check_source(source)
        fetched = knmi_job(number, source, base_url)
    except Exception as exc:
        exit_ = fetch_exit(exc)
        if as_json:
            typer.echo(failed_json("weather", exc, exit_.exit_code))
        raise exit_ from exc
    if as_json:
        typer.echo(output.fetched_json(fetched, exit_code=0, provider=KNMI, station=number))
    else:
        output.print_fetched(fetched)


def _fetch_open_meteo(
    provider: str,
    lat: float,
    lon: float,
    start: str,
    end: str,
    out: Path | None,
    base_url: str | None,
    as_json: bool,
) -> None:
    """`fetch-weather --provider open-meteo-*`: the point's weather as a file."""
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
    if as_json:
        payload = {"source": "weather", "provider": provider, "status": "new", "exit_code": 0}
        payload |= {"path": str(result.path), "rows": result.rows, "location": result.location}
        payload |= {"first_day": str(result.first), "last_day": str(result.last)}
        typer.echo(json.dumps(payload, sort_keys=True))
        return
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


def issued_table(path: Path | None, weather_mode: WeatherMode) -> pd.DataFrame | None:
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
