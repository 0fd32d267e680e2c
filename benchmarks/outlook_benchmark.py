"""Backtest of the season outlook (issues 10 and 21) on the real data, and the 2025 anchor window.

Reproduce the published tables (benchmarks/OUTLOOK.md for people, OUTLOOK_boats.md for boats):

    .venv/bin/python benchmarks/outlook_benchmark.py
    .venv/bin/python benchmarks/outlook_benchmark.py --target boats

It reads ../shared/data (or $CROSSINGS_SOURCE_DIR). Origins are the 1st of each month from
2022-01 to 2025-12; at each origin every model is fitted on the data strictly before it and
`forecasting.outlook.simulate_outlook` gives the cumulative target from the origin on
(climatology weather, 1000 paths, seed 0). For horizons 30, 90, 135 and 180 days the script
scores the median's absolute % error against the actual total, whether the 80% band holds
it, and P(total = 0) (the share of paths whose cumulative total is 0), for the hurdle
(climatology weather), the climatology baseline and their equal mix (paths pooled). An origin
counts for a horizon only when the data covers it. The anchor is the window 1 January – 15
May 2025 from origin 2025-01-01 (a ZINB model in the literature said 12,074 people against an
actual 12,699), run with climatology weather and, as a hindsight bound, with the weather that
happened (`build_future_weather` in "observed" mode; the model is still fitted on the data
before the origin). Each of issue 21's targets is stated met or missed on the page and in the
JSON.

Speed: the hurdle is fitted with `recalibrate=False`. Its gate calibration is applied only on
forecast days (lead ≥ 1); every day of an outlook is climatology weather, read at lead 0, so
the calibration never touches an outlook. Each run checks that at one origin
(`--verify-origin`): the outlook's paths with the recalibrated fit must equal the ones without
it bit for bit, else the script stops before the backtest.

It writes OUTLOOK.md and outlook_results.json here (OUTLOOK_boats.md and
outlook_results_boats.json for `--target boats`); `--rerender` rewrites the page from the JSON.
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
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from forecasting import schema
from forecasting.adapters import read_arrivals, read_weather
from forecasting.forecast import band
from forecasting.issuing import conditioned
from forecasting.models import create
from forecasting.models.base import Model
from forecasting.outlook import Outlook, distribution, outlook_window, pooled, simulate_outlook
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings
from forecasting.weather.future import WeatherStreams, build_future_weather
from forecasting.weather.history import WeatherHistory

if __package__:  # imported as benchmarks.outlook_benchmark
    from .outlook_checks import (
        ANCHOR_CLIMATOLOGY_PCT,
        ANCHOR_OBSERVED_PCT,
        MIX,
        MODELS,
        OUTLOOK_MODEL,
        summarise,
        targets,
    )
    from .outlook_report import markdown
else:  # run as a script: benchmarks/ is first on sys.path
    from outlook_checks import (
        ANCHOR_CLIMATOLOGY_PCT,
        ANCHOR_OBSERVED_PCT,
        MIX,
        MODELS,
        OUTLOOK_MODEL,
        summarise,
        targets,
    )
    from outlook_report import markdown

log = logging.getLogger("outlook_benchmark")
HERE = Path(__file__).resolve().parent
HORIZONS = (30, 90, 135, 180)
# Fit options for speed: an outlook never applies the hurdle's gate calibration (see doc).
FIT_OPTIONS: dict[str, dict[str, Any]] = {"hurdle": {"recalibrate": False}}
ANCHOR = ("2025-01-01", "2025-05-15")  # origin, until
ZINB = {schema.PEOPLE: 12_074}  # the literature's ZINB forecast of the anchor window

FILES = {
    schema.PEOPLE: ("OUTLOOK.md", "outlook_results.json"),
    schema.BOATS: ("OUTLOOK_boats.md", "outlook_results_boats.json"),
}


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    src = get_settings().source_dir
    p.add_argument("--target", choices=sorted(FILES), default=schema.PEOPLE)
    p.add_argument("--arrivals", type=Path, default=default_arrivals_file(src))
    p.add_argument("--weather", type=Path, default=default_weather_file(src))
    p.add_argument("--first", default="2022-01-01")
    p.add_argument("--last", default="2025-12-01")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--verify-origin", default=ANCHOR[0])
    p.add_argument("--out", type=Path, default=HERE)
    p.add_argument(
        "--rerender", action="store_true", help="rewrite the page from the JSON, run nothing"
    )
    return p.parse_args()


def _model(name: str, target: str, **options: Any) -> Model:
    return create(name, target=target, **{**FIT_OPTIONS.get(name, {}), **options})


def _before(
    arrivals: pd.DataFrame, weather: pd.DataFrame, origin: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    known = arrivals.loc[arrivals[schema.DATE] < origin].reset_index(drop=True)
    wx = weather.loc[weather[schema.DATE] < origin].reset_index(drop=True)
    return known, wx


def _outlooks(
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    target: str,
    origin: pd.Timestamp,
    until: pd.Timestamp,
    samples: int,
    seed: int,
) -> tuple[dict[str, Outlook], dict[str, Model]]:
    """Each model's outlook (and the mix) from `origin` to `until`, fitted before `origin`,
    and the fitted models."""
    known, wx = _before(arrivals, weather, origin)
    history = WeatherHistory(wx)
    out, models = {}, {}
    for name in MODELS:
        models[name] = _model(name, target).fit(known, wx)
        out[name] = simulate_outlook(models[name], known, history, until, samples, seed)
    out[MIX] = pooled([out[name] for name in MODELS])
    return out, models


def _observed_totals(
    model: Model,
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    origin: pd.Timestamp,
    until: pd.Timestamp,
    samples: int,
    seed: int,
) -> np.ndarray:
    """Daily paths (n, days) from `origin` to `until` of `model` (fitted on the data before
    `origin`) run on the weather that happened on those days: `simulate_outlook` with the
    builder's "observed" mode in place of climatology (one weather path, every day lead 0)."""
    known, _ = _before(arrivals, weather, origin)
    history = WeatherHistory(weather.loc[weather[schema.DATE] <= until].reset_index(drop=True))
    start, until = outlook_window(pd.Timestamp(known[schema.DATE].iloc[-1]), until)
    m = conditioned(model, known, history, start)
    dates = pd.date_range(m.last_date_ + pd.Timedelta(days=1), until, freq="D")
    streams = WeatherStreams(seed, start, "observed")
    fw = None
    if m.uses_weather:
        fw = build_future_weather(tuple(m.weather_variables), dates, streams, history, samples)
        assert set(fw.sources) == {"hindsight"} and not fw.day_leads().any()
    f = m.predict(len(dates), fw, samples, streams.predict(m.name), max_days=len(dates))
    return f.samples[:, dates >= start]


