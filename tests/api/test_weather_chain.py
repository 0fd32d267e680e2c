"""The provider chain through the app: live forecast (a fake Open-Meteo on 127.0.0.1), observed,
climatology. The chain itself is tested in tests/forecasting/weather/test_serving.py and the live
forecast's cache in tests/forecasting/providers/test_live.py."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import FakeOpenMeteo, build_app, extend, write_processed


def _client(settings: Any, registry: Any, **changes: Any) -> TestClient:
    return TestClient(build_app(settings.model_copy(update=changes), registry))


def test_live_forecast_is_used_and_cached(
    settings: Any, registry: Any, open_meteo: FakeOpenMeteo, origin: date
) -> None:
    open_meteo.days = 5  # the provider covers the first 5 of 7 days
    with _client(settings, registry, open_meteo_url=open_meteo.url) as c:
        body = c.get("/v1/forecast").json()
        sources = [d["weather_source"] for d in body["days"]]
        assert sources == ["forecast"] * 5 + ["climatology"] * 2
        c.get("/v1/forecast", params={"target": "boats"})
        c.get("/v1/forecast", params={"horizon": 3})
        assert len(open_meteo.requests) == 1  # one provider call, then the cache
        q = open_meteo.requests[0]
        assert q.startswith("/v1/forecast?") and "latitude=51.0000" in q
        assert "wind_speed_unit=ms" in q and "forecast_days=16" in q


def test_calm_forecast_means_more_crossings(
    settings: Any, registry: Any, open_meteo: FakeOpenMeteo
) -> None:
    p_any = {}
    for wind in (0.5, 12.0):
        open_meteo.wind = wind
        with _client(settings, registry, open_meteo_url=open_meteo.url) as c:
            p_any[wind] = np.mean([d["p_any"] for d in c.get("/v1/forecast").json()["days"]])
    assert p_any[0.5] > p_any[12.0] + 0.2


@pytest.mark.parametrize("failure", ["status", "slow", "closed"])
def test_provider_failure_falls_back_quickly(
    settings: Any, registry: Any, open_meteo: FakeOpenMeteo, failure: str
) -> None:
    url = open_meteo.url
    if failure == "status":
        open_meteo.status = 503
    elif failure == "slow":
        open_meteo.delay = 5.0
    else:
        url = "http://127.0.0.1:9"  # nothing listens there
    with _client(settings, registry, open_meteo_url=url, weather_timeout=0.3) as c:
        t0 = time.monotonic()
        r = c.get("/v1/forecast")
        assert r.status_code == 200
        assert time.monotonic() - t0 < 3
        assert {d["weather_source"] for d in r.json()["days"]} == {"climatology"}
        n = len(open_meteo.requests)
        c.get("/v1/forecast", params={"horizon": 2})
        assert len(open_meteo.requests) == n  # the failure is remembered for a while
        svc = c.app.state.service  # type: ignore[attr-defined]
        assert svc.live.last_error


def test_observed_weather_beyond_the_arrivals(
    tmp_path: Any, synthetic: Any, settings: Any, registry: Any, origin: date
) -> None:
    arrivals, weather = synthetic
    _, more_weather = extend(arrivals, weather, days=3)  # weather is 3 days ahead of arrivals
    d = write_processed(tmp_path / "data", arrivals, more_weather)
    with _client(settings, registry, data_dir=d) as c:
        sources = [x["weather_source"] for x in c.get("/v1/forecast").json()["days"]]
    assert sources == ["observed"] * 3 + ["climatology"] * 4
