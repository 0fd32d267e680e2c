"""The live forecast: one provider call, then the cache; failures remembered for a while."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from forecasting.providers.live import LiveForecast
from forecasting.providers.open_meteo import MAX_FORECAST_DAYS
from tests.forecasting.providers.conftest import FakeOpenMeteo


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_live_forecast_disabled_without_url() -> None:
    live = LiveForecast("", 51.0, 1.5)
    assert not live.enabled and live.get() is None and live.fetches == 0


def test_forecast_lead_days_from_a_fake_server(server: FakeOpenMeteo) -> None:
    live = LiveForecast(server.base_url, 51.0, 1.5, timeout=1, wait_seconds=5)
    frame = live.get()
    first = date(2024, 6, 1)  # the fake server's first forecast day
    assert frame is not None and frame.index[0].date() == first
    assert frame.index[-1].date() == first + timedelta(days=MAX_FORECAST_DAYS - 1)
    assert frame["wind_mean_ms"].iloc[0] == pytest.approx(4.0)
    assert live.get() is frame and live.fetches == 1
    [(path, query)] = server.requests
    assert path == "/v1/forecast" and query["forecast_days"] == str(MAX_FORECAST_DAYS)


def test_cache_expires_and_failures_are_remembered(server: FakeOpenMeteo) -> None:
    clock = _Clock()
    live = LiveForecast(
        server.base_url,
        51.0,
        1.5,
        timeout=1,
        cache_seconds=900,
        retry_seconds=60,
        max_stale_seconds=3600,
        clock=clock,
        wait_seconds=5,
    )
    good = live.get()
    assert good is not None
    clock.now = 899.0
    assert live.fetches == 1 and live.get() is good and live.fetches == 1
    server.fail_first = 10**6  # from now on the provider answers 503
    clock.now = 900.0
    # stale-while-revalidate: the last good answer at once, a refresh in the background
    assert live.get() is good
    _settle(live)
    assert live.fetches == 2 and live.last_error
    clock.now = 959.0
    assert live.get() is good and live.fetches == 2  # the failure is remembered
    clock.now = 960.0
    assert live.get() is good
    _settle(live)
    assert live.fetches == 3
    clock.now = 3601.0  # the last good answer is too old to serve
    assert live.get(wait=0) is None


def _settle(live: LiveForecast) -> None:
    """Wait for the background refresh to finish."""
    deadline = time.monotonic() + 5
    while live._inflight and time.monotonic() < deadline:
        time.sleep(0.01)


def test_one_cached_fetch_per_point(server: FakeOpenMeteo) -> None:
    """The service asks for each champion's own point: one provider call per point, each
    with its coordinates, then the cache."""
    live = LiveForecast(server.base_url, 51.0, 1.5, timeout=1, wait_seconds=5)
    assert live.get(51.45, 4.34) is not None and live.get(50.95, 1.6) is not None
    assert live.get(51.45, 4.34) is not None and live.get(51.450001, 4.34) is not None
    assert live.fetches == 2
    asked = [(q["latitude"], q["longitude"]) for _, q in server.requests]
    assert asked == [("51.4500", "4.3400"), ("50.9500", "1.6000")]
    assert live.error_at(51.45, 4.34) is None and live.last_error is None
