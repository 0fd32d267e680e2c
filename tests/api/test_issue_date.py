"""The issue date T of a served forecast (today, a hindcast, `as_of`), the asked days around it,
the weather modes from T on, and numbers that do not depend on the horizon asked."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forecasting.contract import MAX_BRIDGE_DAYS
from tests.api.conftest import build_app

PAST = 30  # days before the models' origin: a hindcast whose days have stored weather


def _client(settings: Any, registry: Any, **changes: Any) -> TestClient:
    return TestClient(build_app(settings.model_copy(update=changes), registry))


def _get(c: TestClient, **params: Any) -> dict[str, Any]:
    r = c.get("/v1/forecast", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize(
    ("days_after", "issue_offset", "hindcast", "bridged"),
    [
        (0, 0, False, 0),  # data to yesterday
        (5, 5, False, 5),  # five days bridged
        (MAX_BRIDGE_DAYS, MAX_BRIDGE_DAYS, False, MAX_BRIDGE_DAYS),  # the longest bridge
        (MAX_BRIDGE_DAYS + 1, 0, True, 0),  # older data: a hindcast the day after it
        (200, 0, True, 0),
    ],
)
def test_default_issue_date(
    settings: Any,
    registry: Any,
    origin: date,
    days_after: int,
    issue_offset: int,
    hindcast: bool,
    bridged: int,
) -> None:
    today = origin + timedelta(days=days_after)
    with _client(settings, registry, today=today) as c:
        body = _get(c)
    issue = origin + timedelta(days=issue_offset)
    assert body["issue_date"] == body["start"] == issue.isoformat()
    assert body["hindcast"] is hindcast and body["bridged_days"] == bridged
    assert body["data_as_of"] == (origin - timedelta(days=1)).isoformat()


def test_as_of(settings: Any, registry: Any, origin: date, synthetic: Any) -> None:
    with _client(settings, registry, today=origin + timedelta(days=5)) as c:
        fresh = _get(c, as_of=(origin + timedelta(days=5)).isoformat())
        assert fresh["hindcast"] is False and fresh["bridged_days"] == 5
    today = origin + timedelta(days=30)
    with _client(settings, registry, today=today) as c:
        past = origin - timedelta(days=PAST)
        body = _get(c, as_of=past.isoformat())
        assert body["hindcast"] is True and body["issue_date"] == past.isoformat()
        assert body["data_as_of"] == (past - timedelta(days=1)).isoformat()
        first = synthetic[0]["date"].iloc[0].date()
        for bad, text in (
            (today + timedelta(days=1), "after today"),
            (first, "no arrivals before"),
            (origin + timedelta(days=MAX_BRIDGE_DAYS + 1), "can be bridged"),
        ):
            r = c.get("/v1/forecast", params={"as_of": bad.isoformat()})
            assert r.status_code == 422, r.text
            err = r.json()["detail"][0]
            assert err["loc"] == ["query", "as_of"] and text in err["msg"]
        day = {"date": today.isoformat(), "wind_mean_ms": 1.0}
        r = c.post("/v1/forecast", json={"as_of": "2099-01-01", "weather": [day]})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "as_of"]


@pytest.mark.parametrize(
    ("offset", "horizon", "text"),
    [(-1, 7, "before the issue date"), (8, 7, "at most 14 days"), (0, 14, None), (7, 7, None)],
)
def test_asked_days_around_the_issue_date(
    settings: Any, registry: Any, origin: date, offset: int, horizon: int, text: str | None
) -> None:
    as_of = origin - timedelta(days=PAST)
    start = as_of + timedelta(days=offset)
    with _client(settings, registry) as c:
        params = {"as_of": as_of.isoformat(), "start": start.isoformat(), "horizon": horizon}
        r = c.get("/v1/forecast", params=params)
    if text is None:
        assert r.status_code == 200 and r.json()["start"] == start.isoformat()
        return
    assert r.status_code == 422
    err = r.json()["detail"][0]
    assert err["loc"] == ["query", "start"] and text in err["msg"]


def test_weather_modes(settings: Any, registry: Any, origin: date, synthetic: Any) -> None:
    as_of = origin - timedelta(days=PAST)
    observed = synthetic[1].set_index("date")
    with _client(settings, registry) as c:
        bodies = {
            mode: _get(c, as_of=as_of.isoformat(), weather_mode=mode)
            for mode in ("forecast", "observed", "climatology")
        }
        for mode, body in bodies.items():
            assert body["weather_mode"] == mode
        sources = {m: {d["weather_source"] for d in b["days"]} for m, b in bodies.items()}
        assert sources == {
            "forecast": {"simulated"},
            "observed": {"hindsight"},
            "climatology": {"climatology"},
        }
        # hindsight is the weather that happened, exactly; the forecast is not
        hind = bodies["observed"]["days"]
        want = [observed.loc[d["date"], "wind_mean_ms"] for d in hind]
        assert [d["weather"]["wind_mean_ms"] for d in hind] == pytest.approx(want, abs=0.01)
        sim = [d["weather"]["wind_mean_ms"] for d in bodies["forecast"]["days"]]
        assert sim != pytest.approx(want, abs=0.2)
        # issued today there is no stored weather from T on: hindsight is refused, by name
        r = c.get("/v1/forecast", params={"weather_mode": "observed"})
        assert r.status_code == 422
        err = r.json()["detail"][0]
        assert err["loc"] == ["query", "weather_mode"] and "observed weather" in err["msg"]
        bad = c.get("/v1/forecast", params={"weather_mode": "issued"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == [
            "query",
            "weather_mode",
        ]


def _by_date(body: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        d["date"]: (d["median"], d["mean"], d["p_any"], d["bands"], d["weather"])
        for d in body["days"]
    }


@pytest.mark.parametrize("past", [0, PAST])
def test_a_days_numbers_do_not_depend_on_the_horizon(
    settings: Any, registry: Any, origin: date, past: int
) -> None:
    """The same issue date gives each day the same numbers, whatever window is asked (the
    seed is the backtest's, not one per window); climatology (today) or simulated (past)."""
    as_of = (origin - timedelta(days=past)).isoformat()
    with _client(settings, registry) as c:
        week = _by_date(_get(c, as_of=as_of, horizon=7))
        three = _by_date(_get(c, as_of=as_of, horizon=3))
        later = (date.fromisoformat(as_of) + timedelta(days=2)).isoformat()
        middle = _by_date(_get(c, as_of=as_of, start=later, horizon=3))
        assert c.app.state.service.computed == 3  # type: ignore[attr-defined]
    assert three == {k: week[k] for k in three}
    assert middle == {k: week[k] for k in middle}
    assert len(set(three) | set(middle)) == 5


def test_the_cache_is_keyed_by_issue_date_and_mode(
    settings: Any, registry: Any, origin: date
) -> None:
    as_of = (origin - timedelta(days=PAST)).isoformat()
    with _client(settings, registry) as c:
        svc = c.app.state.service  # type: ignore[attr-defined]
        a = _get(c, as_of=as_of)
        assert _get(c, as_of=as_of, levels="80")["issued_at"] == a["issued_at"]
        assert svc.computed == 1
        _get(c, as_of=as_of, weather_mode="climatology")
        _get(c)
        assert svc.computed == 3
        _get(c, as_of=origin.isoformat())  # today, asked for explicitly: the same forecast
        assert svc.computed == 3


def test_scenarios_are_seeded(client: TestClient, origin: date) -> None:
    day = {
        "date": (origin + timedelta(days=1)).isoformat(),
        "wind_mean_ms": 2.0,
        "wind_max_hourly_ms": 3.0,
        "gust_max_ms": 5.0,
        "wind_dir_deg": 200,
        "precip_mm": 0,
    }
    bodies = [client.post("/v1/forecast", json={"weather": [day]}).json() for _ in range(2)]
    assert bodies[0]["days"] == bodies[1]["days"]
    assert bodies[0]["issue_date"] == origin.isoformat()
    assert [d["weather_source"] for d in bodies[0]["days"]][:2] == ["climatology", "request"]
