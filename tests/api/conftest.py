"""Fixtures for the API tests: champions fitted on seeded synthetic data (no registry), the
processed tables in a temporary folder, a fake registry and a fake Open-Meteo server."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.champion import Champion
from api.deps import get_registry
from api.main import create_app
from api.settings import ApiSettings, get_settings
from forecasting import models, schema
from forecasting.contract import TARGETS
from forecasting.ingest import ARRIVALS_FILE, MANIFEST_FILE, WEATHER_FILE, build_manifest
from forecasting.models.base import Model
from tests.synthetic import generate_series

N_DAYS = 900
START = "2021-01-01"
ADMIN_TOKEN = "test-admin-token"
# Shared by the schemathesis test and the terminal summary.
SCHEMATHESIS_CASES: dict[str, int] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report how many schemathesis cases ran, when they did."""
    if SCHEMATHESIS_CASES:
        total = sum(SCHEMATHESIS_CASES.values())
        ops = ", ".join(f"{k}: {v}" for k, v in sorted(SCHEMATHESIS_CASES.items()))
        terminalreporter.write_line(
            f"schemathesis: {total} cases over {len(SCHEMATHESIS_CASES)} operations ({ops})"
        )


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="session")
def synthetic() -> tuple[pd.DataFrame, pd.DataFrame]:
    """900 days of seeded synthetic arrivals and weather (2021-01-01 .. 2023-06-19)."""
    return generate_series(N_DAYS, START, seed=3)


def write_processed(
    out: Path, arrivals: pd.DataFrame, weather: pd.DataFrame, vintage: str = "2023-06-23"
) -> Path:
    """Write the tables and manifest the way `crossings ingest` does."""
    out.mkdir(parents=True, exist_ok=True)
    a, w = arrivals.copy(), weather.copy()
    a.attrs = {"vintage": vintage, "format": "synthetic"}
    w.attrs = {schema.ATTR_SOURCE: "synthetic", schema.ATTR_LOCATION: "synthetic"}
    outputs = {}
    for name, frame in ((ARRIVALS_FILE, a), (WEATHER_FILE, w)):
        plain = frame.copy()
        plain.attrs = {}
        plain.to_parquet(out / name, index=False)
        outputs[name] = (out / name).read_bytes()
    manifest = build_manifest(out / ARRIVALS_FILE, out / WEATHER_FILE, a, w, outputs)
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))
    return out


