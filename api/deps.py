"""Typed dependencies: settings, the service, the champion for a target, parsed parameters."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.admin_guard import AdminGuard
from api.champion import Champion, ChampionStore, Registry
from api.errors import FieldError
from api.reading import EXCEEDANCE
from api.schemas import MAX_THRESHOLDS, IsoDate
from api.service import ForecastService
from api.settings import ApiSettings, get_settings
from forecasting.contract import (
    DEFAULT_HORIZON,
    DEFAULT_LEVELS_PCT,
    DEFAULT_WEATHER_MODE,
    MAX_BRIDGE_DAYS,
    MAX_HORIZON,
    MAX_LEVELS,
    MIN_HORIZON,
    ServedWeatherMode,
    Target,
    level_name,
)
from forecasting.tracking.registry import MlflowRegistry
from forecasting.tracking.store import redact as redact_uri
from forecasting.tracking.store import require_existing_store

SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


def get_registry(settings: SettingsDep) -> Registry:
    """The model registry the champions come from (tests override this). A SQLite store
    whose file does not exist is refused (TrackingUnavailable), never created empty."""
    require_existing_store(settings.mlflow_tracking_uri)
    return MlflowRegistry(settings.mlflow_tracking_uri, settings.champion_alias)


class ModelNotRegistered(RuntimeError):
    """The registry answered, and has no registered model of that name: nothing to serve."""


def require_registered(registry: Registry, names: Iterable[str]) -> None:
    """Raise ModelNotRegistered, naming the registry's URI (without a password) and the
    missing names, when an MLflow registry says a registered model does not exist. Other
    failures (an unreachable registry) and other registries pass: the service then starts,
    answers 503 and the poller loads the champion once it can."""
    if not isinstance(registry, MlflowRegistry):
        return
    missing = registry.missing_models(names)
    if missing:
        raise ModelNotRegistered(
            f"the model registry {redact_uri(registry.tracking_uri)} has no registered model "
            f"{', '.join(missing)}. Train and register one there with `crossings train` (the "
            "same MLFLOW_TRACKING_URI), or point MLFLOW_TRACKING_URI at the registry that "
            "holds it (CROSSINGS_MODEL_NAME_PREFIX names the models <prefix>-<target>)"
        )


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
        description="First forecast day (YYYY-MM-DD), from the issue date on, with the last "
        f"asked day at most {MAX_HORIZON - 1} days after the issue date (a 422 naming start "
        "otherwise); default: the issue date.",
        examples=["2026-05-15"],
    ),
]
AsOfQuery = Annotated[
    IsoDate | None,
    Query(
        description="Issue the forecast as of this past day (YYYY-MM-DD): a hindcast, with the "
        "arrivals before it and a weather forecast simulated from the stored observations, as "
        "the backtest does. Default: today, or the day after the newest arrivals when they end "
        f"more than {MAX_BRIDGE_DAYS} days before today. It must lie within the served data "
        f"(a 422 naming as_of otherwise): not after today, at most {MAX_BRIDGE_DAYS} days "
        "after the newest arrivals, and with a year of stored weather before it.",
        examples=["2026-05-15"],
    ),
]
WeatherModeQuery = Annotated[
    ServedWeatherMode,
    Query(
        description="Weather from the issue date on: forecast (a weather forecast with its "
        "spread by lead: live, or simulated for a hindcast; else climatology), observed "
        "(hindsight: the weather that happened, labelled so; only for days the stored "
        "observations cover, else a 422 naming weather_mode) or climatology.",
        examples=[DEFAULT_WEATHER_MODE],
    ),
]


async def get_champion(service: ServiceDep, target: TargetQuery = "people") -> Champion:
    """The champion serving `target`, taken once per request: a reload during the request
    does not change the model it uses."""
    return service.champion(target)


ModelDep = Annotated[Champion, Depends(get_champion)]

DEFAULT_LEVELS = ",".join(level_name(lv) for lv in DEFAULT_LEVELS_PCT)  # the query default

# The written forms the comma-separated query lists accept, stated in the OpenAPI schema as
# `pattern` and enforced here, so a request the schema allows is never refused. A level is a
# plain decimal strictly between 0 and 100 with at most 6 decimals (no exponent: 5e-324 would
# round to a probability of 0); a threshold a whole count from 0 to 1000000.
_LEVEL = r"(?:[1-9][0-9]?(?:\.[0-9]{1,6})?|0?\.[0-9]{0,5}[1-9][0-9]{0,5})"
_COUNT = r"(?:[0-9]{1,6}|1000000)(?:\.0{1,6})?"


def _list_pattern(item: str, most: int) -> str:
    """An anchored pattern for 1..`most` comma-separated `item`s, a space allowed around
    each. It bounds the length too (no maxLength beside it: schemathesis's boundary cases
    would take maxLength alone and ignore the pattern)."""
    return rf"^ ?{item} ?(?:, ?{item} ?){{0,{most - 1}}}$"


LEVELS_PATTERN = _list_pattern(_LEVEL, MAX_LEVELS)
THRESHOLDS_PATTERN = _list_pattern(_COUNT, MAX_THRESHOLDS)


def _check_written(text: str, pattern: str, name: str, example: str) -> None:
    """FieldError unless `text` has the written form `pattern` states (the catch-all rule
    after the friendlier checks)."""
    if not re.fullmatch(pattern[1:-1], text.strip()):
        raise FieldError(
            ("query", name),
            f"{name} must be written like {example}: plain decimals, no exponent "
            f"(the pattern in the API schema), got '{text[:40]}'",
        )


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
            description=f"Band levels in percent, comma-separated: 1 to {MAX_LEVELS} plain "
            "decimals, each strictly between 0 and 100 with at most 6 decimals (e.g. 80, "
            "97.5, 0.5). A level given twice is answered once.",
            examples=[DEFAULT_LEVELS],
            json_schema_extra={"pattern": LEVELS_PATTERN},
        ),
    ] = DEFAULT_LEVELS,
) -> tuple[float, ...]:
    """Parse `levels`, comma-separated percentages in (0, 100), at most MAX_LEVELS of them,
    written as LEVELS_PATTERN states; repeats are dropped (80 and 80.0 are one level)."""
    if len(levels) > 200:
        raise FieldError(("query", "levels"), "levels is longer than the pattern allows")
    values = _numbers(levels, "levels")
    bad = [x for x in values if not 0 < x < 100]
    if bad:
        raise FieldError(
            ("query", "levels"), f"levels must lie strictly between 0 and 100, got {bad[0]:g}"
        )
    if len(values) > MAX_LEVELS:
        raise FieldError(("query", "levels"), f"at most {MAX_LEVELS} levels, got {len(values)}")
    _check_written(levels, LEVELS_PATTERN, "levels", "50,80,95")
    unique = {level_name(x): x for x in values}
    return tuple(sorted(unique.values()))


LevelsDep = Annotated[tuple[float, ...], Depends(get_levels)]


def _default_thresholds() -> str:
    """The default P(≥ k) thresholds per target, as the parameter's description gives them."""
    return "; ".join(f"{t}: {','.join(map(str, ks))}" for t, ks in EXCEEDANCE.items())


