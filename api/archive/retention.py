"""Archive retention: POST scenario forecasts are kept N days, issued default forecasts forever.

The archive writer's thread (`api.archive.writer.ArchiveWriter`) calls `Retention.maybe_run`
between outbox batches: at start and then every `every` seconds it deletes the scenario forecasts
issued more than `days` days ago, with their day and quantile rows, in small transactions
(each statement bounded by the archive's statement timeout), at most `max_batches` per run so
the outbox drain is never held up for long; what is left waits for the next run, which then
comes soon. A failed run (the database is down) is retried after `retry` seconds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import Connection, Engine, Table, delete, select
from sqlalchemy.exc import SQLAlchemyError

from api.archive.tables import days_table, forecasts_table, quantiles_table

log = logging.getLogger(__name__)

SCENARIO: Final = "scenario"  # the archive `kind` of a POST scenario forecast


@dataclass(frozen=True)
class Pruned:
    """Rows one pruning run deleted, and whether old scenarios remain."""

    forecasts: int = 0
    days: int = 0
    quantiles: int = 0
    more: bool = False


def prune_scenarios(
    engine: Engine, before: datetime, *, batch: int = 500, max_batches: int = 20
) -> Pruned:
    """Delete scenario forecasts issued before `before` (with their day and quantile rows),
    `batch` forecasts per transaction, at most `max_batches` transactions."""
    f = forecasts_table.c
    old = select(f.forecast_id).where(f.kind == SCENARIO, f.issued_at < before).limit(batch)
    forecasts = days = quantiles = 0
    for _ in range(max_batches):
        with engine.begin() as conn:
            ids = list(conn.execute(old).scalars())
            if not ids:
                return Pruned(forecasts, days, quantiles, more=False)
            # Children first: explicit deletes work on archives whose foreign keys do not
            # cascade (SQLite without the pragma, or tables made before the cascade).
            quantiles += _delete(conn, quantiles_table, ids)
            days += _delete(conn, days_table, ids)
            forecasts += _delete(conn, forecasts_table, ids)
        if len(ids) < batch:
            return Pruned(forecasts, days, quantiles, more=False)
    return Pruned(forecasts, days, quantiles, more=True)


def _delete(conn: Connection, table: Table, ids: list[str]) -> int:
    """Delete `table`'s rows of forecasts `ids`; how many went."""
    return int(conn.execute(delete(table).where(table.c.forecast_id.in_(ids))).rowcount)


@dataclass
class Retention:
    """When and what the archive writer prunes. `days` None or 0 keeps everything."""

    days: float | None
    every: float = 3600.0  # seconds between runs
    retry: float = 60.0  # seconds before retrying a failed run
    batch: int = 500
    max_batches: int = 20
    pruned: int = 0  # scenario forecasts deleted so far
    _next: float = field(default=0.0, repr=False)  # monotonic time of the next run: 0 = now

    @property
    def enabled(self) -> bool:
        """False when scenarios are kept forever."""
        return bool(self.days)

    def cutoff(self, now: datetime | None = None) -> datetime:
        """Scenarios issued before this are pruned."""
        if not self.days:
            raise ValueError("retention is off (days is 0 or None): nothing is pruned")
        return (now or datetime.now(UTC)) - timedelta(days=self.days)

    def maybe_run(self, engine: Engine) -> Pruned | None:
        """Prune when a run is due (at the first call, then every `every` seconds); None when
        not due or disabled. Never raises on a database error: logs it and retries later."""
        if not self.enabled or time.monotonic() < self._next:
            return None
        return self.run(engine)

    def run(self, engine: Engine, now: datetime | None = None) -> Pruned | None:
        """Prune now (see `prune_scenarios`) and schedule the next run; None on failure."""
        cutoff = self.cutoff(now)
        try:
            done = prune_scenarios(engine, cutoff, batch=self.batch, max_batches=self.max_batches)
        except SQLAlchemyError as exc:
            log.warning("archive retention run failed (retrying in %.0f s): %s", self.retry, exc)
            self._next = time.monotonic() + self.retry
            return None
        self.pruned += done.forecasts
        self._next = time.monotonic() + (1.0 if done.more else self.every)
        level = logging.INFO if done.forecasts else logging.DEBUG
        log.log(
            level,
            "archive retention: pruned %d scenario forecasts issued before %s (%d day rows, "
            "%d quantile rows)%s",
            done.forecasts,
            cutoff.isoformat(timespec="seconds"),
            done.days,
            done.quantiles,
            "; more remain" if done.more else "",
        )
        return done
