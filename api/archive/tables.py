"""The archive's schema and engine: the tables every issued forecast is stored in, the record
the writer takes, and an engine with a bound on every wait (api/archive/writer.py writes,
api/archive/queries.py reads).

Forecasts are stored twice over: one row per forecast (inputs and the full response) and one
row per forecast day (indexed by target and date), which is what verification reads, plus the
quantiles per day for scoring.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
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
)
from sqlalchemy.engine import make_url

from api.archive.outbox import MEMORY

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

# What retention (api/archive/retention.py) looks rows up by; `create_schema` adds them to
# older archives.
RETENTION_INDEXES: Final = (
    Index("ix_issued_kind_issued_at", forecasts_table.c.kind, forecasts_table.c.issued_at),
    Index("ix_issued_days_forecast", days_table.c.forecast_id),
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


# One row (id 1): a counter that `POST /v1/admin/reload` increments and every worker and
# replica watches, so a reload reaches them all (api/reload.py).
reload_generation_table: Final = Table(
    "reload_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
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
    if u.drivername == "postgresql+psycopg" and importlib.util.find_spec("psycopg") is None:
        raise ValueError(
            "a PostgreSQL archive URL needs psycopg, which is in the 'postgres' extra: "
            "pip install 'channel-crossings[postgres]' (or use a sqlite:/// URL)"
        )
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
            json_serializer=_json,
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
        json_serializer=_json,
        connect_args={
            "connect_timeout": max(1, round(connect_timeout)),
            "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
        },
    )


def _json(value: Any) -> str:
    """The JSON columns' serializer: orjson (the archive writes a response per forecast)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def default_outbox(url: str) -> str:
    """Where the outbox lives unless configured: beside a SQLite archive file, in memory for
    an in-memory archive, else `forecast_outbox.db` in the working directory."""
    u = make_url(engine_url(url))
    if u.drivername.startswith("sqlite"):
        db = u.database or ""
        return MEMORY if db in ("", MEMORY) else f"{db}.outbox"
    return "forecast_outbox.db"
