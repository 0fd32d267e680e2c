"""The weather chain through the app: the live forecast (a fake Open-Meteo on 127.0.0.1) asked for
the champion's own point, stored observations, climatology; and a champion refused when it
learned on another weather source than the live provider serves. The builder itself is tested
in tests/forecasting/weather/test_future.py and the live forecast's cache in
tests/forecasting/providers/test_live.py."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.champion import ChampionRefused
from tests.api.conftest import (
    ADMIN_TOKEN,
    KNMI_META,
    OPEN_METEO_META,
    OPEN_METEO_POINT,
    FakeOpenMeteo,
    FakeRegistry,
    build_app,
    extend,
    make_champion,
    wait_for,
    write_processed,
)


def _client(settings: Any, registry: Any, **changes: Any) -> TestClient:
    return TestClient(build_app(settings.model_copy(update=changes), registry))


def test_live_forecast_at_the_models_point_is_used_and_cached(
    settings: Any, om_registry: Any, open_meteo: FakeOpenMeteo, origin: date
) -> None:
    open_meteo.days = 5  # the provider covers the first 5 of 7 days
    with _client(settings, om_registry, open_meteo_url=open_meteo.url) as c:
        body = c.get("/v1/forecast").json()
        sources = [d["weather_source"] for d in body["days"]]
        assert sources == ["forecast"] * 5 + ["climatology"] * 2
        assert body["hindcast"] is False
        # the spread grows by lead around the provider's (constant) forecast
        c.get("/v1/forecast", params={"target": "boats"})
        c.get("/v1/forecast", params={"horizon": 3})
        assert len(open_meteo.requests) == 1  # one provider call per point, then the cache
        url = urlsplit(open_meteo.requests[0])
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert url.path == "/v1/forecast"
        lat, lon = OPEN_METEO_POINT  # the champion's own point, not the settings' default
        assert (query["latitude"], query["longitude"]) == (f"{lat:.4f}", f"{lon:.4f}")
        assert query["wind_speed_unit"] == "ms" and query["forecast_days"] == "16"
        svc = c.app.state.service  # type: ignore[attr-defined]
        svc.archive.flush()
        row = svc.archive.get(svc.latest["people"].forecast_id)
        assert row["inputs"]["weather_point"] == [lat, lon]


def test_the_paths_centre_on_the_live_forecast(
    settings: Any, om_registry: Any, open_meteo: FakeOpenMeteo
) -> None:
    """The provider says 4 m/s every day: the paths spread around it with the error model,
    and their mean stays on it (a spread, never a bias)."""
    open_meteo.wind = 4.0
    with _client(settings, om_registry, open_meteo_url=open_meteo.url, n_samples=2000) as c:
        days = c.get("/v1/forecast", params={"horizon": 7}).json()["days"]
    assert [d["weather"]["wind_mean_ms"] for d in days] == pytest.approx([4.0] * 7, abs=0.25)


def test_calm_forecast_means_more_crossings(
    settings: Any, om_registry: Any, open_meteo: FakeOpenMeteo
) -> None:
    p_any = {}
    for wind in (0.5, 12.0):
        open_meteo.wind = wind
        with _client(settings, om_registry, open_meteo_url=open_meteo.url) as c:
            p_any[wind] = np.mean([d["p_any"] for d in c.get("/v1/forecast").json()["days"]])
    assert p_any[0.5] > p_any[12.0] + 0.2


def test_a_hindcast_never_asks_the_live_provider(
    settings: Any, om_registry: Any, open_meteo: FakeOpenMeteo, origin: date
) -> None:
    """A forecast as of a past day cannot know a weather forecast made today."""
    as_of = (origin - timedelta(days=20)).isoformat()
    with _client(settings, om_registry, open_meteo_url=open_meteo.url) as c:
        asked = len(open_meteo.requests)  # the start-up prefetch for today's forecasts
        body = c.get("/v1/forecast", params={"as_of": as_of}).json()
        assert len(open_meteo.requests) == asked
    assert {d["weather_source"] for d in body["days"]} == {"simulated"}


@pytest.mark.parametrize("failure", ["status", "slow", "closed"])
def test_provider_failure_falls_back_quickly(
    settings: Any, om_registry: Any, open_meteo: FakeOpenMeteo, failure: str
) -> None:
    url = open_meteo.url
    if failure == "status":
        open_meteo.status = 503
    elif failure == "slow":
        open_meteo.delay = 5.0
    else:
        url = "http://127.0.0.1:9"  # nothing listens there
    with _client(settings, om_registry, open_meteo_url=url, weather_timeout=0.3) as c:
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
    # a forecast simulated from the stored weather where it exists, never the weather itself
    assert sources == ["simulated"] * 3 + ["climatology"] * 4


def test_a_champion_from_another_source_is_refused_at_start(
    settings: Any, fitted: Any, open_meteo: FakeOpenMeteo
) -> None:
    reg = FakeRegistry()
    for model in fitted.values():
        reg.add(make_champion(model, "1", **KNMI_META))
    with (
        pytest.raises(ChampionRefused) as info,
        _client(settings, reg, open_meteo_url=open_meteo.url),
    ):
        pass
    msg = str(info.value)
    assert "KNMI" in msg and "51.45N 4.34E" in msg and "open-meteo" in msg
    assert "crossings fetch-weather --provider open-meteo-archive --lat 51.45 --lon 4.34" in msg
    assert "crossings ingest --weather" in msg and "CROSSINGS_OPEN_METEO_URL=" in msg
    assert open_meteo.requests == []
    # the same champion with the live provider off (make run, make serve) serves
    with _client(settings, reg) as c:
        assert c.get("/v1/forecast").status_code == 200


def test_a_later_champion_from_another_source_is_refused_and_reported(
    settings: Any, om_registry: FakeRegistry, fitted: Any, open_meteo: FakeOpenMeteo
) -> None:
    """Through the poller: the last good champion keeps serving, and the refusal is the
    target's registry error until a good version is promoted."""
    app_settings = {"open_meteo_url": open_meteo.url, "poll_seconds": 0.05}
    with _client(settings, om_registry, **app_settings) as c:
        om_registry.add(make_champion(fitted["people"], "2", **KNMI_META))

        # Wait for the refusal itself: `stale` alone also turns true when a busy machine
        # delays the 0.05 s poller past its 0.15 s staleness limit.
        def refused() -> bool:
            people = c.get("/readyz").json()["targets"]["people"]
            return "cannot be served" in str(people["registry_error"])

        assert wait_for(refused)
        ready = c.get("/readyz").json()["targets"]["people"]
        assert ready["version"] == "1" and ready["stale"]
        model = c.get("/v1/model", params={"target": "people"}).json()["champions"][0]
        assert model["status"] == "stale" and "fetch-weather" in model["registry_error"]
        assert c.get("/v1/forecast").json()["model"]["version"] == "1"
        loads = om_registry.loads
        time.sleep(0.3)
        assert om_registry.loads == loads  # the refused version is not loaded again
        r = c.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert r.status_code == 503 and "cannot be served" in r.json()["targets"]["people"]["error"]
        om_registry.add(make_champion(fitted["people"], "3", **OPEN_METEO_META))
        assert wait_for(lambda: c.get("/v1/forecast").json()["model"]["version"] == "3")
        assert c.get("/readyz").json()["targets"]["people"]["registry_error"] is None


def test_without_a_provider_setting_a_knmi_champion_is_served_without_the_live_forecast(
    settings: Any, fitted: Any
) -> None:
    """`crossings serve` with CROSSINGS_OPEN_METEO_URL unset: the KNMI champion `make train`
    registers starts and serves, saying where its weather comes from instead of refusing."""
    reg = FakeRegistry()
    for model in fitted.values():
        reg.add(make_champion(model, "1", **KNMI_META))
    with _client(settings, reg, open_meteo_url=None) as c:
        body = c.get("/v1/forecast").json()
        note = body["weather_note"]
        assert note.startswith("weather: simulated from KNMI Woensdrecht, 51.45N 4.34E")
        assert "no live forecast for this source" in note
        assert {d["weather_place"] for d in body["days"]} == {"KNMI Woensdrecht, 51.45N 4.34E"}
        assert "forecast" not in {d["weather_source"] for d in body["days"]}
        ready = c.get("/readyz").json()
        assert ready["targets"]["people"]["weather_note"] == note
        assert note in c.get("/").text
