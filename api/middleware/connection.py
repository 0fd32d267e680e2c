"""Connection hygiene below the app: `GuardedH11Protocol`, the HTTP protocol `crossings serve`
runs uvicorn with (`UVICORN_LIMITS["http"]`, api/middleware/body_timeout.py).

It is uvicorn's h11 protocol with

- a deadline on the request head: a connection must send a whole request line and headers
  within `header_read_timeout` seconds (CROSSINGS_HEADER_READ_TIMEOUT) of opening, or of
  going idle after an answer (keep-alive), or it is closed: with a 408 when part of a head
  had arrived, silently when nothing had. uvicorn bounds only a keep-alive connection that
  sends nothing (`timeout_keep_alive`): a fresh connection that sends nothing, or one that
  sends a request line byte by byte (slowloris), was held open for ever.
- `X-Content-Type-Options: nosniff` on the answers uvicorn writes itself: its refusal of a
  malformed request (a 400, or the status h11 suggests: 431 when the head outgrew the h11
  bound, `h11_max_incomplete_event_size`; never a `server` header), and on every answer of
  the app, including the 500s Starlette writes outside the app's middleware.

The timer is cancelled as soon as a request head is complete, so a slow body is the business
of `RequestLimitsMiddleware` (408 after `body_read_timeout`), and a slow answer is nobody's.
"""

from __future__ import annotations

import asyncio
import http
import logging
from typing import Any, ClassVar, cast

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from api.middleware.security import NOSNIFF
from api.settings import get_settings

log = logging.getLogger(__name__)

# After the deadline, how long the loop gets to read what already arrived before closing.
_POLL_GRACE_SECONDS = 0.05


class _HintingConnection(h11.Connection):
    """h11's server connection, remembering the status its last protocol error suggests."""

    error_status = 400

    def next_event(self) -> Any:
        """The next event, as h11's; a protocol error's suggested status is kept."""
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.error_status = exc.error_status_hint
            raise


def with_nosniff(app: ASGIApp) -> ASGIApp:
    """`app` with `X-Content-Type-Options: nosniff` added to every HTTP answer that lacks it."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if all(name.lower() != NOSNIFF[0] for name, _ in headers):
                    message = {**message, "headers": [*headers, NOSNIFF]}
            await send(message)

        await app(scope, receive, send_nosniff)

    return guarded


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline and nosniff on its own answers."""

    # Seconds for a request head; None: the `header_read_timeout` setting (tests subclass).
    header_timeout: ClassVar[float | None] = None

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        bound = config.h11_max_incomplete_event_size
        self.conn = self._parser = _HintingConnection(
            h11.SERVER, DEFAULT_MAX_INCOMPLETE_EVENT_SIZE if bound is None else bound
        )
        self.app = cast(Any, with_nosniff(cast(ASGIApp, self.app)))
        seconds = self.header_timeout
        self.head_seconds = get_settings().header_read_timeout if seconds is None else seconds
        self._head_timer: asyncio.TimerHandle | None = None

    # -- the request-head deadline

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Accept the connection; its first request head is due within the deadline."""
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline of a closed connection."""
        self._cancel_head_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        """Parse what arrived; a complete request head (one being answered) stops the clock."""
        super().handle_events()
        if self.conn.our_state in (h11.SEND_RESPONSE, h11.SEND_BODY):
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        """After an answer the connection idles: the next request head is due in time."""
        if not self.transport.is_closing():
            self._arm_head_timer()  # before uvicorn parses a pipelined request (cancels it)
        super().on_response_complete()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        """The deadline passed: look once more after the loop has read the socket. uvloop
        runs due timers before it polls for input, so a loop that stalled past the deadline
        (a busy machine) would otherwise close a connection whose request is already waiting
        unread; the short grace lets that request be parsed (and cancel this) first."""
        self._head_timer = self.loop.call_later(_POLL_GRACE_SECONDS, self._head_overdue)

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        partial = bool(self.conn.trailing_data[0])
        where = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.debug(
            "closing the connection of %s: %s within %g s",
            where,
            "no complete request head" if partial else "no request",
            self.head_seconds,
        )
        if partial and self.conn.our_state is h11.IDLE:
            self._refuse(408, f"The request head did not arrive within {self.head_seconds:g} s.")
        else:
            self.transport.close()

    # -- uvicorn's own answers

    def send_400_response(self, msg: str) -> None:
        """Refuse a malformed request (the status h11 suggests, 400 by default) and close."""
        status = self._parser.error_status
        if status not in (400, 431, 501):
            status = 400
        text = msg if status == 400 else http.HTTPStatus(status).phrase + "."
        self._refuse(status, text)

    def _refuse(self, status: int, text: str) -> None:
        """Answer `status` with a plain-text body, nosniff and no server header, and close."""
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"connection", b"close"),
            NOSNIFF,
        ]
        reason = http.HTTPStatus(status).phrase.encode()
        events: list[h11.Event] = [
            h11.Response(status_code=status, headers=headers, reason=reason),
            h11.Data(data=text.encode("ascii")),
            h11.EndOfMessage(),
        ]
        try:
            self.transport.write(b"".join(self.conn.send(e) or b"" for e in events))
        except h11.LocalProtocolError:  # no answer fits the connection's state: just close
            log.debug("closing without a %d: the connection cannot answer now", status)
        self.transport.close()
