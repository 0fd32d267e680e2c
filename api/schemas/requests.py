"""Request schemas: ISO dates in queries and the body of a POST /v1/forecast scenario."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from api.schemas import examples
from forecasting.contract import (
    DEFAULT_HORIZON,
    DEFAULT_LEVELS_PCT,
    MAX_HORIZON,
    MAX_LEVELS,
    MIN_HORIZON,
    Target,
    WeatherUncertainty,
    level_name,
)
from forecasting.schema import WEATHER_RANGES

MAX_THRESHOLDS: Final = 20  # exceedance thresholds one request may ask for

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """Accept dates as YYYY-MM-DD only (pydantic alone also takes Unix timestamps)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _wx(var: str, example: float, unit: str) -> Any:
    lo, hi = WEATHER_RANGES[var]
    return Field(None, ge=lo, le=hi, description=f"{var} in {unit}", examples=[example])


class WeatherDay(BaseModel):
    """One day of a weather scenario, in canonical columns and SI units. The winds must be
    physical: wind_max_hourly_ms and gust_max_ms not below wind_mean_ms (when both are given;
    422 naming the faster one otherwise)."""

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

    @field_validator("wind_max_hourly_ms", "gust_max_ms")
    @classmethod
    def _not_below_mean(cls, v: float | None, info: ValidationInfo) -> float | None:
        """The day's strongest hourly wind and its gusts reach at least its mean wind."""
        mean = info.data.get("wind_mean_ms")
        if v is not None and mean is not None and v < mean:
            name = info.field_name
            raise ValueError(
                f"{name} ({v:g} m/s) is below wind_mean_ms ({mean:g} m/s), which no real day "
                f"has: give {name} at least wind_mean_ms (or lower wind_mean_ms)"
            )
        return v


class ScenarioRequest(BaseModel):
    """The GET parameters plus a weather scenario: a weather forecast issued on the issue
    date, spread by lead with the project's error model (`weather_uncertainty: "none"`: taken
    exactly). Days not in `weather` use the weather chain; every day given must hold every
    variable the model needs, and lie between the issue date and the last asked day."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.SCENARIO]})

    target: Target = "people"
    start: IsoDate | None = Field(
        None,
        description=f"First forecast day, from the issue date to {MAX_HORIZON - 1} days after "
        f"it (the last asked day at most {MAX_HORIZON - 1} days after it); default: the issue "
        "date.",
    )
    as_of: IsoDate | None = Field(
        None,
        description="Issue the forecast as of this past day (a hindcast); default: today, or "
        "the day after the data when it is older than the bridge allows. Within the served "
        "data, as for GET /v1/forecast (a 422 naming as_of otherwise).",
    )
    weather_mode: Literal["forecast"] = Field(
        "forecast", description="A scenario is a weather forecast: only `forecast`."
    )
    weather_uncertainty: WeatherUncertainty = Field(
        "forecast",
        description="forecast: the scenario days are a forecast issued on the issue date, and "
        "the paths spread around them with the error by lead; none: exactly this weather.",
    )
    horizon: int = Field(DEFAULT_HORIZON, ge=MIN_HORIZON, le=MAX_HORIZON)
    levels: Annotated[
        list[Annotated[float, Field(gt=0, lt=100)]],
        Field(
            min_length=1,
            max_length=MAX_LEVELS,
            description="Band levels in percent, each strictly between 0 and 100 (any such "
            "number works: levels at the ends give the ensemble's extremes); a level given "
            "twice is answered once.",
        ),
    ] = list(DEFAULT_LEVELS_PCT)
    weather: list[WeatherDay] = Field(
        min_length=1, max_length=MAX_HORIZON, description="Scenario days (any subset of the days)."
    )

    @field_validator("levels")
    @classmethod
    def _unique_levels(cls, v: list[float]) -> list[float]:
        """Sorted, a level given twice kept once (a rule the JSON schema could not state:
        80 and 80.00000000001 share the name "80")."""
        return sorted({level_name(x): x for x in v}.values())

    @model_validator(mode="after")
    def _unique_days(self) -> ScenarioRequest:
        """A day given twice with the same weather is kept once; with different weather the
        scenario is ambiguous and refused."""
        seen: dict[date, WeatherDay] = {}
        for day in self.weather:
            if day.date in seen and seen[day.date] != day:
                raise ValueError(f"weather lists {day.date} twice; give each day once")
            seen[day.date] = day
        self.weather = list(seen.values())
        return self
