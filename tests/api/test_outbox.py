"""Every issued forecast is archived exactly once, whatever fails: the durable outbox, its
idempotent replayer, serving with the archive database down, and (marked `postgres`) the
PostgreSQL archive taken away and restored while forecasts are issued.

The PostgreSQL tests use a throwaway database on 127.0.0.1:5432 (see `pg_url` in
test_archive.py); "taking it away" disallows connections to it and terminates the open ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.archive.outbox import Outbox, dumps, loads
from api.archive.store import ForecastArchive, days_table, forecasts_table
from tests.api.conftest import build_app
from tests.support.archive import make_record

DOWN_URL = "postgresql://nobody@127.0.0.1:9/none"  # nothing listens on port 9
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _count(archive: ForecastArchive) -> tuple[int, int]:
    with archive.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(forecasts_table)).scalar_one()
        ids = conn.execute(
            select(func.count(forecasts_table.c.forecast_id.distinct()))
        ).scalar_one()
    return int(n), int(ids)


def test_journal_roundtrips_dates_and_ignores_a_second_put(tmp_path: Path) -> None:
    rec = make_record(date(2026, 5, 15))
    payload = {"forecast": rec.forecast, "days": rec.days}
    assert loads(dumps(payload)) == payload
    box = Outbox(tmp_path / "o.db")
    box.put("a", payload)
    box.put("a", payload)
    assert box.depth == 1 and box.oldest(5)[0] == ("a", payload)
    box.close()
    again = Outbox(tmp_path / "o.db")
    again.open()
    assert again.depth == 1  # durable: still there for the next start
    again.remove(["a"])
    assert again.depth == 0


def test_kept_while_the_database_is_down_then_replayed_exactly_once(tmp_path: Path) -> None:
    outbox = str(tmp_path / "outbox.db")
    down = ForecastArchive(DOWN_URL, outbox=outbox, max_backoff=0.2)
    down.start()  # does not raise
    records = [make_record(date(2026, 5, 15), str(v)) for v in range(5)]
    for r in records:
        down.submit(r)
    down.flush(timeout=5)
    assert down.degraded and down.pending == 5 and down.written == 0
    down.close(timeout=1)  # the next start finds them

    up = ForecastArchive(f"sqlite:///{tmp_path / 'a.db'}", outbox=outbox)
    up.create_schema()
    up.write(records[:2])  # two were written before a crash that kept them journalled
    up.start()
    try:
        up.flush(timeout=10)
        assert up.pending == 0 and not up.degraded
        assert _count(up) == (5, 5)
        with up.engine.connect() as conn:
            days = conn.execute(select(func.count()).select_from(days_table)).scalar_one()
        assert days == 5
        up.write(records)  # a replay never duplicates
        assert _count(up) == (5, 5)
    finally:
        up.close()


def test_serves_with_the_archive_database_down(
    tmp_path: Path, settings: Any, registry: Any
) -> None:
    s = settings.model_copy(
        update={"archive_url": DOWN_URL, "archive_outbox": str(tmp_path / "outbox.db")}
    )
    with TestClient(build_app(s, registry)) as c:
        assert c.get("/v1/forecast").status_code == 200
        ready = c.get("/readyz")
        body = ready.json()
        assert ready.status_code == 200 and body["status"] == "degraded"
        assert body["archive"] == "degraded" and body["archive_outbox"] == 1
        metrics = c.get("/metrics").text
        assert "crossings_archive_outbox_depth 1.0" in metrics
        assert "crossings_archive_degraded 1.0" in metrics
        r = c.get("/v1/forecasts/issued", params={"date": "2023-06-21"})
        assert r.status_code == 503 and "127.0.0.1" not in r.text
    assert Outbox(tmp_path / "outbox.db").oldest(5)[0][1]["forecast"]["kind"] == "default"


# --------------------------------------------------------------------------- PostgreSQL


def _take_away(name: str, allow: bool) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')
        if not allow:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


@pytest.fixture
def pg_app_settings(
    pg_url: str,
    tmp_path: Path,
    settings: Any,
) -> Iterator[Any]:
    """Settings on a throwaway PostgreSQL archive, with connections given back at the end."""
    s = settings.model_copy(
        update={
            "archive_url": pg_url,
            "archive_outbox": str(tmp_path / "outbox.db"),
            "n_samples": 50,
            "archive_statement_timeout": 2.0,
        }
    )
    try:
        yield s
    finally:
        _take_away(pg_url.rsplit("/", 1)[1], True)


def _issue(c: TestClient, origin: date, n: int) -> list[str]:
    """`n` distinct scenario forecasts; their issue times."""
    ids = []
    for i in range(n):
        day = {
            "date": (origin + timedelta(days=1)).isoformat(),
            "wind_mean_ms": 1 + i / 10,
            "wind_max_hourly_ms": 5,  # above every day's mean wind (1 .. 3.9 m/s)
            "gust_max_ms": 7,
            "wind_dir_deg": 90,
            "precip_mm": 0,
        }
        r = c.post("/v1/forecast", json={"horizon": 2, "weather": [day]})
        assert r.status_code == 200, r.text
        ids.append(r.json()["issued_at"])
    return ids


def _archived(url: str) -> list[str]:
    """The issue times of the archived scenarios, one per row (a duplicate shows twice)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT issued_at FROM issued_forecasts WHERE kind = 'scenario'")
        return [r[0].isoformat(timespec="seconds") for r in rows]


def _same(archived: list[str], issued: list[str]) -> bool:
    """The same forecasts, counted with multiplicity (compared to the second)."""
    return sorted(archived) == sorted(i.replace("Z", "+00:00")[:19] + "+00:00" for i in issued)


@pytest.mark.postgres
@pytest.mark.parametrize("restart", [False, True], ids=["restored", "sigterm-restart"])
def test_postgres_taken_away_while_30_forecasts_are_issued(
    pg_app_settings: Any, registry: Any, origin: date, restart: bool
) -> None:
    s = pg_app_settings
    name = s.archive_url.rsplit("/", 1)[1]
    with TestClient(build_app(s, registry)) as c:
        _take_away(name, False)
        ids = _issue(c, origin, 30)
        assert c.get("/readyz").json()["archive_outbox"] >= 1
        if not restart:
            _take_away(name, True)
            c.app.state.service.archive.flush(timeout=20)  # type: ignore[attr-defined]
    if restart:  # the lifespan's shutdown is what uvicorn runs on SIGTERM
        _take_away(name, True)
        with TestClient(build_app(s, registry)) as c:
            c.app.state.service.archive.flush(timeout=20)  # type: ignore[attr-defined]
            assert c.get("/readyz").json()["archive_outbox"] == 0
    archived = _archived(s.archive_url)
    assert len(archived) == 30 and _same(archived, ids)  # all 30, each exactly once


@pytest.mark.postgres
def test_postgres_down_at_start_serves(pg_app_settings: Any, registry: Any, origin: date) -> None:
    s = pg_app_settings
    name = s.archive_url.rsplit("/", 1)[1]
    _take_away(name, False)
    with TestClient(build_app(s, registry)) as c:
        ids = _issue(c, origin, 2)
        assert c.get("/readyz").json()["status"] == "degraded"
        _take_away(name, True)
        c.app.state.service.archive.flush(timeout=20)  # type: ignore[attr-defined]
        assert c.get("/readyz").json()["status"] == "ready"
    assert _same(_archived(s.archive_url), ids)
