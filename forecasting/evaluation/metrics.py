"""Scoring rules for sample-path forecasts of counts, vectorised over many forecasts.

Conventions: `samples` has shape (m, n) — m forecasts (e.g. one per date and lead) with n
ensemble members each on the last axis — and `y` has shape (m,). Quantiles are taken from
the samples with `forecasting.forecast.sample_quantiles`, exactly as `Forecast` does.
Rules that `scoringrules` provides (ensemble CRPS, interval score, quantile score) come from
it; the WIS is assembled here from its interval and quantile scores because the numpy
backend of ``scoringrules.weighted_interval_score`` (0.10) adds the median itself instead of
the absolute error of the median.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scoringrules as sr

from forecasting.contract import DEFAULT_LEVELS_PCT, level_name
from forecasting.forecast import band, check_probs, interval_probs, sample_quantiles

_BACKEND = "numpy"


def _as_forecasts(samples: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check shapes: samples (m, n) with n ≥ 1 and y (m,); return float arrays."""
    s = np.asarray(samples, dtype=float)
    obs = np.asarray(y, dtype=float)
    if s.ndim != 2 or s.shape[1] < 1:
        raise ValueError(f"samples must have shape (m, n) with n ≥ 1, got {s.shape}")
    if obs.shape != (s.shape[0],):
        raise ValueError(f"y must have shape ({s.shape[0]},) to match samples, got {obs.shape}")
    return s, obs


def crps(samples: np.ndarray, y: np.ndarray, *, fair: bool = False) -> np.ndarray:
    """Ensemble CRPS per forecast, shape (m,).

    By default this is the CRPS of the empirical distribution of the samples,
    E|X − y| − ½E|X − X'| with X, X' drawn from the ensemble (scoringrules' ``qd``
    estimator, identical to the energy form ``nrg`` but O(n log n)). A point-mass ensemble
    at x scores |x − y|. With ``fair=True`` the unbiased ("fair") estimator, which divides
    the spread term by n(n − 1) (scoringrules' ``pwm``), is used; it needs n ≥ 2.
    """
    s, obs = _as_forecasts(samples, y)
    if fair and s.shape[1] < 2:
        raise ValueError("the fair CRPS needs at least two ensemble members")
    estimator = "pwm" if fair else "qd"
    out = sr.crps_ensemble(obs, s, m_axis=-1, estimator=estimator, backend=_BACKEND)
    return np.asarray(out, dtype=float).reshape(obs.shape)


def pinball(
    samples_or_quantiles: np.ndarray,
    y: np.ndarray,
    levels: Sequence[float],
    *,
    is_quantiles: bool = False,
) -> np.ndarray:
    """Mean pinball (quantile) loss over `levels` per forecast, shape (m,).

    `levels` are probabilities in (0, 1). By default the first argument holds samples
    (m, n) and the quantiles are taken from them; with ``is_quantiles=True`` it holds the
    quantiles themselves, shape (m, len(levels)), in the order of `levels`.
    The loss at level τ is (1{y < q} − τ)(q − y) (scoringrules ``quantile_score``).
    """
    p = check_probs(levels)
    arr, obs = _as_forecasts(samples_or_quantiles, y)
    if is_quantiles:
        if arr.shape[1] != p.size:
            raise ValueError(f"got {arr.shape[1]} quantile columns for {p.size} levels")
        q = arr
    else:
        q = sample_quantiles(arr, p)
    loss = sr.quantile_score(obs[:, None], q, p[None, :], backend=_BACKEND)
    return np.asarray(loss, dtype=float).mean(axis=1)


def wis(
    samples: np.ndarray, y: np.ndarray, levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT
) -> np.ndarray:
    """Weighted interval score per forecast, shape (m,) (Bracher et al. 2021).

    WIS = (½|y − median| + Σ_k (α_k/2)·IS_{α_k}) / (K + ½) for the K central intervals
    with levels `levels_pct` (in percent, α_k = 1 − level/100). The interval scores come
    from ``scoringrules.interval_score``. With these weights WIS equals twice the mean
    pinball loss over the 2K + 1 quantile levels involved.
    """
    s, obs = _as_forecasts(samples, y)
    probs = [interval_probs(level) for level in levels_pct]
    if not probs:
        raise ValueError("wis needs at least one interval level")
    alpha = np.array([2 * lo for lo, _ in probs])
    q = sample_quantiles(s, [0.5, *(lo for lo, _ in probs), *(hi for _, hi in probs)])
    k = len(probs)
    median, lower, upper = q[:, 0], q[:, 1 : 1 + k], q[:, 1 + k :]
    iscore = sr.interval_score(obs[:, None], lower, upper, alpha[None, :], backend=_BACKEND)
    iscore = np.asarray(iscore, dtype=float).reshape(lower.shape)
    total = 0.5 * np.abs(obs - median) + (iscore * (alpha / 2)[None, :]).sum(axis=1)
    return np.asarray(total / (k + 0.5), dtype=float)


