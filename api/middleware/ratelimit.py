"""A per-client rate limit on POST scenario forecasts (the `limits` library, moving window).

Each scenario is computed on demand and archived (about 7 KB), so anonymous clients could
otherwise fill the archive. `CROSSINGS_SCENARIO_RATE_LIMIT` (e.g. ``60/minute``; several
joined by ``;``; empty disables) caps the POSTs one client may make; a client over it gets a
429 with `Retry-After` (whole seconds until the oldest request in its window expires).
Every POST to a limited route counts, valid or not. GET routes are not limited.

The client is the peer address (`request.client.host`). Behind a proxy, set uvicorn's
``FORWARDED_ALLOW_IPS`` to exactly the proxy's address(es), never ``*``: uvicorn then takes
the right-most X-Forwarded-For entry that is not a trusted proxy, the address the proxy saw,
whatever a client wrote into the header itself (with ``*`` it takes the left-most, which the
client chooses).

The window lives in `CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE`: ``memory://`` (default) keeps it
in each process, so every replica (and every worker) holds its own window and the fleet admits
up to replicas × workers × the limit; a shared ``redis://host:6379`` makes it one limit for
all. While a shared store does not answer, each process counts in its own memory (a warning
names the setting) and tries the store again every `RETRY_SECONDS`.
"""

from __future__ import annotations

import logging
import math
import time
import urllib.parse
from typing import TYPE_CHECKING, Any, Final

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api import client_windows
from api.rate_limit_rules import check_storage, parse_limit
from api.schemas import MessageResponse

if TYPE_CHECKING:
    from api.service import ForecastService

log = logging.getLogger(__name__)

MEMORY: Final = "memory://"
_STATE: Final = "scenario_limiter"
RETRY_SECONDS: Final = 30.0  # how long an unreachable shared store is left alone
_TIMEOUT: Final = 1.0  # seconds a Redis connect or command may take
_REDIS: Final = ("redis", "rediss", "redis+unix", "valkey", "valkeys", "valkey+unix")

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


def _moving_window(uri: str) -> MovingWindowRateLimiter:
    """A moving-window limiter on the storage `uri` names; its failures raise StorageError,
    and a Redis one gives up on a connection or a command after `_TIMEOUT` seconds."""
    options: dict[str, Any] = {"wrap_exceptions": True}
    if urllib.parse.urlparse(uri).scheme in _REDIS:
        options |= {"socket_connect_timeout": _TIMEOUT, "socket_timeout": _TIMEOUT}
    return MovingWindowRateLimiter(storage_from_string(check_storage(uri), **options))


def shown(uri: str) -> str:
    """`uri` without its password, for logs."""
    parts = urllib.parse.urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:" if parts.username else ":"
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}***@{netloc}"))


def _over(
    limiter: MovingWindowRateLimiter, limits: list[RateLimitItem], client: str
) -> float | None:
    """Count one request from `client` in `limiter`: None when allowed, else the seconds until
    it may post again (then not counted)."""
    for item in limits:
        if not limiter.test(item, "scenario", client):
            reset, _ = limiter.get_window_stats(item, "scenario", client)
            return max(1.0, reset - time.time())
    for item in limits:
        if not limiter.hit(item, "scenario", client):  # a concurrent hit won
            reset, _ = limiter.get_window_stats(item, "scenario", client)
            return max(1.0, reset - time.time())
    return None


