"""GET /: the planner page (fan chart of the default forecast, P(crossing) per day, a table)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.deps import ServiceDep
from api.page import PAGE_DAYS, PAGE_LEVELS, render_page
from api.service import Ask, ForecastService, InvalidInput, NotReady
from forecasting.weather.future import WeatherUnavailable

router = APIRouter(tags=["page"])


def _page_data(service: ForecastService) -> dict[str, Any]:
    """Each target's default forecast as a response dict, or {"error": message}."""
    data: dict[str, Any] = {}
    for target in service.store.targets:
        try:
            champ = service.champion(target)
            issued = service.default_forecast(champ, Ask(horizon=PAGE_DAYS))
            data[target] = issued.payload(PAGE_LEVELS)
        except (InvalidInput, NotReady, WeatherUnavailable) as exc:
            data[target] = {"error": str(exc)}
    return data


@router.get("/", response_class=HTMLResponse, summary="Planner page")
async def page(service: ServiceDep) -> HTMLResponse:
    """A page for planners: the default forecast's 7 days as a fan chart with bands and
    P(crossing) per day, and a table saying what weather each day used. It calls them "the
    next 7 days" only for a forecast issued today; a hindcast says so and how old the data
    is. Plain HTML, inline SVG and vanilla JavaScript."""
    data = await run_in_threadpool(_page_data, service)
    return HTMLResponse(render_page(data, service.today()))
