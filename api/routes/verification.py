"""/v1/verification: the track record of archived forecasts against the actuals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import ServiceDep
from api.schemas import MessageResponse, ValidationErrorResponse, VerificationResponse
from api.schemas.verification import DEFAULT_VERIFICATION_DAYS, MAX_VERIFICATION_DAYS
from api.verification_cache import VerificationCache
from forecasting.contract import Target

router = APIRouter(prefix="/v1/verification", tags=["verification"])


@router.get(
    "",
    response_model=VerificationResponse,
    summary="How well archived forecasts did, beside climatology issued at the same time",
    responses={422: {"model": ValidationErrorResponse}, 503: {"model": MessageResponse}},
)
async def get_verification(
    request: Request,
    service: ServiceDep,
    days: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_VERIFICATION_DAYS,
            description="Score the forecasts for the last `days` days that have actuals.",
            examples=[DEFAULT_VERIFICATION_DAYS],
        ),
    ] = DEFAULT_VERIFICATION_DAYS,
    target: Annotated[Target, Query(description="people or boats.")] = "people",
) -> VerificationResponse:
    """Scores the archived default-weather forecasts (served, and hindcasts backfilled by
    `crossings reissue --weeks 8`, or `crossings reissue --from YYYY-MM-DD --to YYYY-MM-DD`:
    it needs one or the other) whose days now have actuals: CRPS (from the archived percentiles),
    Brier score of P(any), coverage of the archived bands and the median's error, each beside
    the climatology model's forecast issued on the same dates for the same days (issued now
    where the archive lacks it). Plus the scores by lead, a reliability diagram of P(any) and,
    per day, the forecast issued closest to it against the actual. Answers are kept until
    the models, the data, the day or the archive change (at most 5 minutes), and computed
    one at a time."""
    cache: VerificationCache = request.app.state.verification
    body = await run_in_threadpool(cache.get, service, target, days)
    return VerificationResponse.model_validate(body)
