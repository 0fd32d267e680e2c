"""/v1/forecast: daily forecasts with bands (GET: provider weather; POST: a weather scenario),
and /v1/forecast/exceedance."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.cache import CACHE_UNTIL
from api.champion import Champion
from api.deps import (
    HorizonQuery,
    LevelsDep,
    ModelDep,
    ServiceDep,
    StartQuery,
    ThresholdsDep,
)
from api.issued import Issued
from api.schemas import (
    ExceedanceResponse,
    ForecastResponse,
    MessageResponse,
    ScenarioRequest,
    ValidationErrorResponse,
)
from api.service import ForecastService
from forecasting.contract import DEFAULT_HORIZON

router = APIRouter(prefix="/v1/forecast", tags=["forecast"])

ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ValidationErrorResponse, "description": "Body over the size limit."},
    422: {
        "model": ValidationErrorResponse,
        "description": "A parameter is invalid; `loc` names it.",
    },
    503: {"model": MessageResponse, "description": "No model loaded, or no weather source."},
}


async def _default_issued(
    request: Request,
    service: ForecastService,
    champion: Champion,
    start: date | None,
    horizon: int,
) -> Issued:
    """The default-weather forecast, from the cache or computed off the event loop; marks the
    response cacheable until that forecast expires."""
    issued = service.cached(champion, start, horizon)
    if issued is None:
        issued = await run_in_threadpool(service.default_forecast, champion, start, horizon)
    setattr(request.state, CACHE_UNTIL, service.fresh_until(issued))
    return issued


class JSONBytes(Response):
    """A response whose body is already JSON."""

    media_type = "application/json"


@router.get(
    "",
    response_model=ForecastResponse,
    summary="Forecast the next days with provider weather",
    responses={k: v for k, v in ERRORS.items() if k != 413},
)
async def get_forecast(
    request: Request,
    service: ServiceDep,
    champion: ModelDep,
    levels: LevelsDep,
    horizon: HorizonQuery = DEFAULT_HORIZON,
    start: StartQuery = None,
) -> Response:
    """Daily median, mean, P(any crossing) and bands, plus the total over the horizon.

    Weather per day comes from the live forecast, the observed table or climatology (see
    `weather_source`). Forecasts are cached per (target, start, horizon, model version)."""
    issued = await _default_issued(request, service, champion, start, horizon)
    return JSONBytes(issued.rendered(levels))


@router.post(
    "",
    response_model=ForecastResponse,
    summary="Forecast under a weather scenario",
    responses=ERRORS,
)
async def post_forecast(service: ServiceDep, body: ScenarioRequest) -> Response:
    """The same answer as GET, computed with the caller's weather on the days given.

    Each scenario day must hold every weather variable the model needs (422 names the
    missing one); days not given come from the provider chain. Scenarios use
    `CROSSINGS_SCENARIO_SAMPLES` sample paths (default 500) to stay fast."""
    champion = service.champion(body.target)
    weather = [day.model_dump() for day in body.weather]
    issued = await run_in_threadpool(
        service.scenario_forecast, champion, body.start, body.horizon, weather
    )
    return JSONBytes(issued.rendered(tuple(body.levels)))


@router.get(
    "/exceedance",
    response_model=ExceedanceResponse,
    summary="P(count ≥ k) per day, for capacity planning",
    responses={k: v for k, v in ERRORS.items() if k != 413},
)
async def get_exceedance(
    request: Request,
    service: ServiceDep,
    champion: ModelDep,
    thresholds: ThresholdsDep,
    horizon: HorizonQuery = DEFAULT_HORIZON,
    start: StartQuery = None,
) -> ExceedanceResponse:
    """For each day and each threshold k, the probability that the count reaches k, from the
    same sample paths as GET /v1/forecast."""
    issued = await _default_issued(request, service, champion, start, horizon)
    return ExceedanceResponse.model_validate(issued.exceedance(thresholds))
