"""Weather lagging the arrivals is the normal state of a live service: every route answers,
and the forecast days without observed weather say where their weather came from."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from forecasting import schema
from tests.api.conftest import FakeRegistry, build_app, extend, write_processed

# Arrivals run 10 days past the fitted models' data (their state is taken from the newest
# arrivals without a refit); today is the day after the newest arrival.
NEWER_DAYS = 10


@pytest.mark.parametrize("lag", [1, 30, 164, 200])
def test_every_route_answers_when_the_weather_lags(
    lag: int, tmp_path: Path, synthetic: Any, settings: ApiSettings, registry: FakeRegistry
) -> None:
    arrivals, weather = extend(*synthetic, NEWER_DAYS)
    last = pd.Timestamp(arrivals[schema.DATE].iloc[-1])
    weather_end = last - pd.Timedelta(days=lag)
    lagging = weather.loc[weather[schema.DATE] <= weather_end]
    data = write_processed(tmp_path / f"lag{lag}", arrivals, lagging)
    today = (last + pd.Timedelta(days=1)).date()
    app = build_app(settings.model_copy(update={"data_dir": data, "today": today}), registry)
    with TestClient(app) as client:
        for target in ("people", "boats"):
            r = client.get("/v1/forecast", params={"target": target})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["data_as_of"] == str(last.date())
            assert body["issue_date"] == str(today)
            assert not body["hindcast"]
            sources = [d["weather_source"] for d in body["days"]]
            # No stored observation covers a forecast day: a simulated forecast where the
            # newest observations reach, else climatology; each day says which.
            assert set(sources) <= {"simulated", "climatology"}, sources
            assert sources == ["climatology"] * len(sources)
        csv = client.get("/v1/forecast", params={"format": "csv"})
        assert csv.status_code == 200 and csv.text.count("\n") >= 8
        ex = client.get("/v1/forecast/exceedance", params={"target": "people"})
        assert ex.status_code == 200, ex.text
        until = today + timedelta(days=60)
        outlook = client.get("/v1/outlook", params={"until": str(until)})
        assert outlook.status_code == 200, outlook.text
        page = client.get("/")
        assert page.status_code == 200 and "climatology" in page.text
        ready = client.get("/readyz").json()
        assert ready["weather_as_of"] == str(weather_end.date())
        assert (ready["weather_lag_warning"] is not None) == (lag > 14)
        scenario = client.post(
            "/v1/forecast",
            json={
                "target": "people",
                "weather": [
                    {
                        "date": str(today + timedelta(days=2)),
                        "wind_mean_ms": 2.0,
                        "wind_max_hourly_ms": 3.0,
                        "gust_max_ms": 5.0,
                        "wind_dir_deg": 200,
                        "precip_mm": 0,
                        "temp_mean_c": 14,
                        "pressure_hpa": 1020,
                    }
                ],
            },
        )
        assert scenario.status_code == 200, scenario.text
        assert scenario.json()["days"][2]["weather_source"] == "request"
