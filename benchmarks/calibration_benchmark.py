"""Issue 9 (models side): the hurdle trained as served and the stacked ensemble, honest weather.

Reproduce benchmarks/CALIBRATION.md's table with:

    .venv/bin/python benchmarks/calibration_benchmark.py

Weekly origins 2025-01-06..2026-05-07, h = 7, target people (``--target boats`` for boats),
1000 sample paths, seed 0, `forecast` weather mode with K = 5 issued forecasts per origin
(`forecasting.evaluation.backtest.run_backtest`). Each variant is one backtest; the table gives
CRPS, its ratio to climatology, Brier (P(any)), the largest P(any) reliability gap over bins
of at least 30 forecasts, the largest randomised-PIT decile deviation, the largest weekly-total
coverage miss (50/80/95/99%, points), 80% coverage and the median fit seconds per origin.
``--variants a,b`` runs a subset (by key: see VARIANTS).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.adapters import read_arrivals, read_weather
from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from forecasting.evaluation.calibration import pit_histograms, reliability, weekly_total_coverage
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
# key -> (label, registered model, hyperparameters)
VARIANTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "climatology": ("climatology", "climatology", {}),
    "observed_training": (
        "hurdle, observed-weather training, no recalibration",
        "hurdle",
        {"train_leads": (), "recalibrate": False},
    ),
    "as_served": ("hurdle, trained as served (leads 1-7)", "hurdle", {"recalibrate": False}),
    "as_served_recal": (
        "hurdle, trained as served + P(any) recalibration",
        "hurdle",
        {"recalibrate": True},
    ),
    "ensemble": ("ensemble (hurdle, sarimax, climatology), recalibrated hurdle", "ensemble", {}),
    "ensemble_pool_recal": (
        "ensemble (hurdle, sarimax, climatology), pool recalibrated",
        "ensemble",
        {"recalibrate": True},
    ),
}


def run(label: str, arrivals: pd.DataFrame, weather: pd.DataFrame, args: Any) -> dict[str, Any]:
    """One variant's forecast-mode backtest summary."""
    _, name, params = VARIANTS[label]
    cfg = BacktestConfig(
        models=[name],
        start=args.start,
        end=args.end,
        weather_modes=("forecast",),
        n_samples=args.samples,
        seed=0,
        n_jobs=args.jobs,
        model_params={name: params},
        weather_draws=5,
        target=args.target,
    )
    t0 = time.perf_counter()
    res = run_backtest(arrivals, weather, cfg)
    s = res.summary().iloc[0]
    return {
        "variant": VARIANTS[label][0],
        "crps": float(s["crps"]),
        "brier": float(s["brier"]),
        "reliability_max_gap": reliability(res.rows)[0]["max_gap"],
        "pit_max_dev": pit_histograms(res.rows)[0]["overall_max_dev"],
        "weekly_max_miss_pts": weekly_total_coverage(res.rows)[0]["max_dev_points"],
        "coverage_80": float(s["coverage_80"]),
        "fit_s_median": float(s["fit_seconds_median"]),
        "wall_s": time.perf_counter() - t0,
    }


def main() -> None:
    """Run the chosen variants and write calibration_<target>.csv next to this script."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--target", default="people")
    p.add_argument("--start", default="2025-01-06")
    p.add_argument("--end", default="2026-05-07")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--variants", default=",".join(VARIANTS))
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    src = get_settings().source_dir
    arrivals = read_arrivals(default_arrivals_file(src))
    weather = read_weather(default_weather_file(src))
    keys = ["climatology", *(k for k in args.variants.split(",") if k != "climatology")]
    rows = []
    for key in keys:
        rows.append(run(key, arrivals, weather, args))
        log.info("%s", rows[-1])
    table = pd.DataFrame(rows)
    table["crps/climatology"] = table["crps"] / table["crps"].iloc[0]
    out = HERE / f"calibration_{args.target}.csv"
    table.to_csv(out, index=False)
    log.info("wrote %s\n%s", out, table.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
