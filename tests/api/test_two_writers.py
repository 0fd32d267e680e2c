"""Two workers writing one archive at once (issue 24, "Replicas without races").

Two `ForecastArchive`s (a worker each) are fed the same and different forecasts at once for
a few seconds, sharing one outbox file (two workers on a host) or each with its own (replicas
on two hosts), on one PostgreSQL database (marked `postgres`) or one SQLite file. No write
fails (a forecast the other archived first is not an error), nothing is logged as the
database being unavailable, the archive is never reported degraded, every forecast is archived
exactly once and the outbox ends empty.

And one issue time per forecast: two workers computing the same new forecast at once (both
asked their shared outbox before either recorded it) answer with the same `issued_at`, the one
archived.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.archive.outbox import Outbox
from api.archive.store import ArchiveRecord, ForecastArchive, days_table, forecasts_table
from tests.api.conftest import build_app
from tests.support.archive import make_record

FEED_SECONDS = 3.0
SAME = 150  # forecasts both workers issue
OWN = 150  # forecasts each worker issues alone


def _archive(url: str, outbox: Path) -> ForecastArchive:
    # small batches and a short linger: many transactions, so the two overlap often
    return ForecastArchive(url, outbox=str(outbox), batch=10, linger=0.01)


def _feed(archive: ForecastArchive, records: list[ArchiveRecord], seconds: float) -> None:
    """Submit `records` spread over `seconds`."""
    pause = seconds / len(records)
    for r in records:
        archive.submit(r)
        time.sleep(pause)


def _watch(archives: list[ForecastArchive], stop: threading.Event) -> list[str]:
    """Sample `degraded` every 5 ms until `stop`; the reasons seen (should stay empty)."""
    seen: list[str] = []
    while not stop.is_set():
        seen += [f"{a.last_error or 'stalled'}" for a in archives if a.degraded]
        time.sleep(0.005)
    return seen


def _rows(archive: ForecastArchive) -> tuple[int, int, int]:
    """Forecast rows, distinct forecast ids and day rows in the archive."""
    with archive.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(forecasts_table)).scalar_one()
        ids = conn.execute(select(func.count(forecasts_table.c.forecast_id.distinct())))
        days = conn.execute(select(func.count()).select_from(days_table)).scalar_one()
        return int(n), int(ids.scalar_one()), int(days)


def _two_writers(url: str, tmp_path: Path, shared: bool, caplog: pytest.LogCaptureFixture) -> None:
    """The test's steps (see the module docstring)."""
    boxes = [tmp_path / "outbox.db"] * 2 if shared else [tmp_path / "a.db", tmp_path / "b.db"]
    archives = [_archive(url, box) for box in boxes]
    day = date(2026, 5, 15)
    same = [make_record(day, "same") for _ in range(SAME)]
    own = [[make_record(day, f"own{i}") for _ in range(OWN)] for i in range(2)]
    caplog.set_level(logging.DEBUG, logger="api.archive")
    for a in archives:
        a.start()
    stop = threading.Event()
    try:
        with ThreadPoolExecutor(5) as pool:
            watcher = pool.submit(_watch, archives, stop)
            feeds = [pool.submit(_feed, a, same, FEED_SECONDS) for a in archives]
            feeds += [
                pool.submit(_feed, a, o, FEED_SECONDS) for a, o in zip(archives, own, strict=True)
            ]
            for f in feeds:
                f.result(timeout=60)
            for a in archives:
                a.flush(timeout=20)
            stop.set()
            degraded = watcher.result(timeout=10)
        total = SAME + 2 * OWN
        assert _rows(archives[0]) == (total, total, total)  # each once, its day once
        assert sum(a.written for a in archives) == total
        assert [a.write_errors for a in archives] == [0, 0]
        assert [a.pending for a in archives] == [0, 0]
        assert not degraded, degraded[:5]
        failures = [
            r.getMessage()
            for r in caplog.records
            if r.levelno >= logging.WARNING
            or any(w in r.getMessage() for w in ("unavailable", "Integrity", "UniqueViolation"))
        ]
        assert failures == []
    finally:
        stop.set()
        for a in archives:
            a.close(timeout=5)
    assert all(Outbox(box).depth == 0 for box in boxes)