def _verify_recalibrate(
    arrivals: pd.DataFrame, weather: pd.DataFrame, target: str, origin: str, samples: int, seed: int
) -> dict[str, Any]:
    """The hurdle's outlook from `origin` (every simulated day to 31 December, at least the
    longest horizon) fitted with and without the gate calibration: identical bit for bit?"""
    o = pd.Timestamp(origin)
    known, wx = _before(arrivals, weather, o)
    history = WeatherHistory(wx)
    until = o + pd.Timedelta(days=max(HORIZONS) - 1)
    paths, seconds = {}, {}
    for recal in (True, False):
        t0 = time.perf_counter()
        model = _model(OUTLOOK_MODEL, target, recalibrate=recal).fit(known, wx)
        seconds[recal] = time.perf_counter() - t0
        assert (getattr(model, "recal_", None) is not None) == recal, "calibration not fitted"
        outlook = simulate_outlook(model, known, history, until, samples, seed)
        paths[recal] = outlook.forecast.samples
    a, b = paths[True], paths[False]
    return {
        "origin": origin,
        "days": int(a.shape[1]),
        "paths": int(a.shape[0]),
        "identical": bool(a.shape == b.shape and np.array_equal(a, b)),
        "fit_seconds_recalibrate": round(seconds[True], 1),
        "fit_seconds_no_recalibrate": round(seconds[False], 1),
    }


def _score_origin(
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    target: str,
    origin: pd.Timestamp,
    samples: int,
    seed: int,
) -> list[dict[str, Any]]:
    """One row per model × horizon covered by the data: actual, median, 80% band, P(0)."""
    t0 = time.perf_counter()
    data_end = pd.Timestamp(arrivals[schema.DATE].iloc[-1])
    horizons = [h for h in HORIZONS if origin + pd.Timedelta(days=h - 1) <= data_end]
    if not horizons:
        return []
    until = origin + pd.Timedelta(days=max(horizons) - 1)
    outlooks, _ = _outlooks(arrivals, weather, target, origin, until, samples, seed)
    seconds = time.perf_counter() - t0
    actual = arrivals.set_index(schema.DATE)[target]
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
                    "p_zero": float((totals == 0).mean()),
                    "seconds": seconds,
                }
            )
    return rows


