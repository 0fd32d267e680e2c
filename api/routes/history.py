"""/v1/history: the observed daily series."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query

from api.deps import ServiceDep
from api.errors import FieldError
from api.schemas import (
    HistoryDay,
    HistoryResponse,
    IsoDate,
    MessageResponse,
    ValidationErrorResponse,
)
from api.service import NotReady
from forecasting import schema

router = APIRouter(prefix="/v1/history", tags=["history"])

DEFAULT_DAYS = 90


@router.get(
    "",
    response_model=HistoryResponse,
    response_model_by_alias=True,
    summary="The observed series",
    responses={422: {"model": ValidationErrorResponse}, 503: {"model": MessageResponse}},
)
def get_history(
    service: ServiceDep,
    from_: Annotated[
        IsoDate | None,
        Query(
            alias="from",
            description=f"First day (default: {DEFAULT_DAYS} days before `to`).",
            examples=["2026-04-01"],
        ),
    ] = None,
    to: Annotated[
        IsoDate | None,
        Query(description="Last day (default: the last observed day).", examples=["2026-05-14"]),
    ] = None,
) -> HistoryResponse:
    """Daily people and boats as published by the Home Office, between `from` and `to`."""
    obs = service.observed.get()
    if obs is None:
        raise NotReady(f"no observed data loaded from {service.settings.data_dir}")
    end = to or obs.last_date
    first = from_ or (end - timedelta(days=DEFAULT_DAYS - 1))
    if first > end:
        raise FieldError(("query", "from"), f"from ({first}) is after to ({end})")
    a = obs.arrivals
    d = a[schema.DATE]
    rows = a.loc[(d >= pd.Timestamp(first)) & (d <= pd.Timestamp(end))]
    days = [
        HistoryDay(date=ts.date(), people=int(p), boats=int(b))
        for ts, p, b in zip(rows[schema.DATE], rows[schema.PEOPLE], rows[schema.BOATS], strict=True)
    ]
    vintage = obs.manifest.get("sources", {}).get("arrivals", {}).get("vintage")
    return HistoryResponse.model_validate(
        {"from": first, "to": end, "vintage": vintage, "days": days}
    )
