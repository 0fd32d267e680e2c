"""The forecast archive: every issued forecast with its model version and inputs (SQLAlchemy 2).

SQLite by default; PostgreSQL when the URL says so (``postgresql://`` uses psycopg 3). Writes
go through a durable local outbox (api/archive/outbox.py) that a background replayer drains into the
database, in batches and idempotently, so an issued forecast is archived exactly once whatever
fails, and the request path never waits on the database. Every database wait is bounded
(statement, lock, connect and pool-checkout timeouts).

`ForecastArchive` is the facade the server holds: it owns the engine and the outbox and shares
them between the writer (api/archive/writer.py: the replayer thread, its back-off, the schema)
and the queries (api/archive/queries.py). The tables, the archived record and the engine are
in api/archive/tables.py (re-exported here, with the queries' error and `as_utc`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from api.archive.outbox import Outbox
from api.archive.queries import ArchiveQueries, ArchiveUnavailable, as_utc
from api.archive.tables import (
    ARCHIVE_QUANTILE_PROBS,
    ArchiveRecord,
    days_table,
    default_outbox,
    engine_url,
    forecasts_table,
    make_engine,
    quantiles_table,
)
from api.archive.writer import ArchiveWriter

if TYPE_CHECKING:
    from api.archive.retention import Retention

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


class ForecastArchive:
    """Archive writer and reader: the engine and the outbox, a writer and the queries on them.

    `submit` journals a forecast in the durable local outbox and returns; the writer's replayer
    thread archives it (later, with the database down); `degraded` says so and `pending`
    counts the outbox. The reads (`first_issued`, `issue_time`, `issued_for`, `verifiable`,
    `get`) go to the queries.
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
        self.outbox = Outbox(outbox or default_outbox(url))
        self.writer = ArchiveWriter(
            self.engine,
            self.outbox,
            batch=batch,
            max_backoff=max_backoff,
            retention=retention,
            linger=linger,
        )
        self.queries = ArchiveQueries(self.engine, self.outbox, self.writer.takes_writes)

    # -- health and counters (the writer's) --

    @property
    def degraded(self) -> bool:
        """True while the database does not take writes (see `ArchiveWriter.degraded`)."""
        return self.writer.degraded

    @property
    def pending(self) -> int:
        """Forecasts in the outbox, waiting to be archived (read from the file, which the
        host's workers share)."""
        return self.outbox.depth

    @property
    def pruned(self) -> int:
        """Scenario forecasts the retention policy deleted since start."""
        return 0 if self.retention is None else self.retention.pruned

    @property
    def retention(self) -> Retention | None:
        """The retention policy the writer runs, if any."""
        return self.writer.retention

    @property
    def failures(self) -> int:
        """Forecasts that could not even be journalled."""
        return self.writer.failures

    @property
    def write_errors(self) -> int:
        """Failed attempts to write to the database."""
        return self.writer.write_errors

    @property
    def written(self) -> int:
        """Forecasts written to the database since start."""
        return self.writer.written

    @property
    def last_error(self) -> str | None:
        """The type of the last database error, None once a write succeeds."""
        return self.writer.last_error

    # -- lifecycle and writes --

    def create_schema(self) -> None:
        """Create the tables and indexes if they do not exist (see the writer)."""
        self.writer.create_schema()

    def start(self) -> None:
        """Open the outbox, create the schema if the database answers, and start the replayer
        (which drains what an earlier run left). Never fails on a database that is down."""
        self.outbox.open()
        self.writer.start()

    def submit(self, record: ArchiveRecord) -> None:
        """Journal a record durably (before the answer is sent) and wake the replayer."""
        self.writer.submit(record)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until the outbox is empty, or a write attempt failed, or `timeout` passed."""
        self.writer.flush(timeout)

    def write(self, records: list[ArchiveRecord]) -> None:
        """Insert records in one transaction, skipping forecast ids already archived."""
        self.writer.write(records)

    def close(self, timeout: float = 5.0) -> None:
        """Try to drain the outbox for up to half of `timeout` (when the database answers),
        stop the replayer and release connections. What is not written stays in the outbox
        for the next start."""
        self.writer.stop(timeout)
        self.engine.dispose()
        self.outbox.close()

    # -- reads --

    def first_issued(self, forecast_id: str) -> datetime | None:
        """When the forecast `forecast_id` was first issued, or None (see the queries)."""
        return self.queries.first_issued(forecast_id)

    def issue_time(self, forecast_id: str, now: datetime) -> datetime:
        """The `issued_at` every worker answers `forecast_id` with: its first issue, or `now`
        recorded as such (see the queries)."""
        return self.queries.issue_time(forecast_id, now)

    def issued_for(
        self, target: str, day: date, kinds: tuple[str, ...], limit: int = 100
    ) -> list[dict[str, Any]]:
        """Forecasts issued for `day` (newest first): the day's figures and forecast facts."""
        return self.queries.issued_for(target, day, kinds, limit)

    def verifiable(
        self, target: str, first: date, last: date, kinds: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Every archived forecast day of `kinds` for `target` dated `first`..`last` (what
        verification scores)."""
        return self.queries.verifiable(target, first, last, kinds)

    def get(self, forecast_id: str) -> dict[str, Any] | None:
        """One archived forecast row, or None."""
        return self.queries.get(forecast_id)
