"""Charts a person looks at in MLflow: fan charts and a calibration plot (matplotlib).

Figures are built with `matplotlib.figure.Figure` directly, never through pyplot, so they
render with the Agg canvas whatever the process's backend is, keep no global state and never
open a window; `save` writes a PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecasting.contract import (
    DEFAULT_LEVELS_PCT,
    WeatherMode,
    WeatherSource,
    hi_col,
    level_name,
    lo_col,
)
from forecasting.forecast import Forecast

LEVELS_PCT = tuple(sorted(DEFAULT_LEVELS_PCT, reverse=True))  # widest first: narrower on top
_BAND_ALPHA = dict(zip(LEVELS_PCT, (0.18, 0.3, 0.45), strict=True))
_COLOUR = "#1f6fb2"
_ACTUAL = "#222222"


def _format_dates(ax: object) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)  # type: ignore[attr-defined]
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[attr-defined]


FAN_LEVEL_PCT = 80.0  # the backtest fans: the median and this band only, to stay legible


def _mean_over_draws(rows: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """One line per (origin, date): the forecast's columns averaged over the weather draws
    (forecast mode scores several issued forecasts per origin; drawn one after the other
    they zigzag)."""
    return rows.groupby(["origin", "date"], sort=True)[cols].mean().reset_index()


def _fan_panel(ax: Any, rows: pd.DataFrame, lo: str, hi: str, first: bool) -> None:
    """One model's fans (median and the `FAN_LEVEL_PCT` band per origin) and the actuals."""
    cols = [c for c in ("median", lo, hi, "actual") if c in rows]
    fans = _mean_over_draws(rows, cols)
    for k, (_, g) in enumerate(fans.groupby("origin", sort=True)):
        dates = pd.DatetimeIndex(g["date"])
        if lo in g and hi in g:
            ax.fill_between(
                dates,
                g[lo].to_numpy(dtype=float),
                g[hi].to_numpy(dtype=float),
                color=_COLOUR,
                alpha=0.25,
                linewidth=0,
                label=f"{level_name(FAN_LEVEL_PCT)}% band" if first and k == 0 else None,
            )
        ax.plot(
            dates,
            g["median"].to_numpy(dtype=float),
            color=_COLOUR,
            lw=1.5,
            label="median" if first and k == 0 else None,
        )
    actual = fans.drop_duplicates("date").sort_values("date")
    ax.plot(
        pd.DatetimeIndex(actual["date"]),
        actual["actual"].to_numpy(dtype=float),
        color=_ACTUAL,
        marker="o",
        ms=3,
        lw=0,
        label="actual" if first else None,
    )
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)


