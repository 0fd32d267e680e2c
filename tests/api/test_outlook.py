"""GET /v1/outlook on the synthetic champions: the body's shape and coherence, the year to
date, `until` validation (422), the 366-day cap, and the OpenAPI example."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from fastapi.testclient import TestClient

from api.schemas import OutlookResponse
from forecasting.contract import MAX_OUTLOOK_DAYS


def test_outlook_body(client: TestClient, origin: date, synthetic: tuple) -> None:
    until = date(origin.year, 12, 31)
    r = client.get("/v1/outlook", params={"until": until.isoformat(), "levels": "50,80"})
    assert r.status_code == 200, r.text
    body = r.json()
    OutlookResponse.model_validate(body)
    assert body["from"] == origin.isoformat() and body["until"] == until.isoformat()
    assert body["days"] == (until - origin).days + 1
    assert body["target"] == "people" and body["weather"] == "climatology"
    total = body["total"]
    assert set(total["bands"]) == {"50", "80"}
    b = total["bands"]
    assert b["80"]["lo"] <= b["50"]["lo"] <= total["median"] <= b["50"]["hi"] <= b["80"]["hi"]
    arrivals = synthetic[0]
    jan1 = pd.Timestamp(origin.year, 1, 1)
    ytd = int(arrivals.loc[arrivals["date"] >= jan1, "people"].sum())
    assert body["year_to_date"]["actual"] == ytd
    assert body["year_to_date"]["through"] == (origin - timedelta(days=1)).isoformat()
    # until is 31 December: the year end is the year to date plus the same total, path by path
    assert body["year_end"]["median"] == ytd + total["median"]
    assert body["model"]["name"] == "hurdle" and body["data_as_of"] < body["from"]


def test_boats_and_thresholds(client: TestClient, origin: date) -> None:
    until = (origin + timedelta(days=89)).isoformat()
    r = client.get(
        "/v1/outlook", params={"until": until, "target": "boats", "thresholds": "10,100000"}
    )
    assert r.status_code == 200, r.text
    ex = r.json()["exceedance"]
    assert [e["at_least"] for e in ex] == [10, 100000]
    assert ex[0]["probability"] > 0.9 and ex[1]["probability"] == 0.0


def test_until_validation(client: TestClient, origin: date) -> None:
    last_ok = origin + timedelta(days=MAX_OUTLOOK_DAYS - 1)
    assert client.get("/v1/outlook", params={"until": last_ok.isoformat()}).status_code == 200
    for bad in (
        (last_ok + timedelta(days=1)).isoformat(),  # over the 366-day cap
        (origin - timedelta(days=1)).isoformat(),  # before the first day
        "2023-02-30",
        "soon",
    ):
        r = client.get("/v1/outlook", params={"until": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["detail"][0]["loc"] == ["query", "until"]
    r = client.get("/v1/outlook")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "until"]
    r = client.get("/v1/outlook", params={"until": last_ok.isoformat(), "thresholds": "-1"})
    assert r.status_code == 422


def test_openapi_has_the_outlook_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/outlook"]["get"]
    assert {"200", "422", "503"} <= set(op["responses"])
    params = {p["name"]: p for p in op["parameters"]}
    assert params["until"]["required"] and params["until"]["schema"]["examples"]
    schema = spec["components"]["schemas"]["OutlookResponse"]
    assert schema["examples"][0]["total"]["bands"]["80"]
    OutlookResponse.model_validate(schema["examples"][0])
