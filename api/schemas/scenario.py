"""The response of POST /v1/forecast: a forecast under a weather scenario (every field of GET
/v1/forecast's `ForecastResponse`), paired with its baseline, the default forecast of the same
request, and the difference between them, for each day and the total over the horizon."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas import examples
from api.schemas.responses import Band, DayForecast, ForecastResponse, WeekTotal, _examples


class BaselineDay(BaseModel):
    """The baseline's numbers for a day: the default forecast of the same request (GET
    /v1/forecast with the same target, as_of, start, horizon and levels), as it serves them."""

    p_any: float = Field(ge=0, le=1, description="Its probability of at least one crossing.")
    median: int = Field(ge=0, description="Its median count.")
    mean: float = Field(ge=0, description="Its mean count.")
    bands: dict[str, Band] = Field(description="Its bands, by the same levels as the day's.")


class DayDifference(BaseModel):
    """Scenario minus baseline for a day (negative: the scenario forecasts fewer)."""

    p_any: float = Field(ge=-1, le=1, description="Change in P(at least one crossing).")
    median: int = Field(description="Change in the median count.")
    mean: float = Field(description="Change in the mean count.")


class ScenarioDay(DayForecast):
    """A scenario day: the forecast under the scenario's weather (the fields of a GET day),
    its baseline, and the difference between them. Both are issued from the same data, issue
    date, sample paths and seed, so they differ only by the weather the scenario gave."""

    baseline: BaselineDay
    difference: DayDifference


class BaselineTotal(BaseModel):
    """The baseline's total over the horizon (its `week_total`)."""

    median: int = Field(ge=0)
    mean: float | None = Field(None, ge=0, description="Mean of the total.")
    bands: dict[str, Band]


class TotalDifference(BaseModel):
    """Scenario minus baseline for the total over the horizon."""

    median: int
    mean: float | None = Field(None, description="Change in the mean of the total.")


class ScenarioWeekTotal(WeekTotal):
    """The scenario's total over the horizon, its baseline's and the difference."""

    baseline: BaselineTotal
    difference: TotalDifference


class ScenarioResponse(ForecastResponse):
    """A forecast under a weather scenario (every field of GET /v1/forecast's answer), paired
    with its baseline: each day and the total carry `baseline`, the default forecast of the
    same request as GET /v1/forecast serves it, and `difference`, scenario minus baseline."""

    model_config = _examples(examples.SCENARIO_RESPONSE)

    # narrower than GET's (each a subclass: every GET field, plus baseline and difference)
    days: list[ScenarioDay]  # type: ignore[assignment]
    week_total: ScenarioWeekTotal
