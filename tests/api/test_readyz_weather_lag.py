"""`/readyz` says when the weather trails the arrivals by more than the threshold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from forecasting.weather.lag import lag_settings
from tests.api.conftest import FakeRegistry, build_app, write_processed


def _day(table: Any, back: int = 1) -> str:
    """The ISO date of a canonical table's row `back` from the end."""
    return str(table["date"].iloc[-back].date())


def test_readyz_without_lag(client: TestClient, synthetic: Any) -> None:
    """Weather and arrivals end on the same day (2023-06-19): no lag, no warning."""
    arrivals, weather = synthetic
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["data_as_of"] == _day(arrivals) == "2023-06-19"
    assert body["weather_as_of"] == _day(weather) == "2023-06-19"
    assert body["weather_lag_warning"] is None


def test_readyz_warns_only_over_the_lag_threshold(
    tmp_path: Path, synthetic: Any, settings: ApiSettings, registry: FakeRegistry
) -> None:
    """A weather table ending exactly the threshold's days before the arrivals is reported
    as it is, without a warning; one day more warns (the warning is for lags over it)."""
    arrivals, weather = synthetic
    limit = lag_settings().weather_lag_warn_days
    for lag, warns in ((limit, False), (limit + 1, True)):
        folder = write_processed(tmp_path / f"lag-{lag}", arrivals, weather.iloc[:-lag])
        app = build_app(settings.model_copy(update={"data_dir": folder}), registry)
        with TestClient(app) as client:
            body = client.get("/readyz").json()
        assert body["data_as_of"] == _day(arrivals)
        assert body["weather_as_of"] == _day(weather, lag + 1)
        expected = (
            f"the weather ends {_day(weather, lag + 1)}, {lag} days before the arrivals "
            f"({_day(arrivals)}; warning above {limit} days): forecast days after it rely on "
            "a weather provider or climatology"
        )
        assert body["weather_lag_warning"] == (expected if warns else None), lag


def test_readyz_warns_when_the_weather_lags(
    tmp_path: Path,
    synthetic: Any,
    settings: ApiSettings,
    registry: FakeRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    arrivals, weather = synthetic
    lagging = write_processed(tmp_path / "lagging", arrivals, weather.iloc[:-20])
    app = build_app(settings.model_copy(update={"data_dir": lagging}), registry)
    with TestClient(app) as client, caplog.at_level("WARNING"):
        body = client.get("/readyz").json()
        assert str(weather["date"].iloc[-21].date()) == body["weather_as_of"]
        assert "20 days before the arrivals" in body["weather_lag_warning"]
        assert "climatology" in body["weather_lag_warning"]
        assert client.get("/readyz").status_code == 200
    assert sum("weather lag" in r.getMessage() for r in caplog.records) == 1
