"""Workers sharing one outbox file (issue 24, "Replicas without races"): a record is claimed by
one worker at a time (two real processes claiming the same file never take the same record),
a crashed worker's claims lapse with their lease, a closed one's are given back, the depth is
the file's (whichever worker wrote or drained it), and an outbox file from before claims
keeps its records.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from datetime import date
from pathlib import Path
from typing import Any

from api.archive.outbox import Outbox
from tests.support.archive import make_record

RECORDS = 1500


def _payload(version: str = "5") -> tuple[str, dict[str, object]]:
    rec = make_record(date(2026, 5, 15), version)
    return rec.forecast["forecast_id"], {"forecast": rec.forecast, "days": rec.days}


def _drain(path: str, batch: int, start: Any, out: multiprocessing.Queue[list[str]]) -> None:
    """A worker process: claim batches until none is left, removing each a moment later (as a
    replayer does once the archive committed it); sends every id it claimed."""
    box = Outbox(path)
    box.open()
    start.wait(timeout=60)  # both workers begin together
    taken: list[str] = []
    empty = 0
    while empty < 20:
        got = [fid for fid, _ in box.claim(batch)]
        if not got:
            empty += 1
            time.sleep(0.01)
            continue
        empty = 0
        taken += got
        time.sleep(0.002)  # the write
        box.remove(got)
    box.close()
    out.put(taken)


def test_two_processes_never_claim_the_same_record(tmp_path: Path) -> None:
    path = str(tmp_path / "outbox.db")
    box = Outbox(path)
    ids = []
    for _ in range(RECORDS):
        fid, payload = _payload()
        box.put(fid, payload)
        ids.append(fid)
    box.close()
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[list[str]] = ctx.Queue()
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_drain, args=(path, b, start, out)) for b in (7, 11)]
    for p in procs:
        p.start()
    first, second = out.get(timeout=60), out.get(timeout=60)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert first and second, "both workers should have taken some"
    assert not set(first) & set(second)  # no record taken twice
    assert len(first) + len(second) == RECORDS and set(first) | set(second) == set(ids)
    assert Outbox(path).depth == 0


def test_claims_lapse_with_their_lease_and_are_given_back_on_close(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    crashed, other = Outbox(path), Outbox(path)
    crashed.lease = 0.3
    for _ in range(3):
        other.put(*_payload())
    assert len(crashed.claim(10)) == 3
    assert other.claim(10) == []  # held by the first worker
    time.sleep(0.4)  # it never finished: its claims lapse
    mine = other.claim(2)
    assert len(mine) == 2 and other.depth == 3
    other.close()  # gives its claims back (they would be held for a minute)
    again = Outbox(path)
    assert len(again.claim(10)) == 3  # the lapsed one and the two given back
    assert again.depth == 3  # claimed records are still waiting


def test_a_refused_batch_is_released_for_any_worker(tmp_path: Path) -> None:
    a, b = Outbox(tmp_path / "o.db"), Outbox(tmp_path / "o.db")
    a.put(*_payload())
    [(fid, _)] = a.claim(5)
    b.release([fid])  # not b's claim: nothing changes
    assert b.claim(5) == []
    a.release([fid])
    assert [f for f, _ in b.claim(5)] == [fid]


def test_depth_is_the_files_whichever_worker_drained_it(tmp_path: Path) -> None:
    a, b = Outbox(tmp_path / "o.db"), Outbox(tmp_path / "o.db")
    a.open()
    fid, payload = _payload()
    a.put(fid, payload)
    assert a.depth == 1 and b.depth == 1
    b.remove([f for f, _ in b.claim(5)])
    assert a.depth == 0 and b.depth == 0  # not the 1 the first worker last saw


def test_an_outbox_from_before_claims_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    fid, payload = _payload()
    Outbox(path).put(fid, payload)  # the journalled text, as any version wrote it
    with sqlite3.connect(path) as conn:  # rebuilt without the claim columns
        conn.execute("ALTER TABLE outbox RENAME TO newer")
        conn.execute(
            "CREATE TABLE outbox (forecast_id TEXT PRIMARY KEY, created REAL NOT NULL,"
            " payload TEXT NOT NULL)"
        )
        conn.execute("INSERT INTO outbox SELECT forecast_id, created, payload FROM newer")
        conn.execute("DROP TABLE newer")
    box = Outbox(path)
    box.open()
    assert box.depth == 1
    assert box.claim(5) == [(fid, payload)]
