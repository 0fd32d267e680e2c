"""Limits on the size of a request's headers and the time to send its body.

- `UVICORN_LIMITS` are the server options `crossings serve` runs with: the h11 HTTP parser
  (httptools buffers a header block of any size: a 50 MB header value was read whole) with
  `h11_max_incomplete_event_size`, so a header block that does not end within 64 KiB closes
  the connection, and a keep-alive timeout for idle connections; the parser is uvicorn's h11
  protocol with a request-head deadline and nosniff on uvicorn's own answers
  (`GuardedH11Protocol`, api/middleware/connection.py).
- `RequestLimitsMiddleware` refuses headers over `MAX_HEADER_BYTES` in all (431; the server
  bound above is per read, this one exact and server-independent) and bounds the time a
  request's body may take to arrive: a body announced but never (fully) sent gets a 408
  after `timeout()` seconds instead of holding its connection forever.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Final

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware.connection import GuardedH11Protocol

log = logging.getLogger(__name__)

MAX_HEADER_BYTES: Final = 64 * 1024
UVICORN_LIMITS: Final[dict[str, Any]] = {
    "http": GuardedH11Protocol,  # h11, a deadline on request heads
    "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    "timeout_keep_alive": 5,
    "server_header": False,  # no "server: uvicorn" advertising the stack
}


class BodyReadTimeout(HTTPException):
    """The request body did not arrive in time (answered 408, connection closed)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            status_code=408,
            detail=f"the request body did not arrive within {seconds:g} s; send the whole "
            "body promptly (its Content-Length must match what is sent)",
            headers={"Connection": "close"},
        )


def _header_bytes(scope: Scope) -> int:
    return sum(len(k) + len(v) + 4 for k, v in scope.get("headers", ()))


class RequestLimitsMiddleware:
    """Pure ASGI middleware: 431 for oversized headers, 408 for a body that stalls."""

    def __init__(self, app: ASGIApp, timeout: Callable[[], float]) -> None:
        self.app = app
        self._timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _header_bytes(scope) > MAX_HEADER_BYTES:
            await _answer(send, 431, f"request headers exceed {MAX_HEADER_BYTES} bytes in all")
            return
        seconds = self._timeout()
        deadline = time.monotonic() + seconds
        body_done = False
        started = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:  # later calls wait for a disconnect: no deadline on those
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                log.info("408: body of %s %s not received in %g s", *_where(scope), seconds)
                raise BodyReadTimeout(seconds) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, watch)
        except BodyReadTimeout as exc:  # raised where no handler turned it into a response
            if started:
                raise
            await _answer(send, exc.status_code, str(exc.detail), close=True)


def _where(scope: Scope) -> tuple[str, str]:
    return str(scope.get("method", "")), str(scope.get("path", ""))


async def _answer(send: Send, status: int, message: str, close: bool = False) -> None:
    """A JSON error answer in the API's shape ({"detail": message})."""
    body = orjson.dumps({"detail": message})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
