"""Response schema of the season outlook (GET /v1/outlook), with its OpenAPI example."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.responses import Band, ModelRef
from forecasting.contract import MAX_BRIDGE_DAYS, MAX_OUTLOOK_DAYS, Target

OUTLOOK_EXAMPLE: Final[dict[str, Any]] = {
    "target": "people",
    "from": "2026-05-15",
    "until": "2026-09-30",
    "days": 139,
    "total": {
        "median": 21400,
        "mean": 21870.2,
        "bands": {"50": {"lo": 18900, "hi": 24300}, "80": {"lo": 16800, "hi": 27500}},
    },
    "year_to_date": {"year": 2026, "through": "2026-05-14", "actual": 11832},
    "year_end": {
        "year": 2026,
        "median": 40100,
        "mean": 40650.8,
        "bands": {"50": {"lo": 36700, "hi": 44200}, "80": {"lo": 33900, "hi": 48100}},
    },
    "exceedance": [
        {"at_least": 17000, "probability": 0.89},
        {"at_least": 21000, "probability": 0.54},
        {"at_least": 26000, "probability": 0.14},
    ],
    "weather": "climatology",
    "model": {"name": "hurdle", "version": "3", "trained_at": "2026-05-15T06:00:00+00:00"},
    "data_as_of": "2026-05-14",
    "issue_date": "2026-05-15",
    "hindcast": True,
}


class TotalDistribution(BaseModel):
    """The distribution of a cumulative total, summed along the sample paths (coherent)."""

    median: int = Field(ge=0)
    mean: float = Field(ge=0)
    bands: dict[str, Band] = Field(description="Bands by level in percent, e.g. '80'.")


class YearToDate(BaseModel):
    """Observed arrivals from 1 January to the newest data."""

    year: int
    through: date = Field(description="The newest observed day counted.")
    actual: int = Field(ge=0)


class YearEnd(TotalDistribution):
    """The calendar-year total: the year-to-date actual plus the forecast to 31 December."""

    year: int


class TotalExceedance(BaseModel):
    """P(total ≥ at_least)."""

    at_least: int = Field(ge=0)
    probability: float = Field(ge=0, le=1)


class OutlookResponse(BaseModel):
    """Cumulative arrivals from the day after the newest data (`from`) to `until`."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [OUTLOOK_EXAMPLE]}, populate_by_name=True
    )

    target: Target
    from_: date = Field(alias="from", description="The first day counted: after the newest data.")
    until: date
    days: int = Field(ge=1, le=MAX_OUTLOOK_DAYS)
    total: TotalDistribution
    year_to_date: YearToDate
    year_end: YearEnd
    exceedance: list[TotalExceedance] = Field(
        description="P(total from `from` to `until` ≥ at_least), for each threshold asked "
        "(default: round numbers near 80%, 100% and 120% of the median)."
    )
    weather: str = Field(
        description="The weather assumed from `from` on: climatology (the same days of past "
        "years), beyond any weather forecast's range."
    )
    model: ModelRef
    data_as_of: date = Field(description="The newest observed day the outlook starts from.")
    issue_date: date = Field(
        description="The day the outlook is issued on, as for a forecast: today, unless the "
        f"newest data is more than {MAX_BRIDGE_DAYS} days old (then the day after it: a "
        "hindcast). The days counted start at `from`, whatever the issue date."
    )
    hindcast: bool = Field(
        description="True unless the issue date is today: the outlook as it would have been "
        "made on a past day, the newest data being too old for one made today."
    )
