"""A fake Open-Meteo server for the provider tests: a real HTTP server on 127.0.0.1 (no mocks,
no internet) answering in the real API's JSON layout, with switches for failures and delays."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

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
