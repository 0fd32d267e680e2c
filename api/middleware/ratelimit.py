"""A per-client rate limit on POST scenario forecasts (the `limits` library, moving window).

Each scenario is computed on demand and archived (about 7 KB), so anonymous clients could
otherwise fill the archive. `CROSSINGS_SCENARIO_RATE_LIMIT` (e.g. ``60/minute``; several
joined by ``;``; empty disables) caps the POSTs one client may make; a client over it gets a
429 with `Retry-After` (whole seconds until the oldest request in its window expires).
Every POST to a limited route counts, valid or not. GET routes are not limited.

The client is the peer address (`request.client.host`). Behind a proxy, run uvicorn with
``--proxy-headers --forwarded-allow-ips=<the proxy>`` so that is the caller, not the proxy.
The window lives in `CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE`: ``memory://`` (default) keeps it
in each process, so every replica (and every worker) holds its own window and the fleet admits
up to replicas × the limit; a shared ``redis://host:6379`` makes it one limit for all.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any, Final

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.rate_limit_rules import check_storage, parse_limit
from api.schemas import MessageResponse

if TYPE_CHECKING:
    from api.service import ForecastService

log = logging.getLogger(__name__)

MEMORY: Final = "memory://"
_STATE: Final = "scenario_limiter"

RATE_LIMITED: Final[dict[int | str, dict[str, Any]]] = {
    429: {
        "model": MessageResponse,
        "description": "Too many scenario requests from this client "
        "(`CROSSINGS_SCENARIO_RATE_LIMIT`); retry after `Retry-After` seconds.",
        "headers": {
            "Retry-After": {
                "description": "Seconds until the client may post again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    }
}


class ScenarioLimiter:
    """The moving-window limits of one service, keyed by client address."""

    def __init__(self, limits: list[RateLimitItem], storage_uri: str = MEMORY) -> None:
        self.limits = limits
        self.storage_uri = storage_uri
        self.in_memory = storage_uri.startswith("memory:")
        storage = storage_from_string(check_storage(storage_uri)) if limits else None
        self._limiter = MovingWindowRateLimiter(storage) if storage is not None else None

    @property
    def enabled(self) -> bool:
        """False when no limit is configured."""
        return bool(self.limits)

    def hit(self, client: str) -> float | None:
        """Count one request from `client`: None when it is allowed, else the seconds until
        it may post again (the request is then not counted)."""
        if self._limiter is None:
            return None
        for item in self.limits:
            if not self._limiter.test(item, "scenario", client):
                reset, _ = self._limiter.get_window_stats(item, "scenario", client)
                return max(1.0, reset - time.time())
        for item in self.limits:
            if not self._limiter.hit(item, "scenario", client):  # a concurrent hit won
                reset, _ = self._limiter.get_window_stats(item, "scenario", client)
                return max(1.0, reset - time.time())
        return None


def _limiter(request: Request, service: ForecastService) -> ScenarioLimiter:
    """The limiter of the running service, built on first use (one per lifespan)."""
    state = request.app.state
    current: tuple[ForecastService, ScenarioLimiter] | None = getattr(state, _STATE, None)
    if current is None or current[0] is not service:
        s = service.settings
        current = (
            service,
            ScenarioLimiter(parse_limit(s.scenario_rate_limit), s.scenario_rate_limit_storage),
        )
        setattr(state, _STATE, current)
    return current[1]


async def limit_scenarios(request: Request) -> None:
    """Route dependency: 429 with `Retry-After` when this client is over the scenario limit."""
    service: ForecastService | None = getattr(request.app.state, "service", None)
    if service is None:
        return  # not started: the route answers 503 itself
    limiter = _limiter(request, service)
    if not limiter.enabled:
        return
    client = request.client.host if request.client is not None else "unknown"
    if limiter.in_memory:  # microseconds: no thread hop, so a flood costs no worker threads
        wait = limiter.hit(client)
    else:
        wait = await run_in_threadpool(limiter.hit, client)
    if wait is None:
        return
    seconds = math.ceil(wait)
    # debug: a flood would otherwise flood the log; /metrics counts the 429s by route
    log.debug(
        "429 for %s on %s %s: over the scenario limit", client, request.method, request.url.path
    )
    raise HTTPException(
        status_code=429,
        detail=f"too many scenario requests from this client (limit "
        f"{service.settings.scenario_rate_limit}); retry in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )
