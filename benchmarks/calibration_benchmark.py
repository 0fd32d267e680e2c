"""Issue 9 (models side): the hurdle trained as served and the stacked ensemble, honest weather.

Reproduce benchmarks/CALIBRATION.md's table with:

    .venv/bin/python benchmarks/calibration_benchmark.py

Weekly origins 2025-01-06..2026-05-07, h = 7, target people (``--target boats`` for boats),
1000 sample paths, seed 0, `forecast` weather mode with K = 5 issued forecasts per origin
(`forecasting.evaluation.backtest.run_backtest`). Each variant is one backtest; the table gives
CRPS, its ratio to climatology, Brier (P(any)) and 80% coverage, and the median fit seconds.
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
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
# label -> (registered model, hyperparameters)
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "climatology": ("climatology", {}),
    "hurdle, observed-weather training (before)": ("hurdle", {"train_leads": ()}),
    "hurdle, trained as served (leads 1-7)": ("hurdle", {}),
    "hurdle, trained at lead 4 only": ("hurdle", {"train_leads": (4,)}),
    "hurdle, leads 1-7, half-life 365 d": ("hurdle", {"half_life_days": 365.0}),
    "ensemble (hurdle, sarimax, climatology)": ("ensemble", {}),
}


def run(label: str, arrivals: pd.DataFrame, weather: pd.DataFrame, args: Any) -> dict[str, Any]:
    """One variant's forecast-mode backtest summary."""
    name, params = VARIANTS[label]
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
        "variant": label,
        "crps": float(s["crps"]),
        "brier": float(s["brier"]),
        "coverage_80": float(s["coverage_80"]),
        "fit_s_median": float(s["fit_seconds_median"]),
        "wall_s": time.perf_counter() - t0,
    }


def main() -> None:
    """Run every variant and write CALIBRATION_<target>.csv next to this script."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--target", default="people")
    p.add_argument("--start", default="2025-01-06")
    p.add_argument("--end", default="2026-05-07")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    src = get_settings().source_dir
    arrivals = read_arrivals(default_arrivals_file(src))
    weather = read_weather(default_weather_file(src))
    rows = [run(label, arrivals, weather, args) for label in VARIANTS]
    table = pd.DataFrame(rows)
    clim = table.loc[table["variant"] == "climatology", "crps"].iloc[0]
    table["crps/climatology"] = table["crps"] / clim
    out = HERE / f"calibration_{args.target}.csv"
    table.to_csv(out, index=False)
    log.info("wrote %s\n%s", out, table.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
