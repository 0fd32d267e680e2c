"""Wrong admin tokens are throttled per client: after `limit` failures (default 10 a minute)
every admin request from that client gets 429 with Retry-After until the window moves on, so
the token cannot be guessed at thousands of attempts a second. Kept in the process's memory
(each worker throttles on its own)."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

ADMIN_FAILURE_LIMIT = "10/minute"


class AdminGuard:
    """Counts failed admin authentications per client address."""

    def __init__(self, limit: str = ADMIN_FAILURE_LIMIT) -> None:
        self._item = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it may now."""
        if self._limiter.test(self._item, "admin", client):
            return None
        reset = self._limiter.get_window_stats(self._item, "admin", client).reset_time
        return max(1, math.ceil(reset - time.time()))

    def failed(self, client: str) -> None:
        """Record a failed attempt by `client`."""
        self._limiter.hit(self._item, "admin", client)


__all__ = ["ADMIN_FAILURE_LIMIT", "AdminGuard"]
