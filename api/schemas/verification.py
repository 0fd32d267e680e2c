"""Response schemas of the track record, `GET /v1/verification` (pydantic 2), with examples."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from forecasting.contract import Target

MAX_VERIFICATION_DAYS: Final = 366
DEFAULT_VERIFICATION_DAYS: Final = 56  # the page's eight weeks

_SCORES_EXAMPLE: Final[dict[str, Any]] = {
    "n": 392,
    "crps": 41.7,
    "n_crps": 392,
    "brier": 0.198,
    "mae": 55.2,
    "coverage": {"50": 0.56, "80": 0.83, "95": 0.95},
}
_CLIM_EXAMPLE: Final[dict[str, Any]] = {
    "n": 392,
    "crps": 46.9,
    "n_crps": 392,
    "brier": 0.231,
    "mae": 61.0,
    "coverage": {"50": 0.52, "80": 0.81, "95": 0.94},
}
VERIFICATION_EXAMPLE: Final[dict[str, Any]] = {
    "target": "people",
    "days": 56,
    "window_start": "2026-03-20",
    "window_end": "2026-05-14",
    "n_forecasts": 62,
    "scores": {"forecast": _SCORES_EXAMPLE, "climatology": _CLIM_EXAMPLE},
    "by_lead": [{"lead": 0, "forecast": _SCORES_EXAMPLE, "climatology": _CLIM_EXAMPLE}],
    "reliability": {
        "forecast": [{"lo": 0.5, "hi": 0.6, "n": 31, "forecast": 0.55, "observed": 0.52}],
        "climatology": [{"lo": 0.5, "hi": 0.6, "n": 40, "forecast": 0.54, "observed": 0.5}],
    },
    "series": [
        {
            "date": "2026-05-14",
            "actual": 212,
            "issue_date": "2026-05-14",
            "lead": 0,
            "median": 160,
            "p_any": 0.71,
            "bands": {
                "50": {"lo": 40, "hi": 260},
                "80": {"lo": 0, "hi": 390},
                "95": {"lo": 0, "hi": 520},
            },
            "climatology_median": 95,
            "climatology_p_any": 0.58,
        }
    ],
}


class Scores(BaseModel):
    """Scores over the scored (issue date, day) pairs; null where nothing was scored."""

    n: int = Field(ge=0, description="Forecast days scored.")
    crps: float | None = Field(
        description="Mean CRPS, approximated from the 99 archived percentiles (2/K × the sum "
        "of their quantile scores); lower is better. Over the n_crps days archived with "
        "percentiles."
    )
    n_crps: int = Field(ge=0, description="Days scored for the CRPS.")
    brier: float | None = Field(
        description="Mean Brier score of P(any crossing): (p_any − 1{actual > 0})²."
    )
    mae: float | None = Field(description="Mean absolute error of the median.")
    coverage: dict[str, float | None] = Field(
        description="Share of days whose actual fell in the archived L% band, per level."
    )


class LeadScores(BaseModel):
    """The scores of the days `lead` days after their issue date."""

    lead: int = Field(ge=0, description="Days from the issue date (0: the issue date).")
    forecast: Scores
    climatology: Scores


class ReliabilityBin(BaseModel):
    """One bin of forecast P(any): how often crossings happened on its days."""

    lo: float = Field(ge=0, le=1)
    hi: float = Field(ge=0, le=1)
    n: int = Field(ge=0, description="Days whose P(any) fell in [lo, hi).")
    forecast: float | None = Field(description="Mean forecast P(any) of those days.")
    observed: float | None = Field(description="Share of those days with crossings.")


class Reliability(BaseModel):
    """The reliability diagram of P(any), for the forecasts and for climatology."""

    forecast: list[ReliabilityBin]
    climatology: list[ReliabilityBin]


class VerifiedDay(BaseModel):
    """A day's actual beside the forecast issued closest to it, and climatology's."""

    date: dt.date
    actual: int = Field(ge=0)
    issue_date: dt.date
    lead: int = Field(ge=0, description="Days from the issue date to this day.")
    median: int = Field(ge=0)
    p_any: float = Field(ge=0, le=1)
    bands: dict[str, dict[str, int]] = Field(description="The archived bands, by level.")
    climatology_median: int = Field(ge=0)
    climatology_p_any: float = Field(ge=0, le=1)


class VerificationResponse(BaseModel):
    """How well archived forecasts did, beside climatology issued at the same time."""

    model_config = ConfigDict(json_schema_extra={"examples": [VERIFICATION_EXAMPLE]})

    target: Target
    days: int = Field(description="The window asked for: the last `days` days with actuals.")
    window_start: dt.date
    window_end: dt.date = Field(description="The newest day with an actual.")
    n_forecasts: int = Field(ge=0, description="Distinct issue dates scored.")
    scores: dict[str, Scores] = Field(
        description="`forecast` (the served and reissued forecasts, honest forecast weather) "
        "and `climatology` (the climatology model issued on the same dates), on the same "
        "(issue date, day) pairs."
    )
    by_lead: list[LeadScores]
    reliability: Reliability
    series: list[VerifiedDay] = Field(
        description="Per day of the window, the forecast issued closest to it (shortest "
        "lead) against the actual."
    )


__all__ = [
    "DEFAULT_VERIFICATION_DAYS",
    "MAX_VERIFICATION_DAYS",
    "LeadScores",
    "Reliability",
    "ReliabilityBin",
    "Scores",
    "VerificationResponse",
    "VerifiedDay",
]
