"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import ServiceDep
from api.errors import public_registry_error
from api.schemas import Health, Readiness, TargetReadiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    """The process answers."""
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: a model is loaded for every target",
    responses={503: {"model": Readiness, "description": "Not ready: a model is missing."}},
)
async def readyz(service: ServiceDep) -> JSONResponse:
    """200 when every served target has a champion (even a stale one: the last good model
    keeps serving while the registry is unreachable, and `registry` says so); else 503.
    A down archive database makes it `degraded`, still 200: forecasts wait in the outbox.

    It runs on the event loop and reads only in-memory state, so it answers at once even
    when every worker thread is waiting on a dependency."""
    store = service.store
    obs = service.observed.get()
    targets = {}
    for t in store.targets:
        champ = store.get(t)
        st = store.status(t)
        behind = bool(
            champ is not None
            and obs is not None
            and pd.Timestamp(obs.last_date) > pd.Timestamp(champ.forecaster.last_date_)
        )
        targets[t] = TargetReadiness(
            loaded=champ is not None,
            version=champ.version if champ else None,
            stale=store.is_stale(t),
            registry_error=public_registry_error(st.error),
            weather_note=service.weather_note(champ, obs) if champ and obs else None,
            behind_data=behind,
        )
    ready = all(r.loaded for r in targets.values())
    errors = any(r.registry_error for r in targets.values())
    stale = any(r.stale for r in targets.values())
    archive = service.archive
    degraded = archive is not None and archive.degraded
    body = Readiness(
        status=("degraded" if degraded else "ready") if ready else "not ready",
        registry="unreachable" if errors else ("stale" if stale else "ok"),
        targets=targets,
        data_as_of=obs.last_date if obs else None,
        weather_as_of=pd.Timestamp(obs.weather["date"].iloc[-1]).date() if obs else None,
        weather_lag_warning=service.weather_lag_warning(obs) if obs else None,
        archive="off" if archive is None else ("degraded" if degraded else "ok"),
        archive_outbox=0 if archive is None else archive.pending,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
def metrics(request: Request, service: ServiceDep) -> Response:
    """Request counts and latencies by route, champion versions, forecast and data age."""
    body = request.app.state.metrics.render(service)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
