"""Open-Meteo adapter: parsing of hand-written payloads and the HTTP client against a local
fake Open-Meteo server (a real HTTP server on 127.0.0.1, no mocks, no internet)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import numpy as np
import pandas as pd
import pytest

from forecasting import schema
from forecasting.adapters.open_meteo import (
    ARCHIVE_DAILY,
    FORECAST_DAILY,
    STRAIT_OF_DOVER,
    OpenMeteoClient,
    WeatherProviderError,
    load_open_meteo_json,
    parse_open_meteo,
)
from forecasting.errors import ConfigError, InputError

# --------------------------------------------------------------------------- payload helpers


def _daily_payload(wind_unit: str = "km/h", scale: float = 3.6) -> dict[str, Any]:
    """Three days of daily data as the API returns it; `scale` converts m/s to `wind_unit`."""
    return {
        "latitude": 51.0,
        "longitude": 1.5,
        "generationtime_ms": 0.2,
        "utc_offset_seconds": 0,
        "timezone": "Europe/London",
        "timezone_abbreviation": "GMT",
        "elevation": 0.0,
        "daily_units": {
            "time": "iso8601",
            "wind_speed_10m_mean": wind_unit,
            "wind_speed_10m_max": wind_unit,
            "wind_gusts_10m_max": wind_unit,
            "wind_direction_10m_dominant": "°",
            "precipitation_sum": "mm",
            "temperature_2m_mean": "°C",
            "pressure_msl_mean": "hPa",
            "cloud_cover_mean": "%",
        },
        "daily": {
            "time": ["2024-03-01", "2024-03-02", "2024-03-03"],
            "wind_speed_10m_mean": [5 * scale, 10 * scale, 2 * scale],
            "wind_speed_10m_max": [8 * scale, 15 * scale, 3 * scale],
            "wind_gusts_10m_max": [12 * scale, 20 * scale, 5 * scale],
            "wind_direction_10m_dominant": [270, 225, 90],
            "precipitation_sum": [0.0, 4.2, None],
            "temperature_2m_mean": [8.5, 9.0, 10.1],
            "pressure_msl_mean": [1012.0, 1003.5, 1020.0],
            "cloud_cover_mean": [100, 50, 0],
        },
    }


def _hourly_payload(hours: int = 48) -> dict[str, Any]:
    """`hours` hourly steps from 2024-03-01 00:00 with known values (wind in m/s)."""
    start = pd.Timestamp("2024-03-01")
    times = [(start + pd.Timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M") for h in range(hours)]
    return {
        "latitude": 50.98,
        "longitude": -1.25,
        "utc_offset_seconds": 0,
        "timezone": "Europe/London",
        "hourly_units": {
            "time": "iso8601",
            "wind_speed_10m": "m/s",
            "wind_gusts_10m": "m/s",
            "wind_direction_10m": "°",
            "precipitation": "mm",
            "temperature_2m": "°C",
            "pressure_msl": "hPa",
            "visibility": "m",
            "cloud_cover": "%",
        },
        "hourly": {
            "time": times,
            "wind_speed_10m": [float(h % 24) for h in range(hours)],  # 0..23 each day
            "wind_gusts_10m": [float(h % 24) + 5 for h in range(hours)],
            # alternate 350° and 10°: the vector mean is north (0°/360°)
            "wind_direction_10m": [350.0 if h % 2 else 10.0 for h in range(hours)],
            "precipitation": [0.5] * hours,
            "temperature_2m": [float(h % 24) / 2 for h in range(hours)],
            "pressure_msl": [1000.0 + h % 24 for h in range(hours)],
            "visibility": [20000.0 - 100 * (h % 24) for h in range(hours)],
            "cloud_cover": [25.0] * hours,
        },
    }


# --------------------------------------------------------------------------- parsing


def test_daily_kmh_is_converted_to_si() -> None:
    df = parse_open_meteo(_daily_payload("km/h", 3.6))
    assert list(df[schema.DATE]) == list(pd.date_range("2024-03-01", periods=3))
    assert df["wind_mean_ms"].tolist() == pytest.approx([5.0, 10.0, 2.0])
    assert df["wind_max_hourly_ms"].tolist() == pytest.approx([8.0, 15.0, 3.0])
    assert df["gust_max_ms"].tolist() == pytest.approx([12.0, 20.0, 5.0])
    assert df["wind_dir_deg"].tolist() == [270.0, 225.0, 90.0]
    assert df["cloud_octas"].tolist() == pytest.approx([8.0, 4.0, 0.0])
    assert df["pressure_hpa"].iloc[1] == 1003.5
    assert np.isnan(df["precip_mm"].iloc[2])  # null stays missing
    assert df.attrs == {"source": "open-meteo", "location": "51.00N 1.50E"}
    assert set(df.columns) <= {schema.DATE, *schema.WEATHER_COLUMNS}


def test_daily_ms_equals_kmh() -> None:
    kmh = parse_open_meteo(_daily_payload("km/h", 3.6))
    ms = parse_open_meteo(_daily_payload("m/s", 1.0))
    pd.testing.assert_frame_equal(kmh, ms)


@pytest.mark.parametrize(
    ("unit", "per_ms"), [("kn", 1 / 0.514444), ("mp/h", 1 / 0.44704), ("mph", 1 / 0.44704)]
)
def test_daily_other_wind_units(unit: str, per_ms: float) -> None:
    df = parse_open_meteo(_daily_payload(unit, per_ms))
    assert df["wind_mean_ms"].tolist() == pytest.approx([5.0, 10.0, 2.0])


def test_imperial_temperature_and_precipitation() -> None:
    payload = _daily_payload()
    payload["daily_units"].update(temperature_2m_mean="°F", precipitation_sum="inch")
    payload["daily"]["temperature_2m_mean"] = [50.0, 32.0, 14.0]
    payload["daily"]["precipitation_sum"] = [1.0, 0.0, 0.1]
    df = parse_open_meteo(payload)
    assert df["temp_mean_c"].tolist() == pytest.approx([10.0, 0.0, -10.0])
    assert df["precip_mm"].tolist() == pytest.approx([25.4, 0.0, 2.54])


def test_hourly_aggregated_to_days() -> None:
    df = parse_open_meteo(_hourly_payload(48), path="https://api.open-meteo.com/v1/forecast")
    assert len(df) == 2
    day = df.iloc[0]
    assert day["wind_mean_ms"] == pytest.approx(11.5)  # mean of 0..23
    assert day["wind_max_hourly_ms"] == 23.0
    assert day["gust_max_ms"] == 28.0
    assert day["precip_mm"] == pytest.approx(12.0)  # 24 x 0.5 mm
    assert day["temp_mean_c"] == pytest.approx(5.75)
    assert day["pressure_hpa"] == pytest.approx(1011.5)
    assert day["visibility_min_m"] == 17700.0
    assert day["cloud_octas"] == pytest.approx(2.0)
    # 350° and 10° alternate with speeds 0..23, so the speed-weighted mean leans a little
    # west of north: atan2(sum w sin, sum w cos) computed by hand.
    speeds = np.arange(24.0)
    dirs = np.deg2rad(np.where(np.arange(24) % 2, 350.0, 10.0))
    expected = np.rad2deg(np.arctan2((speeds * np.sin(dirs)).sum(), (speeds * np.cos(dirs)).sum()))
    assert day["wind_dir_deg"] == pytest.approx(expected % 360)
    assert min(day["wind_dir_deg"], 360 - day["wind_dir_deg"]) < 1.0
    assert df.attrs == {"source": "open-meteo-forecast", "location": "50.98N 1.25W"}


def test_hourly_vector_mean_of_350_and_10_is_north() -> None:
    payload = _hourly_payload(24)
    payload["hourly"]["wind_speed_10m"] = [4.0] * 24
    df = parse_open_meteo(payload)
    deg = df["wind_dir_deg"].iloc[0]
    assert min(deg, 360.0 - deg) == pytest.approx(0.0, abs=1e-6)


def test_hourly_partial_last_day_is_dropped() -> None:
    df = parse_open_meteo(_hourly_payload(24 + 7))
    assert df[schema.DATE].tolist() == [pd.Timestamp("2024-03-01")]


def test_hourly_missing_hour_makes_that_aggregate_nan() -> None:
    payload = _hourly_payload(48)
    payload["hourly"]["precipitation"][30] = None
    df = parse_open_meteo(payload)
    assert df["precip_mm"].iloc[0] == pytest.approx(12.0)
    assert np.isnan(df["precip_mm"].iloc[1])
    assert df["wind_mean_ms"].iloc[1] == pytest.approx(11.5)


def test_hourly_unix_time_uses_utc_offset() -> None:
    payload = _hourly_payload(24)
    base = int(pd.Timestamp("2024-07-01 00:00").timestamp()) - 3600  # local midnight at UTC+1
    payload["hourly"]["time"] = [base + 3600 * h for h in range(24)]
    payload["utc_offset_seconds"] = 3600
    df = parse_open_meteo(payload)
    assert df[schema.DATE].tolist() == [pd.Timestamp("2024-07-01")]


def test_daily_wins_and_hourly_fills() -> None:
    payload = _daily_payload("m/s", 1.0) | _hourly_payload(48)
    payload["daily"].pop("wind_direction_10m_dominant")
    payload["latitude"], payload["longitude"] = 51.0, 1.5
    df = parse_open_meteo(payload)
    assert len(df) == 3  # daily covers 3 days, hourly only 2
    assert df["wind_mean_ms"].tolist() == pytest.approx([5.0, 10.0, 2.0])  # daily, not 11.5
    assert df["visibility_min_m"].iloc[:2].tolist() == [17700.0, 17700.0]  # from hourly
    assert np.isnan(df["visibility_min_m"].iloc[2])
    assert min(df["wind_dir_deg"].iloc[0], 360 - df["wind_dir_deg"].iloc[0]) < 1.0


def test_other_variables_are_ignored() -> None:
    payload = _daily_payload()
    payload["daily"]["sunrise"] = ["2024-03-01T06:40", "2024-03-02T06:38", "2024-03-03T06:36"]
    payload["daily"]["weather_code"] = [3, 61, 0]
    assert len(parse_open_meteo(payload)) == 3


def test_legacy_variable_names() -> None:
    payload = _daily_payload("km/h", 3.6)
    daily, units = payload["daily"], payload["daily_units"]
    daily["windspeed_10m_max"] = daily.pop("wind_speed_10m_max")
    units["windspeed_10m_max"] = units.pop("wind_speed_10m_max")
    df = parse_open_meteo(payload)
    assert df["wind_max_hourly_ms"].tolist() == pytest.approx([8.0, 15.0, 3.0])


def test_source_guessed_from_archive_url() -> None:
    df = parse_open_meteo(_daily_payload(), path="https://archive-api.open-meteo.com/v1/archive")
    assert df.attrs["source"] == "open-meteo-archive"


@pytest.mark.parametrize(
    ("payload", "column", "text"),
    [
        ([1, 2], None, "expected a JSON object"),
        ({"error": True, "reason": "Cannot initialize X"}, "reason", "Cannot initialize X"),
        ({"latitude": 51.0, "longitude": 1.5}, None, "no 'daily' or 'hourly' block"),
        ({"daily": {"wind_speed_10m_max": [1.0]}}, "daily.time", "no 'time' array"),
        ({"daily": {"time": ["2024-01-01"], "foo": [1.0]}}, None, "no known weather variables"),
    ],
)
def test_bad_payloads(payload: object, column: str | None, text: str) -> None:
    with pytest.raises(InputError, match=text) as err:
        parse_open_meteo(payload, path="resp.json")
    assert err.value.path == "resp.json"
    assert err.value.column == column


def test_mismatched_lengths() -> None:
    payload = _daily_payload()
    payload["daily"]["wind_gusts_10m_max"].pop()
    with pytest.raises(InputError, match=r"has 2 values but 'daily\.time' has 3") as err:
        parse_open_meteo(payload, path="resp.json")
    assert err.value.column == "daily.wind_gusts_10m_max"
    assert "resp.json" in str(err.value)


def test_unknown_unit() -> None:
    payload = _daily_payload()
    payload["daily_units"]["wind_gusts_10m_max"] = "furlong/fortnight"
    with pytest.raises(InputError, match="unknown unit") as err:
        parse_open_meteo(payload, path="resp.json")
    assert err.value.column == "daily_units.wind_gusts_10m_max"


def test_non_numeric_values() -> None:
    payload = _daily_payload()
    payload["daily"]["temperature_2m_mean"][0] = "warm"
    with pytest.raises(InputError, match="non-numeric") as err:
        parse_open_meteo(payload)
    assert err.value.column == "daily.temperature_2m_mean"


def test_hourly_without_a_full_day() -> None:
    with pytest.raises(InputError, match="no complete day") as err:
        parse_open_meteo(_hourly_payload(10))
    assert err.value.column == "hourly.time"


def test_wrong_units_caught_by_range_check() -> None:
    payload = _daily_payload("m/s", 3.6 * 20)  # labelled m/s but far too large
    with pytest.raises(InputError, match="outside"):
        parse_open_meteo(payload)


def test_load_json_file(tmp_path: Path) -> None:
    good = tmp_path / "om.json"
    good.write_text(json.dumps(_daily_payload()))
    assert len(load_open_meteo_json(good)) == 3
    bad = tmp_path / "om_bad.json"
    bad.write_text("<html>not json</html>")
    with pytest.raises(InputError, match="not valid JSON") as err:
        load_open_meteo_json(bad)
    assert err.value.path == str(bad)
    with pytest.raises(InputError, match="does not exist"):
        load_open_meteo_json(tmp_path / "missing.json")


# --------------------------------------------------------------------------- fake server

# Daily variable -> (unit label, value in SI units for day index i); None = wind speed unit.
_FAKE_DAILY = {
    "wind_speed_10m_mean": (None, lambda i: 4.0 + i),
    "wind_speed_10m_max": (None, lambda i: 6.0 + i),
    "wind_gusts_10m_max": (None, lambda i: 9.0 + i),
    "wind_direction_10m_dominant": ("°", lambda i: float(30 * i % 360)),
    "precipitation_sum": ("mm", lambda i: 0.5 * i),
    "temperature_2m_mean": ("°C", lambda i: 10.0 + 0.1 * i),
    "pressure_msl_mean": ("hPa", lambda i: 1010.0 + i),
    "cloud_cover_mean": ("%", lambda i: 50.0),
    "visibility_min": ("m", lambda i: 8000.0),
}
_WIND_UNITS = {"ms": ("m/s", 1.0), "kmh": ("km/h", 3.6), "kn": ("kn", 1 / 0.514444)}


@dataclass
class FakeOpenMeteo:
    """Behaviour switches and a log of the query parameters received."""

    base_url: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    fail_first: int = 0
    fail_status: int = 503
    hang_first: int = 0
    hang_seconds: float = 0.0
    unknown: set[str] = field(default_factory=set)  # variables answered with a 400
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, path: str, query: dict[str, str]) -> tuple[int, str, float]:
        """Status, body and delay for one request (counted under the lock)."""
        with self.lock:
            self.requests.append((path, query))
            n = len(self.requests)
        delay = self.hang_seconds if n <= self.hang_first else 0.0
        if n <= self.fail_first:
            return self.fail_status, "<html><body>Service unavailable</body></html>", delay
        if path not in ("/v1/forecast", "/v1/archive"):
            return 404, json.dumps({"error": True, "reason": "Not Found"}), delay
        try:
            return 200, json.dumps(self.payload(path, query)), delay
        except ValueError as exc:  # the real API answers bad parameters with 400 + reason
            return 400, json.dumps({"error": True, "reason": str(exc)}), delay

    def payload(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        """A response in the real API's JSON layout for the requested daily variables."""
        names = query["daily"].split(",")
        for name in names:
            if name not in _FAKE_DAILY or name in self.unknown:
                raise ValueError(f"Cannot initialize DailyVariable from invalid String {name}")
        if path == "/v1/archive":
            start = date.fromisoformat(query["start_date"])
            n_days = (date.fromisoformat(query["end_date"]) - start).days + 1
        else:
            start, n_days = date(2024, 6, 1), int(query.get("forecast_days", "7"))
        wind_label, per_ms = _WIND_UNITS[query.get("wind_speed_unit", "kmh")]
        units: dict[str, str] = {"time": "iso8601"}
        daily: dict[str, list[Any]] = {
            "time": [(start + timedelta(days=i)).isoformat() for i in range(n_days)]
        }
        for name in names:
            label, value = _FAKE_DAILY[name]
            scale = per_ms if label is None else 1.0
            units[name] = wind_label if label is None else label
            daily[name] = [round(value(i) * scale, 2) for i in range(n_days)]
        return {
            "latitude": round(float(query["latitude"]), 2),
            "longitude": round(float(query["longitude"]), 2),
            "generationtime_ms": 0.1,
            "utc_offset_seconds": 3600,
            "timezone": query.get("timezone", "GMT"),
            "timezone_abbreviation": "BST",
            "elevation": 0.0,
            "daily_units": units,
            "daily": daily,
        }


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenMeteo]:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    fake = FakeOpenMeteo()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            status, body, delay = fake.respond(url.path, query)
            if delay:
                fake.release.wait(delay)  # set at teardown so no thread lingers
            data = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout) and closed the connection

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    fake.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield fake
    finally:
        fake.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=2)


