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
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.adapters import read_arrivals, read_weather
from forecasting.contract import DEFAULT_WEATHER_DRAWS
from forecasting.evaluation.backtest import JSON_METRICS, BacktestConfig, run_backtest
from forecasting.models import REGISTRY, create
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings

HERE = Path(__file__).resolve().parent
MODES = ("observed", "forecast", "climatology")
QUANTILE_COLS = ["median", "lo-50", "hi-50", "lo-80", "hi-80", "lo-95", "hi-95"]
METRICS = [
    *JSON_METRICS,
    "pinball",
    "expected_coverage_80",
    "expected_coverage_95",
    "central_coverage_80",
]
Check = tuple[float, Callable[[float], bool]]
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
    return out


def calibration_lines(report: dict[str, Any], mode: str = "forecast") -> list[str]:
    """Markdown tables of the calibration report in one weather mode."""
    pit = pd.DataFrame(
        [
            {"model": r["model"], "PIT": "overall", "n": r["n_overall"], **_deciles(r["overall"])}
            for r in report["pit_histograms"]
            if r["weather_mode"] == mode
        ]
        + [
            {
                "model": r["model"],
                "PIT": "crossing days, X | X > 0",
                "n": r["n_crossing_days"],
                **_deciles(r["crossing_days"]),
            }
            for r in report["pit_histograms"]
            if r["weather_mode"] == mode
        ]
    )
    rel = pd.DataFrame(
        [
            {"model": r["model"], "bin": f"{b['lo']:.1f}–{b['hi']:.1f}", **b}
            for r in report["reliability"]
            if r["weather_mode"] == mode
            for b in r["bins"]
        ]
    ).drop(columns=["lo", "hi"])
    bands = pd.DataFrame([r for r in report["intervals"] if r["weather_mode"] == mode])
    week = pd.DataFrame(
        [
            {"model": r["model"], "n": r["n_forecasts"], **r["coverage"]}
            for r in report["weekly_total_coverage"]
            if r["weather_mode"] == mode
        ]
    )
    return [
        f"## Calibration ({mode} weather)",
        "",
        "Randomised PIT frequencies per decile (calibrated: 0.10 each). On crossing days the "
        "PIT is taken under the forecast given a crossing, X | X > 0, which checks the count "
        "part alone.",
        "",
        pit.to_markdown(index=False, floatfmt=".3f"),
        "",
        "Reliability of P(any crossing): per bin the number of forecasts, the mean forecast "
        "and the observed frequency of a crossing.",
        "",
        rel.to_markdown(index=False, floatfmt=".3f"),
        "",
        "Bands: the planner band's coverage (`[0, q(L)]` where the lower quantile is 0), the "
        "equal-tailed interval's coverage and the band's expected content (what the forecast "
        "says it holds), overall, on zero days and on crossing days, and how often a crossing "
        "day lands above the band.",
        "",
        bands.drop(columns="weather_mode").to_markdown(index=False, floatfmt=".3f"),
        "",
        "Weekly totals (the 7 days summed along each sample path): coverage of the "
        "equal-tailed 50/80/95/99% intervals over origins × weather draws.",
        "",
        week.to_markdown(index=False, floatfmt=".3f"),
        "",
    ]


def _deciles(freqs: list[float]) -> dict[str, float]:
    return {f"{10 * i}–{10 * (i + 1)}": f for i, f in enumerate(freqs)}


def markdown(
    args: argparse.Namespace,
    cfg: BacktestConfig,
    meta: dict[str, Any],
    results: dict[str, dict[str, Any]],
    tables: dict[str, pd.DataFrame],
) -> str:
    """The published page."""
    k = cfg.weather_draws
    md = [
        f"# Backtest benchmark: {cfg.target}, weekly origins 2025-01-06 … 2026-05-07, h = 7",
        "",
        "Reproduce with:",
        "",
        "    .venv/bin/python benchmarks/backtest_benchmark.py"
        + ("" if cfg.target == "people" else f" --target {cfg.target}"),
        "",
        f"Data: {args.arrivals.name} (vintage {meta['vintage']}), {meta['weather']}. "
        f"{len(cfg.origins)} origins × 7 lead days, {cfg.n_samples} sample paths, seed "
        f"{cfg.seed}. Machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"wall time {meta['wall']:.0f} s for the whole backtest.",
        "",
        "**Weather modes.** `observed`: the weather that happened (hindsight, an upper bound). "
        f"`forecast` (honest, since issue 14): per origin, {k} issued weather forecasts are "
        "simulated from the observed weather (one error by lead, AR(1) across leads, wind "
        "error s.d. 1.0 m/s at lead 1 to 2.2 m/s at lead 7, gusts 1.8× that), each shared by "
        "every sample path; the paths then spread around it with the same error model, and "
        f"all {k} are scored (so `n_forecasts` is {k}× the other modes'). `climatology`: the "
        "same days of past years. The `issued` mode (archived real forecasts, `crossings "
        "backtest --weather-mode issued --issued-weather FILE`) needs forecasts fetched from "
        "Open-Meteo online; this offline benchmark has none, so it is not in the table.",
        "",
        "## Targets",
        "",
        "| check | value | met |",
        "|---|---|---|",
        *[
            f"| {name} | {v['value']} | {'yes' if v['met'] else '**no**'} |"
            for name, v in results.items()
        ],
        "",
        *_missed_note(results),
        *_table_lines(tables, len(cfg.origins), k),
        *calibration_lines(tables["calibration"], "forecast"),
        *calibration_lines(tables["calibration"], "observed"),
    ]
    return "\n".join(md)