def _total(daily: np.ndarray, truth: int) -> dict[str, Any]:
    """The window total's distribution from daily paths (n, days), its error against the
    actual `truth`, and the largest single day on any path."""
    out = distribution(daily.sum(axis=1), (80,))
    out["error_pct"] = round((out["median"] - truth) / truth * 100, 1)
    out["max_day"] = int(daily.max())
    return out


def _anchor(
    arrivals: pd.DataFrame, weather: pd.DataFrame, target: str, samples: int, seed: int
) -> dict[str, Any]:
    """The anchor window with climatology weather (every model and the mix) and, as a
    hindsight bound, with the observed weather (the hurdle, and the mix of it with the
    climatology baseline, which reads no weather)."""
    origin, until = pd.Timestamp(ANCHOR[0]), pd.Timestamp(ANCHOR[1])
    outlooks, models = _outlooks(arrivals, weather, target, origin, until, samples, seed)
    days = pd.date_range(origin, until, freq="D")
    truth = int(arrivals.set_index(schema.DATE).loc[days, target].sum())
    out: dict[str, Any] = {
        "origin": ANCHOR[0],
        "until": ANCHOR[1],
        "days": len(days),
        "actual": truth,
        "actual_max_day": int(arrivals.set_index(schema.DATE).loc[days, target].max()),
        "history_max_day": int(arrivals.loc[arrivals[schema.DATE] < origin, target].max()),
        "zinb": ZINB.get(target),
    }
    for name, o in outlooks.items():
        out[name] = _total(o.daily().samples, truth)
        out[name]["within_pct"] = ANCHOR_CLIMATOLOGY_PCT
        out[name]["met"] = abs(out[name]["error_pct"]) <= ANCHOR_CLIMATOLOGY_PCT
    hurdle = _observed_totals(
        models[OUTLOOK_MODEL], arrivals, weather, origin, until, samples, seed
    )
    observed = {
        OUTLOOK_MODEL: hurdle,
        MIX: np.concatenate([hurdle, outlooks["climatology"].daily().samples]),
    }
    out["observed_weather"] = {}
    for name, totals in observed.items():
        row = _total(totals, truth)
        row["within_pct"] = ANCHOR_OBSERVED_PCT
        row["met"] = abs(row["error_pct"]) <= ANCHOR_OBSERVED_PCT
        out["observed_weather"][name] = row
    return out


def main() -> None:
    """Run the check, the backtest and the anchor; write the page and the JSON."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = _args()
    page, results_file = FILES[args.target]
    if args.rerender:
        result = json.loads((args.out / results_file).read_text())
        (args.out / page).write_text(markdown(result))
        return
    arrivals, weather = read_arrivals(args.arrivals), read_weather(args.weather)
    t0 = time.perf_counter()
    verify = _verify_recalibrate(
        arrivals, weather, args.target, args.verify_origin, args.samples, args.seed
    )
    log.info("recalibrate check at %s: %s", verify["origin"], verify)
    if not verify["identical"]:
        sys.exit(
            "the hurdle's outlook differs with recalibrate=True: fitting it with "
            "recalibrate=False would not benchmark the served model; stopping"
        )
    origins = pd.date_range(args.first, args.last, freq="MS")
    tasks = Parallel(n_jobs=args.jobs, return_as="generator_unordered")(
        delayed(_score_origin)(arrivals, weather, args.target, o, args.samples, args.seed)
        for o in origins
    )
    parts = []
    for i, part in enumerate(tasks, 1):
        parts.append(part)
        where = f"origin {part[0]['origin']} ({part[0]['seconds']:.0f} s)" if part else "no rows"
        log.info("%d/%d origins done: %s", i, len(origins), where)
    rows = pd.DataFrame([r for part in parts for r in part])
    rows = rows.sort_values(["origin", "model", "horizon"], kind="stable")
    log.info("anchor %s to %s", *ANCHOR)
    anchor = _anchor(arrivals, weather, args.target, args.samples, args.seed)
    meta = {
        "target": args.target,
        "seconds": time.perf_counter() - t0,
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "first": args.first,
        "last": args.last,
        "samples": args.samples,
        "seed": args.seed,
        "fit_options": FIT_OPTIONS,
        "results_file": results_file,
        "seconds_per_origin_median": statistics.median(rows["seconds"]),
    }
    summary = summarise(rows)
    result = {
        "targets": targets(summary, anchor),
        "summary": summary,
        "anchor": anchor,
        "recalibrate_check": verify,
        "meta": meta,
    }
    (args.out / page).write_text(markdown(result))
    (args.out / results_file).write_text(json.dumps(result, indent=2) + "\n")
    log.info("%s", json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
