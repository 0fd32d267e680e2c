"""Accuracy and speed benchmark of every model in every weather mode on the real data.

Reproduce the published table (benchmarks/BACKTEST.md) with:

    .venv/bin/python benchmarks/backtest_benchmark.py

It reads ../shared/data (or $CROSSINGS_SOURCE_DIR), runs one rolling-origin backtest with
weekly origins from 2025-01-06 to 2026-05-07, h=7, target people, 1000 samples, seed 0, fitting
each model once per origin and forecasting in the observed, forecast and climatology weather
modes. The forecast mode is honest (issue 14): per origin, `--weather-draws` issued forecasts
(default 5) are simulated from the observed weather, each shared by all sample paths, the paths
spread around it, and every draw is scored. The issued mode (archived real forecasts) needs
files fetched online and is not part of this offline benchmark. The script then checks the
targets of the models issue and issue 14, and writes the Markdown table and a JSON file next to
this script (BACKTEST.md and backtest_results.json for people; ``--target boats`` writes
BACKTEST_boats.md and backtest_results_boats.json).

It also runs a short guard backtest (`guard_config`: the first weekly origins of the window,
hurdle and climatology, forecast mode) and publishes its CRPS under ``guard`` in the JSON;
tests/integration/test_published_backtest.py reruns it and checks the published figures
within GUARD_TOLERANCE. ``--guard-only`` refreshes just that entry.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.adapters import read_arrivals, read_weather
from forecasting.contract import DEFAULT_HORIZON, DEFAULT_WEATHER_DRAWS, band_cols
from forecasting.evaluation.backtest import (
    JSON_METRICS,
    BacktestConfig,
    BacktestResult,
    run_backtest,
)
from forecasting.models import REGISTRY, create
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings

if __package__:  # imported as benchmarks.backtest_benchmark (tests/integration)
    from .backtest_checks import MODES, best_candidate, calibration_checks, checks, lead_table
    from .backtest_report import markdown
else:  # run as a script: benchmarks/ is first on sys.path
    from backtest_checks import MODES, best_candidate, calibration_checks, checks, lead_table
    from backtest_report import markdown

HERE = Path(__file__).resolve().parent
QUANTILE_COLS = ["median", *band_cols()]
METRICS = [
    *JSON_METRICS,
    "pinball",
    "expected_coverage_80",
    "expected_coverage_95",
    "central_coverage_80",
]
# The guard: a short rerun of the published window that a slow integration test repeats.
GUARD_MODELS = ("hurdle", "climatology")
GUARD_ORIGINS = 6
GUARD_DRAWS = 2
GUARD_SAMPLES = 300
GUARD_TOLERANCE = 0.02  # relative: seeded and reproducible, the slack is for library versions


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    src = get_settings().source_dir
    p.add_argument("--arrivals", type=Path, default=default_arrivals_file(src))
    p.add_argument("--weather", type=Path, default=default_weather_file(src))
    # The stacked ensemble refits its members at 12 inner origins per fit (about 13 s), so a
    # 70-origin run of it belongs in benchmarks/calibration_benchmark.py, not here.
    p.add_argument("--models", default=",".join(m for m in REGISTRY if m != "ensemble"))
    p.add_argument("--start", default="2025-01-06")
    p.add_argument("--end", default="2026-05-07")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--weather-draws", type=int, default=DEFAULT_WEATHER_DRAWS)
    p.add_argument("--jobs", type=int, default=-1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", default="people", choices=("people", "boats"))
    p.add_argument("--guard-only", action="store_true", help="refresh only the guard figures")
    p.add_argument("--out", type=Path, default=HERE)
    return p.parse_args()


def output_names(target: str) -> tuple[str, str]:
    """The Markdown page and the JSON file a target's run writes."""
    suffix = "" if target == "people" else f"_{target}"
    return f"BACKTEST{suffix}.md", f"backtest_results{suffix}.json"


def guard_config(target: str = "people", start: str = "2025-01-06") -> BacktestConfig:
    """The guard backtest: GUARD_ORIGINS weekly origins from `start`, the guard models with
    their default hyperparameters, forecast mode with GUARD_DRAWS issued forecasts."""
    return BacktestConfig(
        models=list(GUARD_MODELS),
        start=start,
        end=pd.Timestamp(start) + pd.Timedelta(days=7 * (GUARD_ORIGINS - 1)),
        target=target,
        weather_modes=("forecast",),
        n_samples=GUARD_SAMPLES,
        seed=0,
        n_jobs=2,
        weather_draws=GUARD_DRAWS,
    )


