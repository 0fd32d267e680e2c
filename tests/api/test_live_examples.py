"""The OpenAPI examples stay usable: their dates are the served data's (a request copied from
the document is answered 200, not 422, whatever day the data ends), and the forecast examples
are distributions that agree with themselves (median, P(any), bands, P(≥ k), risk)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.schemas import ForecastResponse, ScenarioResponse, examples
from api.schemas.live import shift_examples
from api.settings import ApiSettings
from tests.api.conftest import FakeRegistry, build_app

EPS = 0.03  # sample quantiles and rounded probabilities agree to about this much


def _param_example(doc: dict[str, Any], path: str, name: str) -> Any:
    op = doc["paths"][path]["get"]
    return next(p for p in op["parameters"] if p["name"] == name)["schema"]["examples"][0]


@pytest.mark.parametrize("days_late", [0, 30])  # data fresh; data too old (a hindcast)
def test_examples_are_days_the_served_data_accepts(
    settings: ApiSettings, registry: FakeRegistry, origin: date, days_late: int
) -> None:
    later = settings.model_copy(update={"today": origin + timedelta(days=days_late)})
    with TestClient(build_app(later, registry)) as c:
        doc = c.get("/openapi.json").json()
        issue = c.get("/v1/forecast", params={"horizon": 1}).json()["issue_date"]
        start = _param_example(doc, "/v1/forecast", "start")
        assert start == issue
        as_of = _param_example(doc, "/v1/forecast", "as_of")
        for query in ({"start": start}, {"as_of": as_of}, {"start": start, "as_of": as_of}):
            r = c.get("/v1/forecast", params=query)
            assert r.status_code == 200, (query, r.text)
        r = c.get("/v1/outlook", params={"until": _param_example(doc, "/v1/outlook", "until")})
        assert r.status_code == 200, r.text
        scenario = doc["components"]["schemas"]["ScenarioRequest"]["examples"][0]
        r = c.post("/v1/forecast", json=scenario)
        assert r.status_code == 200, r.text
        forecast = doc["components"]["schemas"]["ForecastResponse"]["examples"][0]
        assert forecast["start"] == forecast["issue_date"] == forecast["days"][0]["date"] == start
        csv_example = doc["paths"]["/v1/forecast"]["get"]["responses"]["200"]["content"]
        assert f"\r\n{start}," in csv_example["text/csv"]["example"]
        assert examples.EXAMPLE_START not in json.dumps(doc)  # the written date is gone


def test_shifting_moves_days_and_keeps_year_ends() -> None:
    doc = {
        "description": "since 2026-05-15",
        "examples": [{"from": "2026-05-15", "jan": "2026-01-01", "at": "2026-05-15T07:12:03Z"}],
        "nested": {"example": {"year": 2026, "days": ["2026-12-31", "2026-05-14"]}},
    }
    moved = shift_examples(doc, -10, -3)
    assert moved["description"] == "since 2026-05-15"  # only examples move
    assert moved["examples"] == [
        {"from": "2026-05-05", "jan": "2023-01-01", "at": "2026-05-05T07:12:03Z"}
    ]
    assert moved["nested"]["example"] == {"year": 2023, "days": ["2023-12-31", "2026-05-04"]}


def inconsistencies(day: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """How a forecast day's numbers contradict each other as one distribution of counts."""
    p, median, out = day["p_any"], day["median"], []
    if (median == 0) != (p <= 0.5):
        out.append(f"median {median} with P(any) {p}")
    widths = sorted(day["bands"].items(), key=lambda kv: float(kv[0]))
    for name, band in widths:
        tail = (1 - float(name) / 100) / 2
        if (band["lo"] == 0) != (p <= 1 - tail):
            out.append(f"{name}% band from {band['lo']} with P(any) {p}")
        if not band["lo"] <= median <= band["hi"]:
            out.append(f"median {median} outside the {name}% band")
        for k, pk in day["p_at_least"].items():
            if (band["hi"] >= int(k)) != (pk >= tail - EPS) and abs(pk - tail) > EPS:
                out.append(f"{name}% band to {band['hi']} with P(≥{k}) {pk}")
    for (_, inner), (_, outer) in pairwise(widths):
        if not (outer["lo"] <= inner["lo"] and inner["hi"] <= outer["hi"]):
            out.append("bands not nested")
    for k, pk in day["p_at_least"].items():
        if pk > p or ((median >= int(k)) != (pk >= 0.5) and abs(pk - 0.5) > EPS):
            out.append(f"P(≥{k}) {pk} with median {median}, P(any) {p}")
        if day["mean"] < int(k) * pk:
            out.append(f"mean {day['mean']} below {k} × P(≥{k})")
    red, green = thresholds["red_above"], thresholds["green_below"]
    if day["risk"] != ("red" if p > red else "green" if p < green else "amber"):
        out.append(f"risk {day['risk']} with P(any) {p}")
    typical = day.get("if_crossing")
    if typical and not 0 < typical["lo"] <= typical["median"] <= typical["hi"]:
        out.append("count if crossing out of order")
    return out


def test_the_forecast_examples_agree_with_themselves() -> None:
    for example, schema in (
        (examples.FORECAST, ForecastResponse),
        (examples.SCENARIO_RESPONSE, ScenarioResponse),
    ):
        schema.model_validate(example)
        day = example["days"][0]
        assert inconsistencies(day, example["risk_thresholds"]) == []
        week = example["week_total"]  # one day: its total is the day
        assert (week["median"], week["mean"], week["bands"]) == (
            day["median"],
            day["mean"],
            day["bands"],
        )
    base = examples.SCENARIO_RESPONSE["days"][0]["baseline"]
    assert {k: base[k] for k in ("p_any", "median", "mean")} == {
        k: examples.FORECAST["days"][0][k] for k in ("p_any", "median", "mean")
    }


def test_the_checker_sees_a_contradiction() -> None:
    day = dict(examples.FORECAST["days"][0])
    assert inconsistencies({**day, "median": 0}, examples.FORECAST["risk_thresholds"])
    bad_band = {**day["bands"], "50": {"lo": 0, "hi": 90}}
    assert inconsistencies({**day, "bands": bad_band}, examples.FORECAST["risk_thresholds"])
    assert inconsistencies({**day, "risk": "amber"}, examples.FORECAST["risk_thresholds"])
