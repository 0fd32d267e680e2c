"""/v1/admin: operator actions behind the bearer token."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import AdminDep, ServiceDep
from api.schemas import MessageResponse, ReloadResponse, ReloadTarget

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[AdminDep])


@router.post(
    "/reload",
    response_model=ReloadResponse,
    summary="Reload the champions from the registry now",
    responses={
        401: {"model": MessageResponse, "description": "No bearer token."},
        403: {"model": MessageResponse, "description": "Wrong token."},
        503: {
            "model": ReloadResponse,
            "description": "The registry could not be reached; the last good models keep serving.",
        },
    },
)
async def reload(service: ServiceDep) -> JSONResponse:
    """Ask the registry for each champion and load it (even if the version did not move).
    Requests in flight finish on the model they started with."""
    outcomes = await run_in_threadpool(service.store.refresh, True)
    await run_in_threadpool(service.observed.reload_if_changed)
    body = ReloadResponse(
        targets={
            o.target: ReloadTarget(
                previous=o.previous, current=o.current, changed=o.changed, error=o.error
            )
            for o in outcomes
        }
    )
    failed = any(o.error for o in outcomes)
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if failed else 200)
