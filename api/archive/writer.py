"""The archive writer: the replayer thread that drains the outbox into the archive database.

`ArchiveWriter.submit` journals a forecast in the durable local outbox (api/archive/outbox.py)
and returns; the replayer thread drains the outbox into the database in batches, idempotently
(INSERT ... ON CONFLICT DO NOTHING: a forecast id already archived, by this worker or another,
is skipped, never an error), and keeps what it could not write for later, backing off while the
database is down. Workers sharing the outbox file claim the batches they write (see
api/archive/outbox.py), so two never write the same records at once. It also creates the
schema (once the database answers) and runs the retention policy. The engine and the outbox
are owned by the facade (`api.archive.store.ForecastArchive`), which shares them with the
queries.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, CursorResult, Engine, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from api.archive.outbox import Outbox
from api.archive.tables import (
    RETENTION_INDEXES,
    ArchiveRecord,
    days_table,
    forecasts_table,
    metadata,
    quantiles_table,
)

if TYPE_CHECKING:
    from api.archive.retention import Retention

log = logging.getLogger(__name__)

# The PostgreSQL advisory lock key that serialises schema creation across replicas.
SCHEMA_LOCK_KEY = 0x43524F5353  # "CROSS"

# A statement of a write waiting longer than this marks the archive degraded (each statement
# is timed on its own, so a large batch written steadily is not a stall).
WRITE_STALL_SECONDS = 1.0


BACKOFF_BASE = 0.2  # seconds: the cap of the first wait after a failed write


def backoff_delay(failed: int, cap: float) -> float:
    """Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): a uniform wait
    up to min(cap, base · 2^(failed − 1)) after the `failed`-th consecutive failure."""
    return random.uniform(0.0, min(cap, BACKOFF_BASE * 2 ** (failed - 1)))


class ArchiveWriter:
    """The outbox replayer: journals submitted forecasts and writes them in the background.

    The server therefore starts, serves and archives (later) with the database down;
    `degraded` says so and the outbox's depth counts what waits.
    """

    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        *,
        batch: int = 200,
        max_backoff: float = 5.0,
        retention: Retention | None = None,
        linger: float = 0.25,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.batch = batch
        self.max_backoff = max_backoff
        # After a submit wakes it, the replayer waits this long for more forecasts, so a busy
        # server writes many per transaction instead of one each (a flush does not wait).
        self.linger = linger
        self._flushing = 0
        self._hurry = threading.Event()  # ends a linger early: a flush or close is waiting
        self._writing_since: float | None = None  # monotonic start of the write under way
        self.retention = retention  # prunes old scenarios from the replayer thread
        self.failures = 0  # forecasts that could not even be journalled
        self.write_errors = 0  # failed attempts to write to the database
        self.written = 0
        self.last_error: str | None = None
        self._schema_ready = False
        self._wake = threading.Event()  # a submit: something new to write
        self._retry = threading.Event()  # a flush or stop: try again now, even while backing off
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._attempts = 0
        self._thread: threading.Thread | None = None

    @property
    def degraded(self) -> bool:
        """True while the archive database did not take the last write (or the schema), or
        a statement of a write has waited on it for more than WRITE_STALL_SECONDS (a locked
        table, a hung server: the forecasts wait in the outbox). A forecast another worker
        archived first is not a failure."""
        started = self._writing_since
        stalled = started is not None and time.monotonic() - started > WRITE_STALL_SECONDS
        return self.last_error is not None or stalled

    def takes_writes(self) -> bool:
        """True while the schema exists and the database is not degraded (what the queries
        check before asking it about a first issue)."""
        return not self.degraded and self._schema_ready

    def create_schema(self) -> None:
        """Create the tables and indexes if they do not exist. On PostgreSQL this runs in one
        transaction holding an advisory lock, so replicas starting at once on a fresh database
        do not race (`DuplicateTable`): the first creates, the others wait and find it done."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            metadata.create_all(conn, checkfirst=True)
            for index in RETENTION_INDEXES:
                index.create(conn, checkfirst=True)
        self._schema_ready = True

    def start(self) -> None:
        """Create the schema if the database answers, and start the replayer (which drains
        what an earlier run left in the outbox; the caller opened it). Never fails on a
        database that is down."""
        try:
            self.create_schema()
        except SQLAlchemyError as exc:
            self._failed(exc)
            log.warning("archive database unavailable at start; forecasts wait in the outbox")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="archive-replayer", daemon=True)
        self._thread.start()

    def submit(self, record: ArchiveRecord) -> None:
        """Journal a record durably (before the answer is sent) and wake the replayer."""
        fid = record.forecast["forecast_id"]
        payload = {"forecast": record.forecast, "days": record.days, "quantiles": record.quantiles}
        try:
            self.outbox.put(fid, payload)
        except Exception:
            self.failures += 1
            log.exception("forecast %s could not be journalled in the outbox", fid)
            return
        if self._thread is None:
            self._drain_once()
        else:
            self._wake.set()

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until the outbox is empty, or a write attempt failed, or `timeout` passed."""
        if self._thread is None:
            self._drain_once()
            return
        deadline = time.monotonic() + timeout
        self._flushing += 1
        self._hurry.set()
        try:
            self._flush_until(deadline)
        finally:
            self._flushing -= 1

    def _flush_until(self, deadline: float) -> None:
        with self._progress:
            seen = self._attempts
            errors = self.write_errors
            self._wake.set()
            self._retry.set()
            while self.outbox.depth and self.write_errors == errors:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._progress.wait(min(left, 0.1))
                if self._attempts == seen:
                    self._wake.set()
                    self._retry.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Try to drain the outbox for up to half of `timeout` (when the database answers)
        and stop the replayer; the caller then releases the engine and the outbox."""
        if self._thread is None:
            return
        if not self.degraded:
            self.flush(timeout / 2)
        self._stop.set()
        self._wake.set()
        self._retry.set()
        self._hurry.set()
        self._thread.join(timeout=timeout / 2)
        if self._thread.is_alive():
            log.warning("archive replayer still busy at shutdown; leaving it")
        self._thread = None

    def _run(self) -> None:
        failed = 0  # consecutive failed attempts
        while not self._stop.is_set():
            ok = self._drain_once()
            if ok is None:
                failed += 1
                # Full-jitter exponential back-off that new forecasts cannot cut short: they
                # wait in the outbox; only a flush or stop asks for an attempt now.
                self._retry.wait(backoff_delay(failed, self.max_backoff))
                self._retry.clear()
                continue
            failed = 0
            if self._schema_ready and self.retention is not None:
                self.retention.maybe_run(self.engine)  # hourly (and at start); bounded
            if ok:
                continue  # a full batch: more to drain (another worker's claims are its own)
            woken = self._wake.wait(5.0)
            self._wake.clear()
            if woken and self.linger > 0 and not self._flushing:
                self._hurry.wait(self.linger)  # gather a batch
                self._hurry.clear()

    def _drain_once(self) -> bool | None:
        """Claim and write one batch from the outbox: True when it was full (there may be
        more), False when it was not, None when the database refused it (the claims are
        given back)."""
        batch: list[str] = []
        try:
            claimed = self.outbox.claim(self.batch)
            batch = [fid for fid, _ in claimed]
            if not self._schema_ready:  # also with nothing to write: is the database back?
                self.create_schema()
            if claimed:
                self.write([_record(p) for _, p in claimed])
                self.outbox.remove(batch)
            if self.last_error is not None:
                log.info("archive database available again; outbox depth %d", self.outbox.depth)
            self.last_error = None
            return len(batch) >= self.batch
        except Exception as exc:
            self._failed(exc)
            self._give_back(batch)
            return None
        finally:
            with self._progress:
                self._attempts += 1
                self._progress.notify_all()

    def _give_back(self, batch: list[str]) -> None:
        """Release claims the database did not take, for any worker to retry (or they lapse)."""
        try:
            self.outbox.release(batch)
        except Exception:
            log.warning("outbox claims not released; they lapse with their lease", exc_info=True)

    def _failed(self, exc: BaseException) -> None:
        first = self.last_error is None
        self.write_errors += 1
        self.last_error = type(exc).__name__
        if first:
            log.error(
                "archive database unavailable (%s); %d forecasts kept in the outbox",
                exc,
                self.outbox.depth,
            )
        else:
            log.debug("archive database still unavailable: %s", exc)

    def write(self, records: list[ArchiveRecord]) -> None:
        """Insert records in one transaction, skipping forecast ids already archived (a replay,
        or a forecast another worker archived first, is never duplicated nor an error)."""
        with self.engine.begin() as conn:
            new = self._insert_forecasts(conn, [r.forecast for r in records])
            fresh = [r for r in records if r.forecast["forecast_id"] in new]
            days = [d for r in fresh for d in r.days]
            if days:
                self._timed(conn, insert(days_table), days)
            quantiles = [q for r in fresh for q in r.quantiles]
            if quantiles:
                self._timed(conn, insert(quantiles_table), quantiles)
        self.written += len(fresh)

    def _insert_forecasts(self, conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
        """Insert the forecast rows whose ids are not archived yet (INSERT ... ON CONFLICT DO
        NOTHING on PostgreSQL and SQLite: a concurrent insert of the same id waits for it,
        then skips); the ids this transaction inserted."""
        f = forecasts_table.c
        dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(conn.dialect.name)
        if dialect is None:  # another database: skip what is there (no concurrent writers)
            ids = [r["forecast_id"] for r in rows]
            have = set(conn.execute(select(f.forecast_id).where(f.forecast_id.in_(ids))).scalars())
            rows = [r for r in rows if r["forecast_id"] not in have]
            if rows:
                self._timed(conn, insert(forecasts_table), rows)
            return {r["forecast_id"] for r in rows}
        stmt = (
            dialect.insert(forecasts_table)
            .on_conflict_do_nothing(index_elements=[f.forecast_id])
            .returning(f.forecast_id)
        )
        return set(self._timed(conn, stmt, rows).scalars())

    def _timed(self, conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> CursorResult[Any]:
        """Execute one statement of a write, timed for `degraded`'s stall."""
        self._writing_since = time.monotonic()
        try:
            return conn.execute(stmt, rows)
        finally:
            self._writing_since = None


def _record(payload: dict[str, Any]) -> ArchiveRecord:
    """A journalled payload as the record it was."""
    return ArchiveRecord(payload["forecast"], payload["days"], payload.get("quantiles", []))
