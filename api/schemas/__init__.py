"""Request and response schemas of the HTTP API (pydantic 2), with constraints and examples.

`requests` holds what callers send, `responses` what they get back, `examples` the OpenAPI
examples of both; every schema is importable from here.
"""

from __future__ import annotations

from api.schemas.requests import MAX_THRESHOLDS, IsoDate, ScenarioRequest, WeatherDay
from api.schemas.responses import (
    Band,
    ChampionInfo,
    DayForecast,
    ErrorItem,
    ExceedanceDay,
    ExceedanceResponse,
    ForecastResponse,
    Health,
    HistoryDay,
    HistoryResponse,
    IssuedDay,
    IssuedResponse,
    MessageResponse,
    ModelRef,
    ModelResponse,
    Readiness,
    ReloadResponse,
    ReloadTarget,
    TargetReadiness,
    ValidationErrorResponse,
    WeatherSource,
    WeekTotal,
)

__all__ = [
    "MAX_THRESHOLDS",
    "Band",
    "ChampionInfo",
    "DayForecast",
    "ErrorItem",
    "ExceedanceDay",
    "ExceedanceResponse",
    "ForecastResponse",
    "Health",
    "HistoryDay",
    "HistoryResponse",
    "IsoDate",
    "IssuedDay",
    "IssuedResponse",
    "MessageResponse",
    "ModelRef",
    "ModelResponse",
    "Readiness",
    "ReloadResponse",
    "ReloadTarget",
    "ScenarioRequest",
    "TargetReadiness",
    "ValidationErrorResponse",
    "WeatherDay",
    "WeatherSource",
    "WeekTotal",
]
