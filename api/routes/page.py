"""GET /: the planner page (actual arrivals of the last weeks, then the default forecast with
its risk, bands, P(crossing) and the weather assumed per day)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.deps import ServiceDep
from api.service import Ask, ForecastService, InvalidInput, NotReady
from api.web.page import HISTORY_DAYS, PAGE_DAYS, PAGE_LEVELS, render_page
from forecasting import schema
from forecasting.weather.future import WeatherUnavailable

router = APIRouter(tags=["page"])


def _history(service: ForecastService, target: str, data_as_of: str) -> list[dict[str, Any]]:
    """The last HISTORY_DAYS days of actual arrivals up to `data_as_of` (the forecast's start)."""
    arrivals = service.observed_data().arrivals
    dates = pd.to_datetime(arrivals[schema.DATE])
    recent = arrivals.loc[dates <= pd.Timestamp(data_as_of)].tail(HISTORY_DAYS)
    return [
        {"date": pd.Timestamp(d).date().isoformat(), "count": int(c)}
        for d, c in zip(recent[schema.DATE], recent[target], strict=True)
    ]


def _page_data(service: ForecastService) -> dict[str, Any]:
    """Each target's default forecast as a response dict with its recent `history`, or
    {"error": message}."""
    data: dict[str, Any] = {}
    for target in service.store.targets:
        try:
            champ = service.champion(target)
            issued = service.default_forecast(champ, Ask(horizon=PAGE_DAYS))
            payload = issued.payload(PAGE_LEVELS)
            payload["history"] = _history(service, target, payload["data_as_of"])
            data[target] = payload
        except (InvalidInput, NotReady, WeatherUnavailable) as exc:
            data[target] = {"error": str(exc)}
    return data


@router.get("/", response_class=HTMLResponse, summary="Planner page")
async def page(service: ServiceDep) -> HTMLResponse:
    """A page for planners: the last 28 days of actual arrivals, then the default forecast's
    7 days as a fan chart with bands, P(crossing) coloured by risk (red, amber, green), and a
    table with each day's risk, the count if crossings happen, P(≥ k) and the weather assumed.
    It calls them "the next 7 days" only for a forecast issued today; a hindcast says so and
    how old the data is. Plain HTML, inline SVG and vanilla JavaScript."""
    data = await run_in_threadpool(_page_data, service)
    return HTMLResponse(render_page(data, service.today()))
