"""A real uvicorn server for an app, on a free port, in a thread of this process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.api.conftest import build_app
from tests.lifecycle import free_port


@contextmanager
def serve_app(settings: Any, registry: Any, **options: Any) -> Iterator[str]:
    """Serve `build_app(settings, registry)` until the block ends (uvicorn `options` added);
    yields its base URL (with the trailing slash)."""
    port = free_port()
    config = uvicorn.Config(
        build_app(settings, registry), host="127.0.0.1", port=port, log_level="warning", **options
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        srv.should_exit = True
        thread.join(10)


# The page's script marks the body ready once its first forecast is drawn.
PAGE_READY = "document.body.getAttribute('data-ready') === 'true'"

__all__ = ["PAGE_READY", "serve_app"]
