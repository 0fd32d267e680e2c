"""Abuse limits on POST scenarios (issue 12): a per-client rate limit (429 + Retry-After), an
archive retention policy (scenarios kept N days, default forecasts forever) and duplicate
scenarios stored once, by content hash."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from api.archive.retention import Retention
from api.archive.store import (
    ArchiveRecord,
    ForecastArchive,
    days_table,
    forecasts_table,
    quantiles_table,
)
from api.middleware.ratelimit import ScenarioLimiter, parse_limit
from api.settings import ApiSettings
from tests.api.conftest import FakeRegistry, build_app, make_champion, wait_for
from tests.api.test_forecast import STORMY, WEATHER_DAY

OTHER_CLIENT = ("203.0.113.7", 40000)


def _scenario(origin: date, weather: dict[str, Any] = WEATHER_DAY) -> dict[str, Any]:
    """A small scenario POST body (2 days, one of them given)."""
    return {
        "target": "people",
        "horizon": 2,
        "weather": [{"date": origin.isoformat(), **weather}],
    }


def _app(settings: ApiSettings, registry: Any, **changes: Any) -> FastAPI:
    return build_app(settings.model_copy(update=changes), registry)


# --------------------------------------------------------------------------- rate limit


def test_over_the_limit_gets_429_with_retry_after(
    settings: ApiSettings, registry: FakeRegistry, origin: date
) -> None:
    with TestClient(_app(settings, registry, scenario_rate_limit="3/minute")) as c:
        codes = [c.post("/v1/forecast", json=_scenario(origin)).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = c.post("/v1/forecast", json=_scenario(origin))
        assert r.status_code == 429, r.text
        retry = int(r.headers["Retry-After"])  # whole seconds
        assert 1 <= retry <= 60
        detail = r.json()["detail"]
        assert isinstance(detail, str) and "too many scenario requests" in detail
        assert "3/minute" in detail and "testclient" not in detail
        # Invalid bodies count too, and are refused before they are read.
        assert c.post("/v1/forecast", json={"weather": "nonsense"}).status_code == 429
        # GET routes are not limited.
        assert c.get("/v1/forecast", params={"horizon": 2}).status_code == 200
        # Another client has a window of its own.
        other = TestClient(c.app, client=OTHER_CLIENT)
        assert other.post("/v1/forecast", json=_scenario(origin)).status_code == 200
        assert c.post("/v1/forecast", json=_scenario(origin)).status_code == 429
        metrics = c.get("/metrics").text
        assert 'route="/v1/forecast",status="429"' in metrics


def test_gets_do_not_count(settings: ApiSettings, registry: FakeRegistry, origin: date) -> None:
    with TestClient(_app(settings, registry, scenario_rate_limit="1/minute")) as c:
        for _ in range(3):
            assert c.get("/v1/forecast", params={"horizon": 2}).status_code == 200
        assert c.post("/v1/forecast", json=_scenario(origin)).status_code == 200
        assert c.post("/v1/forecast", json=_scenario(origin)).status_code == 429


def test_limit_can_be_disabled(settings: ApiSettings, registry: FakeRegistry) -> None:
    with TestClient(_app(settings, registry, scenario_rate_limit="")) as c:
        codes = {c.post("/v1/forecast", json={"weather": "bad"}).status_code for _ in range(30)}
        assert codes == {422}


def test_limit_setting_is_checked() -> None:
    with pytest.raises(ValidationError, match="CROSSINGS_SCENARIO_RATE_LIMIT"):
        ApiSettings(scenario_rate_limit="sixty a minute")
    with pytest.raises(ValidationError, match="moving window"):
        ApiSettings(scenario_rate_limit_storage="memcached://127.0.0.1:11211")
    s = ApiSettings(scenario_rate_limit=" 5/second;100/day ")
    assert [str(x) for x in parse_limit(s.scenario_rate_limit)] == [
        "5 per 1 second",
        "100 per 1 day",
    ]


def test_limiter_window_moves() -> None:
    limiter = ScenarioLimiter(parse_limit("2/second"))
    assert limiter.hit("a") is None and limiter.hit("a") is None
    wait = limiter.hit("a")
    assert wait is not None and 0 < wait <= 1.0
    assert limiter.hit("b") is None  # another client
    import time

    time.sleep(wait + 0.05)
    assert limiter.hit("a") is None  # the oldest request left the window


def test_429_is_in_the_openapi_of_post_only(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    post = paths["/v1/forecast"]["post"]["responses"]
    assert "429" in post and "Retry-After" in post["429"]["headers"]
    for path, ops in paths.items():
        if "get" in ops:
            assert "429" not in ops["get"]["responses"], path


# --------------------------------------------------------------------------- dedupe


def _rows(archive: ForecastArchive, kind: str) -> tuple[int, int, int]:
    """(forecasts, day rows, quantile rows) of `kind` in the archive."""
    f, d, q = forecasts_table, days_table, quantiles_table
    ids = select(f.c.forecast_id).where(f.c.kind == kind)
    with archive.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(f).where(f.c.kind == kind)).scalar()
        nd = conn.execute(
            select(func.count()).select_from(d).where(d.c.forecast_id.in_(ids))
        ).scalar()
        nq = conn.execute(
            select(func.count()).select_from(q).where(q.c.forecast_id.in_(ids))
        ).scalar()
    return int(n or 0), int(nd or 0), int(nq or 0)


def _post_and_count(c: TestClient, body: dict[str, Any], times: int) -> tuple[int, int, int]:
    answers = [c.post("/v1/forecast", json=body) for _ in range(times)]
    assert all(r.status_code == 200 for r in answers), answers[-1].text
    bodies = [{k: v for k, v in r.json().items() if k != "issued_at"} for r in answers]
    assert all(b == bodies[0] for b in bodies)  # the same forecast each time
    # issued once: every answer carries the first issue time
    assert len({r.json()["issued_at"] for r in answers}) == 1
    archive = c.app.state.service.archive  # type: ignore[attr-defined]
    archive.flush()
    return _rows(archive, "scenario")


def _dedupe(settings: ApiSettings, registry: FakeRegistry, origin: date) -> None:
    with TestClient(build_app(settings, registry)) as c:
        assert _post_and_count(c, _scenario(origin), 5) == (1, 2, 2)
        assert _post_and_count(c, _scenario(origin, STORMY), 2) == (2, 4, 4)
        # levels change the rendering, not the forecast: still stored once
        assert _post_and_count(c, {**_scenario(origin), "levels": [50]}, 1) == (2, 4, 4)
        issued = c.get("/v1/forecasts/issued", params={"date": origin.isoformat(), "kind": "all"})
        kinds = sorted(f["kind"] for f in issued.json()["forecasts"])
        assert kinds == ["default", "scenario", "scenario"]  # and their baseline, once
    # A restart computes the same key: still one row for the same scenario.
    with TestClient(build_app(settings, registry)) as c:
        assert _post_and_count(c, _scenario(origin), 1) == (2, 4, 4)


def test_same_scenario_is_archived_once(
    settings: ApiSettings, registry: FakeRegistry, origin: date
) -> None:
    _dedupe(settings, registry, origin)


def test_another_model_version_is_another_row(
    settings: ApiSettings, registry: FakeRegistry, origin: date, fitted: Any
) -> None:
    with TestClient(build_app(settings, registry)) as c:
        assert _post_and_count(c, _scenario(origin), 2)[0] == 1
    registry.add(make_champion(fitted["people"], "2"))
    with TestClient(build_app(settings, registry)) as c:
        assert _post_and_count(c, _scenario(origin), 2)[0] == 2


def _two_workers(settings: ApiSettings, registry: FakeRegistry, outboxes: list[Path]) -> None:
    """Two workers (two apps, with the outboxes given, one archive database) asked the same
    question give the same forecast, issued at the same time, and the archive holds it once."""
    bodies, issued = [], []
    for outbox in outboxes:
        s = settings.model_copy(update={"archive_outbox": str(outbox)})
        with TestClient(build_app(s, registry)) as c:
            r = c.get("/v1/forecast", params={"target": "people"})
            assert r.status_code == 200, r.text
            bodies.append({k: v for k, v in r.json().items() if k != "issued_at"})
            issued.append(r.json()["issued_at"])
            c.app.state.service.archive.flush()  # type: ignore[attr-defined]
            rows = _rows(c.app.state.service.archive, "default")  # type: ignore[attr-defined]
    assert bodies[0] == bodies[1]
    assert issued[0] == issued[1]  # the second worker answers with the first issue time
    assert rows[0] == 1


def test_two_workers_archive_one_default_forecast(
    settings: ApiSettings, registry: FakeRegistry, tmp_path: Path
) -> None:
    """Workers of one host share the outbox file (and its issue times)."""
    _two_workers(settings, registry, [tmp_path / "outbox.db"] * 2)


@pytest.mark.postgres
def test_postgres_replicas_archive_one_default_forecast(
    pg_url: str,
    settings: ApiSettings,
    registry: FakeRegistry,
    tmp_path: Path,
) -> None:
    """Replicas on two hosts (an outbox each) share the PostgreSQL archive."""
    s = settings.model_copy(update={"archive_url": pg_url})
    _two_workers(s, registry, [tmp_path / "outbox-a.db", tmp_path / "outbox-b.db"])


# --------------------------------------------------------------------------- retention


def _record(kind: str, age_days: float, day: date = date(2026, 5, 15)) -> ArchiveRecord:
    fid = uuid.uuid4().hex
    row = {
        "forecast_id": fid,
        "issued_at": datetime.now(UTC) - timedelta(days=age_days),
        "target": "people",
        "kind": kind,
        "start": day,
        "horizon": 2,
        "n_samples": 10,
        "model_name": "hurdle",
        "model_version": "1",
        "registered_model": "channel-crossings-people",
        "model_trained_at": None,
        "data_as_of": day - timedelta(days=1),
        "inputs": {"age": age_days},
        "response": {"days": []},
    }
    days = [day, day + timedelta(days=1)]
    day_rows = [
        {
            "forecast_id": fid,
            "target": "people",
            "date": d,
            "lead_days": i + 1,
            "median": 4,
            "mean": 5.5,
            "p_any": 0.5,
            "bands": {"80": {"lo": 0, "hi": 9}},
            "weather_source": "request",
        }
        for i, d in enumerate(days)
    ]
    quantiles = [{"forecast_id": fid, "date": d, "quantiles": list(range(99))} for d in days]
    return ArchiveRecord(row, day_rows, quantiles)


def _fill(archive: ForecastArchive) -> None:
    """Old and new forecasts of both kinds: 3 old scenarios, 1 new; 2 old defaults, 1 new."""
    archive.create_schema()
    records = [_record("scenario", a) for a in (40, 31, 400, 2)]
    records += [_record("default", a) for a in (40, 400, 1)]
    archive.write(records)


def _retention(archive: ForecastArchive) -> None:
    _fill(archive)
    assert Retention(0).maybe_run(archive.engine) is None  # 0: keep forever
    assert Retention(None).maybe_run(archive.engine) is None
    assert _rows(archive, "scenario") == (4, 8, 8)
    policy = Retention(30, batch=2)  # small batches: the loop is exercised
    done = policy.run(archive.engine)
    assert done is not None and (done.forecasts, done.days, done.quantiles) == (3, 6, 6)
    assert policy.pruned == 3
    assert _rows(archive, "scenario") == (1, 2, 2)
    assert _rows(archive, "default") == (3, 6, 6)  # issued defaults are kept forever
    assert policy.maybe_run(archive.engine) is None  # not due again for an hour


def test_retention_prunes_old_scenarios_only(tmp_path: Path) -> None:
    archive = ForecastArchive(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        _retention(archive)
    finally:
        archive.close()


def test_retention_runs_at_start_and_shows_in_metrics(
    settings: ApiSettings, registry: FakeRegistry, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    seed = ForecastArchive(url)
    _fill(seed)
    seed.close()
    with TestClient(_app(settings, registry, archive_url=url)) as c:
        archive = c.app.state.service.archive  # type: ignore[attr-defined]
        assert wait_for(lambda: archive.pruned == 3)
        assert _rows(archive, "scenario") == (1, 2, 2)
        assert _rows(archive, "default") == (3, 6, 6)
        assert "crossings_archive_pruned_total 3.0" in c.get("/metrics").text
    with TestClient(_app(settings, registry, archive_url=url, archive_scenario_retention_days=0)):
        pass  # kept forever: nothing more to prune, and nothing fails


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_postgres_retention(pg_url: str) -> None:
    archive = ForecastArchive(pg_url)
    try:
        _retention(archive)
    finally:
        archive.close()


@pytest.mark.postgres
def test_postgres_same_scenario_is_archived_once(
    pg_url: str,
    settings: ApiSettings,
    registry: FakeRegistry,
    origin: date,
) -> None:
    _dedupe(settings.model_copy(update={"archive_url": pg_url}), registry, origin)
