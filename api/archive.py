"""The forecast archive: every issued forecast with its model version and inputs (SQLAlchemy 2).

SQLite by default; PostgreSQL when the URL says so (``postgresql://`` uses psycopg 3). Writes
go through a queue to one background thread, in batches, so the request path only enqueues.
Forecasts are stored twice over: one row per forecast (inputs and the full response) and one
row per forecast day (indexed by target and date), which is what verification reads.
"""

from __future__ import annotations

import logging
import queue
import threading
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


def make_engine(url: str) -> Engine:
    """An engine for the archive URL; SQLite gets WAL and cross-thread connections."""
    full = engine_url(url)
    if full.startswith("sqlite"):
        engine = create_engine(full, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            if ":memory:" not in full and full not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(full, pool_pre_ping=True, pool_size=2, max_overflow=2)


_STOP: Final = object()


class ArchiveUnavailable(RuntimeError):
    """The archive database cannot be read (answered with 503)."""


class ForecastArchive:
    """Archive writer (background thread) and reader."""

    def __init__(self, url: str, *, batch: int = 200) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.batch = batch
        self.failures = 0
        self.written = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=10_000)
        self._thread: threading.Thread | None = None

    def create_schema(self) -> None:
        """Create the tables if they do not exist."""
        metadata.create_all(self.engine)

    def start(self) -> None:
        """Create the schema and start the writer thread."""
        self.create_schema()
        self._thread = threading.Thread(target=self._run, name="archive-writer", daemon=True)
        self._thread.start()

    def submit(self, record: ArchiveRecord) -> None:
        """Queue a record for writing (never blocks the caller; drops with a log if full)."""
        if self._thread is None:
            self.write([record])
            return
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.failures += 1
            log.error(
                "archive queue full; forecast %s not archived", record.forecast["forecast_id"]
            )

    @property
    def pending(self) -> int:
        """Records waiting to be written."""
        return self._queue.qsize()

    def flush(self) -> None:
        """Wait until every queued record is written (or failed)."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        """Write what is queued, stop the thread and release connections."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
            self._thread = None
        self.engine.dispose()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            items = [item]
            while len(items) < self.batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            records = [r for r in items if r is not _STOP]
            try:
                if records:
                    self.write(records)
            except Exception:
                self.failures += len(records)
                log.exception("could not archive %d forecasts", len(records))
            finally:
                for _ in items:
                    self._queue.task_done()
            if any(r is _STOP for r in items):
                return

    def write(self, records: list[ArchiveRecord]) -> None:
        """Insert records in one transaction."""
        with self.engine.begin() as conn:
            conn.execute(insert(forecasts_table), [r.forecast for r in records])
            days = [d for r in records for d in r.days]
            if days:
                conn.execute(insert(days_table), days)
            quantiles = [q for r in records for q in r.quantiles]
            if quantiles:
                conn.execute(insert(quantiles_table), quantiles)
        self.written += len(records)

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
            raise ArchiveUnavailable(f"the forecast archive cannot be read: {exc}") from exc

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
            raise ArchiveUnavailable(f"the forecast archive cannot be read: {exc}") from exc

    def get(self, forecast_id: str) -> dict[str, Any] | None:
        """One archived forecast row, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(forecasts_table).where(forecasts_table.c.forecast_id == forecast_id)
            ).first()
        return None if row is None else dict(row._mapping)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; the archive stores UTC."""
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
