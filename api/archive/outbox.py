"""The archive outbox: a durable local journal of issued forecasts not yet in the archive.

Every issued forecast is written here (a local SQLite file, synchronous commit) before the
response is sent; the replayer (`api.archive.writer.ArchiveWriter`) drains it into the archive
database whenever that database answers, and deletes a record only after the archive committed
it. The record key is the forecast id (for a POST scenario a hash of its content, so a repeated
scenario is journalled once), which is also the archive's primary key, so a replay after a
crash or a restart never duplicates a forecast. What the archive could not take stays
here for the next start.

Several workers (processes) may share one outbox file. A replayer takes records by claiming
them (`claim`: one UPDATE, which SQLite runs under its single write lock, so two workers never
claim the same record) for CLAIM_LEASE_SECONDS; it deletes them once archived or releases them
when the archive refused them, and a crashed worker's claims lapse with their lease. `depth`
reads the file, so every worker reports the same backlog.

Records are stored as JSON; dates and datetimes are tagged so they come back as they went in.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import orjson

log = logging.getLogger(__name__)

MEMORY: Final = ":memory:"

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS outbox ("
    " forecast_id TEXT PRIMARY KEY,"
    " created REAL NOT NULL,"
    " payload TEXT NOT NULL)"
)
# Added to outbox files from before claims (`_migrate`): who holds a record and until when.
_CLAIM_COLUMNS: Final = {"claimed_by": "TEXT", "claimed_until": "REAL"}
CLAIM_LEASE_SECONDS: Final = 60.0  # a claim outlives any bounded write; then it lapses


# When each journalled forecast was issued, kept after the record leaves for the archive (for
# ISSUED_MEMORY_SECONDS), so every worker sharing this file answers a forecast with its first
# issue time without asking the database.
_ISSUED_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS issued ("
    " forecast_id TEXT PRIMARY KEY,"
    " issued_at TEXT NOT NULL,"
    " created REAL NOT NULL)"
)
ISSUED_MEMORY_SECONDS: Final = 7 * 86400


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    raise TypeError(f"cannot journal {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "__datetime__" in obj:
            return datetime.fromisoformat(obj["__datetime__"])
        if "__date__" in obj:
            return date.fromisoformat(obj["__date__"])
    return obj


def dumps(payload: dict[str, Any]) -> str:
    """JSON with tagged dates and datetimes (orjson: this runs on every issued forecast)."""
    return orjson.dumps(
        payload, default=_encode, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
    ).decode()


def loads(text: str) -> dict[str, Any]:
    """The inverse of `dumps`."""
    value: dict[str, Any] = json.loads(text, object_hook=_decode)
    return value


class Outbox:
    """A local SQLite journal keyed by forecast id (`path` ":memory:" keeps it in memory)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None  # for `depth`, never behind a writer
        self._reader_lock = threading.Lock()
        self._depth = 0  # the last depth read, answered when the file cannot be read at once
        self.owner = uuid.uuid4().hex  # this instance's claims
        self.lease = CLAIM_LEASE_SECONDS

    def open(self) -> None:
        """Open (and create) the journal file; every other method opens it when needed."""
        with self._lock:
            self._open()

    def _open(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0)
        if self.path != MEMORY:
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed put survives a power cut, not only a process crash.
            conn.execute("PRAGMA synchronous=FULL")
        conn.execute(_SCHEMA)
        conn.execute(_ISSUED_SCHEMA)
        _migrate(conn)
        conn.commit()
        self._conn = conn
        return conn

    @property
    def depth(self) -> int:
        """Records waiting for the archive, claimed or not, by every worker sharing the file:
        read from it (a WAL reader never waits on a writer; if the file cannot be read within
        0.2 s, the last depth read)."""
        if self.path == MEMORY:  # one process: its own connection holds the journal
            with self._lock:
                self._depth = _count(self._open())
            return self._depth
        with self._reader_lock:
            try:
                if self._reader is None and Path(self.path).exists():
                    self._reader = sqlite3.connect(self.path, check_same_thread=False, timeout=0.2)
                if self._reader is not None:
                    self._depth = _count(self._reader)
            except sqlite3.Error:  # e.g. busy, or no table yet
                log.debug("outbox depth unreadable; answering the last one", exc_info=True)
        return self._depth

    def put(self, forecast_id: str, payload: dict[str, Any]) -> None:
        """Journal one record durably (a second put of the same id is ignored)."""
        text = dumps(payload)
        with self._lock:
            conn = self._open()
            conn.execute(
                "INSERT OR IGNORE INTO outbox (forecast_id, created, payload) VALUES (?, ?, ?)",
                (forecast_id, time.time(), text),
            )
            issued = payload.get("forecast", {}).get("issued_at")
            if isinstance(issued, datetime):
                conn.execute(
                    "INSERT OR IGNORE INTO issued (forecast_id, issued_at, created) "
                    "VALUES (?, ?, ?)",
                    (forecast_id, issued.isoformat(), time.time()),
                )
            conn.commit()

    def claim_issued(self, forecast_id: str, issued_at: datetime) -> datetime:
        """Record `issued_at` as the first issue of `forecast_id` unless one is recorded
        already, atomically; the recorded one (what every worker sharing the file answers)."""
        with self._lock:
            conn = self._open()
            conn.execute(
                "INSERT OR IGNORE INTO issued (forecast_id, issued_at, created) VALUES (?, ?, ?)",
                (forecast_id, issued_at.isoformat(), time.time()),
            )
            row = conn.execute(
                "SELECT issued_at FROM issued WHERE forecast_id = ?", (forecast_id,)
            ).fetchone()
            conn.commit()
        return datetime.fromisoformat(row[0])

    def issued_at(self, forecast_id: str) -> datetime | None:
        """When the forecast `forecast_id` journalled here (in the last ISSUED_MEMORY_SECONDS)
        was issued, or None."""
        with self._lock:
            row = (
                self._open()
                .execute("SELECT issued_at FROM issued WHERE forecast_id = ?", (forecast_id,))
                .fetchone()
            )
        return None if row is None else datetime.fromisoformat(row[0])

    def oldest(self, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """Up to `limit` journalled records, oldest first, as (forecast_id, payload)."""
        with self._lock:
            rows = (
                self._open()
                .execute(
                    "SELECT forecast_id, payload FROM outbox ORDER BY created, rowid LIMIT ?",
                    (limit,),
                )
                .fetchall()
            )
        return [(fid, loads(text)) for fid, text in rows]

    def claim(self, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """Claim up to `limit` records no worker holds (or whose claim lapsed), oldest first,
        for `lease` seconds, as (forecast_id, payload). One UPDATE under SQLite's write lock:
        two workers never claim the same record."""
        now = time.time()
        with self._lock:
            conn = self._open()
            rows = conn.execute(
                "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE forecast_id IN ("
                " SELECT forecast_id FROM outbox"
                " WHERE claimed_until IS NULL OR claimed_until < ?"
                " ORDER BY created, rowid LIMIT ?)"
                " RETURNING forecast_id, created, payload",
                (self.owner, now + self.lease, now, limit),
            ).fetchall()
            conn.commit()
        rows.sort(key=lambda r: r[1])
        return [(fid, loads(text)) for fid, _, text in rows]

    def release(self, forecast_ids: list[str] | None = None) -> None:
        """Give back this instance's claims on `forecast_ids` (all of them with None), for any
        worker to take now."""
        with self._lock:
            conn = self._open()
            if forecast_ids is None:
                conn.execute(
                    "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
                    "WHERE claimed_by = ?",
                    (self.owner,),
                )
            else:
                conn.executemany(
                    "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
                    "WHERE forecast_id = ? AND claimed_by = ?",
                    [(f, self.owner) for f in forecast_ids],
                )
            conn.commit()

    def remove(self, forecast_ids: list[str]) -> None:
        """Forget records the archive has committed."""
        if not forecast_ids:
            return
        with self._lock:
            conn = self._open()
            conn.executemany(
                "DELETE FROM outbox WHERE forecast_id = ?", [(f,) for f in forecast_ids]
            )
            conn.execute(  # issue times older than the memory (indexed by nothing: rare, small)
                "DELETE FROM issued WHERE created < ?", (time.time() - ISSUED_MEMORY_SECONDS,)
            )
            conn.commit()
            self._depth = _count(conn)

    def close(self) -> None:
        """Give back this instance's claims and close the journal (its records stay on disk
        for the next start or another worker)."""
        if self._conn is not None:
            try:
                self.release()
            except sqlite3.Error:  # they lapse with their lease
                log.warning("outbox claims not released; they lapse in %.0f s", self.lease)
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        with self._lock:
            if self._conn is None:
                return
            self._depth = _count(self._conn)
            self._conn.close()
            self._conn = None
        if self._depth:
            log.warning(
                "%d issued forecasts are not archived yet; they stay in the outbox %s for the "
                "next start",
                self._depth,
                self.path,
            )


def _count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def _migrate(conn: sqlite3.Connection) -> None:
    """Add the claim columns to an outbox file written before claims (its records unclaimed).
    Workers opening an old file at once may race here: a column another added is fine."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
    for name, kind in _CLAIM_COLUMNS.items():
        if name not in have:
            try:
                conn.execute(f"ALTER TABLE outbox ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise
