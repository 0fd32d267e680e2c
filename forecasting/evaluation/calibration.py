"""Calibration reporting for a mostly-zero count series, from backtest rows.

Every function takes `BacktestResult.rows` (one row per origin × model × weather mode ×
weather draw × lead) and returns plain values, so the backtest JSON, the benchmark's Markdown
and the MLflow plots all report the same numbers:

- `pit_histograms`: randomised PIT deciles overall and on crossing days. On crossing days
  (y > 0) the PIT is taken under the forecast conditional on a crossing, X | X > 0:
  with p = P(X > 0) and F(0) = 1 − p, u_cond = (u − F(0)) / p, exact because the randomised
  PIT is linear in the uniform draw and u ≥ F(0) whenever y > 0. It checks the count part
  alone; the overall PIT checks the whole forecast.
- `reliability`: P(any crossing) in equal-width bins, each with its forecast count, mean
  forecast and observed frequency (a reliability diagram); the bins and their rule are
  `forecasting.evaluation.reliability`'s, shared with the track record. Only bins holding
  forecasts are listed.
- `interval_table`: per level the planner band's coverage (`[0, q(L)]` where the lower
  quantile is zero), the plain equal-tailed interval's coverage and the band's expected
  content (what the forecast itself says the band holds, above L at the zero mass).
- `weekly_total_coverage`: coverage of the equal-tailed intervals of the total over the
  horizon, from the sample paths summed per path (`weekly_total_scores`, kept per forecast by
  the backtest as ``total_covered_L`` and ``total_pit``), at 50/80/95/99%.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasting.contract import DEFAULT_LEVELS_PCT, hi_col, level_name
from forecasting.evaluation.reliability import RELIABILITY_BINS, reliability_bins
from forecasting.forecast import interval_probs

TOTAL_LEVELS_PCT: tuple[float, ...] = (50.0, 80.0, 95.0, 99.0)
PIT_BINS = 10
GROUP = ("model", "weather_mode")


def weekly_total_scores(
    samples: np.ndarray,
    actuals: np.ndarray,
    rng: np.random.Generator,
    levels_pct: Sequence[float] = TOTAL_LEVELS_PCT,
) -> dict[str, float]:
    """Score the total over the horizon of one forecast: samples (n_paths, horizon) summed
    per path against the summed actuals. Returns ``total_actual``, ``total_median``,
    ``total_pit`` (randomised) and ``total_covered_L`` per level: 1.0 when the randomised
    PIT lies in the central interval [α/2, 1 − α/2]. That is the equal-tailed interval of the
    totals with its end atoms split at random, so a calibrated forecast covers exactly L% in
    expectation even where the totals are small and discrete (closed quantile intervals
    would over-cover there)."""
    totals = np.asarray(samples, dtype=float).sum(axis=1)
    y = float(np.asarray(actuals, dtype=float).sum())
    below, at = float((totals < y).mean()), float((totals <= y).mean())
    out = {
        "total_actual": y,
        "total_median": float(np.median(totals)),
        "total_pit": below + float(rng.uniform()) * (at - below),
    }
    for level in levels_pct:
        lo, hi = interval_probs(level)
        out[f"total_covered_{level_name(level)}"] = float(lo <= out["total_pit"] <= hi)
    return out


def conditional_pit(rows: pd.DataFrame) -> np.ndarray:
    """PIT on crossing days under X | X > 0 (see the module docstring); rows with y > 0."""
    day = rows.loc[rows["actual"] > 0]
    p = day["p_any"].to_numpy(dtype=float)
    u = day["pit"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = (u - (1.0 - p)) / p
    # A crossing the forecast gave no chance sits at the top of the conditional CDF.
    return np.clip(np.where(p > 0, cond, 1.0), 0.0, 1.0)


def _freqs(values: np.ndarray, bins: int) -> list[float]:
    counts, _ = np.histogram(values, bins=bins, range=(0.0, 1.0))
    total = max(int(counts.sum()), 1)
    return [round(float(c) / total, 4) for c in counts]


def pit_histograms(rows: pd.DataFrame, bins: int = PIT_BINS) -> list[dict[str, Any]]:
    """Per model and weather mode: PIT bin frequencies overall and on crossing days, with
    their counts and the largest deviation from 1/bins."""
    out = []
    for (model, mode), g in rows.groupby(list(GROUP), sort=True):
        overall = g["pit"].to_numpy(dtype=float)
        crossing = conditional_pit(g)
        f_all, f_cross = _freqs(overall, bins), _freqs(crossing, bins)
        out.append(
            {
                "model": model,
                "weather_mode": mode,
                "bins": bins,
                "overall": f_all,
                "n_overall": int(overall.size),
                "overall_max_dev": round(max(abs(f - 1 / bins) for f in f_all), 4),
                "crossing_days": f_cross,
                "n_crossing_days": int(crossing.size),
                "crossing_days_max_dev": round(max(abs(f - 1 / bins) for f in f_cross), 4),
            }
        )
    return out


def reliability(
    rows: pd.DataFrame, bins: int = RELIABILITY_BINS, min_count: int = 30
) -> list[dict[str, Any]]:
    """Per model and weather mode: the P(any) reliability bins holding forecasts (edges,
    count, mean forecast and observed frequency to 4 decimals; `reliability_bins` without its
    empty bins) and the largest gap over bins holding at least `min_count`."""
    out = []
    for (model, mode), g in rows.groupby(list(GROUP), sort=True):
        p = g["p_any"].to_numpy(dtype=float)
        hit = g["actual"].to_numpy(dtype=float) > 0
        table = [t for t in reliability_bins(p, hit, bins, digits=4) if t["n"] > 0]
        gaps = [abs(t["forecast"] - t["observed"]) for t in table if t["n"] >= min_count]
        out.append(
            {
                "model": model,
                "weather_mode": mode,
                "bins": table,
                "min_count": min_count,
                "max_gap": round(max(gaps), 4) if gaps else None,
            }
        )
    return out


def interval_table(
    rows: pd.DataFrame, levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT
) -> list[dict[str, Any]]:
    """Per model, weather mode and level: planner-band coverage, equal-tailed coverage and
    the band's expected content, overall and on zero and crossing days."""
    out = []
    for (model, mode), g in rows.groupby(list(GROUP), sort=True):
        crossing = g["actual"] > 0
        for level in levels_pct:
            name = level_name(level)
            band, central = f"covered_{name}", f"central_covered_{name}"
            if band not in g:
                continue
            out.append(
                {
                    "model": model,
                    "weather_mode": mode,
                    "level": float(level),
                    "band_coverage": round(float(g[band].mean()), 4),
                    "central_coverage": round(float(g[central].mean()), 4),
                    "band_expected": round(float(g[f"content_{name}"].mean()), 4),
                    "band_coverage_zero_days": _mean(g.loc[~crossing, band]),
                    "band_coverage_crossing_days": _mean(g.loc[crossing, band]),
                    "above_band_crossing_days": _mean(
                        g.loc[crossing, "actual"] > g.loc[crossing, hi_col(level)]
                    ),
                }
            )
    return out


