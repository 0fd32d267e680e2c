"""The rules of the scenario rate-limit settings, checked when the settings load (no HTTP here,
so `api.settings` can use them without importing the limiter)."""

from __future__ import annotations

import urllib.parse

from limits import RateLimitItem, parse_many
from limits.storage import MovingWindowSupport, Storage


def parse_limit(text: str) -> list[RateLimitItem]:
    """The limits in `text` (``60/minute``, ``10 per second;500/day``); [] when empty.
    ValueError naming the setting and the expected form on anything else."""
    if not text.strip():
        return []
    try:
        return list(parse_many(text))
    except ValueError as exc:
        raise ValueError(
            f"CROSSINGS_SCENARIO_RATE_LIMIT {text!r} is not a rate limit ({exc}); write e.g. "
            "'60/minute' or '10 per second;500 per day', or leave it empty to disable"
        ) from None


def check_storage(uri: str) -> str:
    """`uri` if it names a `limits` storage that supports a moving window (memory://,
    redis://, mongodb://, ...); ValueError saying what to write otherwise."""
    from limits.storage import SCHEMES

    scheme = urllib.parse.urlparse(uri).scheme
    cls = SCHEMES.get(scheme)
    if cls is None or not issubclass(cls, MovingWindowSupport) or not issubclass(cls, Storage):
        raise ValueError(
            f"CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE has scheme {scheme!r}, which is not a "
            "storage with a moving window; use 'memory://' (per process) or a shared "
            "'redis://host:6379'"
        )
    return uri
