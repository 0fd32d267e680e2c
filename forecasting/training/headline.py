"""The headline scores of every model's run, with how sure they are.

Each child run of a training job carries the same few top-level metrics, whatever the model,
so the MLflow runs table and "Compare" line the models up: per weather mode the CRPS, the
Brier score of P(any crossing) and the 80% coverage (`runlog.summary_metrics`), the CRPS
skill against climatology (`runlog.skill_metric_rows`) and, here, a bootstrap interval over
origins for the CRPS, the Brier score and the skill: ``<mode>/crps_lo90`` and
``<mode>/crps_hi90`` and so on.

The interval resamples backtest origins (each origin's score the mean over its lead days and
weather draws; origins one horizon apart do not overlap), with `scipy.stats.bootstrap`'s
percentile method and a fixed seed: 1,000 resamples of 26 origins take milliseconds. The
skill resamples the model's and climatology's origin scores as pairs.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.contract import coverage_name

log = logging.getLogger(__name__)

BASELINE = "climatology"
HEADLINE_KEYS = ("crps", "crps_skill", "brier", coverage_name(80))
INTERVAL_KEYS = ("crps", "brier", "crps_skill")
LEVEL = 0.90
SUFFIX = f"{LEVEL * 100:.0f}"  # crps_lo90, crps_hi90
N_RESAMPLES = 1000
SEED = 0
MIN_ORIGINS = 2

Statistic = Callable[..., np.ndarray]


def headline_keys(modes: list[str] | tuple[str, ...]) -> list[str]:
    """Every headline metric key of a run, intervals included, for the weather `modes`."""
    per_mode = [
        *HEADLINE_KEYS,
        *(f"{k}_{end}{SUFFIX}" for k in INTERVAL_KEYS for end in ("lo", "hi")),
    ]
    return [f"{mode}/{key}" for mode in modes for key in per_mode]


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.mean(x, axis=axis))


def _skill(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(1 - np.mean(a, axis=axis) / np.mean(b, axis=axis))


def bootstrap_interval(
    samples: tuple[np.ndarray, ...], statistic: Statistic, paired: bool = False
) -> tuple[float, float] | None:
    """The `LEVEL` percentile bootstrap interval of `statistic` over the resampled origins
    (`samples`: one array per model, aligned by origin); None with fewer than MIN_ORIGINS
    origins or no finite interval."""
    if len(samples[0]) < MIN_ORIGINS:
        return None
    with warnings.catch_warnings():
        # Identical origin scores give a zero-width interval: that is the answer, not noise.
        warnings.simplefilter("ignore", category=stats.DegenerateDataWarning)
        res = stats.bootstrap(
            samples,
            statistic,
            n_resamples=N_RESAMPLES,
            paired=paired,
            vectorized=True,
            confidence_level=LEVEL,
            method="percentile",
            rng=np.random.default_rng(SEED),
        )
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else None


def _by_origin(rows: pd.DataFrame, metric: str) -> pd.Series:
    """Per-origin mean of `metric` (over lead days and weather draws), finite origins only."""
    return rows.groupby("origin", sort=True)[metric].mean().dropna()


def _named(mode: str, key: str, bounds: tuple[float, float] | None) -> list[tuple[str, float]]:
    if bounds is None:
        return []
    return [(f"{mode}/{key}_lo{SUFFIX}", bounds[0]), (f"{mode}/{key}_hi{SUFFIX}", bounds[1])]


def interval_metrics(all_rows: pd.DataFrame, model: str) -> dict[str, float]:
    """`model`'s bootstrap intervals over origins, per weather mode: ``<mode>/crps_lo90``,
    ``<mode>/crps_hi90``, the same for ``brier`` and, when the backtest has the climatology
    baseline, ``crps_skill`` (1 − CRPS/CRPS_climatology, origins resampled in pairs)."""
    out: dict[str, float] = {}
    ours_all = all_rows.loc[all_rows["model"] == model]
    for mode, ours in ours_all.groupby("weather_mode", sort=True):
        for key in ("crps", "brier"):
            if key in ours:
                scores = _by_origin(ours, key).to_numpy(dtype=float)
                out.update(_named(str(mode), key, bootstrap_interval((scores,), _mean)))
        base = all_rows.loc[(all_rows["model"] == BASELINE) & (all_rows["weather_mode"] == mode)]
        if base.empty:
            continue
        both = pd.concat([_by_origin(ours, "crps"), _by_origin(base, "crps")], axis=1).dropna()
        pair = (both.iloc[:, 0].to_numpy(dtype=float), both.iloc[:, 1].to_numpy(dtype=float))
        out.update(_named(str(mode), "crps_skill", bootstrap_interval(pair, _skill, paired=True)))
    return out


def interval_text(metrics: dict[str, float], mode: str, key: str, fmt: str = ".3g") -> str:
    """A headline score with its interval, e.g. ``41.2 [38.9, 44.0]`` (``–`` if absent)."""
    point = metrics.get(f"{mode}/{key}")
    if point is None:
        return "–"
    lo, hi = metrics.get(f"{mode}/{key}_lo{SUFFIX}"), metrics.get(f"{mode}/{key}_hi{SUFFIX}")
    text = format(point, fmt)
    if lo is not None and hi is not None:
        text += f" [{lo:{fmt}}, {hi:{fmt}}]"
    return text


__all__ = [
    "BASELINE",
    "HEADLINE_KEYS",
    "INTERVAL_KEYS",
    "LEVEL",
    "N_RESAMPLES",
    "bootstrap_interval",
    "headline_keys",
    "interval_metrics",
    "interval_text",
]
