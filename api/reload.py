"""A reload that reaches every worker and replica: a shared reload generation.

`POST /v1/admin/reload` reloads the worker that answers it, then increments a one-row counter
(`reload_generation`, in the forecast archive's database: SQLite file or PostgreSQL). Every
worker runs a `ReloadWatcher` thread that reads the counter every second (one indexed
single-row SELECT, bounded by the archive's statement timeout) and, when it grew, runs the
same reload (registry refresh, forced, and the observed data). So with `--workers N` or many
replicas on one archive, every one serves the new champion within about a second.

Polling was chosen over PostgreSQL LISTEN/NOTIFY: it works the same on SQLite, needs no
dedicated connection, and survives a database restart without re-subscribing.

Without an archive database there is nothing shared: a reload reaches only the worker that
answered it, and the others follow at their next registry poll (`CROSSINGS_POLL_SECONDS`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert

from api.archive.tables import reload_generation_table as table

if TYPE_CHECKING:
    from api.champion import ReloadOutcome
    from api.service import ForecastService

log = logging.getLogger(__name__)

WATCH_SECONDS = 1.0  # how often each worker reads the generation
_ROW = 1  # the table's only row


def reload_service(service: ForecastService) -> list[ReloadOutcome]:
    """The reload itself: load each champion from the registry again (even if its version
    did not move), then the observed data if its files changed."""
    outcomes = service.store.refresh(True)
    service.observed.reload_if_changed()
    return outcomes


def start_watcher(service: ForecastService) -> ReloadWatcher | None:
    """A started watcher on the service's archive database, or None without an archive (a
    reload then reaches only the answering worker; the rest follow at their next poll)."""
    if service.archive is None:
        return None
    watcher = ReloadWatcher(service.archive.engine, lambda: reload_service(service))
    watcher.start()
    return watcher


def read_generation(engine: Engine) -> int:
    """The current reload generation (0 before the first reload)."""
    with engine.connect() as conn:
        value = conn.execute(select(table.c.generation).where(table.c.id == _ROW)).scalar()
    return int(value or 0)


def bump_generation(engine: Engine) -> int:
    """Increment the reload generation in one statement (an UPSERT, safe when several
    workers do it at once) and return the new value."""
    dialect = engine.dialect.name
    now = datetime.now(UTC)
    row = {"id": _ROW, "generation": 1, "requested_at": now}
    update = {"generation": table.c.generation + 1, "requested_at": now}
    stmt: ReturningInsert[Any]
    if dialect == "postgresql":
        pg = postgresql.insert(table).values(row)
        stmt = pg.on_conflict_do_update(index_elements=[table.c.id], set_=update).returning(
            table.c.generation
        )
    elif dialect == "sqlite":
        lite = sqlite.insert(table).values(row)
        stmt = lite.on_conflict_do_update(index_elements=[table.c.id], set_=update).returning(
            table.c.generation
        )
    else:
        raise ValueError(
            f"the reload generation needs a sqlite or postgresql archive, not {dialect!r}"
        )
    with engine.begin() as conn:
        value = conn.execute(stmt).scalar_one()
    return int(value)


class ReloadWatcher:
    """Watches the shared reload generation on a daemon thread and calls `on_reload` when it
    grows. `bump` is what the admin reload calls after reloading this worker itself: this
    worker then does not reload a second time for its own bump."""

    def __init__(
        self,
        engine: Engine,
        on_reload: Callable[[], object],
        *,
        interval: float = WATCH_SECONDS,
    ) -> None:
        self.engine = engine
        self.on_reload = on_reload
        self.interval = interval
        self.seen: int | None = None  # the last generation acted on (None: not read yet)
        self.reloads = 0  # reloads this watcher ran for other workers' requests
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start watching: the first read (on the thread) sets the baseline."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="reload-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for it at most `timeout` seconds."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=timeout)
            if thread.is_alive():
                log.warning("reload watcher still busy at shutdown; leaving it (daemon)")

    def bump(self) -> int:
        """Increment the shared generation and mark it seen here; returns it."""
        with self._lock:
            generation = bump_generation(self.engine)
            self.seen = max(self.seen or 0, generation)
        return generation

    def check(self) -> bool:
        """Read the generation once; reload when it grew. True when a reload ran. Failures
        (database down, table not there yet) are logged at debug and retried next tick."""
        try:
            with self._lock:
                generation = read_generation(self.engine)
                first, grew = self.seen is None, generation > (self.seen or 0)
                if first or grew:
                    self.seen = generation
        except Exception as exc:
            log.debug("reload generation not readable (retrying): %s", exc)
            return False
        if first or not grew:
            return False
        log.info("reload generation %d: reloading the champions", generation)
        self.on_reload()
        self.reloads += 1
        return True

    def _run(self) -> None:
        self.check()  # the baseline: this worker has just loaded, older reloads are done
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # never let the watcher die
                log.exception("reload after a new generation failed")
