"""The forecast archive: every issued forecast with its model version and inputs (SQLAlchemy 2).

SQLite by default; PostgreSQL when the URL says so (``postgresql://`` uses psycopg 3). Writes
go through a durable local outbox (api/outbox.py) that a background replayer drains into the
database, in batches and idempotently, so an issued forecast is archived exactly once whatever
fails, and the request path never waits on the database. Every database wait is bounded
(statement, lock, connect and pool-checkout timeouts).
Forecasts are stored twice over: one row per forecast (inputs and the full response) and one
row per forecast day (indexed by target and date), which is what verification reads.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from api.outbox import MEMORY, Outbox

log = logging.getLogger(__name__)

metadata = MetaData()

forecasts_table: Final = Table(
    "issued_forecasts",
    metadata,
    Column("forecast_id", String(32), primary_key=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("target", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("start", Date, nullable=False),
    Column("horizon", Integer, nullable=False),
    Column("n_samples", Integer, nullable=False),
    Column("model_name", String(64), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("registered_model", String(128), nullable=False),
    Column("model_trained_at", String(64)),
    Column("data_as_of", Date),
    Column("inputs", JSON, nullable=False),
    Column("response", JSON, nullable=False),
)

days_table: Final = Table(
    "issued_forecast_days",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "forecast_id",
        String(32),
        ForeignKey("issued_forecasts.forecast_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("target", String(16), nullable=False),
    Column("date", Date, nullable=False),
    Column("lead_days", Integer, nullable=False),
    Column("median", Integer, nullable=False),
    Column("mean", Float, nullable=False),
    Column("p_any", Float, nullable=False),
    Column("bands", JSON, nullable=False),
    Column("weather_source", String(16), nullable=False),
    Index("ix_issued_days_target_date", "target", "date"),
)

# The quantiles kept per forecast day (percentiles 1..99), so archived forecasts can be scored
# with the quantile-score approximation of the CRPS (`forecasting.evaluation.verification`).
# A table of its own, added beside the others: archives created before it get it from
# `create_schema`, and their older forecasts simply have no quantiles.
ARCHIVE_QUANTILE_PROBS: Final[tuple[float, ...]] = tuple(round(i / 100, 2) for i in range(1, 100))

quantiles_table: Final = Table(
    "issued_forecast_quantiles",
    metadata,
    Column(
        "forecast_id",
        String(32),
        ForeignKey("issued_forecasts.forecast_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("date", Date, primary_key=True),
    Column("quantiles", JSON, nullable=False),  # one value per ARCHIVE_QUANTILE_PROBS
)


@dataclass(frozen=True)
class ArchiveRecord:
    """One issued forecast as archived."""

    forecast: dict[str, Any]  # a row of issued_forecasts
    days: list[dict[str, Any]]  # rows of issued_forecast_days
    quantiles: list[dict[str, Any]] = field(default_factory=list)  # issued_forecast_quantiles


def engine_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (psycopg2 is not a dependency)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(
    url: str,
    *,
    statement_timeout: float = 5.0,
    pool_timeout: float = 2.0,
    connect_timeout: float = 3.0,
) -> Engine:
    """An engine for the archive URL with a bound on every wait: a connection's checkout from
    the pool (`pool_timeout`), its opening (`connect_timeout`) and each statement, lock
    waits included (`statement_timeout`, seconds). SQLite gets WAL and cross-thread
    connections, and waits at most `statement_timeout` on a locked database."""
    full = engine_url(url)
    if full.startswith("sqlite"):
        engine = create_engine(
            full,
            connect_args={"check_same_thread": False, "timeout": statement_timeout},
            pool_timeout=pool_timeout,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            if ":memory:" not in full and full not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    ms = max(1, int(statement_timeout * 1000))
    return create_engine(
        full,
        pool_pre_ping=True,
        pool_size=2,
        max_overflow=2,
        pool_timeout=pool_timeout,
        connect_args={
            "connect_timeout": max(1, round(connect_timeout)),
            "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
        },
    )


def default_outbox(url: str) -> str:
    """Where the outbox lives unless configured: beside a SQLite archive file, in memory for
    an in-memory archive, else `forecast_outbox.db` in the working directory."""
    u = make_url(engine_url(url))
    if u.drivername.startswith("sqlite"):
        db = u.database or ""
        return MEMORY if db in ("", MEMORY) else f"{db}.outbox"
    return "forecast_outbox.db"


class ArchiveUnavailable(RuntimeError):
    """The archive database cannot be read (answered with 503)."""


class ForecastArchive:
    """Archive writer and reader.

    `submit` journals a forecast in the durable local outbox (api/outbox.py) and returns; the
    replayer thread drains the outbox into the database in batches, idempotently (a forecast
    id already archived is skipped), and keeps what it could not write for later, backing off
    while the database is down. The server therefore starts, serves and archives (later) with
    the database down; `degraded` says so and `pending` counts the outbox.
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
    ) -> None:
        self.url = url
        self.engine = make_engine(
            url, statement_timeout=statement_timeout, pool_timeout=pool_timeout
        )
        self.batch = batch
        self.max_backoff = max_backoff
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
        """True while the archive database did not take the last write (or the schema)."""
        return self.last_error is not None

    @property
    def pending(self) -> int:
        """Forecasts in the outbox, waiting to be archived."""
        return self.outbox.depth

    def create_schema(self) -> None:
        """Create the tables if they do not exist."""
        metadata.create_all(self.engine)
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
            if ok and self.outbox.depth:
                backoff = 0.0
                continue  # more to drain
            backoff = 0.0 if ok else min(self.max_backoff, max(0.2, 2 * backoff))
            self._wake.wait(backoff if not ok else 5.0)
            self._wake.clear()

    def _drain_once(self) -> bool:
        """Write one batch from the outbox; False when the database refused it."""
        try:
            batch = self.outbox.oldest(self.batch)
            if batch:
                if not self._schema_ready:
                    self.create_schema()
                records = [
                    ArchiveRecord(p["forecast"], p["days"], p.get("quantiles", []))
                    for _, p in batch
                ]
                self.write(records)
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
