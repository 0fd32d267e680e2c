"""A fake Open-Meteo server for the provider tests: a real HTTP server on 127.0.0.1 (no mocks,
no internet) answering in the real APIs' JSON layout, with switches for failures and delays.

It speaks the forecast API (/v1/forecast, daily variables), the archive API (/v1/archive) and
the Previous Runs API (/v1/forecast with hourly `<variable>_previous_dayN` variables)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

# Daily variable -> (unit label, value in SI units for day index i); None = wind speed unit.
# The values repeat every 40 days, so that long ranges stay within physical limits.
_FAKE_DAILY = {
    "wind_speed_10m_mean": (None, lambda i: 4.0 + i % 40),
    "wind_speed_10m_max": (None, lambda i: 6.0 + i % 40),
    "wind_gusts_10m_max": (None, lambda i: 9.0 + i % 40),
    "wind_direction_10m_dominant": ("°", lambda i: float(30 * i % 360)),
    "precipitation_sum": ("mm", lambda i: 0.5 * (i % 40)),
    "temperature_2m_mean": ("°C", lambda i: 10.0 + 0.1 * (i % 40)),
    "pressure_msl_mean": ("hPa", lambda i: 1010.0 + i % 40),
    "cloud_cover_mean": ("%", lambda i: 50.0),
    "visibility_min": ("m", lambda i: 8000.0),
}
_WIND_UNITS = {"ms": ("m/s", 1.0), "kmh": ("km/h", 3.6), "kn": ("kn", 1 / 0.514444)}
_PREVIOUS = re.compile(r"^(?P<name>.+)_previous_day(?P<lead>\d+)$")
# Hourly variable -> (unit label, value in SI units at hour h of valid day d for lead n);
# None = wind speed unit. Over a day the hourly wind pattern averages to 0 and peaks at +0.6,
# so the daily mean wind is runs_wind(d, n) and its hourly maximum runs_wind(d, n) + 0.6.
_WIND_SHAPE = (-0.6, -0.2, 0.2, 0.6)


def runs_wind(day: date, lead: int) -> float:
    """The fake Previous Runs daily-mean wind (m/s) forecast `lead` days ahead for `day`."""
    return 3.0 + 0.5 * (day.toordinal() % 5) + 0.25 * lead


_FAKE_HOURLY = {
    "wind_speed_10m": (None, lambda d, h, n: runs_wind(d, n) + _WIND_SHAPE[h % 4]),
    "wind_gusts_10m": (None, lambda d, h, n: 1.6 * (runs_wind(d, n) + _WIND_SHAPE[h % 4])),
    "wind_direction_10m": ("°", lambda d, h, n: 200.0),
    "precipitation": ("mm", lambda d, h, n: 0.1 * n if h < 10 else 0.0),
    "temperature_2m": ("°C", lambda d, h, n: 10.0 + 0.1 * n),
    "pressure_msl": ("hPa", lambda d, h, n: 1010.0),
    "cloud_cover": ("%", lambda d, h, n: 50.0),
}


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
    runs_start: date | None = None  # Previous Runs: null values for days before it
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
        if path == "/v1/forecast" and "hourly" in query:
            return self.previous_runs(query)
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

    def previous_runs(self, query: dict[str, str]) -> dict[str, Any]:
        """A Previous Runs API answer: hourly `<variable>_previous_dayN` arrays over the local
        days start_date..end_date, null where nothing was archived (before `runs_start`)."""
        start = date.fromisoformat(query["start_date"])
        n_days = (date.fromisoformat(query["end_date"]) - start).days + 1
        wind_label, per_ms = _WIND_UNITS[query.get("wind_speed_unit", "kmh")]
        units: dict[str, str] = {"time": "iso8601"}
        hourly: dict[str, list[Any]] = {
            "time": [
                f"{start + timedelta(days=i)}T{h:02d}:00" for i in range(n_days) for h in range(24)
            ]
        }
        for key in query["hourly"].split(","):
            m = _PREVIOUS.match(key)
            if m is None or m.group("name") not in _FAKE_HOURLY or key in self.unknown:
                raise ValueError(f"Cannot initialize VariableOrDerived from invalid String {key}")
            label, value = _FAKE_HOURLY[m.group("name")]
            lead = int(m.group("lead"))
            scale = per_ms if label is None else 1.0
            units[key] = wind_label if label is None else label
            hourly[key] = [
                None
                if self.runs_start is not None and day < self.runs_start
                else round(value(day, h, lead) * scale, 3)
                for day in (start + timedelta(days=i) for i in range(n_days))
                for h in range(24)
            ]
        return {
            "latitude": round(float(query["latitude"]), 2),
            "longitude": round(float(query["longitude"]), 2),
            "generationtime_ms": 0.5,
            "utc_offset_seconds": 3600,
            "timezone": query.get("timezone", "GMT"),
            "timezone_abbreviation": "BST",
            "elevation": 0.0,
            "hourly_units": units,
            "hourly": hourly,
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