class ScenarioLimiter:
    """The moving-window limits of one service, keyed by client address; with a shared store,
    a per-process memory window stands in while the store does not answer."""

    def __init__(
        self,
        limits: list[RateLimitItem],
        storage_uri: str = MEMORY,
        max_clients: int = 100_000,
    ) -> None:
        self.limits = limits
        self.storage_uri = storage_uri
        self.in_memory = storage_uri.startswith("memory:")
        self.max_clients = max_clients  # windows kept in memory (api/client_windows.py)
        self._limiter = _moving_window(storage_uri) if limits else None
        self._fallback = _moving_window(MEMORY) if limits and not self.in_memory else None
        self._down_until: float | None = None  # monotonic time to try the store again

    def _memory(self) -> list[MemoryStorage]:
        """The storages this process keeps windows in."""
        found = [self._fallback] if self._fallback is not None else []
        if self._limiter is not None and self.in_memory:
            found.append(self._limiter)
        return [lim.storage for lim in found if isinstance(lim.storage, MemoryStorage)]

    def windows(self) -> int:
        """The client windows kept in this process's memory."""
        return sum(client_windows.windows(s) for s in self._memory())

    @property
    def enabled(self) -> bool:
        """False when no limit is configured."""
        return bool(self.limits)

    @property
    def shared_down(self) -> bool:
        """Whether the shared store failed and the memory window stands in."""
        return self._down_until is not None

    def describe(self) -> str:
        """Where the windows live, for the start-up log."""
        if not self.enabled:
            return "scenario rate limit off (CROSSINGS_SCENARIO_RATE_LIMIT is empty)"
        limits = ";".join(str(x) for x in self.limits)
        where = "each process its own window" if self.in_memory else "shared by every process"
        return f"scenario rate limit {limits} per client in {shown(self.storage_uri)} ({where})"

    def check(self) -> bool:
        """Ping the shared store (True for memory or no limit); on failure the memory window
        stands in, with a warning naming the setting."""
        if self._limiter is None or self.in_memory:
            return True
        if self._limiter.storage.check():
            return True
        self._failed("it does not answer a ping")
        return False

    def _failed(self, why: object) -> None:
        if self._down_until is None:
            log.warning(
                "CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE %s is unreachable (%s): each process "
                "counts scenario POSTs in its own memory until it answers (tried again every "
                "%.0f s)",
                shown(self.storage_uri),
                why,
                RETRY_SECONDS,
            )
        self._down_until = time.monotonic() + RETRY_SECONDS

    def hit(self, client: str) -> float | None:
        """Count one request from `client`: None when it is allowed, else the seconds until
        it may post again (the request is then not counted)."""
        if self._limiter is None:
            return None
        for storage in self._memory():
            client_windows.prune(storage, self.max_clients)
        if self._fallback is None:
            return _over(self._limiter, self.limits, client)
        if self._down_until is not None and time.monotonic() < self._down_until:
            return _over(self._fallback, self.limits, client)
        try:
            wait = _over(self._limiter, self.limits, client)
        except StorageError as exc:
            self._failed(exc.storage_error)
            return _over(self._fallback, self.limits, client)
        if self._down_until is not None:
            self._down_until = None
            log.warning(
                "CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE %s answers again", shown(self.storage_uri)
            )
        return wait


def open_limiter(state: Any, service: ForecastService) -> ScenarioLimiter:
    """The service's limiter, built at start-up (`state` is the app's): logs where its windows
    live and pings a shared store, warning when it does not answer."""
    s = service.settings
    limiter = ScenarioLimiter(
        parse_limit(s.scenario_rate_limit), s.scenario_rate_limit_storage, s.rate_limit_clients
    )
    setattr(state, _STATE, (service, limiter))
    log.info("%s", limiter.describe())
    limiter.check()
    return limiter


def scenario_limiter(state: Any) -> ScenarioLimiter | None:
    """The limiter built at start-up (`state` is the app's), if any."""
    current: tuple[ForecastService, ScenarioLimiter] | None = getattr(state, _STATE, None)
    return None if current is None else current[1]


def _limiter(request: Request, service: ForecastService) -> ScenarioLimiter:
    """The limiter of the running service (built in the lifespan, else on first use)."""
    current: tuple[ForecastService, ScenarioLimiter] | None = getattr(
        request.app.state, _STATE, None
    )
    if current is None or current[0] is not service:
        return open_limiter(request.app.state, service)
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
