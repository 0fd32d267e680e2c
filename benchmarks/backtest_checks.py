"""The targets of benchmarks/backtest_benchmark.py: the hurdle's CRPS per lead day, the
published checks (the models issue, issue 14), issue 9's calibration checks for the best
candidate and issue 21's for the served hurdle. A check is a value and whether it meets its
target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

MODES = ("observed", "forecast", "climatology")
Check = tuple[float, Callable[[float], bool]]


def lead_table(rows: pd.DataFrame, model: str = "hurdle") -> pd.DataFrame:
    """A model's mean CRPS per lead day in every weather mode, and forecast/observed."""
    sub = rows.loc[rows["model"] == model]
    table = sub.groupby(["lead", "weather_mode"])["crps"].mean().unstack("weather_mode")
    table = table.loc[:, [m for m in MODES if m in table.columns]]
    table["forecast/observed"] = table["forecast"] / table["observed"]
    table.index = table.index.astype(str)  # printed as 1, 2, … not 1.000
    return table


def checks(
    summary: pd.DataFrame, by_lead: pd.DataFrame, lows: pd.Series, fit: float, wall: float
) -> dict[str, Check]:
    """The published targets: value and whether it is met."""
    s = summary["crps"]
    cov = summary.loc[("hurdle", "observed")]
    ratio = by_lead["forecast/observed"]
    return {
        "hurdle/prophet CRPS, observed (≤ 0.65)": (
            s[("hurdle", "observed")] / s[("prophet", "observed")],
            lambda v: v <= 0.65,
        ),
        "hurdle/climatology CRPS, observed (≤ 0.80)": (
            s[("hurdle", "observed")] / s[("climatology", "observed")],
            lambda v: v <= 0.80,
        ),
        "hurdle/climatology CRPS, forecast weather (≤ 0.92)": (
            s[("hurdle", "forecast")] / s[("climatology", "forecast")],
            lambda v: v <= 0.92,
        ),
        "hurdle forecast/observed CRPS, honest weather (≥ 1.08)": (
            s[("hurdle", "forecast")] / s[("hurdle", "observed")],
            lambda v: v >= 1.08,
        ),
        "hurdle forecast/observed CRPS, lead 7 minus lead 1 (> 0)": (
            ratio.loc["7"] - ratio.loc["1"],
            lambda v: v > 0,
        ),
        "hurdle 80% coverage, observed (0.75–0.85)": (
            cov["coverage_80"],
            lambda v: 0.75 <= v <= 0.85,
        ),
        "hurdle 95% coverage, observed (0.92–0.97)": (
            cov["coverage_95"],
            lambda v: 0.92 <= v <= 0.97,
        ),
        "hurdle Brier, observed (≤ 0.15)": (cov["brier"], lambda v: v <= 0.15),
        "hurdle fit, median seconds (≤ 0.2)": (fit, lambda v: v <= 0.2),
        "full backtest, all models × 3 modes, seconds (≤ 300)": (wall, lambda v: v <= 300),
        "lowest quantile of any model but prophet (≥ 0)": (
            float(lows.drop("prophet", errors="ignore").min()),
            lambda v: v >= 0,
        ),
    }


def best_candidate(summary: pd.DataFrame) -> str:
    """The model (not the climatology baseline) with the lowest forecast-mode CRPS."""
    fc = summary.xs("forecast", level="weather_mode")["crps"].drop("climatology", errors="ignore")
    return str(fc.idxmin())


def _by(records: list[dict[str, Any]], model: str, mode: str) -> dict[str, Any]:
    return next(r for r in records if r["model"] == model and r["weather_mode"] == mode)


def calibration_checks(
    summary: pd.DataFrame, report: dict[str, Any], best: str
) -> dict[str, Check]:
    """Issue 9's targets for the best candidate (honest forecast mode unless `observed`)."""
    s, b = summary["crps"], summary["brier"]
    rel = _by(report["reliability"], best, "forecast")
    pit = _by(report["pit_histograms"], best, "forecast")
    week = _by(report["weekly_total_coverage"], best, "forecast")
    out: dict[str, Check] = {
        f"issue 9: {best}/climatology CRPS, forecast weather (≤ 0.85)": (
            s[(best, "forecast")] / s[("climatology", "forecast")],
            lambda v: v <= 0.85,
        ),
        f"issue 9: {best} Brier, forecast weather (≤ 0.16)": (
            b[(best, "forecast")],
            lambda v: v <= 0.16,
        ),
        f"issue 9: {best} P(any) reliability, largest gap in bins of ≥ 30 (≤ 0.05)": (
            rel["max_gap"] if rel["max_gap"] is not None else float("nan"),
            lambda v: v <= 0.05,
        ),
        f"issue 9: {best} randomised PIT, largest decile deviation from 0.10 (≤ 0.03)": (
            pit["overall_max_dev"],
            lambda v: v <= 0.03,
        ),
        f"issue 9: {best} weekly-total coverage 50/80/95/99, largest miss, points (≤ 7)": (
            week["max_dev_points"],
            lambda v: v <= 7,
        ),
    }
    if ("prophet", "observed") in s.index:
        out[f"issue 9: {best}/prophet CRPS, observed (≤ 0.60)"] = (
            s[(best, "observed")] / s[("prophet", "observed")],
            lambda v: v <= 0.60,
        )
    out[f"issue 9: {best} Brier, observed (≤ 0.13)"] = (b[(best, "observed")], lambda v: v <= 0.13)
    out.update(_issue21(s, b, report))
    return out


def _issue21(s: pd.Series, b: pd.Series, report: dict[str, Any]) -> dict[str, Check]:
    """Issue 21's honest 7-day targets for the served hurdle (forecast weather, K draws)."""
    rel = _by(report["reliability"], "hurdle", "forecast")
    return {
        "issue 21: hurdle/climatology CRPS, forecast weather (≤ 0.85)": (
            s[("hurdle", "forecast")] / s[("climatology", "forecast")],
            lambda v: v <= 0.85,
        ),
        "issue 21: hurdle Brier, forecast weather (≤ 0.17)": (
            b[("hurdle", "forecast")],
            lambda v: v <= 0.17,
        ),
        "issue 21: hurdle P(any) reliability, largest gap in bins of ≥ 30 (≤ 0.06)": (
            rel["max_gap"] if rel["max_gap"] is not None else float("nan"),
            lambda v: v <= 0.06,
        ),
    }
