"""The published page of benchmarks/backtest_benchmark.py (BACKTEST.md, BACKTEST_boats.md):
the targets, the hurdle per lead day, every model and weather mode, and the calibration
tables in the forecast and observed weather modes."""

from __future__ import annotations

import argparse
import os
import platform
from typing import Any

import pandas as pd

from forecasting.evaluation.backtest import BacktestConfig


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
        "1.0 → 2.2 m/s, gusts ≥ 1.8×). Since issue 21 the hurdle is one model for every "
        "lead: it is fitted on the observed weather (lead 0) and on the weather seen through "
        "the forecast error at leads 1–7, with the weather terms scaled by the lead's blur, "
        "so an observed-weather forecast reads the lead-0 fit. The calibration of the "
        "crossing-day gate drawn inside the simulation (`recalibrate: true`, 96 inner "
        "origins, 4 refits) is off by default: it scored worse on this window "
        "(benchmarks/CALIBRATION.md)."
    )
    return [note, ""]


def calibration_lines(report: dict[str, Any], mode: str = "forecast") -> list[str]:
    """Markdown tables of the calibration report in one weather mode."""
    pit, rel, bands, week = _calibration_frames(report, mode)
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


def _calibration_frames(
    report: dict[str, Any], mode: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The PIT deciles, reliability bins, bands and weekly-total coverage in one mode."""
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
    return pit, rel, bands, week


def _deciles(freqs: list[float]) -> dict[str, float]:
    return {f"{10 * i}–{10 * (i + 1)}": f for i, f in enumerate(freqs)}
