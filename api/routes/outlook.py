"""/v1/outlook: the season outlook, cumulative arrivals from the newest data to `until`."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.champion import Champion
from api.deps import THRESHOLDS_PATTERN, LevelsDep, ModelDep, ServiceDep, get_thresholds
from api.export import outlook_csv
from api.routes.formats import CONTEXT_HELP, FormatQuery, csv_attachment, csv_response, wants_csv
from api.schemas import IsoDate, MessageResponse, OutlookResponse, ValidationErrorResponse
from api.schemas.outlook import OUTLOOK_EXAMPLE
from api.service import SEED, ForecastService, InvalidInput, NotReady
from forecasting.contract import MAX_OUTLOOK_DAYS
from forecasting.issuing import CannotIssue
from forecasting.outlook import OUTLOOK_WEATHER_MODE, simulate_outlook

router = APIRouter(prefix="/v1/outlook", tags=["outlook"])

UntilQuery = Annotated[
    IsoDate,
    Query(
        description="The last day counted (YYYY-MM-DD): from the day after the newest data to "
        f"{MAX_OUTLOOK_DAYS - 1} days after it ({MAX_OUTLOOK_DAYS} days at most).",
        examples=["2026-09-30"],
    ),
]
ThresholdsQuery = Annotated[
    str | None,
    Query(
        description="Totals X for P(total ≥ X), comma-separated whole counts from 0 to "
        "1000000 (at most 20); default: round numbers near 80%, 100% and 120% of the median "
        "total.",
        examples=["20000,25000,30000"],
        json_schema_extra={"pattern": THRESHOLDS_PATTERN},
    ),
]


def _outlook(
    service: ForecastService,
    champion: Champion,
    until: pd.Timestamp,
    levels: tuple[float, ...],
    thresholds: tuple[int, ...] | None,
) -> dict[str, Any]:
    """The outlook's JSON from the champion and the observed snapshot (off the event loop)."""
    obs = service.observed_data()
    try:
        outlook = simulate_outlook(
            champion.forecaster,
            obs.arrivals,
            obs.weather_history,
            until,
            service.settings.n_samples,
            SEED,
        )
    except CannotIssue as exc:
        if exc.field == "model":
            raise NotReady(str(exc)) from exc
        raise InvalidInput((exc.field,), str(exc)) from exc
    body = outlook.summary(levels, thresholds)
    body.pop("model")
    body["weather"] = OUTLOOK_WEATHER_MODE
    body["model"] = {
        "name": champion.model_name,
        "version": champion.version,
        "trained_at": champion.trained_at,
    }
    body["data_as_of"] = obs.last_date.isoformat()
    issue = service.issue_date(obs, None)  # the forecasts' policy: today, or a hindcast
    body["issue_date"] = issue.day.isoformat()
    body["hindcast"] = issue.hindcast
    return body


_CSV_RESPONSE = csv_response(
    "The outlook: JSON, or CSV with `format=csv` or `Accept: text/csv`: the rows total (from "
    "`from` to `until`), year_to_date (its actual) and year_end, each with the days it covers "
    "(from, until), median, mean and lo-L, hi-L per band level, then one exceedance row per "
    f"threshold (at_least, probability); weather on every row. {CONTEXT_HELP}",
    outlook_csv(OUTLOOK_EXAMPLE),
)


@router.get(
    "",
    response_model=OutlookResponse,
    response_model_by_alias=True,
    summary="Season outlook: cumulative arrivals to a day up to a year ahead",
    responses={
        **_CSV_RESPONSE,
        422: {"model": ValidationErrorResponse, "description": "A bad parameter; `loc` names it."},
        503: {"model": MessageResponse, "description": "No model or data loaded."},
    },
)
async def get_outlook(
    request: Request,
    service: ServiceDep,
    champion: ModelDep,
    levels: LevelsDep,
    until: UntilQuery,
    thresholds: ThresholdsQuery = None,
    fmt: FormatQuery = None,
) -> Response | OutlookResponse:
    """The total from the day after the newest data (`from`) to `until`: median, mean and
    bands, summed along the champion's sample paths; P(total ≥ X); the year-to-date actual;
    and the calendar-year total (year to date plus the forecast to 31 December). The fitted
    champion starts from the newest arrivals without a refit; weather from `from` on is
    climatology (the same days of past years). `issue_date` and `hindcast` follow the
    forecasts' policy: a hindcast when the newest data is too old for a forecast issued
    today. As JSON, or as CSV (`format=csv` or `Accept: text/csv`)."""
    xs = None if thresholds is None else await get_thresholds(thresholds)
    body = await run_in_threadpool(_outlook, service, champion, pd.Timestamp(until), levels, xs)
    if wants_csv(request, fmt):
        name = f"crossings-outlook-{body['target']}-{body['from']}-{body['until']}.csv"
        return csv_attachment(outlook_csv(body), name)
    return OutlookResponse.model_validate(body)
