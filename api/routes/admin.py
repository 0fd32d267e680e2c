"""/v1/admin: operator actions behind the bearer token."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import AdminDep, ServiceDep
from api.reload import ReloadWatcher, reload_service
from api.schemas import MessageResponse, ReloadResponse, ReloadTarget

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[AdminDep])


@router.post(
    "/reload",
    response_model=ReloadResponse,
    summary="Reload the champions from the registry now",
    responses={
        401: {"model": MessageResponse, "description": "No bearer token."},
        403: {"model": MessageResponse, "description": "Wrong token."},
        429: {
            "model": MessageResponse,
            "description": "Too many wrong tokens from this client: wait Retry-After seconds.",
        },
        503: {
            "model": ReloadResponse,
            "description": "The registry could not be reached; the last good models keep serving.",
        },
    },
)
async def reload(service: ServiceDep, request: Request) -> JSONResponse:
    """Ask the registry for each champion and load it (even if the version did not move).
    Requests in flight finish on the model they started with. With an archive database the
    reload then reaches every other worker and replica within about a second (through the
    shared reload generation, api/reload.py); without one, they follow at their next poll."""
    outcomes = await run_in_threadpool(reload_service, service)
    watcher: ReloadWatcher | None = getattr(request.app.state, "reload_watcher", None)
    generation = None
    if watcher is not None:
        try:
            generation = await run_in_threadpool(watcher.bump)
        except Exception as exc:  # this worker reloaded; the others follow at their poll
            log.warning("could not pass the reload on to the other workers: %s", exc)
    body = ReloadResponse(
        generation=generation,
        targets={
            o.target: ReloadTarget(
                previous=o.previous, current=o.current, changed=o.changed, error=o.error
            )
            for o in outcomes
        },
    )
    failed = any(o.error for o in outcomes)
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if failed else 200)
