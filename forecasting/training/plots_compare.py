"""Charts that compare a target's models on the training job's parent run (matplotlib):
CRPS by lead day, the P(any crossing) reliability diagram with per-bin counts, and the
coverage of the weekly-total intervals at 50/80/95/99%.

Every chart takes the backtest rows of all the target's models (`BacktestResult.rows`);
the calibration numbers come from `forecasting.evaluation.calibration`, so the plots show
what the backtest JSON and BACKTEST.md report. Like `plots`, figures are built without
pyplot (Agg canvas, no global state).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from forecasting.evaluation import calibration

BASELINE = "climatology"
WEEKLY_TOLERANCE_POINTS = 7.0  # issue 9's target: each level within ±7 points
RELIABILITY_TOLERANCE = 0.05  # issue 9's target: each well-filled bin within ±0.05
_STYLES = {"forecast": "-", "observed": "--", "issued": "-.", "none": ":"}
_IDEAL = "#444444"


def _colours(models: list[str]) -> dict[str, Any]:
    """One stable colour per model (tab10, by sorted name)."""
    palette = colormaps["tab10"]
    return {m: palette(i % 10) for i, m in enumerate(models)}


def _empty(fig: Figure, text: str) -> Figure:
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color="#555555")
    return fig


def crps_by_lead(rows: pd.DataFrame, title: str = "") -> Figure:
    """Mean CRPS per lead day, one line per model and weather mode (colour: model; line
    style: weather mode); with climatology among the models, a second panel shows each
    model's CRPS skill against it by lead (1 − CRPS / CRPS_climatology)."""
    by = rows.groupby(["model", "weather_mode", "lead"], sort=True)["crps"].mean()
    models = sorted(rows["model"].unique())
    colours = _colours(models)
    with_skill = BASELINE in models and len(models) > 1
    fig = Figure(figsize=(12 if with_skill else 8, 4.5), layout="constrained")
    axes = fig.subplots(1, 2 if with_skill else 1, squeeze=False)[0]
    for (model, mode), s in by.groupby(level=["model", "weather_mode"], sort=True):
        leads = s.index.get_level_values("lead").to_numpy()
        style = dict(color=colours[model], ls=_STYLES.get(str(mode), "-"), marker="o", ms=3)
        axes[0].plot(leads, s.to_numpy(dtype=float), label=f"{model} ({mode})", **style)
        if with_skill and model != BASELINE and (BASELINE, mode) in by.index.droplevel("lead"):
            base = by.loc[(BASELINE, mode)].reindex(leads).to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                skill = 1 - s.to_numpy(dtype=float) / base
            axes[1].plot(leads, skill, label=f"{model} ({mode})", **style)
    axes[0].set_xlabel("lead day")
    axes[0].set_ylabel("mean CRPS (lower is better)")
    axes[0].set_title("CRPS by lead day")
    if with_skill:
        axes[1].axhline(0.0, color=_IDEAL, ls="--", lw=1)
        axes[1].set_xlabel("lead day")
        axes[1].set_ylabel("CRPS skill vs climatology (higher is better)")
        axes[1].set_title("Skill against climatology on the same forecasts")
        axes[1].legend(fontsize=7)
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def _reliability_panel(ax: Any, ax_n: Any, table: list[dict[str, Any]], colours: dict) -> None:
    """One weather mode's curves (top) and per-bin forecast counts (bottom)."""
    width = 0.1 / max(len(table), 1)
    for k, entry in enumerate(table):
        bins, colour = entry["bins"], colours[entry["model"]]
        if not bins:
            continue
        fc = [b["forecast"] for b in bins]
        obs = [b["observed"] for b in bins]
        ax.plot(fc, obs, marker="o", ms=4, color=colour, label=entry["model"])
        left = [b["lo"] + k * width for b in bins]
        bars = ax_n.bar(left, [b["n"] for b in bins], width=width, align="edge", color=colour)
        ax_n.bar_label(bars, fontsize=6, padding=1)
    ideal = np.array([0.0, 1.0])
    ax.plot(ideal, ideal, color=_IDEAL, ls="--", lw=1, label="ideal")
    ax.fill_between(
        ideal,
        ideal - RELIABILITY_TOLERANCE,
        ideal + RELIABILITY_TOLERANCE,
        color=_IDEAL,
        alpha=0.1,
        lw=0,
        label=f"±{RELIABILITY_TOLERANCE:g}",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("observed frequency of a crossing")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax_n.set_xlim(0, 1)
    ax_n.set_xlabel("forecast P(any crossing)")
    ax_n.set_ylabel("forecasts per bin")
    ax_n.grid(alpha=0.3, axis="y")


def reliability_diagram(rows: pd.DataFrame, title: str = "") -> Figure:
    """The P(any crossing) reliability diagram of every model, one column per weather mode:
    observed frequency against mean forecast per bin (top), each bin's forecast count
    (bottom), with the ±0.05 band the issue's target allows."""
    report = calibration.reliability(rows)
    modes = sorted({r["weather_mode"] for r in report})
    fig = Figure(figsize=(5.5 * max(len(modes), 1), 6.5), layout="constrained")
    if not modes:
        return _empty(fig, "no forecasts to draw a reliability diagram from")
    grid = fig.subplots(2, len(modes), squeeze=False, height_ratios=[3, 1], sharex="col")
    colours = _colours(sorted({r["model"] for r in report}))
    for j, mode in enumerate(modes):
        table = [r for r in report if r["weather_mode"] == mode]
        _reliability_panel(grid[0][j], grid[1][j], table, colours)
        grid[0][j].set_title(f"{mode} weather")
    if title:
        fig.suptitle(title)
    return fig


def weekly_total_coverage(rows: pd.DataFrame, title: str = "") -> Figure:
    """Coverage of the central intervals of the horizon total (the weekly total) at
    50/80/95/99% against nominal, one line per model and weather mode, with the ±7-point
    band of the issue's target."""
    report = calibration.weekly_total_coverage(rows)
    fig = Figure(figsize=(7.5, 5), layout="constrained")
    if not report:
        return _empty(fig, "no weekly-total scores in these backtest rows")
    ax = fig.add_subplot()
    colours = _colours(sorted({r["model"] for r in report}))
    levels = np.array(calibration.TOTAL_LEVELS_PCT, dtype=float)
    ax.plot(levels, levels, color=_IDEAL, ls="--", lw=1, label="ideal")
    ax.fill_between(
        levels,
        levels - WEEKLY_TOLERANCE_POINTS,
        np.minimum(levels + WEEKLY_TOLERANCE_POINTS, 100),
        color=_IDEAL,
        alpha=0.1,
        lw=0,
        label=f"±{WEEKLY_TOLERANCE_POINTS:g} points",
    )
    for r in report:
        cov = r["coverage"]
        x = [float(k) for k in cov]
        y = [100 * float(v) for v in cov.values()]
        ax.plot(
            x,
            y,
            marker="o",
            color=colours[r["model"]],
            ls=_STYLES.get(str(r["weather_mode"]), "-"),
            label=f"{r['model']} ({r['weather_mode']}, n={r['n_forecasts']})",
        )
    ax.set_xticks(levels)
    ax.set_xlabel("nominal coverage of the weekly total (%)")
    ax.set_ylabel("empirical coverage (%)")
    ax.set_ylim(max(0.0, float(levels.min()) - 30), 101)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title or "Weekly-total coverage")
    return fig


__all__ = ["crps_by_lead", "reliability_diagram", "weekly_total_coverage"]
