"""Fetch weather for a point from Open-Meteo and write it as a file the project reads.

Two providers (`crossings fetch-weather --provider ...`):

- ``open-meteo-archive``: the historical weather (ERA5) archive → the canonical daily weather
  table, as a canonical CSV whose header names the source and the point (`# source:`,
  `# latitude:`, `# longitude:`), so `crossings ingest --weather FILE` records both and a model
  trained on it is served with the live forecast for the same point.
- ``open-meteo-previous-runs``: the Previous Runs API → the canonical issued-forecast table
  (forecasts as they were issued 1-7 days ahead), as Parquet, for `crossings backtest
  --weather-mode issued --issued-weather FILE`.

Long ranges are fetched in chunks (one request each, with the client's timeouts and bounded
retries) and the file is written once, atomically, after every chunk arrived: a failure leaves
no file, or the previous one untouched. The suffix of the output path (.csv or .parquet)
picks the format.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import pandas as pd

from forecasting import schema
from forecasting.adapters import canonical_csv
from forecasting.adapters.open_meteo import SOURCE_ARCHIVE
from forecasting.adapters.open_meteo_runs import SOURCE_PREVIOUS_RUNS
from forecasting.ingest import atomic_write
from forecasting.providers.open_meteo import OpenMeteoClient, WeatherProviderError

log = logging.getLogger(__name__)

PROVIDERS: Final = (SOURCE_ARCHIVE, SOURCE_PREVIOUS_RUNS)
# Days per request: a year of daily archive values, a month of hourly previous runs (7 leads ×
# 7 variables × 24 hours a day, about 1 MB of JSON).
CHUNK_DAYS: Final = {SOURCE_ARCHIVE: 366, SOURCE_PREVIOUS_RUNS: 31}
DEFAULT_SUFFIX: Final = {SOURCE_ARCHIVE: ".csv", SOURCE_PREVIOUS_RUNS: ".parquet"}
SUFFIXES: Final = (".csv", ".parquet")
DEFAULT_DIR: Final = Path("data/raw")
TIMEOUT_SECONDS: Final = 30.0  # per connect/read; a month of hourly runs is a large answer
RETRIES: Final = 3
ATTRIBUTION: Final = "Weather data by Open-Meteo.com (CC BY 4.0)"


class BadRequest(ValueError):
    """A fetch no provider can answer; `field` names the FetchRequest field (the CLI words
    the message with its flag)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field} {message}")
        self.field = field
        self.detail = message


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch: a provider, a point (degrees) and a range of days (both included)."""

    provider: str
    lat: float
    lon: float
    start: date
    end: date
    out: Path | None = None
    base_url: str | None = None  # the provider's base URL (default: Open-Meteo's own)

    @property
    def path(self) -> Path:
        """Where the file goes: `out`, else data/raw/<provider>_<lat>_<lon>_<start>_<end>."""
        if self.out is not None:
            return self.out
        name = f"{self.provider}_{self.lat:.4f}_{self.lon:.4f}_{self.start}_{self.end}"
        return DEFAULT_DIR / (name + DEFAULT_SUFFIX[self.provider])


@dataclass(frozen=True)
class FetchResult:
    """What a fetch wrote."""

    path: Path
    provider: str
    location: str
    rows: int
    first: date
    last: date
    requests: int


def check_request(req: FetchRequest) -> None:
    """Raise BadRequest for the first field no provider can answer, in flag order."""
    if req.provider not in PROVIDERS:
        raise BadRequest("provider", f"must be one of {', '.join(PROVIDERS)}, got {req.provider!r}")
    if not -90 <= req.lat <= 90:
        raise BadRequest("lat", f"must be between -90 and 90 degrees, got {req.lat:g}")
    if not -180 <= req.lon <= 180:
        raise BadRequest("lon", f"must be between -180 and 180 degrees, got {req.lon:g}")
    if req.start > req.end:
        raise BadRequest("start", f"{req.start} is after the end {req.end}; swap them")
    if req.path.suffix not in SUFFIXES:
        raise BadRequest("out", f"{req.path} must end in {' or '.join(SUFFIXES)}")
    if req.base_url is not None and not req.base_url.startswith(("http://", "https://")):
        raise BadRequest("base_url", f"{req.base_url!r} is not an http(s) URL")


def chunks(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """`start`..`end` cut into consecutive spans of at most `days` days."""
    spans = []
    first = start
    while first <= end:
        last = min(first + timedelta(days=days - 1), end)
        spans.append((first, last))
        first = last + timedelta(days=1)
    return spans


def fetch_weather(
    req: FetchRequest,
    progress: Callable[[int, int], None] | None = None,
    client: OpenMeteoClient | None = None,
) -> FetchResult:
    """Fetch `req` chunk by chunk, then write the file atomically (see the module doc).

    Raises BadRequest for impossible requests and WeatherProviderError when the provider fails
    or has nothing for the range; in both cases nothing is written.
    """
    check_request(req)
    spans = chunks(req.start, req.end, CHUNK_DAYS[req.provider])
    own = client is None
    om = client if client is not None else _client(req)
    try:
        frames = []
        for done, (first, last) in enumerate(spans, start=1):
            frames.append(_fetch_span(om, req, first, last))
            if progress:
                progress(done, len(spans))
    finally:
        if own:
            om.close()
    table = _combine(req, frames)
    path = req.path
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, _encode(table, path))
    key = schema.DATE if req.provider == SOURCE_ARCHIVE else schema.VALID_DATE
    log.info("wrote %d rows to %s", len(table), path)
    return FetchResult(
        path,
        req.provider,
        str(table.attrs[schema.ATTR_LOCATION]),
        len(table),
        table[key].min().date(),
        table[key].max().date(),
        len(spans),
    )


def _client(req: FetchRequest) -> OpenMeteoClient:
    urls: dict[str, Any] = {}
    if req.base_url is not None:
        key = "archive_url" if req.provider == SOURCE_ARCHIVE else "previous_runs_url"
        urls[key] = req.base_url
    return OpenMeteoClient(timeout=TIMEOUT_SECONDS, retries=RETRIES, **urls)


def _fetch_span(om: OpenMeteoClient, req: FetchRequest, first: date, last: date) -> pd.DataFrame:
    if req.provider == SOURCE_ARCHIVE:
        return om.archive(req.lat, req.lon, first, last)
    return om.previous_runs(req.lat, req.lon, first, last)


def _combine(req: FetchRequest, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks as one validated table, recording the source and the point asked for."""
    grid = next((f.attrs.get(schema.ATTR_LOCATION) for f in frames), "unknown")
    if req.provider == SOURCE_ARCHIVE:
        table = _trim(pd.concat(frames, ignore_index=True))
        validate = schema.validate_weather
    else:
        table = pd.concat(frames, ignore_index=True)
        validate = schema.validate_issued
    if table.empty:
        hint = (
            "the Previous Runs archive starts in January 2024 for most weather models"
            if req.provider == SOURCE_PREVIOUS_RUNS
            else "the archive lags a few days behind today"
        )
        raise WeatherProviderError(
            f"{req.provider} has no weather for {req.start}..{req.end} at "
            f"{req.lat:g}, {req.lon:g}; {hint}"
        )
    table = validate(table)
    table.attrs = {
        schema.ATTR_SOURCE: req.provider,
        schema.ATTR_LOCATION: canonical_csv.location_label(req.lat, req.lon),
        schema.ATTR_LATITUDE: float(req.lat),
        schema.ATTR_LONGITUDE: float(req.lon),
        "grid_location": grid,
        "attribution": ATTRIBUTION,
    }
    return table


def _trim(table: pd.DataFrame) -> pd.DataFrame:
    """Drop leading and trailing days without any value (the archive lags behind today)."""
    values = [c for c in schema.WEATHER_COLUMNS if c in table.columns]
    has = table[values].notna().any(axis=1).to_numpy()
    if not has.any():
        return table.iloc[0:0]
    first, last = int(has.argmax()), len(has) - int(has[::-1].argmax())
    if first or last < len(table):
        log.warning(
            "dropped %d days without any value at the ends of the range",
            len(table) - (last - first),
        )
    return table.iloc[first:last].reset_index(drop=True)


def _encode(table: pd.DataFrame, path: Path) -> bytes:
    if path.suffix == ".csv":
        return canonical_csv.to_csv_bytes(table, table.attrs)
    buf = io.BytesIO()
    table.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
    return buf.getvalue()


__all__ = [
    "PROVIDERS",
    "BadRequest",
    "FetchRequest",
    "FetchResult",
    "check_request",
    "chunks",
    "fetch_weather",
]
