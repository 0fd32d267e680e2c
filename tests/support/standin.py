"""A small real HTTP server on 127.0.0.1, in a thread, that answers GET by path from a table
of routes and counts the requests it received: the base of the source stand-ins."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit


@dataclass
class Route:
    """One answer: status, body and content type, after `delay` seconds (a slow source);
    the first `fail_first` requests get HTTP 503 instead (a source that recovers)."""

    body: bytes = b""
    content_type: str = "application/octet-stream"
    status: int = 200
    delay: float = 0.0
    fail_first: int = 0


class StandIn:
    """A threading HTTP server on 127.0.0.1 (a free port). `routes` maps a path to its Route;
    other paths answer 404 with a JSON error as GOV.UK does. `requests` counts paths asked.
    Use as a context manager; a slow answer stops waiting when the server stops."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        return self.base_url + path

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop answering and close the port (a later request is refused)."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                standin.requests[path] += 1
                route = standin.routes.get(path) or Route(
                    b'{"error":{"code":"not_found","message":"Could not find content item"}}',
                    "application/json",
                    404,
                )
                if route.delay and standin._stopping.wait(route.delay):
                    return
                status, body = route.status, route.body
                if standin.requests[path] <= route.fail_first:
                    status, body = 503, b"Service Unavailable"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


__all__ = ["Route", "StandIn"]
