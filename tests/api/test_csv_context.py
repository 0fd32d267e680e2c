"""The CSV answers read on their own: every row carries what the numbers rest on (target,
issue date, hindcast, model version, data end), counts are whole numbers, the forecast's last
row is the total the JSON reports, and the outlook and exceedance routes answer CSV too."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.export import CONTEXT
from api.settings import ApiSettings
from tests.api.conftest import FakeRegistry, build_app

COUNT = re.compile(r"^\d+$")
ONE_DECIMAL = re.compile(r"^\d+(\.\d)?$")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _context(body: dict[str, Any]) -> dict[str, str]:
    """What each row's context columns must say for the JSON answer `body`."""
    return {
        "target": body["target"],
        "issue_date": body["issue_date"],
        "hindcast": "true" if body["hindcast"] else "false",
        "model_version": body["model"]["version"],
        "data_as_of": body["data_as_of"],
    }


@pytest.mark.parametrize("target,hindcast", [("people", False), ("boats", True)])
def test_forecast_csv_rows_carry_the_context_and_end_with_the_total(
    client: TestClient, origin: date, target: str, hindcast: bool
) -> None:
    query: dict[str, Any] = {"target": target, "horizon": 5}
    if hindcast:
        query["as_of"] = (origin - timedelta(days=40)).isoformat()
    body = client.get("/v1/forecast", params=query).json()
    assert body["hindcast"] is hindcast
    r = client.get("/v1/forecast", params={**query, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    *days, total = _rows(r.text)
    assert len(days) == 5 and [d["date"] for d in days] == [d["date"] for d in body["days"]]
    want = _context(body)
    for row in [*days, total]:
        assert {k: row[k] for k in CONTEXT} == want
    counts = ["median"] + [f"{e}-{lv}" for lv in (50, 80, 95) for e in ("lo", "hi")]
    for row, day in zip(days, body["days"], strict=True):
        assert all(COUNT.match(row[c]) for c in counts), row
        assert ONE_DECIMAL.match(row["mean"]) and float(row["mean"]) == round(day["mean"], 1)
        typical = day["if_crossing"]
        got = (row["if_crossing_median"], row["if_crossing_lo80"], row["if_crossing_hi80"])
        assert got == ((str(typical["median"]), str(typical["lo"]), str(typical["hi"])))
    week = body["week_total"]
    assert total["date"] == "total" and int(total["median"]) == week["median"]
    assert float(total["mean"]) == round(week["mean"], 1) and ONE_DECIMAL.match(total["mean"])
    for lv, band in week["bands"].items():
        assert (int(total[f"lo-{lv}"]), int(total[f"hi-{lv}"])) == (band["lo"], band["hi"])
    assert total["p_any"] == total["risk"] == total["weather_source"] == ""


def test_pandas_reads_the_forecast_csv(client: TestClient) -> None:
    text = client.get("/v1/forecast", params={"format": "csv", "horizon": 3}).text
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame["date"])[-1] == "total" and len(frame) == 4
    assert frame["median"].dtype.kind == "i" and frame["hi-80"].dtype.kind == "i"
    assert frame["hindcast"].dtype == bool
    assert {"if_crossing_lo80", "if_crossing_hi80"} <= set(frame.columns)
    assert frame["mean"].dtype.kind == "f" and (frame["mean"] == frame["mean"].round(1)).all()


def test_exceedance_csv_carries_the_context(client: TestClient, origin: date) -> None:
    query = {"target": "people", "as_of": (origin - timedelta(days=30)).isoformat()}
    body = client.get("/v1/forecast/exceedance", params=query).json()
    rows = _rows(client.get("/v1/forecast/exceedance", params={**query, "format": "csv"}).text)
    assert len(rows) == body["horizon"]
    assert all({k: row[k] for k in CONTEXT} == _context(body) for row in rows)
    assert rows[0]["hindcast"] == "true"


@pytest.mark.parametrize(
    "ask,headers", [({"format": "csv"}, {}), ({}, {"Accept": "text/csv"})], ids=["query", "accept"]
)
def test_outlook_answers_csv_with_the_context(
    client: TestClient, origin: date, ask: dict[str, str], headers: dict[str, str]
) -> None:
    query = {"until": (origin + timedelta(days=60)).isoformat(), "thresholds": "100,1000"}
    body = client.get("/v1/outlook", params=query).json()
    assert body["hindcast"] is False and body["issue_date"] == origin.isoformat()
    r = client.get("/v1/outlook", params={**query, **ask}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="crossings-outlook-')
    rows = _rows(r.text)
    assert [row["row"] for row in rows] == [
        "total",
        "year_to_date",
        "year_end",
        "exceedance",
        "exceedance",
    ]
    assert all({k: row[k] for k in CONTEXT} == _context(body) for row in rows)
    total, ytd, year_end, *exceed = rows
    assert (total["from"], total["until"]) == (body["from"], body["until"])
    assert int(total["median"]) == body["total"]["median"]
    assert int(total["hi-80"]) == body["total"]["bands"]["80"]["hi"]
    assert int(ytd["actual"]) == body["year_to_date"]["actual"]
    assert int(year_end["median"]) == body["year_end"]["median"]
    got = [(int(x["at_least"]), float(x["probability"])) for x in exceed]
    assert got == [(x["at_least"], x["probability"]) for x in body["exceedance"]]


def test_an_outlook_from_old_data_is_a_hindcast(
    settings: ApiSettings, registry: FakeRegistry, origin: date
) -> None:
    later = settings.model_copy(update={"today": origin + timedelta(days=30)})
    with TestClient(build_app(later, registry)) as c:
        until = (origin + timedelta(days=60)).isoformat()
        body = c.get("/v1/outlook", params={"until": until}).json()
        assert body["hindcast"] is True and body["issue_date"] == origin.isoformat()
        forecast = c.get("/v1/forecast").json()
        assert (forecast["hindcast"], forecast["issue_date"]) == (True, body["issue_date"])
