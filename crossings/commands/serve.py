"""`crossings serve`: the FastAPI app in `api/` under uvicorn."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

# Start-up refusals the app explains itself in one logged line (`refusing to start: ...`, with
# the fix): uvicorn's copy of their traceback only hides that line.
_EXPLAINED_REFUSALS = ("ChampionRefused", "ModelNotRegistered", "TrackingUnavailable")


class _NoRefusalTraceback(logging.Filter):
    """Drop uvicorn's traceback of a start-up refusal the app has already logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not (
            text.startswith("Traceback") and any(name in text for name in _EXPLAINED_REFUSALS)
        )


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = False,
) -> None:
    """Serve forecasts over HTTP (FastAPI app in api/; settings from CROSSINGS_* variables,
    the registry from MLFLOW_TRACKING_URI)."""
    import os
    import shutil
    import tempfile

    import uvicorn

    # Fail over quickly when a remote registry is down (MLflow's default retries take minutes);
    # the service keeps serving its last good model meanwhile.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    from api.middleware.body_timeout import UVICORN_LIMITS

    logging.getLogger("api").setLevel(logging.INFO)
    logging.getLogger("uvicorn.error").addFilter(_NoRefusalTraceback())
    # Several workers: /metrics aggregates them through prometheus_client's multiprocess
    # mode, in a fresh directory the workers inherit (unless PROMETHEUS_MULTIPROC_DIR is set).
    fresh_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        fresh_dir = tempfile.mkdtemp(prefix="crossings-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = fresh_dir
    try:
        uvicorn.run(
            "api.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            log_level="info",
            **UVICORN_LIMITS,  # h11: a 64 KiB header bound, head and keep-alive timeouts
        )
    finally:
        if fresh_dir is not None:
            shutil.rmtree(fresh_dir, ignore_errors=True)
