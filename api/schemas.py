"""Request and response schemas of the HTTP API (pydantic 2), with constraints and examples."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from forecasting.schema import WEATHER_RANGES

Target = Literal["people", "boats"]
WeatherSource = Literal["request", "forecast", "observed", "climatology"]
MAX_LEVELS = 10
MAX_THRESHOLDS = 20

EXAMPLE_START = "2026-05-15"


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """Accept dates as YYYY-MM-DD only (pydantic alone also takes Unix timestamps)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def level_key(level: float) -> str:
    """How a level is written as a JSON key: 80 → "80", 97.5 → "97.5"."""
    return f"{level:.10g}"


# --------------------------------------------------------------------------- shared parts


class Band(BaseModel):
    """A central prediction band."""

    lo: int = Field(ge=0, description="Lower end (count).")
    hi: int = Field(ge=0, description="Upper end (count).")


class DayForecast(BaseModel):
    """The forecast for one day."""

    date: date
    median: int = Field(ge=0, description="Median count.")
    mean: float = Field(ge=0, description="Mean count.")
    p_any: float = Field(ge=0, le=1, description="Probability of at least one crossing.")
    bands: dict[str, Band] = Field(description="Bands by level in percent, e.g. '80'.")
    weather_source: WeatherSource = Field(description="Where this day's weather came from.")


class WeekTotal(BaseModel):
    """The distribution of the total over the horizon (coherent: summed along sample paths)."""

    median: int = Field(ge=0)
    bands: dict[str, Band]


class ModelRef(BaseModel):
    """Which champion made a forecast."""

    name: str = Field(description="Model family, e.g. hurdle.")
    version: str = Field(description="Registry version of the champion.")
    trained_at: str | None = Field(description="When it was trained (ISO 8601).")


_DAY_EXAMPLE: dict[str, Any] = {
    "date": EXAMPLE_START,
    "median": 0,
    "mean": 151.3,
    "p_any": 0.42,
    "bands": {"50": {"lo": 0, "hi": 210}, "80": {"lo": 0, "hi": 480}, "95": {"lo": 0, "hi": 760}},
    "weather_source": "forecast",
}


class ForecastResponse(BaseModel):
    """Daily forecasts with uncertainty bands, the total over the horizon and provenance."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": "people",
                    "start": EXAMPLE_START,
                    "horizon": 1,
                    "days": [_DAY_EXAMPLE],
                    "week_total": {
                        "median": 0,
                        "bands": {
                            "50": {"lo": 0, "hi": 210},
                            "80": {"lo": 0, "hi": 480},
                            "95": {"lo": 0, "hi": 760},
                        },
                    },
                    "model": {
                        "name": "hurdle",
                        "version": "3",
                        "trained_at": "2026-05-15T06:00:00Z",
                    },
                    "data_as_of": "2026-05-14",
                    "issued_at": "2026-05-15T07:12:03Z",
                }
            ]
        }
    )

    target: Target
    start: date
    horizon: int = Field(ge=1, le=14)
    days: list[DayForecast]
    week_total: WeekTotal
    model: ModelRef
    data_as_of: date | None = Field(description="Last observed day of arrivals.")
    issued_at: datetime = Field(description="When this forecast was computed (UTC).")


# --------------------------------------------------------------------------- POST body


def _wx(var: str, example: float, unit: str) -> Any:
    lo, hi = WEATHER_RANGES[var]
    return Field(None, ge=lo, le=hi, description=f"{var} in {unit}", examples=[example])


class WeatherDay(BaseModel):
    """One day of a weather scenario, in canonical columns and SI units."""

    model_config = ConfigDict(extra="forbid")

    date: IsoDate
    wind_mean_ms: float | None = _wx("wind_mean_ms", 1.5, "m/s")
    wind_max_hourly_ms: float | None = _wx("wind_max_hourly_ms", 3.0, "m/s")
    gust_max_ms: float | None = _wx("gust_max_ms", 5.0, "m/s")
    wind_dir_deg: float | None = _wx("wind_dir_deg", 200, "degrees")
    precip_mm: float | None = _wx("precip_mm", 0, "mm")
    temp_mean_c: float | None = _wx("temp_mean_c", 14, "°C")
    pressure_hpa: float | None = _wx("pressure_hpa", 1020, "hPa")
    visibility_min_m: float | None = _wx("visibility_min_m", 20000, "m")
    cloud_octas: float | None = _wx("cloud_octas", 3, "octas")


class ScenarioRequest(BaseModel):
    """The GET parameters plus a weather scenario; days not in `weather` use the provider
    chain, and every day given must hold every variable the model needs."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "target": "people",
                    "start": EXAMPLE_START,
                    "horizon": 7,
                    "levels": [80, 95],
                    "weather": [
                        {
                            "date": EXAMPLE_START,
                            "wind_mean_ms": 1.5,
                            "wind_max_hourly_ms": 3.0,
                            "gust_max_ms": 5.0,
                            "wind_dir_deg": 200,
                            "precip_mm": 0,
                            "temp_mean_c": 14,
                            "pressure_hpa": 1020,
                        }
                    ],
                }
            ]
        },
    )

    target: Target = "people"
    start: IsoDate | None = Field(None, description="First forecast day; default: after the data.")
    horizon: int = Field(7, ge=1, le=14)
    levels: Annotated[
        list[Annotated[float, Field(gt=0, lt=100)]],
        Field(min_length=1, max_length=MAX_LEVELS),
    ] = [50, 80, 95]
    weather: list[WeatherDay] = Field(
        min_length=1, max_length=14, description="Scenario days (any subset of the days)."
    )

    @field_validator("levels")
    @classmethod
    def _unique_levels(cls, v: list[float]) -> list[float]:
        if len({level_key(x) for x in v}) != len(v):
            raise ValueError("levels must be distinct")
        return sorted(v)

    @model_validator(mode="after")
    def _unique_days(self) -> ScenarioRequest:
        seen: set[date] = set()
        for day in self.weather:
            if day.date in seen:
                raise ValueError(f"weather lists {day.date} twice; give each day once")
            seen.add(day.date)
        return self


