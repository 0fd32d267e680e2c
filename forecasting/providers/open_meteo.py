"""HTTP client for the Open-Meteo forecast, archive and Previous Runs APIs, with timeouts and
bounded retries.

Responses are parsed by the adapters: `forecasting.adapters.open_meteo.parse_open_meteo` into
the canonical daily weather table, `forecasting.adapters.open_meteo_runs.parse_previous_runs`
into the canonical issued-forecast table.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Final

import httpx
import pandas as pd

from forecasting.adapters.open_meteo import (
    FIELDS,
    SOURCE_ARCHIVE,
    SOURCE_FORECAST,
    parse_open_meteo,
)
from forecasting.adapters.open_meteo_runs import SOURCE_PREVIOUS_RUNS, parse_previous_runs
from forecasting.errors import ConfigError, InputError
from forecasting.providers.http import BoundedGet, OwnsClient, RetryableStatus

logger = logging.getLogger(__name__)


# Daily variables the client requests (visibility_mean is redundant next to visibility_min).
FORECAST_DAILY: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(f.name for f in FIELDS if f.block == "daily" and f.name != "visibility_mean")
)
# ERA5, behind the archive API, has no visibility.
ARCHIVE_DAILY: Final[tuple[str, ...]] = tuple(n for n in FORECAST_DAILY if "visibility" not in n)
MAX_FORECAST_DAYS: Final = 16
MAX_PAST_DAYS: Final = 92  # the forecast API's own limit on past_days
# Hourly variables asked of the Previous Runs API (it keeps hourly values only), each with the
# suffixes _previous_day1.._previous_dayN; the adapter aggregates them to days. Its documented
# leads reach day 7.
PREVIOUS_RUNS_HOURLY: Final[tuple[str, ...]] = (
    "wind_speed_10m",
    "wind_gusts_10m",
    "wind_direction_10m",
    "precipitation",
    "temperature_2m",
    "pressure_msl",
    "cloud_cover",
)
PREVIOUS_RUNS_MAX_LEAD: Final = 7
# The largest answer read by default: years of hourly Previous Runs data stay well below it.
MAX_RESPONSE_BYTES: Final = 32 << 20


class WeatherProviderError(RuntimeError):
    """The weather provider could not deliver usable data; the message names the URL."""


class ResponseTooLarge(WeatherProviderError):
    """The provider's answer is larger than the client's cap (not retried)."""


class OpenMeteoClient(OwnsClient):
    """Small httpx client for the Open-Meteo forecast and archive APIs.

    Requests the daily variables of FIELDS in m/s, °C and mm, with local days in Europe/London.
    Each attempt has a total deadline of `timeout` seconds for the connection and the whole
    body (not per read: a provider dripping bytes is cut off; a provider silent mid-body is
    cut off after at most one more `timeout`), and its body is read as a stream and refused
    past `max_bytes` (ResponseTooLarge, never retried). At most `retries` attempts:
    timeouts, network errors, 5xx and 429 are retried with exponential backoff
    starting at `backoff` seconds; other 4xx answers fail at once. Failures raise
    WeatherProviderError naming the URL. A `client` passed in is used as is and not closed.
    """

    timezone: Final = "Europe/London"

    def __init__(
        self,
        base_url: str = "https://api.open-meteo.com",
        archive_url: str = "https://archive-api.open-meteo.com",
        timeout: float = 5.0,
        retries: int = 3,
        client: httpx.Client | None = None,
        *,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        previous_runs_url: str = "https://previous-runs-api.open-meteo.com",
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if retries < 1:
            raise ConfigError(f"retries must be at least 1, got {retries}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be positive, got {timeout}")
        self.forecast_endpoint = base_url.rstrip("/") + "/v1/forecast"
        self.archive_endpoint = archive_url.rstrip("/") + "/v1/archive"
        self.previous_runs_endpoint = previous_runs_url.rstrip("/") + "/v1/forecast"
        self.timeout = httpx.Timeout(timeout)
        self.deadline = timeout
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=self.timeout)
        self._bounded = BoundedGet(
            self._client,
            timeout,
            retries,
            backoff,
            max_backoff,
            max_bytes,
            too_large=ResponseTooLarge,
            label="Open-Meteo",
        )

    def forecast(self, lat: float, lon: float, days: int = 7, past_days: int = 0) -> pd.DataFrame:
        """Daily weather forecast for the next `days` days (1-16), starting today, after the
        provider's own analysis of the `past_days` days before today (0-92): what bridges the
        stored weather's lag up to today."""
        if not 1 <= days <= MAX_FORECAST_DAYS:
            raise ConfigError(f"days must be between 1 and {MAX_FORECAST_DAYS}, got {days}")
        if not 0 <= past_days <= MAX_PAST_DAYS:
            raise ConfigError(f"past_days must be between 0 and {MAX_PAST_DAYS}, got {past_days}")
        params = self._params(lat, lon, FORECAST_DAILY) | {"forecast_days": str(days)}
        if past_days:
            params["past_days"] = str(past_days)
        return self._fetch(self.forecast_endpoint, params, SOURCE_FORECAST)

    def archive(self, lat: float, lon: float, start: date, end: date) -> pd.DataFrame:
        """Historical daily weather (ERA5 reanalysis) from `start` to `end`, both included."""
        if end < start:
            raise ConfigError(f"end {end} is before start {start}")
        params = self._params(lat, lon, ARCHIVE_DAILY) | {
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        }
        return self._fetch(self.archive_endpoint, params, SOURCE_ARCHIVE)

    def previous_runs(
        self, lat: float, lon: float, start: date, end: date, leads: int = PREVIOUS_RUNS_MAX_LEAD
    ) -> pd.DataFrame:
        """Forecasts as issued 1..`leads` days before each day from `start` to `end` (valid
        dates, both included), as the canonical issued-forecast table; empty when nothing was
        archived for those days."""
        if end < start:
            raise ConfigError(f"end {end} is before start {start}")
        if not 1 <= leads <= PREVIOUS_RUNS_MAX_LEAD:
            raise ConfigError(f"leads must be between 1 and {PREVIOUS_RUNS_MAX_LEAD}, got {leads}")
        names = [f"{v}_previous_day{n}" for n in range(1, leads + 1) for v in PREVIOUS_RUNS_HOURLY]
        params = self._params(lat, lon) | {
            "hourly": ",".join(names),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        }
        url = self.previous_runs_endpoint
        payload = self._json(url, params)
        try:
            frame = parse_previous_runs(payload, path=url, source=SOURCE_PREVIOUS_RUNS)
        except InputError as exc:
            raise WeatherProviderError(f"{url} returned unusable data: {exc}") from exc
        logger.info("fetched %d issued forecast days from %s", len(frame), url)
        return frame

    def _params(self, lat: float, lon: float, daily: tuple[str, ...] = ()) -> dict[str, str]:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ConfigError(f"coordinates out of range: latitude {lat}, longitude {lon}")
        return {
            "latitude": f"{lat:.4f}",
            "longitude": f"{lon:.4f}",
            **({"daily": ",".join(daily)} if daily else {}),
            "wind_speed_unit": "ms",
            "temperature_unit": "celsius",
            "precipitation_unit": "mm",
            "timezone": self.timezone,
        }

    def _json(self, url: str, params: dict[str, str]) -> object:
        response = self._get(url, params)
        try:
            return response.json()
        except ValueError as exc:
            raise WeatherProviderError(f"{url} returned a body that is not JSON") from exc

    def _fetch(self, url: str, params: dict[str, str], source: str) -> pd.DataFrame:
        payload = self._json(url, params)
        try:
            frame = parse_open_meteo(payload, path=url, source=source)
        except InputError as exc:
            raise WeatherProviderError(f"{url} returned unusable data: {exc}") from exc
        logger.info("fetched %d days of weather from %s", len(frame), url)
        return frame

    def _get(self, url: str, params: dict[str, str]) -> httpx.Response:
        """GET with bounded retries; returns a 2xx response or raises WeatherProviderError."""

        tries = self._bounded.tries
        try:
            response = self._bounded(url, params)
        except RetryableStatus as exc:
            raise WeatherProviderError(f"{url} failed {tries}: {_describe(exc.response)}") from exc
        except httpx.TimeoutException as exc:
            raise WeatherProviderError(
                f"{url} timed out {tries} (timeout {self.timeout.read}s): {exc!r}"
            ) from exc
        except httpx.HTTPError as exc:
            raise WeatherProviderError(f"{url} failed {tries}: {exc!r}") from exc
        if response.is_success:
            return response
        raise WeatherProviderError(f"{url} rejected the request: {_describe(response)}")


def _describe(response: httpx.Response) -> str:
    """Status plus Open-Meteo's `reason` when the body is its JSON error object."""
    text = f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return text
    if isinstance(body, dict) and body.get("reason"):
        text += f" ({body['reason']})"
    return text
