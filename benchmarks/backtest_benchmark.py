"""Accuracy and speed benchmark of every model in every weather mode on the real data.

Reproduce the published table (benchmarks/BACKTEST.md) with:

    .venv/bin/python benchmarks/backtest_benchmark.py

It reads ../shared/data (or $CROSSINGS_SOURCE_DIR), runs one rolling-origin backtest with
weekly origins from 2025-01-06 to 2026-05-07, h=7, target people, 1000 samples, seed 0, fitting
each model once per origin and forecasting in all three weather modes, then checks the targets
of the models issue and writes the Markdown table and a JSON file next to this script.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from forecasting.adapters import read_arrivals, read_weather
from forecasting.evaluation.backtest import JSON_METRICS, BacktestConfig, run_backtest
from forecasting.models import REGISTRY, create
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings

HERE = Path(__file__).resolve().parent
QUANTILE_COLS = ["median", "lo-50", "hi-50", "lo-80", "hi-80", "lo-95", "hi-95"]
METRICS = [
    *JSON_METRICS,
    "pinball",
    "expected_coverage_80",
    "expected_coverage_95",
    "central_coverage_80",
]


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    src = get_settings().source_dir
    p.add_argument("--arrivals", type=Path, default=default_arrivals_file(src))
    p.add_argument("--weather", type=Path, default=default_weather_file(src))
    p.add_argument("--models", default=",".join(REGISTRY))
    p.add_argument("--start", default="2025-01-06")
    p.add_argument("--end", default="2026-05-07")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=-1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=HERE)
    return p.parse_args()


def hurdle_fit_seconds(arrivals: pd.DataFrame, weather: pd.DataFrame, repeats: int = 21) -> float:
    """Median wall time of one hurdle fit on the full history (after a warm-up fit)."""
    create("hurdle").fit(arrivals, weather)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        create("hurdle").fit(arrivals, weather)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    args = _args()
    logging.basicConfig(level=logging.WARNING)
    arrivals, weather = read_arrivals(args.arrivals), read_weather(args.weather)
    cfg = BacktestConfig(
        models=args.models.split(","),
        start=args.start,
        end=args.end,
        step=7,
        horizon=7,
        target="people",
        weather_modes=("observed", "forecast", "climatology"),
        n_samples=args.samples,
        seed=args.seed,
        n_jobs=args.jobs,
    )
    t0 = time.perf_counter()
    result = run_backtest(
        arrivals,
        weather,
        cfg,
        progress=lambda d, n: print(f"\r{d}/{n} origins", end="", file=sys.stderr),
    )
    wall = time.perf_counter() - t0
    print(file=sys.stderr)
    fit_hurdle = hurdle_fit_seconds(arrivals[arrivals["date"] < cfg.end], weather)

    summary = result.summary().set_index(["model", "weather_mode"])
    lows = result.rows.groupby("model")[QUANTILE_COLS].min().min(axis=1)
    s = summary["crps"]
    cov = summary.loc[("hurdle", "observed")]
    checks = {
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
        "hurdle 80% coverage, observed (0.75–0.85)": (
            cov["coverage_80"],
            lambda v: 0.75 <= v <= 0.85,
        ),
        "hurdle 95% coverage, observed (0.92–0.97)": (
            cov["coverage_95"],
            lambda v: 0.92 <= v <= 0.97,
        ),
        "hurdle Brier, observed (≤ 0.15)": (cov["brier"], lambda v: v <= 0.15),
        "hurdle fit, median seconds (≤ 0.2)": (fit_hurdle, lambda v: v <= 0.2),
        "full backtest, all models × 3 modes, seconds (≤ 300)": (wall, lambda v: v <= 300),
        "lowest quantile of any model but prophet (≥ 0)": (
            float(lows.drop("prophet", errors="ignore").min()),
            lambda v: v >= 0,
        ),
    }
    results = {
        k: {"value": round(float(v), 4), "met": bool(ok(v))} for k, (v, ok) in checks.items()
    }

    table = summary[METRICS].reset_index().sort_values(["weather_mode", "crps"])
    cmd = "    .venv/bin/python benchmarks/backtest_benchmark.py"
    md = [
        "# Backtest benchmark: people, weekly origins 2025-01-06 … 2026-05-07, h = 7",
        "",
        "Reproduce with:",
        "",
        cmd,
        "",
        f"Data: {args.arrivals.name} (vintage {arrivals.attrs.get('vintage')}), "
        f"{weather.attrs.get('source')} ({weather.attrs.get('location')}). "
        f"{len(cfg.origins)} origins × 7 lead days, {cfg.n_samples} sample paths, seed {cfg.seed}. "
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "## Targets",
        "",
        "| check | value | met |",
        "|---|---|---|",
        *[
            f"| {k} | {v['value']} | {'yes' if v['met'] else '**no**'} |"
            for k, v in results.items()
        ],
        "",
        "## All models and weather modes",
        "",
        "`coverage_L` is the empirical coverage of the L% band (equal-tailed, or [0, q(L)] where "
        "the lower quantile is already 0); `expected_coverage_L` is what the forecast itself "
        "says its band holds (above L where the point mass at zero forbids an exact band); "
        "`central_coverage_80` is the plain equal-tailed interval's coverage, for comparison.",
        "",
        table.to_markdown(index=False, floatfmt=".3f"),
        "",
        "Lowest value of any quantile (median and band ends) per model:",
        "",
        lows.to_frame("min quantile").to_markdown(floatfmt=".1f"),
        "",
        "PIT histograms (10 bins) per model and weather mode:",
        "",
        result.pit_histograms().to_markdown(index=False),
        "",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "BACKTEST.md").write_text("\n".join(md))
    (args.out / "backtest_results.json").write_text(
        json.dumps(
            {
                "checks": results,
                "wall_seconds": round(wall, 1),
                "summary": json.loads(table.to_json(orient="records")),
            },
            indent=2,
        )
    )
    for k, v in results.items():
        print(f"{'ok  ' if v['met'] else 'MISS'} {k}: {v['value']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
