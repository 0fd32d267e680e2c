"""Issue 21: the coherent hurdle (one crossing-day gate, lead-aware training), honest weather.

Reproduce benchmarks/CALIBRATION.md's tables with:

    .venv/bin/python benchmarks/calibration_benchmark.py                  # people
    .venv/bin/python benchmarks/calibration_benchmark.py --target boats

Weekly origins 2025-01-06..2026-05-07, h = 7, target people (``--target boats`` for boats),
1000 sample paths, seed 0, `forecast` weather mode with K = 5 issued forecasts per origin
(`forecasting.evaluation.backtest.run_backtest`). Each variant is one backtest; the table gives
CRPS, its ratio to climatology, Brier (P(any)), the largest P(any) reliability gap over bins
of at least 30 forecasts, the largest randomised-PIT decile deviation, the largest weekly-total
coverage miss (50/80/95/99%, points), 80% coverage and the median fit seconds per origin.
It writes calibration_<target>.csv (the table) and calibration_<target>_weekday.csv (per
hurdle variant and weekday: mean forecast P(any) against the observed share of crossing days,
plus an "all" row) next to this script, or to ``--out`` (the table's path; the weekday table
goes beside it with ``_weekday`` before the suffix).

``--variants a,b`` runs a subset (by key: see VARIANTS; climatology always runs first, as the
ratio's denominator). The default list is DEFAULT_VARIANTS; the ensemble variants are kept
selectable (``--variants ensemble``) but are not part of issue 21's comparison: the ensemble
still uses the older after-the-fact P(any) map (`forecasting.models.recalibration`).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.adapters import read_arrivals, read_weather
from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from forecasting.evaluation.calibration import pit_histograms, reliability, weekly_total_coverage
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# key -> (label, registered model, hyperparameters)
VARIANTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "climatology": ("climatology", "climatology", {}),
    "default": (
        "hurdle, lead-aware, trained on observed + leads 1-7 (default)",
        "hurdle",
        {},
    ),
    "leads_1_7": (
        "hurdle, leads 1-7 only",
        "hurdle",
        {"train_leads": (1, 2, 3, 4, 5, 6, 7)},
    ),
    "observed_training": (
        "hurdle, observed-weather training",
        "hurdle",
        {"train_leads": (0,)},
    ),
    "recal": (
        "hurdle + gate calibration in the simulation (96 inner origins)",
        "hurdle",
        {"recalibrate": True},
    ),
    # Not in issue 21's comparison (DEFAULT_VARIANTS): the ensemble still maps its P(any)
    # after the fact with forecasting.models.recalibration.
    "ensemble": ("ensemble (hurdle, sarimax, climatology)", "ensemble", {}),
    "ensemble_pool_recal": (
        "ensemble (hurdle, sarimax, climatology), pool recalibrated",
        "ensemble",
        {"recalibrate": True},
    ),
}
DEFAULT_VARIANTS: tuple[str, ...] = (
    "climatology",
    "default",
    "leads_1_7",
    "observed_training",
    "recal",
)


def weekday_reliability(rows: pd.DataFrame) -> pd.DataFrame:
    """Per weekday of the forecast day (and "all"): forecasts scored, mean forecast P(any),
    observed share of crossing days and their difference."""
    day = pd.DatetimeIndex(rows["date"]).day_of_week
    hit = rows["actual"].to_numpy(dtype=float) > 0
    p = rows["p_any"].to_numpy(dtype=float)
    out = []
    for name, mask in [*((WEEKDAYS[k], day == k) for k in range(7)), ("all", np.ones_like(hit))]:
        mask = np.asarray(mask, dtype=bool)
        out.append(
            {
                "weekday": name,
                "n": int(mask.sum()),
                "forecast_p_any": float(p[mask].mean()),
                "observed_share": float(hit[mask].mean()),
            }
        )
    table = pd.DataFrame(out)
    table["gap"] = table["forecast_p_any"] - table["observed_share"]
    return table


def run(
    key: str, arrivals: pd.DataFrame, weather: pd.DataFrame, args: Any
) -> tuple[dict[str, Any], pd.DataFrame]:
    """One variant's forecast-mode backtest summary and its rows."""
    _, name, params = VARIANTS[key]
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
    summary = {
        "key": key,
        "variant": VARIANTS[key][0],
        "crps": float(s["crps"]),
        "brier": float(s["brier"]),
        "mean_p_any": float(res.rows["p_any"].mean()),
        "observed_share": float((res.rows["actual"] > 0).mean()),
        "reliability_max_gap": reliability(res.rows)[0]["max_gap"],
        "pit_max_dev": pit_histograms(res.rows)[0]["overall_max_dev"],
        "weekly_max_miss_pts": weekly_total_coverage(res.rows)[0]["max_dev_points"],
        "coverage_80": float(s["coverage_80"]),
        "fit_s_median": float(s["fit_seconds_median"]),
        "wall_s": time.perf_counter() - t0,
    }
    return summary, res.rows


def main() -> None:
    """Run the chosen variants and write calibration_<target>.csv (and _weekday.csv)."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--target", default="people")
    p.add_argument("--start", default="2025-01-06")
    p.add_argument("--end", default="2026-05-07")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--variants", default=",".join(DEFAULT_VARIANTS))
    p.add_argument("--out", type=Path, default=None, help="the table's CSV path")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    keys = ["climatology", *(k for k in args.variants.split(",") if k and k != "climatology")]
    if unknown := [k for k in keys if k not in VARIANTS]:
        p.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    src = get_settings().source_dir
    arrivals = read_arrivals(default_arrivals_file(src))
    weather = read_weather(default_weather_file(src))
    rows, weekdays = [], []
    for key in keys:
        summary, scored = run(key, arrivals, weather, args)
        rows.append(summary)
        log.info("%s", summary)
        if VARIANTS[key][1] != "climatology":
            weekdays.append(weekday_reliability(scored).assign(key=key))
    table = pd.DataFrame(rows)
    table["crps/climatology"] = table["crps"] / table["crps"].iloc[0]
    out = args.out or HERE / f"calibration_{args.target}.csv"
    table.to_csv(out, index=False)
    log.info("wrote %s\n%s", out, table.to_markdown(index=False, floatfmt=".3f"))
    if weekdays:
        wd = pd.concat(weekdays, ignore_index=True)
        wd = wd[["key", *(c for c in wd.columns if c != "key")]]
        wd_out = out.with_name(f"{out.stem}_weekday{out.suffix}")
        wd.to_csv(wd_out, index=False)
        log.info("wrote %s\n%s", wd_out, wd.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