def _mean(values: pd.Series) -> float | None:
    return round(float(values.astype(float).mean()), 4) if len(values) else None


def weekly_total_coverage(
    rows: pd.DataFrame, levels_pct: Sequence[float] = TOTAL_LEVELS_PCT
) -> list[dict[str, Any]]:
    """Per model and weather mode: coverage of the horizon total's intervals per level, over
    forecasts (origin × weather draw), with their count."""
    if "total_pit" not in rows:
        return []
    firsts = rows.loc[rows["lead"] == rows["lead"].min()]
    out = []
    for (model, mode), g in firsts.groupby(list(GROUP), sort=True):
        cov = {
            level_name(level): round(float(g[f"total_covered_{level_name(level)}"].mean()), 4)
            for level in levels_pct
            if f"total_covered_{level_name(level)}" in g
        }
        out.append(
            {
                "model": model,
                "weather_mode": mode,
                "n_forecasts": len(g),
                "coverage": cov,
                "max_dev_points": round(max(abs(100 * v - float(k)) for k, v in cov.items()), 2)
                if cov
                else None,
                "pit_deciles": _freqs(g["total_pit"].to_numpy(dtype=float), PIT_BINS),
            }
        )
    return out


def calibration_report(
    rows: pd.DataFrame, levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT
) -> dict[str, list[dict[str, Any]]]:
    """All four reports, keyed as they appear in the backtest JSON."""
    return {
        "pit_histograms": pit_histograms(rows),
        "reliability": reliability(rows),
        "intervals": interval_table(rows, levels_pct),
        "weekly_total_coverage": weekly_total_coverage(rows),
    }


__all__ = [
    "TOTAL_LEVELS_PCT",
    "calibration_report",
    "conditional_pit",
    "interval_table",
    "pit_histograms",
    "reliability",
    "weekly_total_coverage",
    "weekly_total_scores",
]
