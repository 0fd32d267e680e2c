"""Issue 24 item 5: every in-process cache holds at most its limit (CROSSINGS_* settings), in
entries and, for the forecasts and answers, in bytes, and /metrics exports each one's size
beside its limits."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.admin_guard import AdminGuard
from api.bounded import Bounded
from api.middleware.ratelimit import ScenarioLimiter
from api.rate_limit_rules import parse_limit
from api.settings import CACHE_LIMITS, ApiSettings
from api.verification_cache import VerificationCache
from tests.api.conftest import ADMIN_TOKEN, FakeRegistry, build_app

LIMITS = {"forecast_cache_size": 3, "response_cache_entries": 4, "verification_cache_entries": 2}


@pytest.fixture
def small_app(settings: ApiSettings, registry: FakeRegistry) -> FastAPI:
    return build_app(settings.model_copy(update=LIMITS), registry)


def gauges(client: TestClient) -> dict[str, float]:
    """The crossings_cache_* samples of /metrics, by name and labels."""
    text = client.get("/metrics").text
    found = re.findall(r"^(crossings_cache_\w+\{[^}]*\}) (\S+)$", text, re.MULTILINE)
    return {name: float(value) for name, value in found}


def test_forecast_and_response_caches_stay_at_their_entry_limits(small_app: FastAPI) -> None:
    with TestClient(small_app) as client:
        for horizon in range(1, 9):  # 8 forecasts, 16 distinct answers
            for path in ("/v1/forecast", "/v1/forecast/exceedance"):
                assert client.get(path, params={"horizon": horizon}).status_code == 200
        service = small_app.state.service
        assert len(service.cache._entries) == 3
        assert service.cache.locks == 0  # no lock kept per key once computed
        g = gauges(client)
    assert g['crossings_cache_entries{cache="forecast"}'] == 3
    assert g['crossings_cache_limit{cache="forecast",unit="entries"}'] == 3
    assert g['crossings_cache_entries{cache="response"}'] == 4
    assert g['crossings_cache_limit{cache="response",unit="entries"}'] == 4
    assert g['crossings_cache_bytes{cache="forecast"}'] > 0
    assert g['crossings_cache_limit{cache="forecast",unit="bytes"}'] == 160_000_000


def test_forecast_cache_stays_within_its_bytes(small_app: FastAPI) -> None:
    with TestClient(small_app) as client:
        service = small_app.state.service
        assert client.get("/v1/forecast", params={"horizon": 7}).status_code == 200
        one = service.cache.stats().bytes
        limit = int(2.5 * one)  # at most two such forecasts fit (a later start holds more)
        service.settings = service.settings.model_copy(
            update={"forecast_cache_size": 100, "forecast_cache_bytes": limit}
        )
        day = service.today()
        for offset in range(5):  # five 7-day forecasts
            start = (day + timedelta(days=offset)).isoformat()
            r = client.get("/v1/forecast", params={"horizon": 7, "start": start})
            assert r.status_code == 200
        stats = service.cache.stats()
        g = gauges(client)
    assert 1 <= stats.entries <= 2
    assert stats.bytes is not None and stats.bytes <= limit
    assert g['crossings_cache_bytes{cache="forecast"}'] == stats.bytes
    assert g['crossings_cache_limit{cache="forecast",unit="bytes"}'] == limit


def test_verification_cache_stays_at_its_entry_limit(small_app: FastAPI) -> None:
    with TestClient(small_app) as client:
        for days in (1, 2, 3, 4):
            assert client.get("/v1/verification", params={"days": days}).status_code == 200
        g = gauges(client)
        assert small_app.state.verification.locks == 0
    assert g['crossings_cache_entries{cache="verification"}'] == 2
    assert g['crossings_cache_limit{cache="verification",unit="entries"}'] == 2


def test_a_newer_track_record_replaces_the_older_one() -> None:
    archive = SimpleNamespace(written=0)
    service: Any = SimpleNamespace(archive=archive, generation=(1, 1, 1))
    cache = VerificationCache(lambda _s, target, days: {"n": archive.written}, max_entries=10)
    for written in range(5):  # every archive write makes a new key for the same question
        archive.written = written
        assert cache.get(service, "people", 56) == {"n": written}
    assert len(cache) == 1
    assert cache.get(service, "people", 56) == {"n": 4} and cache.computed == 5


def test_failed_forecasts_leave_no_key_lock(small_app: FastAPI) -> None:
    with TestClient(small_app) as client:
        service = small_app.state.service
        for horizon in range(1, 6):  # observed weather past the stored observations: 422
            r = client.get("/v1/forecast", params={"horizon": horizon, "weather_mode": "observed"})
            assert r.status_code in (200, 422)
        assert service.cache.locks == 0


def test_client_windows_stay_at_their_limit(small_app: FastAPI) -> None:
    limiter = ScenarioLimiter(parse_limit("60/minute"), max_clients=5)
    guard = AdminGuard(max_clients=5)
    for i in range(40):
        assert limiter.hit(f"10.0.0.{i}") is None
        guard.failed(f"10.0.1.{i}")
        assert limiter.windows() <= 5
        assert guard.windows() <= 5
    assert limiter.hit("10.0.0.39") is None  # the newest clients keep their windows
    assert guard.retry_after("10.0.1.39") is None
    with TestClient(small_app) as client:
        small_app.state.admin_guard.max_clients = 2
        for _ in range(3):  # one client; its failures count in one window
            client.post("/v1/admin/reload", headers={"Authorization": "Bearer wrong"})
        client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        g = gauges(client)
    assert g['crossings_cache_entries{cache="admin_clients"}'] == 1
    assert g['crossings_cache_limit{cache="admin_clients",unit="entries"}'] == 2
    assert g['crossings_cache_limit{cache="rate_limit_clients",unit="entries"}'] == 100_000


def test_a_value_over_the_byte_limit_is_not_kept() -> None:
    cache: Bounded[bytes] = Bounded("test", 10, 100, len)
    assert cache.put("a", b"x" * 60) == []
    assert cache.put("b", b"x" * 60) == ["a"]
    assert cache.put("c", b"x" * 101) == ["c"]
    assert cache.get("b") is not None and cache.get("c") is None
    assert cache.stats().bytes == 60


@pytest.mark.parametrize("name", CACHE_LIMITS)
@pytest.mark.parametrize("value", [0, -5])
def test_settings_refuse_a_limit_that_is_not_positive(
    name: str, value: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = f"CROSSINGS_{name.upper()}"
    monkeypatch.setenv(env, str(value))
    with pytest.raises(ValidationError) as caught:
        ApiSettings()
    message = str(caught.value)
    assert f"{env} must be a positive whole number" in message
    assert f"got {value}" in message


def test_every_cache_limit_is_described() -> None:
    fields: dict[str, Any] = ApiSettings.model_fields
    for name in CACHE_LIMITS:
        assert fields[name].description, name
        assert fields[name].default > 0