def interval_bounds(samples: np.ndarray, level_pct: float) -> tuple[np.ndarray, np.ndarray]:
    """The `level_pct`% band per forecast from samples (m, n): (lo, hi), as `forecast.band`
    defines it (equal-tailed, or [0, q(level)] where the lower quantile is already zero)."""
    s = np.asarray(samples)
    if s.ndim != 2:
        raise ValueError(f"samples must have shape (m, n), got {s.shape}")
    return band(s, level_pct)


def central_interval_coverage(samples: np.ndarray, y: np.ndarray, level_pct: float) -> np.ndarray:
    """Coverage of the plain equal-tailed interval (q(α/2), q(1−α/2)), for comparison."""
    _, obs = _as_forecasts(samples, y)
    q = sample_quantiles(np.asarray(samples), interval_probs(level_pct))
    return np.asarray((q[:, 0] <= obs) & (obs <= q[:, 1]))


def coverage(samples: np.ndarray, y: np.ndarray, level_pct: float) -> np.ndarray:
    """Whether each observation lies in its central interval, lo ≤ y ≤ hi (bool, (m,))."""
    _, obs = _as_forecasts(samples, y)
    lo, hi = interval_bounds(samples, level_pct)
    return np.asarray((lo <= obs) & (obs <= hi))


def interval_width(samples: np.ndarray, level_pct: float) -> np.ndarray:
    """Width hi − lo of the central `level_pct`% interval per forecast, shape (m,)."""
    lo, hi = interval_bounds(samples, level_pct)
    return np.asarray(hi - lo, dtype=float)


