"""The archive outbox: a durable local journal of issued forecasts not yet in the archive.

Every issued forecast is written here (a local SQLite file, synchronous commit) before the
response is sent; the replayer (`api.archive.writer.ArchiveWriter`) drains it into the archive
database whenever that database answers, and deletes a record only after the archive committed
it. The record key is the forecast id (for a POST scenario a hash of its content, so a repeated
scenario is journalled once), which is also the archive's primary key, so a replay after a
crash or a restart never duplicates a forecast. What the archive could not take stays
here for the next start.

Records are stored as JSON; dates and datetimes are tagged so they come back as they went in.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
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
        self._depth = 0

    def open(self) -> None:
        """Open (and create) the journal file; every other method opens it when needed."""
        with self._lock:
            self._open()
        self._depth = self._count()

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
        conn.commit()
        self._conn = conn
        return conn

    def _count(self) -> int:
        with self._lock:
            row = self._open().execute("SELECT count(*) FROM outbox").fetchone()
        return int(row[0])

    @property
    def depth(self) -> int:
        """Records waiting for the archive (kept in memory: reading it never blocks)."""
        return self._depth

    def put(self, forecast_id: str, payload: dict[str, Any]) -> None:
        """Journal one record durably (a second put of the same id is ignored)."""
        text = dumps(payload)
        with self._lock:
            conn = self._open()
            cur = conn.execute(
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
            self._depth += max(cur.rowcount, 0)

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
            self._depth = int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        """Close the journal (its records stay on disk)."""
        with self._lock:
            if self._conn is None:
                return
            self._conn.close()
            self._conn = None
        if self._depth:
            log.warning(
                "%d issued forecasts are not archived yet; they stay in the outbox %s for the "
                "next start",
                self._depth,
                self.path,
            )