def extend(
    arrivals: pd.DataFrame, weather: pd.DataFrame, days: int, people: int = 123
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables with `days` more observed days appended (copies of the last rows)."""
    last = arrivals[schema.DATE].iloc[-1]
    new_dates = pd.date_range(last + pd.Timedelta(days=1), periods=days, freq="D")
    a_new = pd.concat([arrivals.tail(1)] * days, ignore_index=True)
    a_new[schema.DATE] = new_dates
    a_new[schema.PEOPLE] = people
    a_new[schema.BOATS] = 3
    w_new = pd.concat([weather.tail(1)] * days, ignore_index=True)
    w_new[schema.DATE] = new_dates
    a_out = pd.concat([arrivals, a_new], ignore_index=True)
    w_out = pd.concat([weather, w_new], ignore_index=True)
    return a_out, w_out


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory, synthetic: Any) -> Path:
    """The processed tables of the synthetic series."""
    arrivals, weather = synthetic
    return write_processed(tmp_path_factory.mktemp("processed"), arrivals, weather)


# --------------------------------------------------------------------------- champions


# Registry metadata of a model trained on an Open-Meteo archive at a point (what the live
# provider may serve), and of one trained on KNMI Woensdrecht (what it may not).
OPEN_METEO_POINT = (50.95, 1.6)
OPEN_METEO_META: dict[str, Any] = {
    "weather_source": "open-meteo-archive",
    "weather_location": "50.95N 1.60E",
    "weather_provider": "open-meteo",
    "weather_lat": OPEN_METEO_POINT[0],
    "weather_lon": OPEN_METEO_POINT[1],
}
KNMI_META: dict[str, Any] = {
    "weather_source": "KNMI etmgeg station 340 WOENSDRECHT",
    "weather_location": "51.45N 4.34E",
}


def make_champion(forecaster: Model, version: str, **meta: Any) -> Champion:
    """A Champion built directly (no registry)."""
    metadata = {
        "model_name": forecaster.name,
        "target": forecaster.target,
        "trained_at": "2023-06-21T06:00:00+00:00",
        "data_vintage": "2023-06-23",
        "manifest_sha256": "0" * 64,
        "weather_source": "synthetic",
        "weather_location": "synthetic",
        "backtest_metrics": {"crps": 12.5, "coverage_80": 0.81},
        **meta,
    }
    return Champion(
        forecaster=forecaster,
        metadata=metadata,
        version=version,
        loaded_at=datetime.now(UTC),
        registered_name=f"channel-crossings-{forecaster.target}",
    )


@pytest.fixture(scope="session")
def fitted(synthetic: Any) -> dict[str, Model]:
    """Hurdle models for people and boats fitted on the whole synthetic series."""
    arrivals, weather = synthetic
    return {
        t: models.create("hurdle", target=t, history_days=730).fit(arrivals, weather)
        for t in TARGETS
    }


@pytest.fixture(scope="session")
def origin(fitted: dict[str, Model]) -> date:
    """The first day the fitted models forecast."""
    return pd.Timestamp(fitted["people"].last_date_).date() + timedelta(days=1)


@dataclass
class FakeRegistry:
    """An in-memory registry: versions per name, an alias, and a switch to fail."""

    versions: dict[str, dict[str, Champion]] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)
    fail: bool = False
    loads: int = 0

    def add(self, champion: Champion, promote: bool = True) -> None:
        name = champion.registered_name
        self.versions.setdefault(name, {})[champion.version] = champion
        if promote:
            self.alias[name] = champion.version

    def champion_version(self, name: str) -> str:
        if self.fail:
            raise ConnectionError("registry unreachable (test)")
        if name not in self.alias:
            raise LookupError(f"registered model alias {name}@champion not found")
        return self.alias[name]

    def load(self, name: str, version: str) -> tuple[Model, dict[str, Any]]:
        if self.fail:
            raise ConnectionError("registry unreachable (test)")
        self.loads += 1
        c = self.versions[name][version]
        return c.forecaster, dict(c.metadata)


@pytest.fixture
def registry(fitted: dict[str, Model]) -> FakeRegistry:
    """A registry holding version 1 of each target's champion."""
    reg = FakeRegistry()
    for model in fitted.values():
        reg.add(make_champion(model, "1"))
    return reg


@pytest.fixture
def om_registry(fitted: dict[str, Model]) -> FakeRegistry:
    """A registry whose champions learned on Open-Meteo weather at OPEN_METEO_POINT."""
    reg = FakeRegistry()
    for model in fitted.values():
        reg.add(make_champion(model, "1", **OPEN_METEO_META))
    return reg


@pytest.fixture
def settings(tmp_path: Path, data_dir: Path, origin: date) -> ApiSettings:
    """Test settings: synthetic data, a temp SQLite archive, no live weather, no polling, and
    today pinned to the day after the data (forecasts are issued today, with fresh data)."""
    return ApiSettings(
        data_dir=data_dir,
        archive_url=f"sqlite:///{tmp_path / 'archive.db'}",
        admin_token=ADMIN_TOKEN,
        open_meteo_url="",
        poll_seconds=0,
        n_samples=400,
        today=origin,
    )


def build_app(settings: ApiSettings, registry: Any) -> FastAPI:
    """The app with settings and registry injected through dependency overrides."""
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[get_registry] = lambda *_: registry
    return app


@pytest.fixture
def app(settings: ApiSettings, registry: FakeRegistry) -> FastAPI:
    return build_app(settings, registry)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


# --------------------------------------------------------------------------- fake Open-Meteo


@dataclass
class FakeOpenMeteo:
    """A local HTTP server answering /v1/forecast like Open-Meteo (daily block, m/s)."""

    first_day: date
    days: int = 16
    wind: float = 1.0
    status: int = 200
    delay: float = 0.0
    requests: list[str] = field(default_factory=list)
    url: str = ""
    release: threading.Event = field(default_factory=threading.Event)

    past_days: list[int] = field(default_factory=list)  # each request's past_days

    def payload(self, past: int = 0) -> dict[str, Any]:
        """The forecast from `first_day` for `days` days, after `past` days of analysis."""
        first = self.first_day - timedelta(days=past)
        dates = [(first + timedelta(days=i)).isoformat() for i in range(past + self.days)]
        n = len(dates)
        return {
            "latitude": 51.0,
            "longitude": 1.5,
            "timezone": "Europe/London",
            "utc_offset_seconds": 3600,
            "daily_units": {
                "time": "iso8601",
                "wind_speed_10m_mean": "m/s",
                "wind_speed_10m_max": "m/s",
                "wind_gusts_10m_max": "m/s",
                "wind_direction_10m_dominant": "°",
                "precipitation_sum": "mm",
                "temperature_2m_mean": "°C",
                "pressure_msl_mean": "hPa",
            },
            "daily": {
                "time": dates,
                "wind_speed_10m_mean": [self.wind] * n,
                "wind_speed_10m_max": [self.wind * 1.5] * n,
                "wind_gusts_10m_max": [self.wind * 2.2] * n,
                "wind_direction_10m_dominant": [200] * n,
                "precipitation_sum": [0.0] * n,
                "temperature_2m_mean": [15.0] * n,
                "pressure_msl_mean": [1020.0] * n,
            },
        }


@pytest.fixture
def open_meteo(origin: date) -> Iterator[FakeOpenMeteo]:
    """A fake Open-Meteo on 127.0.0.1 whose forecast starts at the models' origin."""
    fake = FakeOpenMeteo(first_day=origin)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append(self.path)
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            fake.past_days.append(int(query.get("past_days", ["0"])[0]))
            if fake.delay:
                fake.release.wait(fake.delay)
            answer = fake.payload(fake.past_days[-1]) if fake.status == 200 else {"error": True}
            body = json.dumps(answer).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll `cond` until true or `timeout` seconds pass."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()