def brier_any(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Brier score of the event "any crossing": (P(X > 0) − 1[y > 0])² per forecast."""
    s, obs = _as_forecasts(samples, y)
    prob = (s > 0).mean(axis=1)
    return np.asarray((prob - (obs > 0)) ** 2, dtype=float)


def pit(samples: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomised PIT per forecast for discrete forecasts, shape (m,).

    u = F(y−) + V·(F(y) − F(y−)) with V ~ U(0, 1) drawn from `rng`, where F is the
    empirical CDF of the samples and F(y−) = P(X < y) (= F(y − 1) for integer counts).
    Calibrated forecasts give u ~ U(0, 1).
    """
    s, obs = _as_forecasts(samples, y)
    f_below = (s < obs[:, None]).mean(axis=1)
    f_at = (s <= obs[:, None]).mean(axis=1)
    v = rng.uniform(size=obs.shape)
    return np.asarray(f_below + v * (f_at - f_below), dtype=float)


def pit_histogram(pit_values: np.ndarray, bins: int = 10) -> np.ndarray:
    """Counts of PIT values in `bins` equal-width bins on [0, 1]."""
    counts, _ = np.histogram(np.asarray(pit_values, dtype=float), bins=bins, range=(0.0, 1.0))
    return counts


def mase_scale(history: np.ndarray, season: int = 7) -> float:
    """In-sample seasonal-naive MAE of the training history: mean |y_t − y_{t−season}|."""
    h = np.asarray(history, dtype=float)
    if h.ndim != 1:
        raise ValueError(f"history must be 1-D, got shape {h.shape}")
    if season < 1:
        raise ValueError(f"season must be ≥ 1, got {season}")
    if h.size <= season:
        raise ValueError(f"history needs more than season={season} values, got {h.size}")
    return float(np.mean(np.abs(h[season:] - h[:-season])))


def mase(median: np.ndarray, y: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: mean |median − y| / scale (from `mase_scale`)."""
    if not scale > 0:
        raise ValueError(f"MASE scale must be positive, got {scale}")
    return mae(median, y) / float(scale)


def mae(median: np.ndarray, y: np.ndarray) -> float:
    """Mean absolute error of a point forecast (the median)."""
    return float(np.mean(np.abs(np.asarray(median, dtype=float) - np.asarray(y, dtype=float))))


def rmse(median: np.ndarray, y: np.ndarray) -> float:
    """Root mean squared error of a point forecast (the median)."""
    err = np.asarray(median, dtype=float) - np.asarray(y, dtype=float)
    return float(np.sqrt(np.mean(err**2)))


def _quantile_levels(levels_pct: Sequence[float]) -> list[float]:
    """Sorted quantile levels of the median and the central intervals: 80 → 0.1, 0.9."""
    probs = {0.5}
    for level in levels_pct:
        probs.update(interval_probs(level))
    return sorted(probs)


def score_forecasts(
    samples: np.ndarray,
    y: np.ndarray,
    scale: np.ndarray | float,
    levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Score m forecasts at once; one row per forecast, in input order.

    Columns: ``crps, wis, pinball, ae, se, mase_term, covered_L…, width_L…, brier, pit``
    for each interval level L in `levels_pct`. `ae`/`se` are errors of the sample median;
    ``mase_term = ae / scale`` (NaN where scale ≤ 0); ``pinball`` is the mean over the
    median and interval-endpoint levels (so ``wis == 2 * pinball``). `rng` drives the
    randomised PIT; None means ``np.random.default_rng(0)`` for reproducibility.
    """
    s, obs = _as_forecasts(samples, y)
    m = obs.shape[0]
    sc = np.broadcast_to(np.asarray(scale, dtype=float), (m,))
    generator = np.random.default_rng(0) if rng is None else rng
    median = sample_quantiles(s, [0.5])[:, 0]
    err = median - obs
    ae = np.abs(err)
    safe = np.where(sc > 0, sc, 1.0)
    data: dict[str, np.ndarray] = {
        "crps": crps(s, obs),
        "wis": wis(s, obs, levels_pct),
        "pinball": pinball(s, obs, _quantile_levels(levels_pct)),
        "ae": ae,
        "se": err**2,
        "mase_term": np.where(sc > 0, ae / safe, np.nan),
    }
    for level in levels_pct:
        lo, hi = interval_bounds(s, level)
        name = level_name(level)
        data[f"covered_{name}"] = (lo <= obs) & (obs <= hi)
        data[f"width_{name}"] = hi - lo
        data[f"central_covered_{name}"] = central_interval_coverage(s, obs, level)
        # What the forecast itself expects its band to hold: above the nominal level where
        # the point mass at zero makes an exact band impossible.
        data[f"content_{name}"] = ((s >= lo[:, None]) & (s <= hi[:, None])).mean(axis=1)
    data["brier"] = brier_any(s, obs)
    data["pit"] = pit(s, obs, generator)
    return pd.DataFrame(data)


_COVERED = re.compile(r"^((?:central_)?)covered_(.+)$")
_WIDTH = re.compile(r"^width_(.+)$")
_CONTENT = re.compile(r"^content_(.+)$")
_MEANS = ("crps", "wis", "pinball", "brier")


def aggregate_scores(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Aggregate per-forecast scores (from `score_forecasts`, plus grouping columns).

    Returns one row per group of `by` (one row overall if `by` is empty) with columns
    ``by…, n_forecasts, mae, rmse, mase, crps, wis, pinball, brier, coverage_L…, width_L…``:
    means of the per-forecast scores, except ``rmse = sqrt(mean(se))`` and
    ``mase = mean(mase_term)`` (NaN terms skipped). Missing score columns are omitted.
    """
    keys = list(by)
    work = df.copy()
    if not keys:
        work["_all"] = 0
        keys_used = ["_all"]
    else:
        keys_used = keys
    named: dict[str, pd.NamedAgg] = {
        "n_forecasts": pd.NamedAgg(column=df.columns[0], aggfunc="size")
    }
    if "ae" in df:
        named["mae"] = pd.NamedAgg(column="ae", aggfunc="mean")
    if "se" in df:
        named["rmse"] = pd.NamedAgg(column="se", aggfunc="mean")
    if "mase_term" in df:
        named["mase"] = pd.NamedAgg(column="mase_term", aggfunc="mean")
    for col in _MEANS:
        if col in df:
            named[col] = pd.NamedAgg(column=col, aggfunc="mean")
    for col in df.columns:
        if match := _COVERED.match(str(col)):
            work[col] = work[col].astype(float)
            named[f"{match.group(1)}coverage_{match.group(2)}"] = pd.NamedAgg(
                column=col, aggfunc="mean"
            )
    for col in df.columns:
        if match := _CONTENT.match(str(col)):
            named[f"expected_coverage_{match.group(1)}"] = pd.NamedAgg(column=col, aggfunc="mean")
    for col in df.columns:
        if match := _WIDTH.match(str(col)):
            named[f"width_{match.group(1)}"] = pd.NamedAgg(column=col, aggfunc="mean")
    out = work.groupby(keys_used, sort=True, dropna=False).agg(**named).reset_index()
    if "rmse" in out:
        out["rmse"] = np.sqrt(out["rmse"])
    if not keys:
        out = out.drop(columns="_all")
    return out
