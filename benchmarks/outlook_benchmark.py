"""Backtest of the season outlook (issue 10) on the real data, and the 2025 anchor window.

Reproduce the published table (benchmarks/OUTLOOK.md) with:

    .venv/bin/python benchmarks/outlook_benchmark.py

It reads ../shared/data (or $CROSSINGS_SOURCE_DIR). Origins are the 1st of each month from
2022-01 to 2025-12; at each origin every model is fitted on the data strictly before it and
`forecasting.outlook.simulate_outlook` gives the cumulative people from the origin on
(climatology weather, 1000 paths, seed 0). For horizons 30, 90, 135 and 180 days the script
scores the median's absolute % error against the actual total and whether the 80% band holds
it, for the hurdle (climatology weather), the climatology baseline and their equal mix (paths
pooled). An origin counts for a horizon only when the data covers it. The anchor is the
window 1 January – 15 May 2025 from origin 2025-01-01 (a ZINB model in the literature said
12,074 against an actual 12,699). It writes OUTLOOK.md and outlook_results.json here.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from forecasting import schema
from forecasting.adapters import read_arrivals, read_weather
from forecasting.forecast import band
from forecasting.models import create
from forecasting.outlook import Outlook, pooled, simulate_outlook
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings
from forecasting.weather.history import WeatherHistory

log = logging.getLogger("outlook_benchmark")
HERE = Path(__file__).resolve().parent
HORIZONS = (30, 90, 135, 180)
MODELS = ("hurdle", "climatology")
MIX = "mix"
ANCHOR = ("2025-01-01", "2025-05-15", 12_074)  # origin, until, the literature's ZINB forecast
TARGET_APE = {90: 15.0, 180: 20.0}
COVERAGE = (0.70, 0.90)


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    src = get_settings().source_dir
    p.add_argument("--arrivals", type=Path, default=default_arrivals_file(src))
    p.add_argument("--weather", type=Path, default=default_weather_file(src))
    p.add_argument("--first", default="2022-01-01")
    p.add_argument("--last", default="2025-12-01")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", type=Path, default=HERE)
    return p.parse_args()


def _outlooks(
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    origin: pd.Timestamp,
    until: pd.Timestamp,
    samples: int,
    seed: int,
) -> dict[str, Outlook]:
    """Each model's outlook (and the mix) from `origin` to `until`, fitted before `origin`."""
    known = arrivals.loc[arrivals[schema.DATE] < origin].reset_index(drop=True)
    wx = weather.loc[weather[schema.DATE] < origin].reset_index(drop=True)
    history = WeatherHistory(wx)
    out = {}
    for name in MODELS:
        model = create(name, target=schema.PEOPLE).fit(known, wx)
        out[name] = simulate_outlook(model, known, history, until, samples, seed)
    out[MIX] = pooled([out[name] for name in MODELS])
    return out


def _score_origin(
    arrivals: pd.DataFrame, weather: pd.DataFrame, origin: pd.Timestamp, samples: int, seed: int
) -> list[dict[str, Any]]:
    """One row per model × horizon covered by the data: actual, median, 80% band."""
    t0 = time.perf_counter()
    data_end = pd.Timestamp(arrivals[schema.DATE].iloc[-1])
    horizons = [h for h in HORIZONS if origin + pd.Timedelta(days=h - 1) <= data_end]
    if not horizons:
        return []
    until = origin + pd.Timedelta(days=max(horizons) - 1)
    outlooks = _outlooks(arrivals, weather, origin, until, samples, seed)
    seconds = time.perf_counter() - t0
    actual = arrivals.set_index(schema.DATE)[schema.PEOPLE]
    rows = []
    for name, o in outlooks.items():
        for h in horizons:
            days = pd.date_range(origin, periods=h, freq="D")
            truth = int(actual.loc[days].sum())
            totals = o.forecast.samples[:, :h].sum(axis=1)
            lo, hi = band(totals, 80)
            med = float(np.median(totals))
            rows.append(
                {
                    "origin": origin.date().isoformat(),
                    "model": name,
                    "horizon": h,
                    "actual": truth,
                    "median": med,
                    "lo-80": int(lo),
                    "hi-80": int(hi),
                    "ape": abs(med - truth) / truth * 100 if truth else float("nan"),
                    "covered_80": bool(lo <= truth <= hi),
                    "seconds": seconds,
                }
            )
    return rows


def _anchor(arrivals: pd.DataFrame, weather: pd.DataFrame, samples: int, seed: int) -> dict:
    origin, until, zinb = pd.Timestamp(ANCHOR[0]), pd.Timestamp(ANCHOR[1]), ANCHOR[2]
    outlooks = _outlooks(arrivals, weather, origin, until, samples, seed)
    days = pd.date_range(origin, until, freq="D")
    truth = int(arrivals.set_index(schema.DATE).loc[days, schema.PEOPLE].sum())
    out: dict[str, Any] = {"origin": ANCHOR[0], "until": ANCHOR[1], "actual": truth, "zinb": zinb}
    for name, o in outlooks.items():
        total = o.summary(levels_pct=(80,))["total"]
        total["error_pct"] = round((total["median"] - truth) / truth * 100, 1)
        out[name] = total
    return out


