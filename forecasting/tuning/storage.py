"""Where an Optuna study lives: in memory (one process) or an RDB shared by many processes.

``postgresql+psycopg://user@host:5432/db`` lets processes on many machines share a study;
``sqlite:///tune.db`` shares one on a single machine. The storage is what coordinates them:
each process asks it for the next trial, so there is no scheduler of ours. Trials keep a
heartbeat, so a trial whose process died is marked failed instead of running forever.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from typing import Any
from urllib.parse import urlparse

from forecasting.errors import ConfigError

log = logging.getLogger(__name__)

HEARTBEAT_S = 30  # a running trial's process writes a heartbeat this often
GRACE_S = 120  # a trial whose heartbeat is older than this is marked failed
SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
_ATTEMPTS = 3  # table creation can race between processes on a fresh database


def redact(url: str) -> str:
    """The URL without a password, for messages and logs."""
    return re.sub(r"//([^:/@]+):[^@/]+@", r"//\1:***@", url)


def engine_kwargs(url: str) -> dict[str, Any]:
    """SQLAlchemy engine options: a busy timeout for SQLite; a small checked pool for a
    server (each process holds at most a few connections)."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 60}}
    return {"pool_size": 2, "max_overflow": 2, "pool_pre_ping": True, "pool_recycle": 600}


def _check_url(url: str) -> str:
    scheme = urlparse(url).scheme
    if scheme == "postgresql":  # SQLAlchemy's default driver is psycopg2; we ship psycopg 3
        url = "postgresql+psycopg" + url.removeprefix("postgresql")
    elif scheme not in SCHEMES:
        raise ConfigError(
            f"--storage '{redact(url)}' is not a supported study storage; use "
            "postgresql+psycopg://USER@HOST:PORT/DB (shared by many machines) or "
            "sqlite:///FILE.db (one machine)"
        )
    return url


def open_storage(url: str | None) -> Any:
    """An Optuna RDBStorage on `url`, or None (in memory). ConfigError naming the storage if
    it cannot be opened."""
    if url is None:
        return None
    import optuna
    from sqlalchemy.exc import IntegrityError, ProgrammingError, SQLAlchemyError

    url = _check_url(url)
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" since Optuna 2.9
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(
                    url,
                    engine_kwargs=engine_kwargs(url),
                    heartbeat_interval=HEARTBEAT_S,
                    grace_period=GRACE_S,
                )
        except ImportError as exc:  # the database driver (psycopg) is an extra
            raise ConfigError(
                f"--storage {redact(url)} needs its database driver ({exc.name or exc}); "
                "install it with pip install '.[postgres]'"
            ) from exc
        except SQLAlchemyError as exc:
            racing = isinstance(exc, IntegrityError | ProgrammingError)
            if attempt == _ATTEMPTS or not racing:
                raise ConfigError(
                    f"--storage {redact(url)}: cannot open the study storage "
                    f"({type(exc).__name__}: {str(exc).splitlines()[0]}); check the database "
                    "exists and answers"
                ) from exc
            log.info("study tables created concurrently by another process; retrying")
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


__all__ = ["engine_kwargs", "open_storage", "redact"]
