"""/v1/history: the observed daily series."""

from __future__ import annotations

import logging
from datetime import date, timedelta
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

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/history", tags=["history"])

DEFAULT_DAYS = 90


def days_before(end: date, days: int) -> date:
    """`end` less `days` days, never before the first representable day (no OverflowError)."""
    return end - min(timedelta(days=days), end - date.min)


@router.get(
    "",
    response_model=HistoryResponse,
    response_model_by_alias=True,
    summary="The observed series",
    responses={
        422: {
            "model": ValidationErrorResponse,
            "description": "A bad parameter (or `from` after `to`); `loc` names it.",
        },
        503: {"model": MessageResponse},
    },
)
def get_history(
    service: ServiceDep,
    from_: Annotated[
        IsoDate | None,
        Query(
            alias="from",
            description=f"First day (default: {DEFAULT_DAYS} days before `to`); not after "
            "`to` (nor, without `to`, after the last observed day): 422 naming `from`.",
            examples=["2026-04-01"],
        ),
    ] = None,
    to: Annotated[
        IsoDate | None,
        Query(description="Last day (default: the last observed day).", examples=["2026-05-14"]),
    ] = None,
) -> HistoryResponse:
    """Daily people and boats as published by the Home Office, between `from` and `to`
    (inclusive). A `from` after `to` (or after the last observed day when `to` is not given)
    is refused: 422 naming `from`."""
    obs = service.observed.get()
    if obs is None:
        log.warning("history: no observed data loaded from %s", service.settings.data_dir)
        raise NotReady("observed data unavailable: none loaded yet")
    end = to or obs.last_date
    if from_ is not None and from_ > end:
        bound = f"to ({end})" if to is not None else f"the last observed day ({end})"
        raise FieldError(
            ("query", "from"),
            f"from ({from_}) is after {bound}: give a first day on or before it, or leave "
            f"from out for the {DEFAULT_DAYS} days up to it",
        )
    first = from_ or days_before(end, DEFAULT_DAYS - 1)
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
