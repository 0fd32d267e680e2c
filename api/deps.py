"""Typed dependencies: settings, the service, the champion for a target, parsed parameters."""

from __future__ import annotations

import math
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.champion import Champion, ChampionStore, Registry
from api.errors import FieldError
from api.schemas import MAX_THRESHOLDS, IsoDate
from api.service import ForecastService
from api.settings import ApiSettings, get_settings
from forecasting.contract import (
    DEFAULT_HORIZON,
    DEFAULT_LEVELS_PCT,
    MAX_BRIDGE_DAYS,
    MAX_HORIZON,
    MAX_LEVELS,
    MIN_HORIZON,
    ServedWeatherMode,
    Target,
    level_name,
)
from forecasting.tracking.registry import MlflowRegistry

SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


def get_registry(settings: SettingsDep) -> Registry:
    """The model registry the champions come from (tests override this)."""
    return MlflowRegistry(settings.mlflow_tracking_uri, settings.champion_alias)


async def get_service(request: Request) -> ForecastService:
    """The service built in the app's lifespan."""
    service: ForecastService = request.app.state.service
    return service


ServiceDep = Annotated[ForecastService, Depends(get_service)]


async def get_store(service: ServiceDep) -> ChampionStore:
    """The champion store."""
    return service.store


StoreDep = Annotated[ChampionStore, Depends(get_store)]

TargetQuery = Annotated[
    Target, Query(description="What to forecast: people or boats.", examples=["people"])
]
HorizonQuery = Annotated[
    int,
    Query(
        ge=MIN_HORIZON,
        le=MAX_HORIZON,
        description=f"Number of days ({MIN_HORIZON}–{MAX_HORIZON}).",
        examples=[DEFAULT_HORIZON],
    ),
]
StartQuery = Annotated[
    IsoDate | None,
    Query(
        description="First forecast day (YYYY-MM-DD), from the issue date to 13 days after "
        "it; default: the issue date.",
        examples=["2026-05-15"],
    ),
]
AsOfQuery = Annotated[
    IsoDate | None,
    Query(
        description="Issue the forecast as of this past day (YYYY-MM-DD): a hindcast, with the "
        "arrivals before it and a weather forecast simulated from the stored observations, as "
        "the backtest does. Default: today, or the day after the newest arrivals when they end "
        f"more than {MAX_BRIDGE_DAYS} days before today.",
        examples=["2026-05-15"],
    ),
]
WeatherModeQuery = Annotated[
    ServedWeatherMode,
    Query(
        description="Weather from the issue date on: forecast (a weather forecast with its "
        "spread by lead: live, or simulated for a hindcast; else climatology), observed "
        "(hindsight: the weather that happened, labelled so) or climatology.",
        examples=["forecast"],
    ),
]


async def get_champion(service: ServiceDep, target: TargetQuery = "people") -> Champion:
    """The champion serving `target`, taken once per request: a reload during the request
    does not change the model it uses."""
    return service.champion(target)


ModelDep = Annotated[Champion, Depends(get_champion)]

DEFAULT_LEVELS = ",".join(level_name(lv) for lv in DEFAULT_LEVELS_PCT)  # the query default


def _numbers(text: str, name: str) -> list[float]:
    """The comma-separated finite numbers in `text`; FieldError on the query parameter `name`."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise FieldError(("query", name), f"{name} must be comma-separated numbers, got '{text}'")
    out = []
    for p in parts:
        try:
            x = float(p)
        except ValueError:
            raise FieldError(("query", name), f"'{p}' in {name} is not a number") from None
        if not math.isfinite(x):
            raise FieldError(("query", name), f"'{p}' in {name} is not a finite number")
        out.append(x)
    return out


async def get_levels(
    levels: Annotated[
        str,
        Query(
            max_length=200,
            description="Band levels in percent, comma-separated, each strictly between 0 and 100.",
            examples=[DEFAULT_LEVELS],
        ),
    ] = DEFAULT_LEVELS,
) -> tuple[float, ...]:
    """Parse `levels`, comma-separated percentages: distinct numbers in (0, 100), at most
    MAX_LEVELS of them."""
    values = _numbers(levels, "levels")
    bad = [x for x in values if not 0 < x < 100]
    if bad:
        raise FieldError(
            ("query", "levels"), f"levels must lie strictly between 0 and 100, got {bad[0]:g}"
        )
    if len(values) > MAX_LEVELS:
        raise FieldError(("query", "levels"), f"at most {MAX_LEVELS} levels, got {len(values)}")
    if len({level_name(x) for x in values}) != len(values):
        raise FieldError(("query", "levels"), "levels must be distinct")
    return tuple(sorted(values))


LevelsDep = Annotated[tuple[float, ...], Depends(get_levels)]


async def get_thresholds(
    thresholds: Annotated[
        str,
        Query(
            max_length=400,
            description="Counts k for P(count ≥ k), comma-separated non-negative integers.",
            examples=["100,300,600"],
        ),
    ] = "100,300,600",
) -> tuple[int, ...]:
    """Parse `thresholds` ("100,300,600"): distinct non-negative integers, at most 20."""
    values = _numbers(thresholds, "thresholds")
    for x in values:
        if x < 0 or x != int(x) or x > 1_000_000:
            raise FieldError(
                ("query", "thresholds"),
                f"thresholds must be whole counts between 0 and 1000000, got {x:g}",
            )
    if len(values) > MAX_THRESHOLDS:
        raise FieldError(
            ("query", "thresholds"), f"at most {MAX_THRESHOLDS} thresholds, got {len(values)}"
        )
    ints = sorted({int(x) for x in values})
    if len(ints) != len(values):
        raise FieldError(("query", "thresholds"), "thresholds must be distinct")
    return tuple(ints)


ThresholdsDep = Annotated[tuple[int, ...], Depends(get_thresholds)]

_bearer = HTTPBearer(auto_error=False, description="The admin token (CROSSINGS_ADMIN_TOKEN).")


async def require_admin(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 without a bearer token, 403 with a wrong one (or when no token is configured)."""
    if credentials is None:
        raise HTTPException(
            status_code=401,
            detail="admin endpoint: send 'Authorization: Bearer <CROSSINGS_ADMIN_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = settings.admin_token
    if not expected:
        raise HTTPException(status_code=403, detail="admin endpoints are disabled: no token set")
    if not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="wrong admin token")


AdminDep = Depends(require_admin)
