"""A micro-cache of whole responses for the idempotent forecast GETs (the hot path).

The default-weather forecast behind GET /v1/forecast is already cached per (target, issue
date, weather mode, start, horizon, model version, data version); this layer keeps the
finished HTTP response per exact query string so a repeated request skips routing,
validation and dependency resolution. An entry is used only while

- the champions, the observed data and today's date are the ones it was made with
  (`service.generation` changes on every reload and when the day turns: the default issue
  date is today), and
- the forecast it was rendered from is still fresh (the route sets `cache_until`).

Only 200 answers are kept; errors and other paths pass through untouched. At most
`response_cache_entries` answers and `response_cache_bytes` bytes of them are kept per
process, the least recently used going first (api/bounded.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bounded import Bounded
from api.settings import ApiSettings

if TYPE_CHECKING:
    from api.service import ForecastService

CACHE_UNTIL = "cache_until"  # request.state key set by routes: monotonic expiry time


@dataclass(frozen=True)
class _Entry:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires: float


def entry_nbytes(entry: _Entry) -> int:
    """The bytes an answer holds: its body and headers, and about 64 per header and object."""
    return len(entry.body) + sum(len(k) + len(v) + 64 for k, v in entry.headers) + 256


def response_store() -> Bounded[_Entry]:
    """An empty store of answers at the settings' default limits (the running service's
    settings replace them at each request)."""
    fields = ApiSettings.model_fields
    return Bounded(
        "response",
        int(fields["response_cache_entries"].default),
        int(fields["response_cache_bytes"].default),
        entry_nbytes,
    )


class ResponseCache:
    """ASGI middleware caching 200 responses of GET `paths`, keyed by the query string."""

    def __init__(
        self,
        app: ASGIApp,
        paths: tuple[str, ...],
        service: Callable[[], ForecastService | None],
        store: Bounded[_Entry] | None = None,
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self._service = service
        self.store = response_store() if store is None else store
        self.hits = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        service = self._service()
        if service is None:
            await self.app(scope, receive, send)
            return
        accept = dict(scope.get("headers", [])).get(b"accept", b"")
        key = (scope["path"], scope["query_string"], b"text/csv" in accept, service.generation)
        settings = service.settings
        self.store.configure(settings.response_cache_entries, settings.response_cache_bytes)
        hit = self.store.get(key)
        if hit is not None and hit.expires > time.monotonic():
            self.hits += 1
            scope["cached_route"] = scope["path"]
            await send({"type": "http.response.start", "status": 200, "headers": hit.headers})
            await send({"type": "http.response.body", "body": hit.body})
            return

        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        until = scope.get("state", {}).get(CACHE_UNTIL)
        if status == 200 and until is not None:
            self.store.put(key, _Entry(headers, b"".join(chunks), float(until)))

    def clear(self) -> None:
        """Drop every entry."""
        self.store.clear()
