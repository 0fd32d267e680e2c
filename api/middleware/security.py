"""Security headers: a Content-Security-Policy on HTML answers, and nosniff on every answer.

Every response gets `X-Content-Type-Options: nosniff`; an HTML response also gets
`X-Frame-Options: DENY`, `Referrer-Policy: no-referrer` and a CSP that loads nothing from
another origin and runs only the inline code the app itself wrote, allowed by its sha256:

- the planner page (`/`): the hashes of its script(s), style block(s) and style attributes,
  computed once from the page rendered without data (its executable parts never depend on
  the data: the data and the page settings travel in JSON blocks, which are not run);
- Swagger UI and ReDoc (`/docs`, `/redoc`, the OAuth2 redirect): fastapi-offline writes
  their HTML from the app's settings only (no request input), so the hashes of their inline
  code are taken from the first answer and kept. Swagger UI and ReDoc style their widgets
  at run time, so those pages allow inline styles (never inline scripts), images from data:
  URIs and ReDoc's blob: worker;
- any other HTML: no inline code at all.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_PATH = "/"
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
_JS_TYPES = frozenset({"", "text/javascript", "application/javascript", "module"})
_BASE = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)
_HTML_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
NOSNIFF = (b"x-content-type-options", b"nosniff")


@dataclass
class InlineCode:
    """The inline code of an HTML document: script bodies, style blocks, style attributes."""

    scripts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    style_attributes: list[str] = field(default_factory=list)


class _InlineParser(HTMLParser):
    """Collects the text of executable inline <script>s and of <style>s, and style="..."."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = InlineCode()
        self._open: list[str] | None = None  # the list the current element's text goes to
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "style" in values:
            self.found.style_attributes.append(values["style"])
        if tag == "script" and "src" not in values:
            if values.get("type", "").strip().lower() in _JS_TYPES:
                self._open, self._text = self.found.scripts, []
        elif tag == "style":
            self._open, self._text = self.found.styles, []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._open is not None:
            self._open.append("".join(self._text))
            self._open = None


def inline_code(html: str) -> InlineCode:
    """The inline scripts, style blocks and style attributes of `html`."""
    parser = _InlineParser()
    parser.feed(html)
    parser.close()
    return parser.found


def sha256_source(text: str) -> str:
    """A CSP hash source ('sha256-…') for inline code `text`."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def _sources(texts: Iterable[str]) -> list[str]:
    return sorted({sha256_source(t) for t in texts})


def policy_for(html: str, *, docs: bool = False) -> str:
    """The CSP allowing exactly the inline code of `html` (with `docs`: also the run-time
    styles, data: images and blob: workers Swagger UI and ReDoc need)."""
    found = inline_code(html)
    scripts = _sources(found.scripts)
    parts = list(_BASE)
    parts.append("script-src " + " ".join(["'self'", *scripts] if docs else scripts or ["'none'"]))
    if docs:
        parts += ["style-src 'self' 'unsafe-inline'", "img-src 'self' data:"]
        parts.append("worker-src 'self' blob:")
    else:
        styles = _sources(found.styles + found.style_attributes)
        extra = ["'unsafe-hashes'"] if found.style_attributes else []
        parts.append("style-src " + " ".join([*extra, *styles] or ["'none'"]))
    return "; ".join(parts)


@cache
def page_policy() -> str:
    """The planner page's CSP, from the page rendered once without data."""
    from api.web.page import render_page

    return policy_for(render_page({}, date(2000, 1, 1)))


STRICT_POLICY = policy_for("")


def relative_location(location: bytes) -> bytes:
    """A redirect's target as a path on this server: an absolute URL built from the request's
    Host header (Starlette's slash redirects) would send the client wherever a forged Host
    names. Leading slashes are collapsed, so the result is never protocol-relative."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme and not parts.netloc and not parts.path.startswith("//"):
        return location
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment)).encode("latin-1")


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding the headers above (a route's own CSP is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._docs: dict[str, str] = {}  # path -> CSP from its first answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        if path in DOCS_PATHS and path not in self._docs:
            await self.app(scope, receive, self._learning(path, send))
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._headers(message, path)}
            await send(message)

        await self.app(scope, receive, add_headers)

    def _policy(self, path: str) -> str:
        if path == PAGE_PATH:
            return page_policy()
        return self._docs.get(path, STRICT_POLICY)

    def _headers(self, start: Message, path: str) -> list[tuple[bytes, bytes]]:
        headers = [
            (k, relative_location(v) if k.lower() == b"location" else v)
            for k, v in start.get("headers", ())
            if k.lower() != NOSNIFF[0]
        ]
        headers.append(NOSNIFF)
        names = {k.lower() for k, _ in headers}
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if content_type.lower().startswith(b"text/html"):
            headers += [h for h in _HTML_HEADERS if h[0] not in names]
            if b"content-security-policy" not in names:
                headers.append((b"content-security-policy", self._policy(path).encode()))
        return headers

    def _learning(self, path: str, send: Send) -> Send:
        """A `send` holding a docs page's answer until its body is complete, then taking
        the CSP of its inline code (kept for later answers) and sending it."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)
            if message["type"] != "http.response.body" or message.get("more_body", False):
                return
            start = held[0]
            if start.get("status") == 200:
                body = b"".join(m.get("body", b"") for m in held[1:])
                self._docs[path] = policy_for(body.decode("utf-8", "replace"), docs=True)
            for m in held:
                if m["type"] == "http.response.start":
                    m = {**m, "headers": self._headers(m, path)}
                await send(m)

        return hold
