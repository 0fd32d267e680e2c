"""How planners read a forecast day: the risk category from P(any crossing), P(count ≥ k) at
each target's thresholds, the typical count on crossing days, and what each band held in the
champion's backtest.

The risk defaults are the Home Office's daily crossing-likelihood convention: red when
P(any) > 55%, amber from 35% to 55%, green below 35% (`CROSSINGS_RISK_RED_ABOVE`,
`CROSSINGS_RISK_GREEN_BELOW`). The P(≥ k) defaults are 100, 300 and 500 people and 2, 5 and
10 boats (`CROSSINGS_EXCEEDANCE_PEOPLE`, `CROSSINGS_EXCEEDANCE_BOATS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np

from forecasting.contract import coverage_name, level_name
from forecasting.forecast import inverted_cdf_positions

Risk = Literal["green", "amber", "red"]
RISKS: Final[tuple[str, ...]] = ("green", "amber", "red")
RED_ABOVE: Final = 0.55
GREEN_BELOW: Final = 0.35
EXCEEDANCE: Final[dict[str, tuple[int, ...]]] = {"people": (100, 300, 500), "boats": (2, 5, 10)}
# "If crossings happen: typically X (range)": the median and this central band of the count on
# the sample paths that have a crossing that day.
IF_CROSSING_LEVEL: Final = 80


@dataclass(frozen=True)
class Reading:
    """The planner-facing settings: risk thresholds on P(any) and P(≥ k) thresholds per target."""

    red_above: float = RED_ABOVE
    green_below: float = GREEN_BELOW
    exceedance: Mapping[str, tuple[int, ...]] = field(default_factory=lambda: dict(EXCEEDANCE))

    @classmethod
    def from_settings(cls, settings: Any) -> Reading:
        """From the API settings (`risk_red_above`, `risk_green_below`, `exceedance_*`)."""
        return cls(
            float(settings.risk_red_above),
            float(settings.risk_green_below),
            {
                "people": tuple(settings.exceedance_people),
                "boats": tuple(settings.exceedance_boats),
            },
        )

    def risk(self, p_any: float) -> Risk:
        """red above `red_above`, green below `green_below`, amber in between (inclusive)."""
        if p_any > self.red_above:
            return "red"
        if p_any >= self.green_below:
            return "amber"
        return "green"

    def thresholds(self, target: str) -> tuple[int, ...]:
        """The counts k whose P(count ≥ k) every day of a `target` forecast shows."""
        return tuple(self.exceedance.get(target, ()))

    def describe(self) -> dict[str, float]:
        """The thresholds as a response gives them."""
        return {"red_above": self.red_above, "green_below": self.green_below}


_TAIL: Final = (100 - IF_CROSSING_LEVEL) / 200
_IF_CROSSING_PROBS: Final = np.array([_TAIL, 0.5, 1 - _TAIL])


def if_crossing(day_samples: np.ndarray) -> dict[str, int] | None:
    """The count on the paths with a crossing this day: median and IF_CROSSING_LEVEL% band
    (equal-tailed), or None when no path has one."""
    positive = np.asarray(day_samples)[np.asarray(day_samples) > 0]
    if positive.size == 0:
        return None
    ordered = np.sort(positive)  # as sample_quantiles, read from the sorted values
    lo, med, hi = ordered[inverted_cdf_positions(ordered.size, _IF_CROSSING_PROBS)]
    return {"median": round(float(med)), "lo": round(float(lo)), "hi": round(float(hi))}


def band_coverage(metadata: Mapping[str, Any], levels: Sequence[float]) -> dict[str, float | None]:
    """Per band level, the share of actual outcomes the band held in the champion's backtest
    (its `backtest_metrics`' `coverage_<level>`), or None where the backtest did not score it."""
    metrics = metadata.get("backtest_metrics") or {}
    out: dict[str, float | None] = {}
    for lv in levels:
        name = level_name(lv)
        value = metrics.get(coverage_name(lv)) if isinstance(metrics, Mapping) else None
        out[name] = round(float(value), 3) if isinstance(value, int | float) else None
    return out