@pytest.mark.postgres
@pytest.mark.parametrize("shared", [True, False], ids=["one-outbox", "two-outboxes"])
def test_two_writers_on_postgres_never_fail_on_each_other(
    pg_url: str, tmp_path: Path, shared: bool, caplog: pytest.LogCaptureFixture
) -> None:
    _two_writers(pg_url, tmp_path, shared, caplog)


@pytest.mark.parametrize("shared", [True, False], ids=["one-outbox", "two-outboxes"])
def test_two_writers_on_sqlite_never_fail_on_each_other(
    tmp_path: Path, shared: bool, caplog: pytest.LogCaptureFixture
) -> None:
    _two_writers(f"sqlite:///{tmp_path / 'archive.db'}", tmp_path, shared, caplog)


# --------------------------------------------------------------------------- one issue time


def _issued_at_column(archive: ForecastArchive) -> dict[str, datetime]:
    with archive.engine.connect() as conn:
        rows = conn.execute(select(forecasts_table.c.forecast_id, forecasts_table.c.issued_at))
        return {fid: at if at.tzinfo else at.replace(tzinfo=UTC) for fid, at in rows}


@pytest.mark.postgres
def test_two_workers_stamping_the_same_forecasts_at_once_answer_one_issue_time(
    pg_url: str, tmp_path: Path
) -> None:
    archives = [_archive(pg_url, tmp_path / "outbox.db") for _ in range(2)]
    records = [make_record(date(2026, 5, 15)) for _ in range(100)]
    start = threading.Barrier(2)

    def stamp(k: int) -> list[datetime]:
        """Worker k's answers: each forecast stamped with its own clock (apart by a second)."""
        start.wait(timeout=10)
        answers = []
        for r in records:
            fid = r.forecast["forecast_id"]
            now = datetime.now(UTC) + timedelta(seconds=k)
            at = archives[k].issue_time(fid, now)
            archives[k].submit(ArchiveRecord({**r.forecast, "issued_at": at}, r.days))
            answers.append(at)
        return answers

    for a in archives:
        a.start()
    try:
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(stamp, range(2))
        for a in archives:
            a.flush(timeout=20)
        assert first == second  # every forecast: one issue time, whichever worker answered
        archived = _issued_at_column(archives[0])
        assert [archived[r.forecast["forecast_id"]] for r in records] == first
    finally:
        for a in archives:
            a.close()


@pytest.fixture
def race_first_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both workers look their forecast up in the outbox before either records it: the first
    lookup of each of two threads waits for the other's."""
    both = threading.Barrier(2)
    looked = threading.local()
    lookup: Callable[[Outbox, str], datetime | None] = Outbox.issued_at

    def racing(self: Outbox, forecast_id: str) -> datetime | None:
        found = lookup(self, forecast_id)
        if not getattr(looked, "once", False):
            looked.once = True
            both.wait(timeout=30)
        return found

    monkeypatch.setattr(Outbox, "issued_at", racing)


def test_the_same_question_to_two_workers_at_once_answers_one_issue_time(
    settings: Any, registry: Any, race_first_issue: None
) -> None:
    s = settings.model_copy(update={"n_samples": 100})  # one archive file and its outbox
    with TestClient(build_app(s, registry)) as a, TestClient(build_app(s, registry)) as b:
        with ThreadPoolExecutor(2) as pool:
            asked = [pool.submit(c.get, "/v1/forecast", params={"horizon": 3}) for c in (a, b)]
            answers = [f.result(timeout=60) for f in asked]
        assert [r.status_code for r in answers] == [200, 200]
        stamps = {r.json()["issued_at"] for r in answers}
        assert len(stamps) == 1, stamps  # both computed it; one issue time
        again = [c.get("/v1/forecast", params={"horizon": 3}).json() for c in (a, b)]
        assert {r["issued_at"] for r in again} == stamps  # and so it stays in both caches
        archive = a.app.state.service.archive  # type: ignore[attr-defined]
        archive.flush(timeout=20)
        b.app.state.service.archive.flush(timeout=20)  # type: ignore[attr-defined]
        [archived] = _issued_at_column(archive).values()
        assert archived == datetime.fromisoformat(stamps.pop().replace("Z", "+00:00"))