async def get_thresholds(
    thresholds: Annotated[
        str | None,
        Query(
            description=f"Counts k for P(count ≥ k), comma-separated: 1 to {MAX_THRESHOLDS} "
            "whole numbers from 0 to 1000000. A count given twice is answered once. Default: "
            "the target's planner thresholds, the ones every forecast day's `p_at_least` and "
            f"the page show ({_default_thresholds()}; `CROSSINGS_EXCEEDANCE_PEOPLE`, "
            "`CROSSINGS_EXCEEDANCE_BOATS`).",
            examples=["2,5,10", "100,300,500"],
            json_schema_extra={"pattern": THRESHOLDS_PATTERN},
        ),
    ] = None,
) -> tuple[int, ...] | None:
    """Parse `thresholds` ("100,300,500"): whole counts in [0, 1000000], at most
    MAX_THRESHOLDS, written as THRESHOLDS_PATTERN states; repeats are dropped. None when not
    given: the caller then uses the target's planner thresholds (`api.reading.Reading`)."""
    if thresholds is None:
        return None
    if len(thresholds) > 400:
        raise FieldError(("query", "thresholds"), "thresholds is longer than the pattern allows")
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
    _check_written(thresholds, THRESHOLDS_PATTERN, "thresholds", "100,300,500")
    return tuple(sorted({int(x) for x in values}))


ThresholdsDep = Annotated[tuple[int, ...] | None, Depends(get_thresholds)]

_bearer = HTTPBearer(auto_error=False, description="The admin token (CROSSINGS_ADMIN_TOKEN).")


async def require_admin(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 without a bearer token, 403 with a wrong one (or when no token is configured),
    429 once a client has failed too often (`api.admin_guard`)."""
    guard: AdminGuard = request.app.state.admin_guard
    client = request.client.host if request.client else "unknown"
    if (wait := guard.retry_after(client)) is not None:
        raise HTTPException(
            status_code=429,
            detail=f"too many failed admin attempts; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
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
        guard.failed(client)
        raise HTTPException(status_code=403, detail="wrong admin token")


AdminDep = Depends(require_admin)
