"""Response schemas of the HTTP API (pydantic 2), with constraints and examples. POST
/v1/forecast's, a scenario paired with its baseline, extend these in `api.schemas.scenario`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.reading import IF_CROSSING_LEVEL, Risk
from api.schemas import examples
from forecasting.contract import (
    MAX_BRIDGE_DAYS,
    MAX_HORIZON,
    MIN_HORIZON,
    ServedWeatherMode,
    Target,
    WeatherSource,
)

WEATHER_SOURCE_HELP = (
    "Where this day's weather came from: none (the model uses no weather), observed (before "
    "the issue date), request (your "
    "scenario), forecast (the live weather forecast at the model's own point), simulated (a "
    "forecast simulated from the stored observations, as the backtest does: hindcasts), "
    "issued (an archived real forecast), hindsight (the weather that happened, asked for "
    "with weather_mode=observed), climatology (the same days of past years)."
)


def _examples(example: dict[str, Any], populate_by_name: bool = False) -> ConfigDict:
    """The model config that shows `example` in the OpenAPI schema."""
    return ConfigDict(json_schema_extra={"examples": [example]}, populate_by_name=populate_by_name)


# --------------------------------------------------------------------------- shared parts


class Band(BaseModel):
    """A central prediction band."""

    lo: int = Field(ge=0, description="Lower end (count).")
    hi: int = Field(ge=0, description="Upper end (count).")


class IfCrossing(BaseModel):
    """The count on the sample paths with a crossing that day."""

    median: int = Field(ge=0, description="Typical count if crossings happen.")
    lo: int = Field(ge=0, description=f"Lower end of its {IF_CROSSING_LEVEL}% range.")
    hi: int = Field(ge=0, description=f"Upper end of its {IF_CROSSING_LEVEL}% range.")


class DayForecast(BaseModel):
    """The forecast for one day."""

    date: date
    median: int = Field(ge=0, description="Median count.")
    mean: float = Field(ge=0, description="Mean count.")
    p_any: float = Field(ge=0, le=1, description="Probability of at least one crossing.")
    risk: Risk = Field(
        description="Crossing-likelihood category from p_any: red above `risk_thresholds."
        "red_above`, green below `risk_thresholds.green_below`, amber in between."
    )
    bands: dict[str, Band] = Field(description="Bands by level in percent, e.g. '80'.")
    if_crossing: IfCrossing | None = Field(
        description="If crossings happen: the typical count and its range on crossing days "
        "(the paths with a crossing); null when no path has one."
    )
    p_at_least: dict[str, float] = Field(
        description="P(count ≥ k) at the service's thresholds k (CROSSINGS_EXCEEDANCE_*)."
    )
    weather_source: WeatherSource = Field(description=WEATHER_SOURCE_HELP)
    weather: dict[str, float] | None = Field(
        None,
        description="The weather the model assumed this day: the mean over its weather paths "
        "of each variable it uses (canonical names, SI units); null for a model without "
        "weather.",
    )
    weather_place: str | None = Field(
        None, description="Where that weather is for (the model's point or station)."
    )
    weather_issued_at: datetime | None = Field(
        None,
        description="When the weather forecast used was issued (the live forecast's fetch "
        "time; the issue date for a scenario or a simulated forecast); null for observed "
        "weather, hindsight and climatology.",
    )


class WeekTotal(BaseModel):
    """The distribution of the total over the days returned: `horizon` days from `start`, a
    week only when 7 days are asked (the default); coherent: summed along the sample paths,
    so its median is not the sum of the days' medians."""

    median: int = Field(ge=0, description="Median of the total over the days returned.")
    mean: float | None = Field(None, ge=0, description="Mean of the total.")
    bands: dict[str, Band] = Field(description="Bands of the total by level in percent.")


class RiskThresholds(BaseModel):
    """The P(any crossing) thresholds of the risk categories."""

    red_above: float = Field(gt=0, lt=1)
    green_below: float = Field(gt=0, lt=1)


class ModelRef(BaseModel):
    """Which champion made a forecast."""

    name: str = Field(description="Model family, e.g. hurdle.")
    version: str = Field(description="Registry version of the champion.")
    trained_at: str | None = Field(description="When it was trained (ISO 8601).")


# The issue date and what a forecast rests on (every forecast response has these).
IssueDateField = Annotated[
    date,
    Field(
        description="The day the forecast is issued on (T): today, unless the data is more "
        f"than {MAX_BRIDGE_DAYS} days old or `as_of` asked for another day. Weather before it "
        "is observed; from it on it comes from `weather_mode`."
    ),
]
HindcastField = Annotated[
    bool,
    Field(
        description="True unless the issue date is today: a forecast as it would have been "
        "issued on a past day."
    ),
]
BridgedDaysField = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_BRIDGE_DAYS,
        description="Days between the newest arrivals (`data_as_of`) and the issue date that "
        "the model simulated along each path.",
    ),
]
WeatherModeField = Annotated[
    ServedWeatherMode,
    Field(
        description="forecast (a weather forecast with its spread by lead), observed "
        "(hindsight) or climatology, for the days from the issue date on."
    ),
]


