"""Several replicas of the API at once (issue 11, "Replicas").

- Schema creation on a fresh PostgreSQL archive is serialised by an advisory lock, so
  replicas starting together never fail with `DuplicateTable`.
- `crossings serve --workers 2` (a real process on a tiny trained MLflow registry) answers
  `/metrics` with every worker's requests, whichever worker takes the scrape.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, inspect

from api.archive.outbox import MEMORY
from api.archive.store import ForecastArchive
from api.archive.tables import engine_url, metadata
from tests.support.serving import serve_trained

STARTS = 6


@pytest.mark.postgres
def test_concurrent_schema_creation_on_fresh_postgres(pg_url: str) -> None:
    archives = [ForecastArchive(pg_url, outbox=MEMORY) for _ in range(STARTS)]
    barrier = threading.Barrier(STARTS)

    def first_start(archive: ForecastArchive) -> None:
        with archive.engine.connect():  # connect before the barrier: start together
            pass
        barrier.wait(timeout=30)
        archive.create_schema()

    try:
        with ThreadPoolExecutor(STARTS) as pool:
            futures = [pool.submit(first_start, a) for a in archives]
            errors = [f.exception(timeout=60) for f in futures]
    finally:
        for a in archives:
            a.engine.dispose()
    assert errors == [None] * STARTS
    engine = create_engine(engine_url(pg_url))
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    assert sorted(tables) == sorted(metadata.tables)


PREFIX = "replicas"
REQUESTS = 40
SCRAPES = 3


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`crossings serve --workers 2` on a freshly trained tiny registry; yields its URL."""
    with serve_trained(tmp_path_factory.mktemp("replicas"), PREFIX) as (base, _):
        yield base


def _requests_to(text: str, route: str) -> float:
    """The request counter summed over methods and statuses for one route template."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        if family.name != "crossings_http_requests":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("route") == route:
                total += sample.value
    return total


@pytest.mark.slow
def test_metrics_count_every_workers_requests(two_workers: str) -> None:
    for _ in range(REQUESTS):  # a new connection each time: either worker may take it
        assert httpx.get(f"{two_workers}/healthz", timeout=10).status_code == 200
    for k in range(SCRAPES):
        with httpx.Client() as client:  # its own connection, so any worker may answer
            r = client.get(f"{two_workers}/metrics", timeout=10)
        assert r.status_code == 200
        assert _requests_to(r.text, "/healthz") == REQUESTS, r.text
        assert k - 1 <= _requests_to(r.text, "/metrics") <= k  # earlier scrapes counted too


@pytest.mark.slow
def test_every_worker_answers_with_the_first_issue_time(two_workers: str) -> None:
    """The same question asked 20 times on fresh connections (so both workers answer and
    each computes the forecast once): one forecast, with one issue time."""
    answers = []
    for _ in range(20):
        with httpx.Client() as client:  # its own connection, so any worker may answer
            r = client.get(f"{two_workers}/v1/forecast", params={"horizon": 4}, timeout=30)
        assert r.status_code == 200, r.text
        answers.append(r.json())
    assert len({a["issued_at"] for a in answers}) == 1
    assert all(a == answers[0] for a in answers)