def backtest_fan_chart(
    rows: pd.DataFrame,
    weather_mode: WeatherMode,
    n_origins: int = 6,
    title: str = "",
) -> Figure:
    """The last `n_origins` backtest forecasts, one panel per model (small multiples on
    shared axes): per origin the median and the 80% band, averaged over the weather draws,
    with the actuals as dots.

    `rows` are BacktestResult.rows of one or more models: columns model, origin,
    weather_mode, date, median, lo-80/hi-80 and actual.
    """
    sub = rows.loc[rows["weather_mode"] == weather_mode]
    origins = sorted(sub["origin"].unique())[-n_origins:]
    sub = sub.loc[sub["origin"].isin(origins)]
    models = list(dict.fromkeys(sub["model"])) if "model" in sub else [""]
    fig = Figure(figsize=(11, 1.2 + 2.4 * max(len(models), 1)), layout="constrained")
    if sub.empty:
        fig.text(0.5, 0.5, f"no backtest forecasts in {weather_mode} weather", ha="center")
        return fig
    axes = fig.subplots(len(models), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    lo, hi = lo_col(FAN_LEVEL_PCT), hi_col(FAN_LEVEL_PCT)
    for i, (ax, model) in enumerate(zip(axes, models, strict=True)):
        mine = sub.loc[sub["model"] == model] if model else sub
        _fan_panel(ax, mine, lo, hi, first=i == 0)
        ax.set_title(model, loc="left", fontsize=10)
        ax.set_ylabel("daily arrivals")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper right", fontsize=8, ncols=3)
    _format_dates(axes[-1])
    draws = f", mean of {n} weather draws" if (n := _draws(sub)) > 1 else ""
    fig.suptitle(title or f"Backtest: last {len(origins)} origins ({weather_mode} weather{draws})")
    return fig


def _draws(rows: pd.DataFrame) -> int:
    """Weather draws per origin in `rows` (1 without the column)."""
    if "weather_draw" not in rows or rows.empty:
        return 1
    return int(rows.groupby("origin")["weather_draw"].nunique().max())


def _label_sources(ax: Any, dates: pd.DatetimeIndex, sources: Sequence[WeatherSource]) -> None:
    """Write each day's weather source upright at the foot of its day."""
    for d, src in zip(dates, sources, strict=False):
        ax.annotate(
            src,
            (d, 0),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=6,
            rotation=90,
            color="#555555",
        )


def next_week_fan_chart(
    history: pd.DataFrame,
    forecast: Forecast,
    title: str = "",
    levels_pct: Sequence[float] = LEVELS_PCT,
    history_days: int = 28,
    sources: Sequence[WeatherSource] | None = None,
) -> Figure:
    """The forecast's fan after the last `history_days` observed days.

    `history` has columns date and the forecast's target. `sources`, one per forecast day,
    say where each day's weather came from; they are written under the days.
    """
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    ax = fig.add_subplot()
    tail = history.tail(history_days)
    ax.plot(
        pd.DatetimeIndex(tail["date"]),
        tail[forecast.target].to_numpy(dtype=float),
        color=_ACTUAL,
        marker="o",
        ms=3,
        lw=0.8,
        label="observed",
    )
    for level in sorted(levels_pct, reverse=True):
        lo, hi = forecast.interval(level)
        ax.fill_between(
            forecast.dates,
            np.asarray(lo, dtype=float),
            np.asarray(hi, dtype=float),
            color=_COLOUR,
            alpha=_BAND_ALPHA.get(level, 0.25),
            linewidth=0,
            label=f"{level_name(level)}% band",
        )
    ax.plot(forecast.dates, forecast.median(), color=_COLOUR, lw=1.8, marker="o", ms=3)
    ax.plot([], [], color=_COLOUR, lw=1.8, label="median")
    p_any = forecast.p_any()
    widest = forecast.interval(max(levels_pct))[1]
    top = float(max(np.max(widest), tail[forecast.target].max(), 1))
    for d, p in zip(forecast.dates, p_any, strict=True):
        ax.annotate(f"{p:.0%}", (d, top), ha="center", va="bottom", fontsize=7, color="#555555")
    _label_sources(ax, forecast.dates, sources or ())
    ax.set_ylim(0, top * 1.12)
    ax.set_ylabel(f"daily {forecast.target}")
    ax.set_title(title or f"Next {forecast.horizon} days ({forecast.model}); labels: P(any)")
    ax.legend(loc="upper left", fontsize=8, ncols=5)
    ax.grid(alpha=0.3)
    _format_dates(ax)
    return fig


def calibration_plot(
    rows: pd.DataFrame,
    levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT,
    bins: int = 10,
    title: str = "",
) -> Figure:
    """PIT histogram (left) and empirical vs nominal coverage by level (right), one line or
    bar set per weather mode. `rows` are BacktestResult.rows for one model."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_pit, ax_cov = fig.subplots(1, 2)
    modes = sorted(rows["weather_mode"].unique())
    width = 1.0 / bins / max(len(modes), 1)
    edges = np.linspace(0, 1, bins + 1)
    for k, mode in enumerate(modes):
        g = rows.loc[rows["weather_mode"] == mode]
        pit = g["pit"].to_numpy(dtype=float)
        pit = pit[np.isfinite(pit)]
        counts, _ = np.histogram(pit, bins=edges)
        density = counts / max(len(pit), 1) * bins
        ax_pit.bar(edges[:-1] + k * width, density, width=width, align="edge", label=mode)
        nominal = [lv / 100 for lv in levels_pct]
        empirical = [
            float(g[f"covered_{level_name(lv)}"].astype(float).mean()) for lv in levels_pct
        ]
        ax_cov.plot(nominal, empirical, marker="o", label=mode)
    ax_pit.axhline(1.0, color="#444444", ls="--", lw=1, label="uniform")
    ax_pit.set_xlabel("PIT")
    ax_pit.set_ylabel("density")
    ax_pit.set_title("PIT histogram (flat = calibrated)")
    ax_pit.legend(fontsize=8)
    ax_cov.plot([0, 1], [0, 1], color="#444444", ls="--", lw=1, label="ideal")
    ax_cov.set_xlim(0.4, 1.0)
    ax_cov.set_ylim(0.4, 1.0)
    ax_cov.set_xlabel("nominal coverage")
    ax_cov.set_ylabel("empirical coverage")
    ax_cov.set_title(f"Coverage of the {'/'.join(map(level_name, levels_pct))}% bands")
    ax_cov.legend(fontsize=8)
    ax_cov.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def save(figure: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write `figure` as a PNG and return the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(p, dpi=dpi)
    return p


__all__ = ["backtest_fan_chart", "calibration_plot", "next_week_fan_chart", "save"]
