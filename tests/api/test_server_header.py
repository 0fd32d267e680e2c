"""The server does not advertise its stack: with the options `crossings serve` runs uvicorn
with, no response carries a `server` header."""

from __future__ import annotations

from typing import Any

import httpx

from api.middleware.body_timeout import UVICORN_LIMITS
from tests.support.server import serve_app


def test_no_server_header(settings: Any, registry: Any) -> None:
    with serve_app(settings, registry, **UVICORN_LIMITS) as url:
        for path in ("healthz", "v1/forecast", "no/such/route"):
            r = httpx.get(url + path, timeout=60)
            assert r.status_code in (200, 404)
            assert "server" not in r.headers, (path, r.headers.get("server"))
    with serve_app(settings, registry) as url:  # uvicorn's default, for contrast
        assert httpx.get(url + "healthz", timeout=60).headers.get("server") == "uvicorn"
