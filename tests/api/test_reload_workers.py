"""An admin reload reaches every worker (issue 11, "Replicas": "Admin reload reaches one
worker").

- The shared reload generation (api/reload.py): increments and reads on SQLite and PostgreSQL
  (concurrent bumps lose nothing), and a watcher reloads for another worker's bump, never
  for its own.
- `crossings serve --workers 2` with a SQLite archive and polling off: after the champion
  alias moves to version 2 and one `POST /v1/admin/reload`, every `/v1/model` answer over a
  fresh connection says version 2 within 3 s, whichever worker answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from mlflow import MlflowClient

from api.archive.outbox import MEMORY
from api.archive.store import ForecastArchive
from api.reload import ReloadWatcher, bump_generation, read_generation
from forecasting.contract import CHAMPION_ALIAS, registered_name
from tests.support.serving import serve_trained

PREFIX = "reloadworkers"
TOKEN = "reload-test-token"
ANSWERS = 20
WITHIN = 3.0  # seconds after the reload answered


def _archive(url: str) -> ForecastArchive:
    archive = ForecastArchive(url, outbox=MEMORY)
    archive.create_schema()
    return archive


def test_generation_starts_at_zero_and_increments(tmp_path: Path) -> None:
    archive = _archive(f"sqlite:///{tmp_path / 'archive.db'}")
    try:
        assert read_generation(archive.engine) == 0
        assert [bump_generation(archive.engine) for _ in range(3)] == [1, 2, 3]
        assert read_generation(archive.engine) == 3
    finally:
        archive.engine.dispose()


def test_watcher_reloads_for_another_workers_bump_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    mine, other = _archive(url), _archive(url)  # two workers on one archive
    calls: list[int] = []
    watcher = ReloadWatcher(mine.engine, lambda: calls.append(1))
    try:
        bump_generation(other.engine)  # a reload before this worker started: not replayed
        assert watcher.check() is False and watcher.seen == 1 and calls == []
        assert watcher.bump() == 2  # its own reload: nothing more to do
        assert watcher.check() is False and calls == []
        bump_generation(other.engine)  # another worker's reload
        assert watcher.check() is True and calls == [1] and watcher.seen == 3
        assert watcher.check() is False and calls == [1]
    finally:
        mine.engine.dispose()
        other.engine.dispose()


def test_watcher_survives_a_missing_table(tmp_path: Path) -> None:
    archive = ForecastArchive(f"sqlite:///{tmp_path / 'archive.db'}", outbox=MEMORY)
    calls: list[int] = []
    watcher = ReloadWatcher(archive.engine, lambda: calls.append(1))
    try:
        assert watcher.check() is False and watcher.seen is None  # no schema yet: retried
        archive.create_schema()
        assert watcher.check() is False and watcher.seen == 0
        bump_generation(archive.engine)
        assert watcher.check() is True and calls == [1]
    finally:
        archive.engine.dispose()


@pytest.mark.postgres
def test_concurrent_bumps_on_postgres(pg_url: str) -> None:
    archive = _archive(pg_url)
    try:
        assert read_generation(archive.engine) == 0
        with ThreadPoolExecutor(4) as pool:
            seen = list(pool.map(lambda _: bump_generation(archive.engine), range(20)))
        assert sorted(seen) == list(range(1, 21))
        assert read_generation(archive.engine) == 20
    finally:
        archive.engine.dispose()


@dataclass(frozen=True)
class Served:
    base: str
    tracking_uri: str


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`crossings serve --workers 2` on a tiny trained registry, a SQLite archive, an admin
    token and no alias polling (so only the reload can move a worker)."""
    root = tmp_path_factory.mktemp("reload")
    with serve_trained(root, PREFIX, CROSSINGS_ADMIN_TOKEN=TOKEN) as (base, uri):
        yield Served(base, uri)


def _versions(base: str) -> list[str]:
    """The people champion's version in `ANSWERS` answers, each on a fresh connection."""
    out = []
    for _ in range(ANSWERS):
        r = httpx.get(f"{base}/v1/model", timeout=10)  # a new connection: any worker
        assert r.status_code == 200, r.text
        out.append(r.json()["champions"][0]["version"])
    return out


@pytest.mark.slow
def test_admin_reload_reaches_every_worker(two_workers: Served) -> None:
    assert _versions(two_workers.base) == ["1"] * ANSWERS
    name = registered_name("people", PREFIX)
    client = MlflowClient(tracking_uri=two_workers.tracking_uri)
    v1 = client.get_model_version(name, "1")
    assert v1.source, "version 1 has no source to register again"
    v2 = client.create_model_version(name, v1.source, run_id=v1.run_id)
    assert str(v2.version) == "2"
    client.set_registered_model_alias(name, CHAMPION_ALIAS, "2")
    r = httpx.post(
        f"{two_workers.base}/v1/admin/reload",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    assert r.json()["targets"]["people"]["current"] == "2"
    assert r.json()["generation"] == 1
    deadline = time.monotonic() + WITHIN
    while True:
        versions = _versions(two_workers.base)
        if versions == ["2"] * ANSWERS:
            break
        assert time.monotonic() < deadline, f"still not every worker on 2: {versions}"
        time.sleep(0.2)
