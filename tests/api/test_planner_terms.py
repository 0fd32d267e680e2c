"""Risk in planners' terms, the count if crossings happen, P(≥ k), the weather assumed per day,
and the CSV export of GET /v1/forecast."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.reading import Reading, band_coverage, if_crossing
from api.settings import ApiSettings
from tests.api.conftest import build_app

CSV_HEAD = ["date", "median", "mean", "p_any", "risk"] + [
    f"{e}-{lv}" for lv in (50, 80, 95) for e in ("lo", "hi")
]


@pytest.mark.parametrize(
    ("p", "risk"),
    [
        (0.0, "green"),
        (0.3499, "green"),
        (0.35, "amber"),
        (0.55, "amber"),
        (0.5501, "red"),
        (1, "red"),
    ],
)
def test_default_risk_is_the_home_office_convention(p: float, risk: str) -> None:
    assert Reading().risk(p) == risk


def test_risk_thresholds_are_configurable() -> None:
    reading = Reading.from_settings(
        ApiSettings(risk_red_above=0.7, risk_green_below=0.2, exceedance_boats=(10, 3))
    )
    assert [reading.risk(p) for p in (0.1, 0.2, 0.7, 0.71)] == ["green", "amber", "amber", "red"]
    assert reading.thresholds("boats") == (3, 10)
    assert reading.thresholds("people") == (100, 300, 500)
    with pytest.raises(ValueError, match="GREEN_BELOW"):
        ApiSettings(risk_red_above=0.3, risk_green_below=0.4)


def test_if_crossing_uses_only_the_crossing_paths() -> None:
    day = np.array([0] * 60 + list(range(1, 41)))  # 60% zero, 1..40 otherwise
    got = if_crossing(day)
    assert got == {"median": 20, "lo": 4, "hi": 36}
    assert if_crossing(np.zeros(50, dtype=int)) is None


def test_band_coverage_comes_from_the_backtest_metrics() -> None:
    meta: dict[str, Any] = {"backtest_metrics": {"coverage_50": 0.6234, "coverage_80": 0.9}}
    assert band_coverage(meta, (50, 80, 95)) == {"50": 0.623, "80": 0.9, "95": None}
    assert band_coverage({}, (80,)) == {"80": None}


def test_each_day_reads_in_planners_terms(client: TestClient) -> None:
    body = client.get("/v1/forecast", params={"target": "boats"}).json()
    assert body["risk_thresholds"] == {"red_above": 0.55, "green_below": 0.35}
    samples_ok = 0
    for day in body["days"]:
        assert day["risk"] == Reading().risk(day["p_any"])
        assert list(day["p_at_least"]) == ["2", "5", "10"]
        ps = list(day["p_at_least"].values())
        assert ps == sorted(ps, reverse=True) and ps[0] <= day["p_any"]
        typical = day["if_crossing"]
        if typical is not None:
            assert 1 <= typical["lo"] <= typical["median"] <= typical["hi"]
            samples_ok += 1
        assert day["weather_place"] == "synthetic" and day["weather_issued_at"] is None
    assert samples_ok > 0
    assert body["week_total"]["mean"] >= 0


def test_a_scenario_day_says_when_its_forecast_was_issued(client: TestClient) -> None:
    issue = client.get("/v1/forecast").json()["issue_date"]
    weather = {
        "date": issue,
        "wind_mean_ms": 2.0,
        "wind_max_hourly_ms": 3.0,
        "gust_max_ms": 5.0,
        "wind_dir_deg": 200,
        "precip_mm": 0,
        "temp_mean_c": 14,
        "pressure_hpa": 1020,
    }
    body = client.post("/v1/forecast", json={"horizon": 2, "weather": [weather]}).json()
    first = body["days"][0]
    assert first["weather_source"] == "request"
    assert first["weather_issued_at"] == f"{issue}T00:00:00Z"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("how", ["query", "accept"])
def test_forecast_as_csv(client: TestClient, how: str) -> None:
    params: dict[str, Any] = {"target": "people", "horizon": 5}
    headers = {}
    if how == "query":
        params["format"] = "csv"
    else:
        headers["Accept"] = "text/csv"
    r = client.get("/v1/forecast", params=params, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="crossings-people-' in r.headers["content-disposition"]
    header = r.text.splitlines()[0].split(",")
    assert header[: len(CSV_HEAD)] == CSV_HEAD
    assert {"p_ge_100", "p_ge_300", "p_ge_500"} <= set(header)
    *rows, total = _rows(r.text)
    js = client.get("/v1/forecast", params={"target": "people", "horizon": 5}).json()
    assert len(rows) == 5 and total["date"] == "total"
    for row, day in zip(rows, js["days"], strict=True):  # the same forecast as the JSON
        assert row["date"] == day["date"] and row["risk"] == day["risk"]
        assert float(row["p_any"]) == day["p_any"] and int(row["hi-80"]) == day["bands"]["80"]["hi"]
        assert float(row["p_ge_300"]) == day["p_at_least"]["300"]


def test_csv_and_json_are_cached_apart(client: TestClient) -> None:
    q = {"horizon": 3}
    assert (
        client.get("/v1/forecast", params=q).headers["content-type"].startswith("application/json")
    )
    r = client.get("/v1/forecast", params=q, headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    again = client.get("/v1/forecast", params=q)
    assert again.headers["content-type"].startswith("application/json")
    explicit = client.get(
        "/v1/forecast", params={**q, "format": "json"}, headers={"Accept": "text/csv"}
    )
    assert explicit.headers["content-type"].startswith("application/json")


def test_bad_format_is_422(client: TestClient) -> None:
    r = client.get("/v1/forecast", params={"format": "xlsx"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "format"]


def test_csv_is_in_the_openapi_schema_with_an_example(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"]["/v1/forecast"]["get"]
    csv_doc = op["responses"]["200"]["content"]["text/csv"]
    assert csv_doc["example"].startswith(",".join(CSV_HEAD))
    fmt = next(p for p in op["parameters"] if p["name"] == "format")
    assert "csv" in str(fmt["schema"])


def test_the_archive_keeps_the_risk(settings: ApiSettings, registry: Any) -> None:
    from sqlalchemy import select

    from api.archive.store import forecasts_table
    from tests.api.conftest import wait_for

    app = build_app(settings, registry)
    with TestClient(app) as c:
        body = c.get("/v1/forecast", params={"horizon": 2}).json()
        archive = app.state.service.archive
        engine = archive.engine

        def stored() -> list[Any]:
            with engine.connect() as conn:
                return list(conn.execute(select(forecasts_table.c.response)))

        assert wait_for(lambda: len(stored()) >= 1)
        response = stored()[0][0]
    assert [d["risk"] for d in response["days"]] == [d["risk"] for d in body["days"]]
