"""The targets of benchmarks/outlook_benchmark.py: issue 21's for the season outlook (and issue
10's older one, still reported), the backtest's summary per model and horizon they read, and
every target's figure with whether it is met."""

from __future__ import annotations

from typing import Any

import pandas as pd

MODELS = ("hurdle", "climatology")
MIX = "mix"
OUTLOOK_MODEL = "hurdle"  # the model `crossings outlook` and GET /v1/outlook run

# Issue 21's season-outlook targets.
P_ZERO_MAX = 0.001  # P(total = 0) below this at every origin ...
P_ZERO_FROM = 30  # ... for every horizon of at least this many days
COVERAGE = (0.75, 0.90)  # 80% coverage ...
COVERAGE_HORIZONS = (90, 180)  # ... at these horizons
TARGET_APE = {90: 18.0}  # median absolute % error, by horizon
ANCHOR_CLIMATOLOGY_PCT = 20.0  # the anchor with climatology weather: within ±20% of actual
ANCHOR_OBSERVED_PCT = 8.0  # the anchor with the observed weather (hindsight): within ±8%
# Issue 10's older target, still reported (labelled) for comparison.
OLDER_TARGET_APE = {180: 20.0}


def summarise(rows: pd.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (name, h), g in rows.groupby(["model", "horizon"]):
        worst = g.loc[g["p_zero"].idxmax()]
        out.setdefault(str(name), {})[str(h)] = {
            "median_ape_pct": round(float(g["ape"].median()), 1),
            "coverage_80": round(float(g["covered_80"].mean()), 3),
            "max_p_zero": round(float(worst["p_zero"]), 4),
            "max_p_zero_origin": str(worst["origin"]),
            "n_origins": len(g),
        }
    return out


def _target(
    issue: int, what: str, model: str, value: float, met: bool, **extra: Any
) -> dict[str, Any]:
    return {
        "issue": issue,
        "target": what,
        "model": model,
        "value": value,
        "met": bool(met),
    } | extra


def _p_zero_targets(name: str, by_h: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        _target(
            21,
            f"P(total = 0) < {P_ZERO_MAX} at every origin, {h} days",
            name,
            s["max_p_zero"],
            s["max_p_zero"] < P_ZERO_MAX,
            horizon=int(h),
            origin=s["max_p_zero_origin"],
        )
        for h, s in by_h.items()
        if int(h) >= P_ZERO_FROM
    ]


def _coverage_targets(name: str, by_h: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for h in COVERAGE_HORIZONS:
        s = by_h.get(str(h))
        if s is not None:
            lo, hi = COVERAGE
            out.append(
                _target(
                    21,
                    f"80% coverage {lo:.2f}–{hi:.2f} at {h} days",
                    name,
                    s["coverage_80"],
                    lo <= s["coverage_80"] <= hi,
                    horizon=h,
                )
            )
    return out


def _ape_targets(name: str, by_h: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for issue, goals in ((21, TARGET_APE), (10, OLDER_TARGET_APE)):
        for h, goal in goals.items():
            s = by_h.get(str(h))
            if s is not None:
                out.append(
                    _target(
                        issue,
                        f"median abs % error ≤ {goal:.0f}% at {h} days",
                        name,
                        s["median_ape_pct"],
                        s["median_ape_pct"] <= goal,
                        horizon=h,
                    )
                )
    return out


def _anchor_targets(anchor: dict) -> list[dict[str, Any]]:
    out = []
    for name in (*MODELS, MIX):
        a = anchor[name]
        out.append(
            _target(
                21,
                f"anchor, climatology weather, within ±{ANCHOR_CLIMATOLOGY_PCT:.0f}%",
                name,
                a["error_pct"],
                a["met"],
            )
        )
    for name, a in anchor["observed_weather"].items():
        out.append(
            _target(
                21,
                f"anchor, observed weather (hindsight bound), within ±{ANCHOR_OBSERVED_PCT:.0f}%",
                name,
                a["error_pct"],
                a["met"],
            )
        )
    return out


def targets(summary: dict, anchor: dict) -> list[dict[str, Any]]:
    """Every target for every model, each with its figure and met (a bool)."""
    out: list[dict[str, Any]] = []
    for name, by_h in summary.items():
        out += _p_zero_targets(name, by_h)
        out += _coverage_targets(name, by_h)
        out += _ape_targets(name, by_h)
    return out + _anchor_targets(anchor)
