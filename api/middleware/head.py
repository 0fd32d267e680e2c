"""HEAD on every GET route: answered as the GET would be, without the body.

FastAPI's `@router.get` routes accept GET only, so HEAD got a 405 everywhere. Declaring
each route with methods GET and HEAD would list a second (HEAD) operation per path in the
OpenAPI schema; this middleware instead runs a HEAD request as a GET and drops the body of
the answer, keeping its status and headers (Content-Length included, as RFC 9110 allows).
The routes and the schema stay as they are.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    """Pure ASGI middleware: HEAD → GET inside, the response's body left out outside."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def send_head(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body" and not finished:
                if not message.get("more_body", False):
                    finished = True
                    await send({"type": "http.response.body", "body": b""})
            else:  # trailers and extensions pass through
                await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_head)
