"""The planner-readability items: exceedance defaults per target (the thresholds every forecast
day and the page show), the exceedance CSV, a history range that ends before it starts, and
scenario winds that break physics."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi.testclient import TestClient

from api.reading import EXCEEDANCE
from api.schemas import ExceedanceResponse
from api.settings import ApiSettings
from tests.api.conftest import FakeRegistry, build_app

CALM = {
    "wind_mean_ms": 4.0,
    "wind_max_hourly_ms": 6.0,
    "gust_max_ms": 9.0,
    "wind_dir_deg": 200,
    "precip_mm": 0,
    "temp_mean_c": 14,
    "pressure_hpa": 1020,
}


def test_exceedance_defaults_are_the_targets_planner_thresholds(client: TestClient) -> None:
    for target, ks in EXCEEDANCE.items():
        r = client.get("/v1/forecast/exceedance", params={"target": target, "horizon": 3})
        assert r.status_code == 200, r.text
        body = r.json()
        ExceedanceResponse.model_validate(body)
        assert body["thresholds"] == list(ks)
        forecast = client.get("/v1/forecast", params={"target": target, "horizon": 3}).json()
        assert [d["p_at_least"] for d in body["days"]] == [
            d["p_at_least"] for d in forecast["days"]
        ]
    boats = client.get("/v1/forecast/exceedance", params={"target": "boats"}).json()
    assert any(p > 0 for d in boats["days"] for p in d["p_at_least"].values())
    spec = client.get("/openapi.json").json()["paths"]["/v1/forecast/exceedance"]["get"]
    param = next(p for p in spec["parameters"] if p["name"] == "thresholds")
    assert "boats: 2,5,10" in param["description"] and "2,5,10" in param["schema"]["examples"]


def test_exceedance_defaults_follow_the_settings(
    settings: ApiSettings, registry: FakeRegistry
) -> None:
    custom = settings.model_copy(update={"exceedance_boats": (1, 4)})
    with TestClient(build_app(custom, registry)) as c:
        body = c.get("/v1/forecast/exceedance", params={"target": "boats"}).json()
        assert body["thresholds"] == [1, 4]
        page_days = c.get("/v1/forecast", params={"target": "boats"}).json()["days"]
        assert set(page_days[0]["p_at_least"]) == {"1", "4"}


def test_exceedance_csv(client: TestClient) -> None:
    query = {"target": "boats", "horizon": 4, "thresholds": "2,5"}
    data = client.get("/v1/forecast/exceedance", params=query).json()
    r = client.get("/v1/forecast/exceedance", params={**query, "format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    name = f"crossings-exceedance-boats-{data['start']}.csv"
    assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == [
        "date",
        "p_ge_2",
        "p_ge_5",
        "weather_source",
        "target",
        "issue_date",
        "hindcast",
        "model_version",
        "data_as_of",
    ]
    assert [row["date"] for row in rows] == [d["date"] for d in data["days"]]
    for row, day in zip(rows, data["days"], strict=True):
        assert float(row["p_ge_5"]) == day["p_at_least"]["5"]
        assert row["weather_source"] == day["weather_source"]
        assert (row["target"], row["issue_date"]) == ("boats", data["issue_date"])
    by_accept = client.get("/v1/forecast/exceedance", params=query, headers={"Accept": "text/csv"})
    assert by_accept.text == r.text
    as_json = client.get("/v1/forecast/exceedance", params={**query, "format": "json"})
    assert as_json.json()["days"] == data["days"]
    spec = client.get("/openapi.json").json()["paths"]["/v1/forecast/exceedance"]["get"]
    assert "text/csv" in spec["responses"]["200"]["content"]
    assert "format" in {p["name"] for p in spec["parameters"]}


def test_history_from_after_to_is_refused(client: TestClient) -> None:
    r = client.get("/v1/history", params={"from": "2023-06-10", "to": "2023-06-01"})
    assert r.status_code == 422, r.text
    (err,) = r.json()["detail"]
    assert err["loc"] == ["query", "from"] and "after to (2023-06-01)" in err["msg"]
    late = client.get("/v1/history", params={"from": "2023-07-01"})  # data end 2023-06-19
    assert late.status_code == 422 and late.json()["detail"][0]["loc"] == ["query", "from"]
    one = client.get("/v1/history", params={"from": "2023-06-01", "to": "2023-06-01"})
    assert one.status_code == 200 and len(one.json()["days"]) == 1


def test_unphysical_scenario_winds_are_refused(client: TestClient, origin: date) -> None:
    day = {"date": (origin + timedelta(days=1)).isoformat(), **CALM}
    for field in ("gust_max_ms", "wind_max_hourly_ms"):
        weather = [day, {**day, "date": (origin + timedelta(days=2)).isoformat(), field: 3.0}]
        r = client.post("/v1/forecast", json={"horizon": 3, "weather": weather})
        assert r.status_code == 422, r.text
        (err,) = r.json()["detail"]
        assert err["loc"] == ["body", "weather", 1, field]
        assert "below wind_mean_ms" in err["msg"] and "at least wind_mean_ms" in err["msg"]
    still = {**day, "wind_max_hourly_ms": 4.0, "gust_max_ms": 4.0}  # equal to the mean: fine
    r = client.post("/v1/forecast", json={"horizon": 2, "weather": [still]})
    assert r.status_code == 200, r.text
