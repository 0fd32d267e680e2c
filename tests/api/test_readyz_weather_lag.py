"""`/readyz` says when the weather trails the arrivals by more than the threshold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from tests.api.conftest import FakeRegistry, build_app, write_processed


def test_readyz_without_lag(client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body["weather_lag_warning"] is None
    assert body["weather_as_of"] is not None


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