def _table_lines(tables: dict[str, pd.DataFrame], origins: int, draws: int) -> list[str]:
    return [
        "## The hurdle per lead day",
        "",
        "Mean CRPS per lead day in each weather mode, and the forecast/observed ratio: what "
        "an honest weather forecast costs. It is larger a week out than a day out, though not "
        f"monotone in between (each lead averages {origins} origins × {draws} draws). From "
        "lead 4 on, the "
        "hurdle with forecast weather is on some days no better than with climatology weather.",
        "",
        tables["by_lead"].reset_index().to_markdown(index=False, floatfmt=".3f"),
        "",
        "## All models and weather modes",
        "",
        "`coverage_L` is the empirical coverage of the L% band (equal-tailed, or [0, q(L)] where "
        "the lower quantile is already 0); `expected_coverage_L` is what the forecast itself "
        "says its band holds (above L where the point mass at zero forbids an exact band); "
        "`central_coverage_80` is the plain equal-tailed interval's coverage, for comparison.",
        "",
        tables["summary"].to_markdown(index=False, floatfmt=".3f"),
        "",
        "Lowest value of any quantile (median and band ends) per model:",
        "",
        tables["lows"].to_markdown(floatfmt=".1f"),
        "",
        "PIT histograms (10 bins) per model and weather mode:",
        "",
        tables["pit"].to_markdown(index=False),
        "",
    ]


def _missed_note(results: dict[str, dict[str, Any]]) -> list[str]:
    missed = [name for name, v in results.items() if not v["met"]]
    if not missed:
        return []
    note = (
        "**Missed:** " + "; ".join(missed) + ". A forecast-weather target missed here is "
        "missed because the forecast mode no longer centres its sample paths on the observed "
        "weather (issue 14): the weather a planner gets is a forecast, and the hurdle pays for "
        "its error. The error model was not tuned to recover it (the floor stays: wind "
        "1.0 → 2.2 m/s, gusts ≥ 1.8×). Observed-mode misses come from issue 9's default "
        "hurdle, which is trained on weather as it is served (seen through the forecast "
        "error, `train_leads` 1–7): it gave up skill with hindsight weather (observed CRPS "
        "61.5 → 64.7) for skill with the weather a planner gets (forecast 73.6 → 70.1), and its "
        "fit takes longer (seven copies of the training days); `train_leads: []` restores the "
        "observed-weather fit. Since issue 9's recalibration the hurdle's fit also runs 52 "
        "inner weekly origins (4 refits) to fit its P(any) map (`recalibrate`, default on; "
        "benchmarks/CALIBRATION.md), so it takes about five times as long again; "
        "`recalibrate: false` drops it."
    )
    return [note, ""]


def main() -> int:
    """Run the benchmark, write the target's Markdown page and JSON, print the checks."""
    args = _args()
    logging.basicConfig(level=logging.WARNING)
    arrivals, weather = read_arrivals(args.arrivals), read_weather(args.weather)
    md_name, json_name = output_names(args.target)
    guard = run_guard(arrivals, weather, args.target)
    if args.guard_only:
        path = args.out / json_name
        payload = json.loads(path.read_text())
        payload["guard"] = guard
        path.write_text(json.dumps(payload, indent=2))
        print(f"guard: {guard['crps']}")
        return 0
    cfg = BacktestConfig(
        models=args.models.split(","),
        start=args.start,
        end=args.end,
        step=7,
        horizon=7,
        target=args.target,
        weather_modes=MODES,
        n_samples=args.samples,
        seed=args.seed,
        n_jobs=args.jobs,
        weather_draws=args.weather_draws,
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
        "hurdle_by_lead": json.loads(by_lead.reset_index().to_json(orient="records")),
        "summary": json.loads(table.to_json(orient="records")),
        "calibration": report,
    }
    (args.out / json_name).write_text(json.dumps(payload, indent=2))
    for name, v in results.items():
        print(f"{'ok  ' if v['met'] else 'MISS'} {name}: {v['value']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
