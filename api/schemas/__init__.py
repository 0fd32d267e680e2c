"""Request and response schemas of the HTTP API (pydantic 2), with constraints and examples.

`requests` holds what callers send, `responses` what they get back (`scenario` the answer to a
scenario, paired with its baseline; `outlook` and `verification` theirs), `examples` the OpenAPI
examples of both; every schema is importable from here.
"""

from __future__ import annotations

from api.schemas.outlook import OutlookResponse
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
    IfCrossing,
    IssuedDay,
    IssuedResponse,
    MessageResponse,
    ModelRef,
    ModelResponse,
    Readiness,
    ReloadResponse,
    ReloadTarget,
    RiskThresholds,
    TargetReadiness,
    ValidationErrorResponse,
    WeatherSource,
    WeekTotal,
)
from api.schemas.scenario import (
    BaselineDay,
    BaselineTotal,
    DayDifference,
    ScenarioDay,
    ScenarioResponse,
    ScenarioWeekTotal,
    TotalDifference,
)
from api.schemas.verification import VerificationResponse

__all__ = [
    "MAX_THRESHOLDS",
    "Band",
    "BaselineDay",
    "BaselineTotal",
    "ChampionInfo",
    "DayDifference",
    "DayForecast",
    "ErrorItem",
    "ExceedanceDay",
    "ExceedanceResponse",
    "ForecastResponse",
    "Health",
    "HistoryDay",
    "HistoryResponse",
    "IfCrossing",
    "IsoDate",
    "IssuedDay",
    "IssuedResponse",
    "MessageResponse",
    "ModelRef",
    "ModelResponse",
    "OutlookResponse",
    "Readiness",
    "ReloadResponse",
    "ReloadTarget",
    "RiskThresholds",
    "ScenarioDay",
    "ScenarioRequest",
    "ScenarioResponse",
    "ScenarioWeekTotal",
    "TargetReadiness",
    "TotalDifference",
    "ValidationErrorResponse",
    "VerificationResponse",
    "WeatherDay",
    "WeatherSource",
    "WeekTotal",
]
