"""The archive's read queries: first issue times, the forecasts issued for a day, what
verification scores, and one archived forecast.

A failed read raises `ArchiveUnavailable` (answered with 503); the details go to the log. The
engine and the outbox are owned by the facade (`api.archive.store.ForecastArchive`), which
shares them with the writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from api.archive.outbox import Outbox
from api.archive.tables import days_table, forecasts_table, quantiles_table

log = logging.getLogger(__name__)

FIRST_ISSUED_TIMEOUT = 0.25  # seconds a first-issue lookup waits on a locked archive table


class ArchiveUnavailable(RuntimeError):
    """The archive database cannot be read (answered with 503)."""


def _utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite keeps them without a zone)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; the archive stores UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _unavailable(exc: BaseException) -> ArchiveUnavailable:
    """The public error for a failed read; the details (hosts, pool state) go to the log."""
    log.warning("archive read failed: %s", exc)
    return ArchiveUnavailable("archive database unavailable")


class ArchiveQueries:
    """Reads of the archive. `database_ready` says whether the database takes writes (the
    writer's health), which `first_issued` checks before asking it."""

    def __init__(self, engine: Engine, outbox: Outbox, database_ready: Callable[[], bool]) -> None:
        self.engine = engine
        self.outbox = outbox
        self._database_ready = database_ready

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
        return _utc(found) if found is not None else self._archived_issue(forecast_id)

    def issue_time(self, forecast_id: str, now: datetime) -> datetime:
        """The `issued_at` to answer `forecast_id` with: its first issue (`first_issued`), or
        else `now`, recorded in the outbox as its first issue unless another worker sharing
        the file recorded one a moment before (then that one: two workers computing the same
        new forecast at once answer with one issue time)."""
        first = self.first_issued(forecast_id)
        try:
            return as_utc(self.outbox.claim_issued(forecast_id, first or now))
        except Exception:  # a journal that cannot be written: this worker's own answer
            log.debug("outbox issue time of %s not recorded", forecast_id, exc_info=True)
            return first or now

    def _archived_issue(self, forecast_id: str) -> datetime | None:
        """The issue time of `forecast_id` in a PostgreSQL archive that takes writes, or None
        (a SQLite archive serves one host, whose workers share the outbox and its issue
        times; a database server may serve replicas on other hosts)."""
        if self.engine.dialect.name == "sqlite" or not self._database_ready():
            return None
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