def _summarise(rows: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (name, h), g in rows.groupby(["model", "horizon"]):
        out.setdefault(str(name), {})[str(h)] = {
            "median_ape_pct": round(float(g["ape"].median()), 1),
            "coverage_80": round(float(g["covered_80"].mean()), 3),
            "n_origins": len(g),
        }
    return out


def _markdown(summary: dict, anchor: dict, meta: dict) -> str:
    lines = [
        "# Season outlook backtest (people)",
        "",
        "Reproduce: `.venv/bin/python benchmarks/outlook_benchmark.py` "
        f"({meta['seconds']:.0f} s on {meta['cpus']} cores, {meta['platform']}).",
        "",
        f"Origins: the 1st of each month {meta['first']} to {meta['last']}, fitted on the data "
        "before each; climatology weather from the origin on; "
        f"{meta['samples']} paths, seed {meta['seed']}. Median absolute % error of the "
        "cumulative total's median, and the share of origins whose 80% band holds the actual.",
        "",
        "| model | horizon (days) | origins | median abs % error | target | 80% coverage "
        "| target 0.70–0.90 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, by_h in summary.items():
        for h, s in by_h.items():
            goal = TARGET_APE.get(int(h))
            ape_ok = "—" if goal is None else f"≤ {goal:.0f}%: {_met(s['median_ape_pct'] <= goal)}"
            cov_ok = _met(COVERAGE[0] <= s["coverage_80"] <= COVERAGE[1])
            lines.append(
                f"| {name} | {h} | {s['n_origins']} | {s['median_ape_pct']:.1f}% | {ape_ok} "
                f"| {s['coverage_80']:.2f} | {cov_ok} |"
            )
    lines += [
        "",
        f"## The anchor: {anchor['origin']} to {anchor['until']}, data to the day before",
        "",
        f"Actual {anchor['actual']:,}; the published ZINB model said {anchor['zinb']:,} "
        f"({(anchor['zinb'] - anchor['actual']) / anchor['actual'] * 100:+.1f}%). Target ±8%.",
        "",
        "| model | median | error | 80% band | mean | within ±8% |",
        "|---|---|---|---|---|---|",
    ]
    for name in (*MODELS, MIX):
        a = anchor[name]
        b = a["bands"]["80"]
        lines.append(
            f"| {name} | {a['median']:,} | {a['error_pct']:+.1f}% | {b['lo']:,}–{b['hi']:,} "
            f"| {a['mean']:,.0f} | {_met(abs(a['error_pct']) <= 8)} |"
        )
    lines += [
        "",
        "## Which model the outlook uses",
        "",
        "The hurdle with climatology weather: its 80% band holds 0.70–0.83 at every horizon, "
        "and its median error is the lowest of the three at every horizon, while the "
        "climatology baseline (no trend, no recent level) under-covers and is off by about a "
        "third. No model meets the error targets or the anchor: none carries the year-on-year"
        " growth of early 2025 (the hurdle's recent-level state decays over a season), so the"
        " outlook is a calibrated but wide answer. The hurdle's default fit is trained on "
        "weather as a 1–7 day forecast serves it (issue 9); that costs the season outlook, "
        "which runs on climatology weather: with the earlier observed-weather fit "
        "(`train_leads: []`) it scored 23.0% at 90 days, 21.4% at 180 days and −24.7% on the "
        "anchor. `crossings outlook` fits the hurdle; `GET /v1/outlook` runs the served "
        "champion (the hurdle on experiments/default.yaml).",
    ]
    return "\n".join(lines) + "\n"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main() -> None:
    """Run the backtest and the anchor; write OUTLOOK.md and outlook_results.json."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = _args()
    arrivals, weather = read_arrivals(args.arrivals), read_weather(args.weather)
    origins = pd.date_range(args.first, args.last, freq="MS")
    t0 = time.perf_counter()
    parts = Parallel(n_jobs=args.jobs)(
        delayed(_score_origin)(arrivals, weather, o, args.samples, args.seed) for o in origins
    )
    rows = pd.DataFrame([r for part in parts for r in part])
    anchor = _anchor(arrivals, weather, args.samples, args.seed)
    meta = {
        "seconds": time.perf_counter() - t0,
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "first": args.first,
        "last": args.last,
        "samples": args.samples,
        "seed": args.seed,
        "seconds_per_origin_median": statistics.median(rows["seconds"]),
    }
    summary = _summarise(rows)
    (args.out / "OUTLOOK.md").write_text(_markdown(summary, anchor, meta))
    result = {"summary": summary, "anchor": anchor, "meta": meta}
    (args.out / "outlook_results.json").write_text(json.dumps(result, indent=2) + "\n")
    log.info("%s", json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
