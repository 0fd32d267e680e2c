"""Per-client windows kept in the process's memory (the `limits` library's MemoryStorage: the
scenario rate limit with ``memory://``, and the admin throttle), bounded in clients.

The storage trims each client's expired requests but keeps the client's (empty) entry for
good, so addresses never seen again would pile up. `prune` bounds them: beyond `limit`
windows (one per client and limit) it forgets the clients with no request left in their
window, then, if still over, the longest known, down to `KEEP` of the limit (a client forgotten
while active starts a new window: with that many clients at once the limit admits more in
total, never one client more often than its own window allows after it returns).
"""

from __future__ import annotations

import time
from typing import Final

from limits.storage import MemoryStorage

KEEP: Final = 0.9  # prune down to this share of the limit, so pruning is rare


def windows(storage: MemoryStorage) -> int:
    """The windows (client × limit) the storage keeps."""
    return len(storage.events)


def _forget(storage: MemoryStorage, key: str) -> None:
    with storage.locks[key]:
        storage.events.pop(key, None)
    storage.locks.pop(key, None)


def prune(storage: MemoryStorage, limit: int) -> int:
    """Make room for one more window, so that `storage` keeps at most `limit` (see the module
    doc); the number forgotten."""
    if len(storage.events) < limit:  # room for one more
        return 0
    now = time.time()
    idle = [
        key
        for key, events in list(storage.events.items())
        if not events or events[0].expiry <= now  # newest first: all expired
    ]
    for key in idle:
        _forget(storage, key)
    keep = max(0, min(int(limit * KEEP), limit - 1))
    oldest = list(storage.events)[: max(0, len(storage.events) - keep)]
    for key in oldest:
        _forget(storage, key)
    return len(idle) + len(oldest)


__all__ = ["KEEP", "prune", "windows"]