# --------------------------------------------------------------------------- other responses


class ExceedanceDay(BaseModel):
    """P(count ≥ k) on one day."""

    date: date
    p_at_least: dict[str, float] = Field(description="Probability by threshold k.")
    weather_source: WeatherSource


class ExceedanceResponse(BaseModel):
    """Exceedance probabilities for capacity planning."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": "people",
                    "start": EXAMPLE_START,
                    "horizon": 1,
                    "thresholds": [100, 300, 600],
                    "days": [
                        {
                            "date": EXAMPLE_START,
                            "p_at_least": {"100": 0.38, "300": 0.21, "600": 0.06},
                            "weather_source": "forecast",
                        }
                    ],
                    "model": {"name": "hurdle", "version": "3", "trained_at": None},
                    "data_as_of": "2026-05-14",
                    "issued_at": "2026-05-15T07:12:03Z",
                }
            ]
        }
    )

    target: Target
    start: date
    horizon: int
    thresholds: list[int]
    days: list[ExceedanceDay]
    model: ModelRef
    data_as_of: date | None
    issued_at: datetime


class ChampionInfo(BaseModel):
    """The champion served for one target, and how fresh our view of the registry is."""

    target: Target
    registered_model: str
    name: str | None = Field(description="Model family.")
    version: str | None
    trained_at: str | None
    data_vintage: str | None
    weather_source: str | None
    weather_location: str | None
    training_data_end: date | None = Field(description="Last day the model was fitted on.")
    backtest_metrics: dict[str, Any]
    loaded_at: datetime | None
    status: Literal["ok", "stale", "unavailable"] = Field(
        description="ok; stale: serving the last good model, the registry is unreachable or "
        "not checked for too long; unavailable: no model loaded."
    )
    registry_error: str | None
    registry_checked_at: datetime | None


class ModelResponse(BaseModel):
    """The champions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "champions": [
                        {
                            "target": "people",
                            "registered_model": "channel-crossings-people",
                            "name": "hurdle",
                            "version": "3",
                            "trained_at": "2026-05-15T06:00:00Z",
                            "data_vintage": "2026-05-15",
                            "weather_source": "knmi",
                            "weather_location": "Woensdrecht",
                            "training_data_end": "2026-05-14",
                            "backtest_metrics": {"crps": 61.2, "coverage_80": 0.81},
                            "loaded_at": "2026-05-15T06:01:00Z",
                            "status": "ok",
                            "registry_error": None,
                            "registry_checked_at": "2026-05-15T07:00:00Z",
                        }
                    ]
                }
            ]
        }
    )

    champions: list[ChampionInfo]


