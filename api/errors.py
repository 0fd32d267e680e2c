"""Error answers: every bad parameter gets a 422 (or 413) whose `loc` names the field.

All 4xx/5xx bodies follow FastAPI's shape: ``{"detail": [{"loc", "msg", "type"}]}`` for
field errors and ``{"detail": "message"}`` otherwise. The service names a bad value in its
own terms (`InvalidInput.field`, e.g. ``("weather", 3, "wind_mean_ms")``); here it becomes a
request `loc`, in the query string of a GET or the JSON body of a POST.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.archive.store import ArchiveUnavailable
from api.service import InvalidInput, NotReady
from forecasting.weather.future import WeatherUnavailable

log = logging.getLogger(__name__)


# What a public message must not carry (hosts, ports, URLs, filesystem paths): each is
# replaced by a placeholder, the full message going to the log. Dependencies are named by
# role instead ("archive database unavailable").
_REDACTIONS = (
    (re.compile(r"\b[a-z][a-z0-9+.-]*://\S*", re.IGNORECASE), "<url>"),
    (
        re.compile(
            r"\b(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|[a-z0-9-]+(?:\.[a-z0-9-]+)+):\d{2,5}\b",
            re.IGNORECASE,
        ),
        "<host>",
    ),
    (re.compile(r"\b(?:localhost|\d{1,3}(?:\.\d{1,3}){3})\b", re.IGNORECASE), "<host>"),
    (re.compile(r"(?<![\w:/.<])/(?!v1/)[\w.-]+(?:/[\w.-]+)+/?"), "<path>"),
)


def redact(message: object) -> str:
    """`message` fit for a public error body: URLs, host:port, addresses and absolute paths
    replaced by placeholders. Log the original where it is raised or caught."""
    text = str(message)
    for pattern, placeholder in _REDACTIONS:
        text = pattern.sub(placeholder, text)
    return text


def public_registry_error(error: str | None) -> str | None:
    """A champion store's last registry error as the API shows it (`registry_error`): the
    message without URIs, hosts or paths, or just "model registry unreachable" when it is a
    connection failure quoting the HTTP pool's internals (the full text stays in the log,
    where the store wrote it)."""
    if not error:
        return None
    if any(word in error for word in _POOL_WORDS):
        return "model registry unreachable"
    return redact(error)


_POOL_WORDS = ("Pool(", "host=", "port=", "Errno", "Max retries", "Connection refused")


class FieldError(ValueError):
    """A request parameter the HTTP layer refuses; `loc` names it (answered with 422)."""

    def __init__(self, loc: Sequence[str | int], message: str, kind: str = "value_error"):
        super().__init__(message)
        self.loc = list(loc)
        self.message = message
        self.kind = kind


def request_loc(method: str, field: Sequence[str | int]) -> list[str | int]:
    """Where a service field sits in a request: a GET carries its parameters in the query
    string, a POST in its JSON body (``("weather", 3, "date")`` → body.weather.3.date)."""
    part = "body" if method.upper() == "POST" else "query"
    return [part, *field]


def field_error_body(loc: list[Any], msg: str, kind: str) -> dict[str, Any]:
    """The body of a 422/413 for one field."""
    return {"detail": [{"loc": loc, "msg": msg, "type": kind}]}


def _clean(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's validation errors without the echoed input (it may be large or binary)."""
    out = []
    for e in errors:
        loc = [p if isinstance(p, int) else str(p) for p in e.get("loc", ())]
        out.append({"loc": loc, "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))})
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map our exceptions to 422/503 answers."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _clean(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 400:  # FastAPI could not parse the body (bad JSON or encoding)
            body = field_error_body(
                ["body"],
                f"the body could not be read: {exc.detail}; send UTF-8 JSON",
                "json_invalid",
            )
            return JSONResponse(body, status_code=422)
        if exc.status_code == 405:  # list every method of the path, not the first route's
            documented = app.openapi().get("paths", {}).get(request.url.path, {})
            methods = {m.upper() for m in documented}
            if "GET" in methods:
                methods.add("HEAD")  # every GET also answers HEAD (api.middleware.head)
            if methods:
                headers["Allow"] = ", ".join(sorted(methods))
        detail = redact(exc.detail) if isinstance(exc.detail, str) else exc.detail
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(FieldError)
    async def _field(_request: Request, exc: FieldError) -> JSONResponse:
        body = field_error_body(exc.loc, redact(exc.message), exc.kind)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(InvalidInput)
    async def _invalid(request: Request, exc: InvalidInput) -> JSONResponse:
        loc = request_loc(request.method, exc.field)
        return JSONResponse(field_error_body(loc, redact(exc.message), exc.kind), status_code=422)

    @app.exception_handler(NotReady)
    async def _not_ready(_request: Request, exc: NotReady) -> JSONResponse:
        log.info("503 not ready: %s", exc)
        return JSONResponse({"detail": redact(exc)}, status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(WeatherUnavailable)
    async def _no_weather(_request: Request, exc: WeatherUnavailable) -> JSONResponse:
        log.warning("503 weather unavailable: %s", exc)
        return JSONResponse({"detail": redact(exc)}, status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(ArchiveUnavailable)
    async def _no_archive(_request: Request, exc: ArchiveUnavailable) -> JSONResponse:
        log.warning("503 archive unavailable: %s", exc)
        return JSONResponse({"detail": redact(exc)}, status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)


class BodyLimitMiddleware:
    """Answers 413 for bodies over `limit` bytes, by Content-Length or by counting chunks."""

    def __init__(self, app: ASGIApp, limit: Callable[[], int]) -> None:
        self.app = app
        self._limit = limit

    @property
    def limit(self) -> int:
        """The largest body accepted, in bytes."""
        return self._limit()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        limit = self.limit
        if length is not None and length > limit:
            await self._too_large(send, limit)
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read it all, up to the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, limit: int) -> None:
        body = orjson.dumps(
            field_error_body(
                ["body"],
                f"request body is larger than {limit} bytes; send a smaller scenario",
                "too_large",
            )
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
