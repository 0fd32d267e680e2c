"""GET/POST /v1/forecast and /v1/forecast/exceedance: the contract, the issue date and the asked
days, weather modes, scenarios and bad input."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.schemas import ExceedanceResponse, ForecastResponse, ScenarioResponse
from forecasting.contract import WEATHER_SOURCES
from tests.api.conftest import build_app, extend, write_processed

WEATHER_DAY = {
    "wind_mean_ms": 1.5,
    "wind_max_hourly_ms": 3.0,
    "gust_max_ms": 5.0,
    "wind_dir_deg": 200,
    "precip_mm": 0,
    "temp_mean_c": 14,
    "pressure_hpa": 1020,
}
STORMY = {**WEATHER_DAY, "wind_mean_ms": 14.0, "wind_max_hourly_ms": 20.0, "gust_max_ms": 28.0}


def _check_forecast(body: dict[str, Any], levels: tuple[str, ...], paired: bool = False) -> None:
    """The contract of a forecast answer; `paired`: a scenario's, whose days and total also
    carry `baseline` and `difference` (tests/api/test_scenario_paired.py)."""
    (ScenarioResponse if paired else ForecastResponse).model_validate(body)
    added = {"baseline", "difference"} if paired else set()
    assert set(body) == {
        "target",
        "start",
        "horizon",
        "days",
        "week_total",
        "risk_thresholds",
        "band_coverage",
        "model",
        "data_as_of",
        "issued_at",
        "issue_date",
        "hindcast",
        "bridged_days",
        "weather_mode",
        "weather_note",
    }
    assert len(body["days"]) == body["horizon"]
    assert body["start"] >= body["issue_date"] > body["data_as_of"]
    assert set(body["model"]) == {"name", "version", "trained_at"}
    assert set(body["week_total"]) == {"median", "mean", "bands"} | added
    assert list(body["band_coverage"]) == list(levels)
    assert list(body["week_total"]["bands"]) == list(levels)
    for i, day in enumerate(body["days"]):
        assert (
            set(day)
            == {
                "date",
                "median",
                "mean",
                "p_any",
                "risk",
                "bands",
                "if_crossing",
                "p_at_least",
                "weather_source",
                "weather",
                "weather_place",
                "weather_issued_at",
            }
            | added
        )
        expected = date.fromisoformat(body["start"]) + timedelta(days=i)
        assert day["date"] == expected.isoformat()
        assert list(day["bands"]) == list(levels)
        assert isinstance(day["median"], int) and 0 <= day["p_any"] <= 1
        widths = [day["bands"][k]["hi"] - day["bands"][k]["lo"] for k in levels]
        assert widths == sorted(widths)  # wider levels, wider bands
        for b in day["bands"].values():
            assert 0 <= b["lo"] <= b["hi"]
        assert day["weather_source"] in (*WEATHER_SOURCES, "none")
        assert day["weather"] is None or {"wind_mean_ms", "gust_max_ms"} <= set(day["weather"])


def test_default_forecast_follows_the_contract(client: TestClient, origin: date) -> None:
    r = client.get("/v1/forecast")
    assert r.status_code == 200, r.text
    body = r.json()
    _check_forecast(body, ("50", "80", "95"))
    assert body["target"] == "people" and body["horizon"] == 7
    # today (pinned) is the day after the last observed day: issued today, nothing bridged
    assert body["start"] == body["issue_date"] == origin.isoformat()
    assert body["hindcast"] is False and body["bridged_days"] == 0
    assert body["weather_mode"] == "forecast"
    assert body["data_as_of"] == (origin - timedelta(days=1)).isoformat()
    assert body["model"] == {
        "name": "hurdle",
        "version": "1",
        "trained_at": "2023-06-21T06:00:00+00:00",
    }
    # no live provider, observed weather ends the day before: climatology throughout
    assert {d["weather_source"] for d in body["days"]} == {"climatology"}
    assert r.headers["content-type"].startswith("application/json")


def test_parameters_and_cache(client: TestClient, origin: date) -> None:
    q = {"target": "boats", "horizon": 14, "levels": "97.5,10,80"}
    a = client.get("/v1/forecast", params=q).json()
    _check_forecast(a, ("10", "80", "97.5"))
    assert a["target"] == "boats" and len(a["days"]) == 14
    b = client.get("/v1/forecast", params={**q, "levels": "50"}).json()
    # the same cached forecast (same paths, same issue time), rendered for other levels
    assert b["issued_at"] == a["issued_at"]
    assert [d["median"] for d in b["days"]] == [d["median"] for d in a["days"]]
    assert client.app.state.service.computed == 1  # type: ignore[attr-defined]


def test_later_start_simulates_the_gap(client: TestClient, origin: date) -> None:
    start = origin + timedelta(days=3)
    body = client.get("/v1/forecast", params={"start": start.isoformat(), "horizon": 5}).json()
    _check_forecast(body, ("50", "80", "95"))
    assert body["start"] == start.isoformat()
    assert body["days"][0]["date"] == start.isoformat()


@pytest.mark.parametrize(
    ("offset", "horizon", "text"),
    [(-1, 7, "before"), (8, 7, "at most 14 days"), (0, 14, None), (7, 7, None)],
)
def test_start_the_model_cannot_reach(
    client: TestClient, origin: date, offset: int, horizon: int, text: str | None
) -> None:
    start = (origin + timedelta(days=offset)).isoformat()
    r = client.get("/v1/forecast", params={"start": start, "horizon": horizon})
    if text is None:
        assert r.status_code == 200
        return
    assert r.status_code == 422
    err = r.json()["detail"][0]
    assert err["loc"] == ["query", "start"] and text in err["msg"]


def test_newer_data_moves_the_forecast_without_a_refit(
    tmp_path: Path, synthetic: Any, settings: Any, registry: Any, origin: date
) -> None:
    """Three more days of arrivals than the champion was fitted on: the default forecast is
    issued today from them (same model version), and `as_of` still gives the hindcast."""
    arrivals, weather = extend(*synthetic, days=3, people=900)
    newer = write_processed(tmp_path / "newer", arrivals, weather)
    today = origin + timedelta(days=3)
    app = build_app(settings.model_copy(update={"data_dir": newer, "today": today}), registry)
    with TestClient(app) as c:
        r = c.get("/v1/forecast")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["model"]["version"] == "1"
        assert body["issue_date"] == body["start"] == today.isoformat()
        assert body["data_as_of"] == (today - timedelta(days=1)).isoformat()
        assert body["hindcast"] is False and body["bridged_days"] == 0
        # the same question as of the champion's own origin: a hindcast on older data
        r = c.get("/v1/forecast", params={"as_of": origin.isoformat(), "horizon": 3})
        assert r.status_code == 200
        old = r.json()
        assert old["hindcast"] is True and old["issue_date"] == origin.isoformat()
        assert old["data_as_of"] == (origin - timedelta(days=1)).isoformat()
        # the stored weather covers those days: a simulated issued forecast, as in a backtest
        assert [d["weather_source"] for d in old["days"]] == ["simulated"] * 3
        assert c.get("/readyz").json()["targets"]["people"]["behind_data"] is True


def test_post_scenario_calm_day_raises_p_any(client: TestClient, origin: date) -> None:
    day = origin + timedelta(days=2)
    base = {"target": "people", "start": origin.isoformat(), "horizon": 7, "levels": [80, 95]}
    calm = client.post(
        "/v1/forecast", json={**base, "weather": [{"date": day.isoformat(), **WEATHER_DAY}]}
    )
    stormy = client.post(
        "/v1/forecast", json={**base, "weather": [{"date": day.isoformat(), **STORMY}]}
    )
    assert calm.status_code == 200, calm.text
    c, s = calm.json(), stormy.json()
    _check_forecast(c, ("80", "95"), paired=True)
    sources = [d["weather_source"] for d in c["days"]]
    assert sources[2] == "request" and sources.count("request") == 1
    assert c["days"][2]["p_any"] > s["days"][2]["p_any"] + 0.2


def test_post_full_scenario(client: TestClient, origin: date) -> None:
    days = [{"date": (origin + timedelta(days=i)).isoformat(), **WEATHER_DAY} for i in range(3)]
    r = client.post("/v1/forecast", json={"target": "boats", "horizon": 3, "weather": days})
    assert r.status_code == 200, r.text
    assert [d["weather_source"] for d in r.json()["days"]] == ["request"] * 3


def _post(client: TestClient, origin: date, **changes: Any) -> Any:
    body: dict[str, Any] = {
        "target": "people",
        "horizon": 7,
        "weather": [{"date": origin.isoformat(), **WEATHER_DAY}],
    }
    body.update(changes)
    return client.post("/v1/forecast", json=body)


def test_post_missing_variable_names_it(client: TestClient, origin: date) -> None:
    day = {k: v for k, v in WEATHER_DAY.items() if k != "gust_max_ms"}
    r = _post(client, origin, weather=[{"date": origin.isoformat(), **day}])
    assert r.status_code == 422
    err = r.json()["detail"][0]
    assert err["loc"] == ["body", "weather", 0, "gust_max_ms"]
    assert "gust_max_ms" in err["msg"] and origin.isoformat() in err["msg"]


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"horizon": 0}, ["body", "horizon"]),
        ({"horizon": 15}, ["body", "horizon"]),
        ({"target": "dinghies"}, ["body", "target"]),
        ({"levels": [0]}, ["body", "levels", 0]),
        ({"levels": [80, 100]}, ["body", "levels", 1]),
        ({"start": "2023-13-01"}, ["body", "start"]),
        ({"weather": []}, ["body", "weather"]),
        (
            {"weather": [{"date": "2023-06-20", "wind_mean_ms": -1}]},
            ["body", "weather", 0, "wind_mean_ms"],
        ),
        (
            {"weather": [{"date": "2023-06-20", "wind_speed": 3}]},
            ["body", "weather", 0, "wind_speed"],
        ),
        ({"weather": [{"date": "yesterday"}]}, ["body", "weather", 0, "date"]),
        ({"weather": [{"date": "2020-01-01", **WEATHER_DAY}]}, ["body", "weather", 0, "date"]),
        ({"weather": "calm"}, ["body", "weather"]),
        ({"extra": 1}, ["body", "extra"]),
    ],
)
def test_post_bad_input(
    client: TestClient, origin: date, changes: dict[str, Any], loc: list[Any]
) -> None:
    r = _post(client, origin, **changes)
    assert r.status_code == 422, r.text
    assert loc in [e["loc"] for e in r.json()["detail"]], r.json()


def test_post_not_json_and_too_large(client: TestClient) -> None:
    r = client.post(
        "/v1/forecast", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "body"
    big = b'{"weather": [' + b" " * 1_100_000 + b"]}"
    r = client.post("/v1/forecast", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["detail"][0]["loc"] == ["body"]

    def chunks():  # no Content-Length: counted while reading
        for _ in range(12):
            yield b" " * 100_000

    r = client.post("/v1/forecast", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"target": "dinghies"}, "target"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": 15}, "horizon"),
        ({"horizon": "seven"}, "horizon"),
        ({"levels": "0,80"}, "levels"),
        ({"levels": "80,100"}, "levels"),
        ({"levels": "80,abc"}, "levels"),
        ({"levels": ""}, "levels"),
        ({"levels": "nan"}, "levels"),
        ({"levels": ",".join(str(i) for i in range(1, 12))}, "levels"),
        ({"start": "2023-02-30"}, "start"),
        ({"start": "next week"}, "start"),
        ({"start": "0001-01-01"}, "start"),
        ({"start": "9999-12-31"}, "start"),
    ],
)
def test_get_bad_input_names_the_field(
    client: TestClient, query: dict[str, Any], field: str
) -> None:
    r = client.get("/v1/forecast", params=query)
    assert r.status_code == 422, r.text
    assert ["query", field] in [e["loc"] for e in r.json()["detail"]]


def test_exceedance(client: TestClient, origin: date) -> None:
    r = client.get("/v1/forecast/exceedance", params={"thresholds": "0,100,300,600"})
    assert r.status_code == 200, r.text
    body = r.json()
    ExceedanceResponse.model_validate(body)
    assert body["thresholds"] == [0, 100, 300, 600]
    for day in body["days"]:
        p = [day["p_at_least"][k] for k in ("0", "100", "300", "600")]
        assert p[0] == 1.0 and p == sorted(p, reverse=True)
    # the same paths as the forecast: P(≥1) is P(any)
    f = client.get("/v1/forecast").json()
    e1 = client.get("/v1/forecast/exceedance", params={"thresholds": "1"}).json()
    assert [d["p_at_least"]["1"] for d in e1["days"]] == [d["p_any"] for d in f["days"]]


@pytest.mark.parametrize("bad", ["-1", "1.5", "a,b", "", "1e2", "2000000"])
def test_exceedance_bad_thresholds(client: TestClient, bad: str) -> None:
    r = client.get("/v1/forecast/exceedance", params={"thresholds": bad})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "thresholds"]


def test_keys_are_written_plainly(client: TestClient) -> None:
    e = client.get("/v1/forecast/exceedance", params={"thresholds": "1000000"}).json()
    assert list(e["days"][0]["p_at_least"]) == ["1000000"]
    f = client.get("/v1/forecast", params={"levels": "99.9999,12.5"}).json()
    assert list(f["days"][0]["bands"]) == ["12.5", "99.9999"]


def test_weather_source_labels_are_the_contracts() -> None:
    from typing import get_args

    from api.schemas.responses import WeatherSource

    assert get_args(WeatherSource) == WEATHER_SOURCES
    assert "none" in WEATHER_SOURCES  # a model without weather


def test_a_model_without_weather(settings: Any, synthetic: Any) -> None:
    """A baseline that uses no weather is served too: its days' weather source is none."""
    from forecasting import models
    from tests.api.conftest import FakeRegistry, make_champion

    registry = FakeRegistry()
    registry.add(make_champion(models.create("climatology", target="people").fit(*synthetic), "1"))
    with TestClient(build_app(settings.model_copy(update={"targets": ("people",)}), registry)) as c:
        body = c.get("/v1/forecast").json()
        _check_forecast(body, ("50", "80", "95"))
        assert {d["weather_source"] for d in body["days"]} == {"none"}
        assert {d["weather"] is None for d in body["days"]} == {True}
        r = c.get("/v1/forecast/exceedance", params={"thresholds": "1"})
        assert r.status_code == 200 and r.json()["days"][0]["weather_source"] == "none"
        assert c.get("/").status_code == 200
