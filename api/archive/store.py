"""The forecast archive: every issued forecast with its model version and inputs (SQLAlchemy 2).

SQLite by default; PostgreSQL when the URL says so (``postgresql://`` uses psycopg 3). Writes
go through a durable local outbox (api/archive/outbox.py) that a background replayer drains into the
database, in batches and idempotently, so an issued forecast is archived exactly once whatever
fails, and the request path never waits on the database. Every database wait is bounded
(statement, lock, connect and pool-checkout timeouts).
The tables, the archived record and the engine are in api/archive/tables.py (re-exported here).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from api.archive.outbox import Outbox
from api.archive.tables import (
    ARCHIVE_QUANTILE_PROBS,
    RETENTION_INDEXES,
    ArchiveRecord,
    days_table,
    default_outbox,
    engine_url,
    forecasts_table,
    make_engine,
    metadata,
    quantiles_table,
)

if TYPE_CHECKING:
    from api.archive.retention import Retention

log = logging.getLogger(__name__)

# The PostgreSQL advisory lock key that serialises schema creation across replicas.
SCHEMA_LOCK_KEY = 0x43524F5353  # "CROSS"

__all__ = [
    "ARCHIVE_QUANTILE_PROBS",
    "ArchiveRecord",
    "ArchiveUnavailable",
    "ForecastArchive",
    "as_utc",
    "days_table",
    "engine_url",
    "forecasts_table",
    "quantiles_table",
]


class ArchiveUnavailable(RuntimeError):
    """The archive database cannot be read (answered with 503)."""


FIRST_ISSUED_TIMEOUT = 0.25  # seconds a first-issue lookup waits on a locked archive table
WRITE_STALL_SECONDS = 1.0  # a write waiting longer than this marks the archive degraded


def _utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite keeps them without a zone)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class ForecastArchive:
    """Archive writer and reader.

    `submit` journals a forecast in the durable local outbox (api/archive/outbox.py) and
    returns; the replayer thread drains the outbox into the database in batches, idempotently (a
    forecast id already archived is skipped), and keeps what it could not write for later,
    backing off while the database is down. The server therefore starts, serves and archives
    (later) with the database down; `degraded` says so and `pending` counts the outbox.
    """

    def __init__(
        self,
        url: str,
        *,
        batch: int = 200,
        outbox: str | None = None,
        statement_timeout: float = 5.0,
        pool_timeout: float = 2.0,
        max_backoff: float = 5.0,
        retention: Retention | None = None,
        linger: float = 0.25,
    ) -> None:
        self.url = url
        self.engine = make_engine(
            url, statement_timeout=statement_timeout, pool_timeout=pool_timeout
        )
        self.batch = batch
        self.max_backoff = max_backoff
        # After a submit wakes it, the replayer waits this long for more forecasts, so a busy
        # server writes many per transaction instead of one each (a flush does not wait).
        self.linger = linger
        self._flushing = 0
        self._hurry = threading.Event()  # ends a linger early: a flush or close is waiting
        self._writing_since: float | None = None  # monotonic start of the write under way
        self.retention = retention  # prunes old scenarios from the replayer thread
        self.outbox = Outbox(outbox or default_outbox(url))
        self.failures = 0  # forecasts that could not even be journalled
        self.write_errors = 0  # failed attempts to write to the database
        self.written = 0
        self.last_error: str | None = None
        self._schema_ready = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._attempts = 0
        self._thread: threading.Thread | None = None

    @property
    def degraded(self) -> bool:
        """True while the archive database did not take the last write (or the schema), or
        a write has waited on it for more than WRITE_STALL_SECONDS (a locked table, a hung
        server: the forecasts wait in the outbox)."""
        started = self._writing_since
        stalled = started is not None and time.monotonic() - started > WRITE_STALL_SECONDS
        return self.last_error is not None or stalled

    @property
    def pending(self) -> int:
        """Forecasts in the outbox, waiting to be archived."""
        return self.outbox.depth

    @property
    def pruned(self) -> int:
        """Scenario forecasts the retention policy deleted since start."""
        return 0 if self.retention is None else self.retention.pruned

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
        what an earlier run left in the outbox). Never fails on a database that is down."""
        self.outbox.open()
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
            while self.outbox.depth and self.write_errors == errors:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._progress.wait(min(left, 0.1))
                if self._attempts == seen:
                    self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Try to drain the outbox for up to half of `timeout` (when the database answers),
        stop the replayer and release connections. What is not written stays in the outbox
        for the next start."""
        if self._thread is not None:
            if not self.degraded:
                self.flush(timeout / 2)
            self._stop.set()
            self._wake.set()
            self._hurry.set()
            self._thread.join(timeout=timeout / 2)
            if self._thread.is_alive():
                log.warning("archive replayer still busy at shutdown; leaving it")
            self._thread = None
        self.engine.dispose()
        self.outbox.close()

    def _run(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            ok = self._drain_once()
            if ok and self._schema_ready and self.retention is not None:
                self.retention.maybe_run(self.engine)  # hourly (and at start); bounded
            if ok and self.outbox.depth:
                backoff = 0.0
                continue  # more to drain
            backoff = 0.0 if ok else min(self.max_backoff, max(0.2, 2 * backoff))
            woken = self._wake.wait(backoff if not ok else 5.0)
            self._wake.clear()
            if woken and ok and self.linger > 0 and not self._flushing:
                self._hurry.wait(self.linger)  # gather a batch
                self._hurry.clear()

    def _drain_once(self) -> bool:
        """Write one batch from the outbox; False when the database refused it."""
        try:
            batch = self.outbox.oldest(self.batch)
            if not self._schema_ready:  # also with nothing to write: is the database back?
                self.create_schema()
            if batch:
                records = [
                    ArchiveRecord(p["forecast"], p["days"], p.get("quantiles", []))
                    for _, p in batch
                ]
                self._writing_since = time.monotonic()
                try:
                    self.write(records)
                finally:
                    self._writing_since = None
                self.outbox.remove([fid for fid, _ in batch])
            if self.last_error is not None:
                log.info("archive database available again; outbox depth %d", self.pending)
            self.last_error = None
            return True
        except Exception as exc:
            self._failed(exc)
            return False
        finally:
            with self._progress:
                self._attempts += 1
                self._progress.notify_all()

    def _failed(self, exc: BaseException) -> None:
        first = self.last_error is None
        self.write_errors += 1
        self.last_error = type(exc).__name__
        if first:
            log.error(
                "archive database unavailable (%s); %d forecasts kept in the outbox",
                exc,
                self.pending,
            )
        else:
            log.debug("archive database still unavailable: %s", exc)

    def write(self, records: list[ArchiveRecord]) -> None:
        """Insert records in one transaction, skipping forecast ids already archived (a replay
        never duplicates)."""
        ids = [r.forecast["forecast_id"] for r in records]
        with self.engine.begin() as conn:
            have = set(
                conn.execute(
                    select(forecasts_table.c.forecast_id).where(
                        forecasts_table.c.forecast_id.in_(ids)
                    )
                ).scalars()
            )
            new = [r for r in records if r.forecast["forecast_id"] not in have]
            if new:
                conn.execute(insert(forecasts_table), [r.forecast for r in new])
            days = [d for r in new for d in r.days]
            if days:
                conn.execute(insert(days_table), days)
            quantiles = [q for r in new for q in r.quantiles]
            if quantiles:
                conn.execute(insert(quantiles_table), quantiles)
        self.written += len(new)

    def first_issued(self, forecast_id: str) -> datetime | None:
        """When the forecast `forecast_id` was first issued, by this worker or by another
        worker or replica sharing the outbox or the archive (the outbox's issue times first,
        then a PostgreSQL archive), or None. Forecast ids are content keys, so the same
        forecast answers with the same `issued_at` whichever worker computes it. The database
        is asked only while it takes writes, and waits at most FIRST_ISSUED_TIMEOUT on a
        locked table."""
        try:
            found = self.outbox.issued_at(forecast_id)
        except Exception:  # a journal that cannot be read: the forecast is new to us
            log.debug("outbox lookup of %s failed", forecast_id, exc_info=True)
            found = None
        # a SQLite archive serves one host, whose workers share the outbox and its issue times;
        # a database server may serve replicas on other hosts: ask it too
        local = self.engine.dialect.name == "sqlite"
        if found is not None or local or self.degraded or not self._schema_ready:
            return _utc(found)
        f = forecasts_table.c
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    ms = int(FIRST_ISSUED_TIMEOUT * 1000)
                    conn.execute(text(f"SET LOCAL statement_timeout = {ms}"))
                row = conn.execute(select(f.issued_at).where(f.forecast_id == forecast_id)).first()
        except SQLAlchemyError as exc:
            log.debug("archive lookup of %s failed: %s", forecast_id, exc)
            return None
        return None if row is None else _utc(row[0])

    def issued_for(
        self, target: str, day: date, kinds: tuple[str, ...], limit: int = 100
    ) -> list[dict[str, Any]]:
        """Forecasts issued for `day` (newest first): the day's figures and forecast facts."""
        f, d = forecasts_table.c, days_table.c
        query = (
            select(
                f.forecast_id,
                f.issued_at,
                f.kind,
                f.start,
                f.horizon,
                f.model_name,
                f.model_version,
                f.model_trained_at,
                f.data_as_of,
                f.inputs,
                d.lead_days,
                d.median,
                d.mean,
                d.p_any,
                d.bands,
                d.weather_source,
            )
            .join(forecasts_table, f.forecast_id == d.forecast_id)
            .where(d.target == target, d.date == day, f.kind.in_(kinds))
            .order_by(f.issued_at.desc())
            .limit(limit)
        )
        try:
            with self.engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from exc

    def verifiable(
        self, target: str, first: date, last: date, kinds: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Every archived forecast day of `kinds` for `target` dated `first`..`last`, with
        its forecast's facts (kind, issued_at, model, inputs) and its stored quantiles (None
        for forecasts archived before quantiles were kept); what verification scores."""
        f, d, q = forecasts_table.c, days_table.c, quantiles_table.c
        query = (
            select(
                f.forecast_id,
                f.issued_at,
                f.kind,
                f.model_name,
                f.model_version,
                f.inputs,
                d.date,
                d.median,
                d.mean,
                d.p_any,
                d.bands,
                d.weather_source,
                q.quantiles,
            )
            .join(forecasts_table, f.forecast_id == d.forecast_id)
            .outerjoin(quantiles_table, (q.forecast_id == d.forecast_id) & (q.date == d.date))
            .where(d.target == target, d.date >= first, d.date <= last, f.kind.in_(kinds))
            .order_by(d.date, f.issued_at)
        )
        try:
            with self.engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from exc

    def get(self, forecast_id: str) -> dict[str, Any] | None:
        """One archived forecast row, or None."""
        try:
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(forecasts_table).where(forecasts_table.c.forecast_id == forecast_id)
                ).first()
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from exc
        return None if row is None else dict(row._mapping)


def _unavailable(exc: BaseException) -> ArchiveUnavailable:
    """The public error for a failed read; the details (hosts, pool state) go to the log."""
    log.warning("archive read failed: %s", exc)
    return ArchiveUnavailable("archive database unavailable")


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; the archive stores UTC."""
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
