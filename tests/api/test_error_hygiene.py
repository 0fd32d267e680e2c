"""No 500s on accepted input, query rules stated in the schema, and error bodies that name
the failing dependency but never a host, port, URL or path (issue 12, items 1 and 3).

The `hygienic` client scans every 4xx/5xx body it receives with tests/api/leaks.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import LEVELS_PATTERN, THRESHOLDS_PATTERN
from api.errors import public_registry_error, redact
from api.routes.history import days_before
from api.settings import ApiSettings
from forecasting.forecast import band, interval_probs
from tests.api.conftest import build_app
from tests.api.leaks import assert_no_leak, find_leaks

SCANNED: list[int] = []


def _scan(response: httpx.Response) -> None:
    """Response hook: every error body the suite provokes is checked for leaks."""
    if response.status_code >= 400:
        response.read()
        SCANNED.append(response.status_code)
        assert_no_leak(response.text)


@pytest.fixture
def hygienic(app: FastAPI) -> Iterator[TestClient]:
    """The API test client with the leak scanner on every error response."""
    with TestClient(app, raise_server_exceptions=False) as c:
        c.event_hooks["response"].append(_scan)
        yield c


def _scenario(origin: Any) -> dict[str, Any]:
    day = {
        "date": origin.isoformat(),
        "wind_mean_ms": 3.0,
        "wind_max_hourly_ms": 5.0,
        "gust_max_ms": 8.0,
        "wind_dir_deg": 200,
        "precip_mm": 0.0,
        "temp_mean_c": 14,
        "pressure_hpa": 1015,
        "visibility_min_m": 20000,
        "cloud_octas": 3,
    }
    return {"horizon": 3, "weather": [day]}


def test_band_handles_levels_at_the_ends() -> None:
    x = np.arange(100)[None, :]
    assert interval_probs(99.99999999999999)[1] < 1.0
    lo, hi = band(x, 99.99999999999999)
    assert (int(lo[0]), int(hi[0])) == (0, 99)
    lo, hi = band(x, 5e-324)
    assert int(lo[0]) == int(hi[0]) == 49


@pytest.mark.parametrize("levels", ["99.99999999999999", "5e-324"])
def test_extreme_levels_are_refused_by_the_schema_rule(hygienic: TestClient, levels: str) -> None:
    r = hygienic.get("/v1/forecast", params={"levels": levels, "horizon": 3})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["query", "levels"]


def test_extreme_levels_in_a_scenario_answer(hygienic: TestClient, origin: Any) -> None:
    body = _scenario(origin) | {"levels": [5e-324, 99.99999999999999, 80, 80.0]}
    r = hygienic.post("/v1/forecast", json=body)
    assert r.status_code == 200, r.text
    assert len(r.json()["days"][0]["bands"]) == 3  # 80 given twice is answered once


def test_levels_near_the_ends_within_the_pattern_answer(hygienic: TestClient) -> None:
    r = hygienic.get("/v1/forecast", params={"levels": "0.000001,99.999999,80,80.0"})
    assert r.status_code == 200, r.text
    assert set(r.json()["days"][0]["bands"]) == {"1e-06", "99.999999", "80"}


def test_query_rules_are_in_the_schema(hygienic: TestClient) -> None:
    params = {
        (p["name"], path): p["schema"]
        for path, item in hygienic.get("/openapi.json").json()["paths"].items()
        for op in item.values()
        for p in op.get("parameters", [])
    }
    assert any(s.get("pattern") == LEVELS_PATTERN for (n, _), s in params.items() if n == "levels")
    thresholds = [s for (n, _), s in params.items() if n == "thresholds"]
    assert thresholds and all(
        json.dumps(THRESHOLDS_PATTERN) in json.dumps(s) for s in thresholds
    ), thresholds
    assert re.fullmatch(LEVELS_PATTERN[1:-1], "50, 80,97.5")
    assert not re.fullmatch(LEVELS_PATTERN[1:-1], "100")
    assert not re.fullmatch(LEVELS_PATTERN[1:-1], "0.0")
    assert not re.fullmatch(THRESHOLDS_PATTERN[1:-1], "1000001")


def test_thresholds_repeat_once(hygienic: TestClient) -> None:
    r = hygienic.get("/v1/forecast/exceedance", params={"thresholds": "10,10,5", "horizon": 2})
    assert r.status_code == 200, r.text
    assert set(r.json()["days"][0]["p_at_least"]) == {"5", "10"}
    assert hygienic.get("/v1/forecast/exceedance", params={"thresholds": "1e2"}).status_code == 422


def test_history_date_arithmetic_is_bounded(hygienic: TestClient) -> None:
    r = hygienic.get("/v1/history", params={"to": "0001-01-01"})
    assert r.status_code == 200, r.text
    assert r.json()["days"] == []
    r = hygienic.get("/v1/history", params={"from": "2022-02-01", "to": "2022-01-01"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "from"]
    assert days_before(date(1, 1, 3), 89) == date.min
    assert days_before(date(2024, 3, 1), 1) == date(2024, 2, 29)


def test_redact_removes_hosts_urls_and_paths() -> None:
    raw = (
        "connection to server at db.internal:5432 (10.0.0.7) failed; "
        "url postgresql+psycopg://u:p@db.internal/archive; file /srv/data/processed/x.parquet"
    )
    clean = redact(raw)
    assert not find_leaks(clean), clean
    assert "failed" in clean
    assert redact("/v1/forecast is fine") == "/v1/forecast is fine"
    pool = "HTTPConnectionPool(host='mlflow', port=5000): Max retries exceeded"
    assert public_registry_error(pool) == "model registry unreachable"
    assert public_registry_error(None) is None


def test_archive_down_names_the_dependency_only(
    tmp_path: Path, settings: ApiSettings, registry: Any
) -> None:
    """An archive on an unreachable PostgreSQL: the server starts all the same (forecasts
    wait in the outbox), and an archive read answers 503 naming only the dependency. The one
    condition that skips is the optional PostgreSQL driver not being installed; any failure
    to start is a failure."""
    pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    s = settings.model_copy(
        update={
            "archive_url": "postgresql+psycopg://user:pw@127.0.0.1:1/archive_db",
            "archive_outbox": str(tmp_path / "outbox.db"),  # not the working directory's
        }
    )
    with TestClient(build_app(s, registry), raise_server_exceptions=False) as c:
        c.event_hooks["response"].append(_scan)
        assert c.get("/readyz").status_code == 200  # started, and ready
        r = c.get("/v1/forecasts/issued", params={"date": "2023-06-20"})
    assert r.status_code == 503, r.text
    assert "archive" in r.json()["detail"]


def test_missing_data_names_no_path(tmp_path: Path, settings: ApiSettings, registry: Any) -> None:
    s = settings.model_copy(update={"data_dir": tmp_path / "nowhere" / "processed"})
    with TestClient(build_app(s, registry), raise_server_exceptions=False) as c:
        c.event_hooks["response"].append(_scan)
        r = c.get("/v1/history")
    assert r.status_code == 503
    assert "observed data unavailable" in r.json()["detail"]