@pytest.fixture
def client(server: FakeOpenMeteo) -> Iterator[OpenMeteoClient]:
    with OpenMeteoClient(
        base_url=server.base_url,
        archive_url=server.base_url + "/",
        timeout=1.0,
        retries=3,
        backoff=0.01,
    ) as c:
        yield c


# --------------------------------------------------------------------------- client


def test_forecast_success(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    df = client.forecast(*STRAIT_OF_DOVER, days=5)
    assert len(df) == 5
    assert df[schema.DATE].iloc[0] == pd.Timestamp("2024-06-01")
    assert list(df.columns) == [schema.DATE, *schema.WEATHER_COLUMNS]
    assert df["wind_mean_ms"].tolist() == pytest.approx([4.0, 5.0, 6.0, 7.0, 8.0])
    assert df["cloud_octas"].tolist() == pytest.approx([4.0] * 5)
    assert df.attrs == {"source": "open-meteo-forecast", "location": "51.00N 1.50E"}

    [(path, query)] = server.requests
    assert path == "/v1/forecast"
    assert query["wind_speed_unit"] == "ms"
    assert query["timezone"] == "Europe/London"
    assert query["forecast_days"] == "5"
    assert (float(query["latitude"]), float(query["longitude"])) == STRAIT_OF_DOVER
    assert query["daily"].split(",") == list(FORECAST_DAILY)


def test_archive_success(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    df = client.archive(51.0, 1.5, date(2023, 1, 30), date(2023, 2, 2))
    assert df[schema.DATE].tolist() == list(pd.date_range("2023-01-30", "2023-02-02"))
    assert "visibility_min_m" not in df.columns
    assert df["gust_max_ms"].tolist() == pytest.approx([9.0, 10.0, 11.0, 12.0])
    assert df.attrs["source"] == "open-meteo-archive"
    [(path, query)] = server.requests
    assert path == "/v1/archive"
    assert (query["start_date"], query["end_date"]) == ("2023-01-30", "2023-02-02")
    assert query["wind_speed_unit"] == "ms"
    assert query["timezone"] == "Europe/London"
    assert query["daily"].split(",") == list(ARCHIVE_DAILY)


def test_retries_503_then_succeeds(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.fail_first = 2
    df = client.forecast(51.0, 1.5, days=3)
    assert len(df) == 3
    assert len(server.requests) == 3


def test_retries_429(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.fail_first, server.fail_status = 1, 429
    assert len(client.forecast(51.0, 1.5, days=2)) == 2
    assert len(server.requests) == 2


def test_gives_up_after_bounded_retries(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.fail_first = 100
    with pytest.raises(WeatherProviderError, match="HTTP 503") as err:
        client.forecast(51.0, 1.5)
    assert f"{server.base_url}/v1/forecast" in str(err.value)
    assert "3 attempts" in str(err.value)
    assert len(server.requests) == 3


def test_400_is_not_retried(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.fail_first, server.fail_status = 100, 400
    with pytest.raises(WeatherProviderError, match="HTTP 400"):
        client.forecast(51.0, 1.5)
    assert len(server.requests) == 1


def test_api_error_reason_is_reported(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.unknown = {"pressure_msl_mean"}  # the real API answers 400 {"error", "reason"}
    with pytest.raises(WeatherProviderError, match="Cannot initialize") as err:
        client.archive(51.0, 1.5, date(2024, 1, 1), date(2024, 1, 2))
    assert f"{server.base_url}/v1/archive" in str(err.value)
    assert len(server.requests) == 1


def test_timeout_gives_up(server: FakeOpenMeteo) -> None:
    server.hang_first, server.hang_seconds = 100, 5.0
    t0 = time.monotonic()
    with (
        OpenMeteoClient(server.base_url, timeout=0.2, retries=2, backoff=0.01) as c,
        pytest.raises(WeatherProviderError, match="timed out after 2 attempts") as err,
    ):
        c.forecast(51.0, 1.5)
    assert time.monotonic() - t0 < 2.0
    assert server.base_url in str(err.value)
    assert len(server.requests) == 2


def test_timeout_then_success(server: FakeOpenMeteo) -> None:
    server.hang_first, server.hang_seconds = 1, 5.0
    with OpenMeteoClient(server.base_url, timeout=0.2, retries=3, backoff=0.01) as c:
        assert len(c.forecast(51.0, 1.5, days=2)) == 2
    assert len(server.requests) == 2


def test_connection_refused() -> None:
    # Bind then close a socket to get a port with nothing listening.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        OpenMeteoClient(f"http://127.0.0.1:{port}", retries=2, backoff=0.01) as c,
        pytest.raises(WeatherProviderError, match=rf"127\.0\.0\.1:{port}/v1/forecast"),
    ):
        c.forecast(51.0, 1.5)


def test_injected_client_is_used_and_left_open(server: FakeOpenMeteo) -> None:
    with httpx.Client(trust_env=False) as http:
        c = OpenMeteoClient(server.base_url, client=http, backoff=0.01)
        assert len(c.forecast(51.0, 1.5, days=1)) == 1
        c.close()
        assert not http.is_closed


@pytest.mark.parametrize("kwargs", [{"retries": 0}, {"timeout": 0.0}, {"timeout": -1.0}], ids=str)
def test_bad_client_config(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        OpenMeteoClient(**kwargs)


def test_bad_request_arguments(client: OpenMeteoClient, server: FakeOpenMeteo) -> None:
    with pytest.raises(ConfigError, match="days"):
        client.forecast(51.0, 1.5, days=17)
    with pytest.raises(ConfigError, match="before start"):
        client.archive(51.0, 1.5, date(2024, 1, 2), date(2024, 1, 1))
    with pytest.raises(ConfigError, match="coordinates"):
        client.forecast(91.0, 1.5)
    assert server.requests == []
