"""Issue 21: a POST /v1/forecast scenario is a comparison with its baseline.

The scenario is issued with the default forecast's spec (sample paths, seed, draw) for the
same request, and its answer carries, per day and for the total, `baseline` (the default
forecast exactly as GET /v1/forecast serves it) and `difference` (scenario minus baseline).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.schemas import ScenarioResponse
from api.service import Ask
from api.settings import ApiSettings
from tests.api.conftest import FakeRegistry, build_app

CALM = {
    "wind_mean_ms": 1.5,
    "wind_max_hourly_ms": 3.0,
    "gust_max_ms": 5.0,
    "wind_dir_deg": 200,
    "precip_mm": 0,
    "temp_mean_c": 14,
    "pressure_hpa": 1020,
}
DAY_NUMBERS = ("p_any", "median", "mean", "bands")  # what `baseline` repeats of a day
TOTAL_NUMBERS = ("median", "mean", "bands")


def _asks(origin: date) -> dict[str, dict[str, Any]]:
    """Requests (without weather) to pair: today's default, and a hindcast of boats with a
    later start, a shorter horizon and other levels."""
    as_of = origin - timedelta(days=40)
    return {
        "today": {"target": "people", "horizon": 7, "levels": [80, 95]},
        "hindcast": {
            "target": "boats",
            "as_of": as_of.isoformat(),
            "start": (as_of + timedelta(days=1)).isoformat(),
            "horizon": 4,
            "levels": [50, 90],
        },
    }


def _first_day(ask: dict[str, Any], origin: date) -> date:
    """The first asked day of `ask`."""
    if "start" in ask:
        return date.fromisoformat(ask["start"])
    return date.fromisoformat(ask["as_of"]) if "as_of" in ask else origin


def _get(client: TestClient, ask: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/forecast for the same question as the POST `ask`."""
    params = {k: v for k, v in ask.items() if k != "levels"}
    params["levels"] = ",".join(f"{lv:g}" for lv in ask["levels"])
    r = client.get("/v1/forecast", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _post(client: TestClient, ask: dict[str, Any], **body: Any) -> dict[str, Any]:
    r = client.post("/v1/forecast", json={**ask, **body})
    assert r.status_code == 200, r.text
    out = r.json()
    ScenarioResponse.model_validate(out)
    return out


def _calm_on(day: date) -> dict[str, Any]:
    return {"date": day.isoformat(), **CALM}


@pytest.mark.parametrize("get_first", [False, True], ids=["post-first", "get-first"])
@pytest.mark.parametrize("which", ["today", "hindcast"])
def test_baseline_is_the_get_forecast(
    client: TestClient, origin: date, which: str, get_first: bool
) -> None:
    """(a) Each day's and the total's `baseline` is what GET /v1/forecast serves for the same
    request, whether that forecast was cached before the POST or computed by it."""
    ask = _asks(origin)[which]
    scenario_day = _first_day(ask, origin) + timedelta(days=1)
    if get_first:
        got = _get(client, ask)
        body = _post(client, ask, weather=[_calm_on(scenario_day)])
    else:
        body = _post(client, ask, weather=[_calm_on(scenario_day)])
        got = _get(client, ask)
    assert len(body["days"]) == len(got["days"]) == ask["horizon"]
    for s, g in zip(body["days"], got["days"], strict=True):
        assert s["date"] == g["date"]
        assert s["baseline"] == {k: g[k] for k in DAY_NUMBERS}, s["date"]
        assert list(s["bands"]) == list(s["baseline"]["bands"])  # the same band names
    assert body["week_total"]["baseline"] == {k: got["week_total"][k] for k in TOTAL_NUMBERS}
    # everything GET serves about the question itself is the same on the POST
    for key in ("target", "start", "horizon", "issue_date", "hindcast", "data_as_of", "model"):
        assert body[key] == got[key], key


def test_existing_fields_are_kept(client: TestClient, origin: date) -> None:
    """Only `baseline` and `difference` are added: a day and the total have every field of
    GET's, and the top level the same fields."""
    ask = _asks(origin)["today"]
    body = _post(client, ask, weather=[_calm_on(origin + timedelta(days=2))])
    got = _get(client, ask)
    assert set(body) == set(got)
    for s, g in zip(body["days"], got["days"], strict=True):
        assert set(s) == set(g) | {"baseline", "difference"}
    assert set(body["week_total"]) == set(got["week_total"]) | {"baseline", "difference"}


@pytest.mark.parametrize("uncertainty", ["forecast", "none"])
def test_difference_is_scenario_minus_baseline(
    client: TestClient, origin: date, uncertainty: str
) -> None:
    """(b) `difference` is the scenario's number minus the baseline's, per day and for the
    total."""
    ask = _asks(origin)["today"]
    weather = [_calm_on(origin + timedelta(days=i)) for i in (1, 3)]
    body = _post(client, ask, weather=weather, weather_uncertainty=uncertainty)
    for day in body["days"]:
        base, diff = day["baseline"], day["difference"]
        assert set(diff) == {"p_any", "median", "mean"}
        assert diff["median"] == day["median"] - base["median"]
        assert diff["p_any"] == pytest.approx(day["p_any"] - base["p_any"], abs=1e-9)
        assert diff["mean"] == pytest.approx(day["mean"] - base["mean"], abs=1e-9)
    total = body["week_total"]
    assert set(total["difference"]) == {"median", "mean"}
    assert total["difference"]["median"] == total["median"] - total["baseline"]["median"]
    assert total["difference"]["mean"] == pytest.approx(
        total["mean"] - total["baseline"]["mean"], abs=1e-9
    )
    # the calm days moved P(any): the comparison says something
    assert any(day["difference"]["p_any"] != 0 for day in body["days"])


def test_scenario_uses_the_default_forecasts_spec(
    client: TestClient, origin: date, settings: ApiSettings
) -> None:
    """The scenario and its baseline are issued with the same spec: the same issue date,
    days, sample paths (CROSSINGS_N_SAMPLES), seed and weather draw."""
    service = client.app.state.service  # type: ignore[attr-defined]
    champ = service.champion("people")
    ask = Ask(origin + timedelta(days=1), 5)
    weather = [{"date": origin + timedelta(days=2), **CALM}]  # the service takes dates
    scenario, baseline = service.paired_scenario(champ, ask, weather)
    assert scenario.issued.spec == baseline.issued.spec
    assert scenario.n_samples == baseline.n_samples == settings.n_samples
    assert baseline is service.default_forecast(champ, ask)  # the cached default forecast
    alone = service.scenario_forecast(champ, ask, weather)
    assert alone.issued.spec == baseline.issued.spec


@pytest.mark.parametrize("uncertainty", ["forecast", "none"])
@pytest.mark.parametrize("k", [2, 5])
def test_days_before_the_scenario_equal_the_baseline(
    client: TestClient, origin: date, k: int, uncertainty: str
) -> None:
    """(c) Weather given on day k only: days 1..k−1 are the baseline's, bit for bit (the
    same paths and streams; the scenario cannot reach back), and day k differs."""
    ask = _asks(origin)["today"]
    body = _post(
        client,
        ask,
        weather=[_calm_on(origin + timedelta(days=k - 1))],
        weather_uncertainty=uncertainty,
    )
    got = _get(client, ask)
    sample_numbers = ("median", "mean", "p_any", "risk", "bands", "if_crossing", "p_at_least")
    for i in range(k - 1):
        day, same = body["days"][i], got["days"][i]
        assert {n: day[n] for n in sample_numbers} == {n: same[n] for n in sample_numbers}, (
            f"day {i + 1} of a scenario on day {k}"
        )
        assert day["difference"] == {"p_any": 0, "median": 0, "mean": 0}
    assert body["days"][k - 1]["weather_source"] == "request"
    assert body["days"][k - 1]["difference"] != {"p_any": 0, "median": 0, "mean": 0}


def test_scenario_samples_is_ignored_with_a_warning(
    settings: ApiSettings,
    registry: FakeRegistry,
    origin: date,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """CROSSINGS_SCENARIO_SAMPLES is still accepted, but ignored (a scenario must use the
    default forecast's paths to be compared with it), and the start-up says so."""
    ask = _asks(origin)["today"]
    weather = [_calm_on(origin + timedelta(days=2))]
    with TestClient(build_app(settings, registry)) as c:
        plain = _post(c, ask, weather=weather)
    old = settings.model_copy(update={"scenario_samples": 60})
    with (
        caplog.at_level(logging.WARNING, logger="api.main"),
        TestClient(build_app(old, registry)) as c,
    ):
        again = _post(c, ask, weather=weather)
    assert again["days"] == plain["days"]
    warned = [r.getMessage() for r in caplog.records if "SCENARIO_SAMPLES" in r.getMessage()]
    assert len(warned) == 1 and "ignored" in warned[0] and "CROSSINGS_N_SAMPLES" in warned[0]


def test_scenario_samples_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable is read as before; a value that is no number is still refused naming it."""
    monkeypatch.setenv("CROSSINGS_SCENARIO_SAMPLES", "500")
    [warning] = ApiSettings().ignored()
    assert warning.startswith("CROSSINGS_SCENARIO_SAMPLES (500) is deprecated and ignored")
    monkeypatch.setenv("CROSSINGS_SCENARIO_SAMPLES", "many")
    with pytest.raises(ValueError, match="scenario_samples"):
        ApiSettings()
    monkeypatch.delenv("CROSSINGS_SCENARIO_SAMPLES")
    assert ApiSettings().ignored() == []


def test_the_openapi_schema_documents_the_pair(client: TestClient) -> None:
    """The POST's 200 is a ScenarioResponse whose example holds a baseline and a difference."""
    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/v1/forecast"]["post"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/ScenarioResponse")
    [example] = spec["components"]["schemas"]["ScenarioResponse"]["examples"]
    ScenarioResponse.model_validate(example)
    assert {"baseline", "difference"} <= set(example["days"][0])
    assert {"baseline", "difference"} <= set(example["week_total"])
    for name in ("ScenarioDay", "ScenarioWeekTotal"):
        assert {"baseline", "difference"} <= set(spec["components"]["schemas"][name]["required"])
