"""/v1/forecasts/issued: forecasts as issued for a day, next to what happened."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.archive.store import ArchiveUnavailable, as_utc
from api.deps import ServiceDep
from api.schemas import (
    IsoDate,
    IssuedDay,
    IssuedResponse,
    MessageResponse,
    ModelRef,
    ValidationErrorResponse,
)
from forecasting.contract import Target

router = APIRouter(prefix="/v1/forecasts", tags=["archive"])


@router.get(
    "/issued",
    response_model=IssuedResponse,
    summary="What was forecast for a day, and the actual count once known",
    responses={422: {"model": ValidationErrorResponse}, 503: {"model": MessageResponse}},
)
def get_issued(
    service: ServiceDep,
    day: Annotated[
        IsoDate, Query(alias="date", description="The forecast day.", examples=["2026-05-15"])
    ],
    target: Annotated[Target, Query(description="people or boats.")] = "people",
    kind: Annotated[
        Literal["default", "scenario", "all"],
        Query(description="Default-weather forecasts (GET), scenarios (POST), or both."),
    ] = "default",
) -> IssuedResponse:
    """Every archived forecast covering `date` (newest first, at most 100) with that day's
    median, bands and P(any), and the observed count once the Home Office published it."""
    if service.archive is None:
        raise ArchiveUnavailable("the forecast archive is not configured")
    kinds = ("default", "scenario") if kind == "all" else (kind,)
    rows = service.archive.issued_for(target, day, kinds)
    obs = service.observed.get()
    actual = obs.actual(target, day) if obs is not None else None
    return IssuedResponse(
        date=day,
        target=target,
        actual=actual,
        forecasts=[
            IssuedDay(
                forecast_id=r["forecast_id"],
                issued_at=as_utc(r["issued_at"]),
                kind=r["kind"],
                start=r["start"],
                horizon=r["horizon"],
                lead_days=r["lead_days"],
                model=ModelRef(
                    name=r["model_name"],
                    version=r["model_version"],
                    trained_at=r["model_trained_at"],
                ),
                data_as_of=r["data_as_of"],
                median=r["median"],
                mean=r["mean"],
                p_any=r["p_any"],
                bands=r["bands"],
                weather_source=r["weather_source"],
                issue_date=(r["inputs"] or {}).get("issue_date"),
                hindcast=(r["inputs"] or {}).get("hindcast"),
                weather_mode=(r["inputs"] or {}).get("weather_mode"),
            )
            for r in rows
        ],
    )
