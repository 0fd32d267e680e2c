"""The provider chain: live forecast (a fake Open-Meteo on 127.0.0.1), observed, climatology."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.data import ObservedStore
from forecasting.weather.serving import LiveForecast, WeatherUnavailable, build_weather
from tests.api.conftest import FakeOpenMeteo, build_app, extend, write_processed

VARS = ("wind_mean_ms", "gust_max_ms", "wind_max_hourly_ms", "wind_dir_deg", "precip_mm")


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


def test_build_weather_order_and_shapes(data_dir: Any, origin: date) -> None:
    store = ObservedStore(data_dir)
    store.reload_if_changed()
    obs = store.get()
    dates = pd.date_range(pd.Timestamp(origin) - pd.Timedelta(days=2), periods=6, freq="D")
    live = pd.DataFrame(
        {v: [3.0] * 2 for v in VARS}, index=pd.DatetimeIndex(dates[2:4], name="date")
    )
    wanted = {dates[1].date(): {v: 1.0 for v in VARS}}
    fw = build_weather(
        VARS,
        dates,
        n_paths=50,
        rng=np.random.default_rng(0),
        observed=obs,
        live=live,
        requested=wanted,
    )
    assert fw.sources == (
        "observed",
        "request",
        "forecast",
        "forecast",
        "climatology",
        "climatology",
    )
    assert fw.values.shape == (50, 6, len(VARS))
    assert np.all(fw.values[:, 1, :] == 1.0)
    assert np.ptp(fw.values[:, 2, 0]) > 0  # forecast days carry lead-time error
    assert np.ptp(fw.values[:, 4, 0]) > 0  # climatology differs between paths
    fixed = build_weather(
        VARS,
        dates[:2],
        n_paths=50,
        rng=np.random.default_rng(0),
        observed=obs,
        live=None,
        requested=wanted,
    )
    assert fixed.values.shape[0] == 1  # nothing random: one path


def test_no_source_left(origin: date) -> None:
    dates = pd.date_range(pd.Timestamp(origin), periods=3, freq="D")
    with pytest.raises(WeatherUnavailable, match="no weather for"):
        build_weather(
            VARS, dates, n_paths=5, rng=np.random.default_rng(0), observed=None, live=None
        )


def test_live_forecast_disabled_without_url() -> None:
    live = LiveForecast("", 51.0, 1.5)
    assert not live.enabled and live.get() is None and live.fetches == 0


def test_forecast_lead_days_from_a_fake_server(open_meteo: FakeOpenMeteo, origin: date) -> None:
    live = LiveForecast(open_meteo.url, 51.0, 1.5, timeout=1)
    frame = live.get()
    assert frame is not None and frame.index[0].date() == origin
    assert frame.index[-1].date() == origin + timedelta(days=15)
    assert frame["wind_mean_ms"].iloc[0] == pytest.approx(1.0)
    assert live.get() is frame and live.fetches == 1