def run_guard(arrivals: pd.DataFrame, weather: pd.DataFrame, target: str) -> dict[str, Any]:
    """The guard backtest's mean CRPS per model, with what it ran on."""
    cfg = guard_config(target)
    summary = run_backtest(arrivals, weather, cfg).summary().set_index("model")
    return {
        "target": target,
        "vintage": arrivals.attrs.get("vintage"),
        "origins": [str(o.date()) for o in cfg.origins],
        "weather_draws": cfg.weather_draws,
        "n_samples": cfg.n_samples,
        "tolerance": GUARD_TOLERANCE,
        "crps": {m: round(float(summary.loc[m, "crps"]), 4) for m in cfg.models},
    }


def hurdle_fit_seconds(arrivals: pd.DataFrame, weather: pd.DataFrame, repeats: int = 5) -> float:
    """Median wall time of one hurdle fit on the full history (after a warm-up fit)."""
    create("hurdle").fit(arrivals, weather)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        create("hurdle").fit(arrivals, weather)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _config(args: argparse.Namespace) -> BacktestConfig:
    """The published backtest: weekly origins, h = 7, every weather mode."""
    return BacktestConfig(
        models=args.models.split(","),
        start=args.start,
        end=args.end,
        step=7,
        horizon=DEFAULT_HORIZON,
        target=args.target,
        weather_modes=MODES,
        n_samples=args.samples,
        seed=args.seed,
        n_jobs=args.jobs,
        weather_draws=args.weather_draws,
    )


def _backtest(
    arrivals: pd.DataFrame, weather: pd.DataFrame, cfg: BacktestConfig
) -> tuple[BacktestResult, float]:
    """Run the backtest with its progress on stderr; the result and its wall time."""
    t0 = time.perf_counter()
    result = run_backtest(
        arrivals,
        weather,
        cfg,
        progress=lambda d, n: print(f"\r{d}/{n} origins", end="", file=sys.stderr),
    )
    wall = time.perf_counter() - t0
    print(file=sys.stderr)
    return result, wall


def _figures(
    result: BacktestResult, fit_hurdle: float, wall: float
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The checks (value rounded, met) and the tables of the page and the JSON."""
    summary = result.summary().set_index(["model", "weather_mode"])
    lows = result.rows.groupby("model")[QUANTILE_COLS].min().min(axis=1)
    by_lead = lead_table(result.rows)
    report = result.calibration()
    all_checks = {
        **checks(summary, by_lead, lows, fit_hurdle, wall),
        **calibration_checks(summary, report, best_candidate(summary)),
    }
    results = {
        name: {"value": round(float(v), 4), "met": bool(ok(v))}
        for name, (v, ok) in all_checks.items()
    }
    table = summary[METRICS].reset_index().sort_values(["weather_mode", "crps"])
    tables = {
        "summary": table,
        "by_lead": by_lead,
        "lows": lows.to_frame("min quantile"),
        "pit": result.pit_histograms(),
        "calibration": report,
    }
    return results, tables


def _write_guard(path: Path, guard: dict[str, Any]) -> None:
    """--guard-only: replace the guard entry of the published JSON."""
    payload = json.loads(path.read_text())
    payload["guard"] = guard
    path.write_text(json.dumps(payload, indent=2))
    print(f"guard: {guard['crps']}")


def main() -> int:
    """Run the benchmark, write the target's Markdown page and JSON, print the checks."""
    args = _args()
    logging.basicConfig(level=logging.WARNING)
    arrivals, weather = read_arrivals(args.arrivals), read_weather(args.weather)
    md_name, json_name = output_names(args.target)
    guard = run_guard(arrivals, weather, args.target)
    if args.guard_only:
        _write_guard(args.out / json_name, guard)
        return 0
    cfg = _config(args)
    result, wall = _backtest(arrivals, weather, cfg)
    fit_hurdle = hurdle_fit_seconds(arrivals[arrivals["date"] < cfg.end], weather)
    results, tables = _figures(result, fit_hurdle, wall)
    meta = {
        "vintage": arrivals.attrs.get("vintage"),
        "weather": f"{weather.attrs.get('source')} ({weather.attrs.get('location')})",
        "wall": wall,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / md_name).write_text(markdown(args, cfg, meta, results, tables))
    payload = {
        "target": args.target,
        "checks": results,
        "guard": guard,
        "wall_seconds": round(wall, 1),
        "weather_draws": cfg.weather_draws,
        "hurdle_by_lead": json.loads(tables["by_lead"].reset_index().to_json(orient="records")),
        "summary": json.loads(tables["summary"].to_json(orient="records")),
        "calibration": tables["calibration"],
    }
    (args.out / json_name).write_text(json.dumps(payload, indent=2))
    for name, v in results.items():
        print(f"{'ok  ' if v['met'] else 'MISS'} {name}: {v['value']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
