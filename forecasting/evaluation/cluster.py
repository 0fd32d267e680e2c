"""Backtest origins on a Dask distributed cluster, through joblib's Dask backend.

`run_backtest` fans its origins out with joblib; inside `dask_backend(address)` joblib sends
them to the scheduler at `address` (``tcp://HOST:PORT``) instead of local processes. Each
origin's random streams are keyed by seed, origin and draw, so where an origin runs does not
change its numbers. Dask is an optional extra (``pip install '.[distributed]'``), imported
only here and only when a cluster is asked for.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from urllib.parse import urlparse

from forecasting.errors import ConfigError

log = logging.getLogger(__name__)

ENV_SCHEDULER = "CROSSINGS_DASK_SCHEDULER"
SCHEMES = ("tcp", "tls")
CONNECT_TIMEOUT_S = 15


def scheduler_address(flag: str | None) -> str | None:
    """The scheduler to use: `flag`, else $CROSSINGS_DASK_SCHEDULER, else None (run locally).
    ConfigError unless it reads ``tcp://HOST:PORT`` (or ``tls://``)."""
    address = flag or os.environ.get(ENV_SCHEDULER) or None
    if address is None:
        return None
    parsed = urlparse(address)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme not in SCHEMES or not parsed.hostname or port is None:
        raise ConfigError(
            f"--cluster / {ENV_SCHEDULER} '{address}' is not a Dask scheduler address; "
            "use tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786"
        )
    return address


@contextmanager
def dask_backend(address: str) -> Iterator[None]:
    """Within the block, joblib runs its tasks (the backtest's origins) on the Dask cluster
    at `address`, on all its workers. ConfigError if the extra is missing or the scheduler
    does not answer."""
    try:
        import joblib
        from distributed import Client
    except ImportError as exc:
        raise ConfigError(
            "--cluster needs the distributed extra; install it with "
            "pip install '.[distributed]' (or unset CROSSINGS_DASK_SCHEDULER to run locally)"
        ) from exc
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"the Dask scheduler at {address} did not answer within {CONNECT_TIMEOUT_S} s "
            f"({exc}); start it (dask scheduler / dask worker) or fix the address"
        ) from exc
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        log.info("backtest origins on the Dask cluster %s (%d workers)", address, workers)
        with client.as_current(), joblib.parallel_config(backend="dask", n_jobs=-1):
            yield
    finally:
        client.close()


def backend(address: str | None) -> AbstractContextManager[None]:
    """The Dask backend for `address`, or a no-op (local joblib processes) without one."""
    return dask_backend(address) if address else nullcontext()


__all__ = ["ENV_SCHEDULER", "backend", "dask_backend", "scheduler_address"]
