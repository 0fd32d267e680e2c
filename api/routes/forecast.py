"""/v1/forecast: daily forecasts with bands (GET: the weather chain; POST: a weather scenario),
and /v1/forecast/exceedance. Every forecast has an issue date (today, a hindcast, or `as_of`)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.cache import CACHE_UNTIL
from api.champion import Champion
from api.deps import (
    AsOfQuery,
    HorizonQuery,
    LevelsDep,
    ModelDep,
    ServiceDep,
    StartQuery,
    ThresholdsDep,
    WeatherModeQuery,
)
from api.export import exceedance_csv, forecast_csv
from api.middleware.ratelimit import RATE_LIMITED, limit_scenarios
from api.rendering import Issued, paired_payload
from api.routes.formats import (
    CONTEXT_HELP,
    FormatQuery,
    csv_attachment,
    csv_response,
    wants_csv,
)
from api.schemas import (
    ExceedanceResponse,
    ForecastResponse,
    MessageResponse,
    ScenarioRequest,
    ScenarioResponse,
    ValidationErrorResponse,
    examples,
)
from api.service import Ask, ForecastService
from forecasting.contract import DEFAULT_HORIZON, DEFAULT_WEATHER_MODE

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
    request: Request, service: ForecastService, champion: Champion, ask: Ask
) -> Issued:
    """The default-weather forecast, from the cache or computed off the event loop; marks the
    response cacheable until that forecast expires."""
    issued = service.cached(champion, ask)
    if issued is None:
        issued = await run_in_threadpool(service.default_forecast, champion, ask)
    setattr(request.state, CACHE_UNTIL, service.fresh_until(issued))
    return issued


class JSONBytes(Response):
    """A response whose body is already JSON."""

    media_type = "application/json"


_CSV_RESPONSE = csv_response(
    "The forecast: JSON, or CSV with `format=csv` or `Accept: text/csv`: one row per day "
    "(date, median, mean, p_any, risk, lo-L and hi-L per band level, p_ge_K per threshold, "
    "if_crossing_median with its 80% range if_crossing_lo80 and if_crossing_hi80, "
    "weather_source, wind_mean_ms, gust_max_ms), then a last row whose date is `total`: the "
    "total over the days returned (median, mean, bands; the JSON's `week_total`). "
    f"{CONTEXT_HELP} Counts are whole numbers, means have one decimal.",
    examples.FORECAST_CSV,
)
_EXCEEDANCE_CSV_RESPONSE = csv_response(
    "The exceedance probabilities: JSON, or CSV with `format=csv` or `Accept: text/csv`: one "
    f"row per day (date, p_ge_K per threshold, weather_source). {CONTEXT_HELP}",
    examples.EXCEEDANCE_CSV,
)


@router.get(
    "",
    response_model=ForecastResponse,
    summary="Forecast the days from the issue date on",
    responses={**_CSV_RESPONSE, **{k: v for k, v in ERRORS.items() if k != 413}},
)
async def get_forecast(
    request: Request,
    service: ServiceDep,
    champion: ModelDep,
    levels: LevelsDep,
    horizon: HorizonQuery = DEFAULT_HORIZON,
    start: StartQuery = None,
    as_of: AsOfQuery = None,
    weather_mode: WeatherModeQuery = DEFAULT_WEATHER_MODE,
    fmt: FormatQuery = None,
) -> Response:
    """Daily median, mean, P(any crossing) with its risk category, bands, the count if
    crossings happen, P(≥ k) and the weather assumed, plus `week_total`: the total over the
    days returned (`horizon` days from `start`; a week by default); as JSON, or as CSV
    (`format=csv` or `Accept: text/csv`: a row per day, then a last row whose date is
    `total`, that total; target, issue_date, hindcast, model_version and data_as_of on every
    row).

    The forecast is issued on `issue_date` (today, or a hindcast: see `hindcast`), from the
    newest arrivals without a refit (`bridged_days` simulated up to the issue date). Weather
    before the issue date is observed; from it on, per `weather_mode` (each day's
    `weather_source` says which). Forecasts are cached per (target, issue date, weather mode,
    start, horizon, model version, data version)."""
    ask = Ask(start, horizon, as_of, weather_mode)
    issued = await _default_issued(request, service, champion, ask)
    if wants_csv(request, fmt):
        name = f"crossings-{issued.target}-{issued.start.isoformat()}.csv"
        return csv_attachment(forecast_csv(issued.payload(levels), levels), name)
    return JSONBytes(issued.rendered(levels))


@router.post(
    "",
    response_model=ScenarioResponse,
    summary="Forecast under a weather scenario, beside its baseline",
    responses={**ERRORS, **RATE_LIMITED},
    dependencies=[Depends(limit_scenarios)],
)
async def post_forecast(service: ServiceDep, body: ScenarioRequest) -> Response:
    """The same answer as GET, computed with the caller's weather on the days given, and
    compared with its baseline.

    The scenario is a weather forecast issued on the issue date: the sample paths spread
    around it with the error model by lead, so later days are less sure
    (`"weather_uncertainty": "none"` takes it exactly). Each scenario day must hold every
    weather variable the model needs (422 names the missing one); days not given come from
    the weather chain.

    Each day, and the total over the horizon, also carries `baseline` (P(any), median, mean
    and bands of the default forecast of the same request: exactly what GET /v1/forecast
    serves for the same target, as_of, start, horizon and levels) and `difference`
    (scenario minus baseline). The scenario uses the default forecast's sample paths
    (`CROSSINGS_N_SAMPLES`, default 1000) and seed, so the two differ only by the weather
    given; the same request gets the same answer (and is archived once). Each client may post
    `CROSSINGS_SCENARIO_RATE_LIMIT` scenarios (default 60 a minute); over it, 429 with
    `Retry-After`."""
    champion = service.champion(body.target)
    weather = [day.model_dump() for day in body.weather]
    ask = Ask(body.start, body.horizon, body.as_of, body.weather_mode)
    uncertainty = body.weather_uncertainty != "none"
    scenario, baseline = await run_in_threadpool(
        service.paired_scenario, champion, ask, weather, uncertainty
    )
    return JSONBytes(orjson.dumps(paired_payload(scenario, baseline, tuple(body.levels))))


@router.get(
    "/exceedance",
    response_model=ExceedanceResponse,
    summary="P(count ≥ k) per day, for capacity planning",
    responses={**_EXCEEDANCE_CSV_RESPONSE, **{k: v for k, v in ERRORS.items() if k != 413}},
)
async def get_exceedance(
    request: Request,
    service: ServiceDep,
    champion: ModelDep,
    thresholds: ThresholdsDep,
    horizon: HorizonQuery = DEFAULT_HORIZON,
    start: StartQuery = None,
    as_of: AsOfQuery = None,
    weather_mode: WeatherModeQuery = DEFAULT_WEATHER_MODE,
    fmt: FormatQuery = None,
) -> Response | ExceedanceResponse:
    """For each day and each threshold k, the probability that the count reaches k, from the
    same sample paths as GET /v1/forecast; as JSON, or as CSV (`format=csv` or
    `Accept: text/csv`: one row per day, `date`, `p_ge_K` per threshold, `weather_source`,
    and target, issue_date, hindcast, model_version and data_as_of on every row).

    Without `thresholds`, the target's planner thresholds: the same k as every forecast
    day's `p_at_least` and the page (by default 100, 300 and 500 people, 2, 5 and 10 boats;
    `CROSSINGS_EXCEEDANCE_PEOPLE`, `CROSSINGS_EXCEEDANCE_BOATS`)."""
    ask = Ask(start, horizon, as_of, weather_mode)
    issued = await _default_issued(request, service, champion, ask)
    ks = issued.reading.thresholds(issued.target) if thresholds is None else thresholds
    payload = issued.exceedance(ks)
    if wants_csv(request, fmt):
        name = f"crossings-exceedance-{issued.target}-{issued.start.isoformat()}.csv"
        return csv_attachment(exceedance_csv(payload), name)
    return ExceedanceResponse.model_validate(payload)