class HistoryDay(BaseModel):
    """One observed day."""

    date: date
    people: int = Field(ge=0)
    boats: int = Field(ge=0)


class HistoryResponse(BaseModel):
    """The observed series between two dates (inclusive)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-05-13",
                    "to": "2026-05-14",
                    "vintage": "2026-05-15",
                    "days": [
                        {"date": "2026-05-13", "people": 0, "boats": 0},
                        {"date": "2026-05-14", "people": 412, "boats": 7},
                    ],
                }
            ]
        },
        populate_by_name=True,
    )

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    vintage: str | None = Field(description="Publication the series comes from.")
    days: list[HistoryDay]


class IssuedDay(BaseModel):
    """One archived forecast for the asked day."""

    forecast_id: str
    issued_at: datetime
    kind: Literal["default", "scenario"]
    start: date
    horizon: int
    lead_days: int = Field(description="Days from the data's end to this day.")
    model: ModelRef
    data_as_of: date | None
    median: int
    mean: float
    p_any: float
    bands: dict[str, Band]
    weather_source: WeatherSource


class IssuedResponse(BaseModel):
    """What was issued for a day and, once known, what happened."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "date": EXAMPLE_START,
                    "target": "people",
                    "actual": 388,
                    "forecasts": [
                        {
                            "forecast_id": "4f1c0f1e9b1a4d3c8f7e6d5c4b3a2910",
                            "issued_at": "2026-05-14T07:12:03Z",
                            "kind": "default",
                            "start": EXAMPLE_START,
                            "horizon": 7,
                            "lead_days": 1,
                            "model": {"name": "hurdle", "version": "3", "trained_at": None},
                            "data_as_of": "2026-05-14",
                            "median": 0,
                            "mean": 151.3,
                            "p_any": 0.42,
                            "bands": {"80": {"lo": 0, "hi": 480}},
                            "weather_source": "forecast",
                        }
                    ],
                }
            ]
        }
    )

    date: date
    target: Target
    actual: int | None = Field(description="The observed count, null until published.")
    forecasts: list[IssuedDay]


class Health(BaseModel):
    """Liveness."""

    status: Literal["ok"] = "ok"


class TargetReadiness(BaseModel):
    """Readiness of one target."""

    loaded: bool
    version: str | None
    stale: bool
    registry_error: str | None
    behind_data: bool = Field(
        description="The champion was fitted on data that ends before the observed data: "
        "retrain to forecast from the newest day."
    )


class Readiness(BaseModel):
    """Readiness: ready when every served target has a model loaded."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "registry": "ok",
                    "targets": {
                        "people": {
                            "loaded": True,
                            "version": "3",
                            "stale": False,
                            "registry_error": None,
                            "behind_data": False,
                        }
                    },
                    "data_as_of": "2026-05-14",
                }
            ]
        }
    )

    status: Literal["ready", "not ready"]
    registry: Literal["ok", "stale", "unreachable"]
    targets: dict[str, TargetReadiness]
    data_as_of: date | None


class ReloadTarget(BaseModel):
    """What a reload did for one target."""

    previous: str | None
    current: str | None
    changed: bool
    error: str | None


class ReloadResponse(BaseModel):
    """Result of POST /v1/admin/reload."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "targets": {
                        "people": {"previous": "3", "current": "4", "changed": True, "error": None}
                    }
                }
            ]
        }
    )

    targets: dict[str, ReloadTarget]


class ErrorItem(BaseModel):
    """One problem with the request; `loc` names the field."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorResponse(BaseModel):
    """A 422 or 413: every problem, each naming its field."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": [
                        {
                            "loc": ["query", "horizon"],
                            "msg": "Input should be less than or equal to 14",
                            "type": "less_than_equal",
                        }
                    ]
                }
            ]
        }
    )

    detail: list[ErrorItem]


class MessageResponse(BaseModel):
    """An error with a message."""

    detail: str