class ForecastResponse(BaseModel):
    """Daily forecasts with uncertainty bands, the total over the horizon and provenance."""

    model_config = _examples(examples.FORECAST)

    target: Target
    start: date
    horizon: int = Field(ge=MIN_HORIZON, le=MAX_HORIZON)
    days: list[DayForecast]
    week_total: WeekTotal = Field(
        description="The total over the days returned (`days`: `horizon` days from `start`), "
        "whatever the horizon: a week's only with the default horizon of 7. The CSV's last "
        "row (date `total`)."
    )
    risk_thresholds: RiskThresholds
    band_coverage: dict[str, float | None] = Field(
        description="Per band level, the share of actual outcomes the band held in the "
        "champion's backtest (null where it was not scored): a 50% band that held 0.62 is "
        "wider than its name says."
    )
    model: ModelRef
    data_as_of: date | None = Field(
        description="The newest day of arrivals the model's state comes from."
    )
    issued_at: datetime = Field(description="When this forecast was computed (UTC).")
    issue_date: IssueDateField
    hindcast: HindcastField
    bridged_days: BridgedDaysField
    weather_mode: WeatherModeField
    weather_note: str | None = Field(
        default=None,
        description="Where the weather ahead comes from, in words: the live forecast and its "
        "place, or the observations it is simulated from and why there is no live forecast "
        "(null for a model that uses no weather).",
    )


# --------------------------------------------------------------------------- other resources


class ExceedanceDay(BaseModel):
    """P(count ≥ k) on one day."""

    date: date
    p_at_least: dict[str, float] = Field(description="Probability by threshold k.")
    weather_source: WeatherSource


class ExceedanceResponse(BaseModel):
    """Exceedance probabilities for capacity planning."""

    model_config = _examples(examples.EXCEEDANCE)

    target: Target
    start: date
    horizon: int
    thresholds: list[int]
    days: list[ExceedanceDay]
    model: ModelRef
    data_as_of: date | None
    issued_at: datetime
    issue_date: IssueDateField
    hindcast: HindcastField
    bridged_days: BridgedDaysField
    weather_mode: WeatherModeField


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

    model_config = _examples(examples.MODEL)

    champions: list[ChampionInfo]


class HistoryDay(BaseModel):
    """One observed day."""

    date: date
    people: int = Field(ge=0)
    boats: int = Field(ge=0)


class HistoryResponse(BaseModel):
    """The observed series between two dates (inclusive)."""

    model_config = _examples(examples.HISTORY, populate_by_name=True)

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
    issue_date: date | None = Field(
        None, description="The day it was issued on (null for forecasts archived before)."
    )
    hindcast: bool | None = Field(None, description="Whether it was a hindcast.")
    weather_mode: ServedWeatherMode | None = Field(None, description="Its weather mode.")


class IssuedResponse(BaseModel):
    """What was issued for a day and, once known, what happened."""

    model_config = _examples(examples.ISSUED)

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
    weather_note: str | None = Field(
        default=None,
        description="Where the champion's weather ahead comes from (see ForecastResponse).",
    )
    behind_data: bool = Field(
        description="The champion was fitted on data that ends before the observed data. Its "
        "forecasts still start from the newest arrivals (its state is taken from them at "
        "predict time, or the days are bridged for a model that cannot); retrain to refit "
        "its parameters."
    )


class Readiness(BaseModel):
    """Readiness: ready when every served target has a model loaded."""

    model_config = _examples(examples.READINESS)

    # "degraded": serving, but the archive database is not taking forecasts (they wait in
    # the outbox and are archived once it is back).
    status: Literal["ready", "degraded", "not ready"]
    registry: Literal["ok", "stale", "unreachable"]
    targets: dict[str, TargetReadiness]
    data_as_of: date | None
    weather_as_of: date | None = None  # the last day of observed weather
    # Set when the weather trails the arrivals by more than CROSSINGS_WEATHER_LAG_WARN_DAYS:
    # forecast days then rely on a weather provider or climatology.
    weather_lag_warning: str | None = None
    archive: Literal["ok", "degraded", "off"] = "off"  # off: no archive configured
    archive_outbox: int = 0  # issued forecasts waiting in the outbox for the archive


class ReloadTarget(BaseModel):
    """What a reload did for one target."""

    previous: str | None
    current: str | None
    changed: bool
    error: str | None


class ReloadResponse(BaseModel):
    """Result of POST /v1/admin/reload."""

    model_config = _examples(examples.RELOAD)

    targets: dict[str, ReloadTarget]
    generation: int | None = Field(
        default=None,
        description="The shared reload generation this reload set, which every other worker "
        "and replica on the same archive database picks up within about a second; null "
        "without an archive database (the others then follow at their next registry poll).",
    )


class ErrorItem(BaseModel):
    """One problem with the request; `loc` names the field."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorResponse(BaseModel):
    """A 422 or 413: every problem, each naming its field."""

    model_config = _examples(examples.VALIDATION_ERROR)

    detail: list[ErrorItem]


class MessageResponse(BaseModel):
    """An error with a message."""

    detail: str
