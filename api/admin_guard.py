"""Wrong admin tokens are throttled per client: after `limit` failures (default 10 a minute)
every admin request from that client gets 429 with Retry-After until the window moves on, so
the token cannot be guessed at thousands of attempts a second. Kept in the process's memory
(each worker throttles on its own), at most CROSSINGS_RATE_LIMIT_CLIENTS clients."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api import client_windows

ADMIN_FAILURE_LIMIT = "10/minute"


class AdminGuard:
    """Counts failed admin authentications per client address."""

    def __init__(self, limit: str = ADMIN_FAILURE_LIMIT, max_clients: int = 100_000) -> None:
        self._item = parse(limit)
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self.max_clients = max_clients  # CROSSINGS_RATE_LIMIT_CLIENTS, set at start-up

    def windows(self) -> int:
        """The clients whose failures are kept."""
        return client_windows.windows(self._storage)

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it may now."""
        if self._limiter.test(self._item, "admin", client):
            return None
        reset = self._limiter.get_window_stats(self._item, "admin", client).reset_time
        return max(1, math.ceil(reset - time.time()))

    def failed(self, client: str) -> None:
        """Record a failed attempt by `client` (at most `max_clients` clients are kept:
        api/client_windows.py)."""
        client_windows.prune(self._storage, self.max_clients)
        self._limiter.hit(self._item, "admin", client)


__all__ = ["ADMIN_FAILURE_LIMIT", "AdminGuard"]
