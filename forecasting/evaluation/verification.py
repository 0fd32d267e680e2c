"""Scores of archived forecasts against what happened: plain functions over frames.

An archived forecast keeps, per day, its median, mean, P(any), its 50/80/95% bands and (since
the track record) its percentiles 1..99, not its sample paths. So the scores here are named
for what they use:

- ``crps``: the quantile-score approximation of the CRPS from the 99 stored percentiles,
  2/K Σ_k pinball_k (``scoringrules.crps_quantile``); within a few per cent of the sample CRPS
  for these counts, and on the same scale. Days archived without percentiles are left out of
  it (`n_crps` says how many were scored).
- ``brier``: (P(any) − 1{actual > 0})², the Brier score of P(any crossing).
- ``coverage``: the share of days whose actual fell in the stored L% band, per level.
- ``mae``: the absolute error of the stored median.

The reliability diagram of P(any) is `forecasting.evaluation.reliability.reliability_bins`,
the backtest's own bins.

The frame holds one row per (forecast, day): columns `actual`, `median`, `p_any`, `bands`
({"80": {"lo", "hi"}, ...}) and `quantiles` (a list per ARCHIVE_QUANTILE_PROBS, or None).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scoringrules as sr


def quantile_crps(quantiles: np.ndarray, probs: Sequence[float], y: np.ndarray) -> np.ndarray:
    """The quantile-score CRPS per row: `quantiles` (m, K) at `probs` (K,), `y` (m,)."""
    q = np.asarray(quantiles, dtype=float)
    alpha = np.asarray(probs, dtype=float)
    out = sr.crps_quantile(np.asarray(y, dtype=float), q, alpha, m_axis=-1, backend="numpy")
    return np.asarray(out, dtype=float).reshape(q.shape[0])


def _mean(values: np.ndarray) -> float | None:
    return None if values.size == 0 else round(float(np.mean(values)), 6)


def score(frame: pd.DataFrame, probs: Sequence[float], levels: Sequence[str]) -> dict[str, Any]:
    """The scores of the rows in `frame` (see the module doc); None where nothing is scored."""
    n = len(frame)
    if n == 0:
        return {
            "n": 0,
            "crps": None,
            "n_crps": 0,
            "brier": None,
            "mae": None,
            "coverage": {lv: None for lv in levels},
        }
    y = frame["actual"].to_numpy(dtype=float)
    with_q = frame["quantiles"].map(lambda q: q is not None and len(q) == len(probs))
    crps_values = (
        quantile_crps(np.array(frame.loc[with_q, "quantiles"].tolist()), probs, y[with_q])
        if with_q.any()
        else np.array([])
    )
    p_any = frame["p_any"].to_numpy(dtype=float)
    coverage = {}
    for lv in levels:
        lo = frame["bands"].map(lambda b, lv=lv: b[lv]["lo"]).to_numpy(dtype=float)
        hi = frame["bands"].map(lambda b, lv=lv: b[lv]["hi"]).to_numpy(dtype=float)
        coverage[lv] = _mean(((lo <= y) & (y <= hi)).astype(float))
    return {
        "n": n,
        "crps": _mean(crps_values),
        "n_crps": int(with_q.sum()),
        "brier": _mean((p_any - (y > 0)) ** 2),
        "mae": _mean(np.abs(frame["median"].to_numpy(dtype=float) - y)),
        "coverage": coverage,
    }


__all__ = ["quantile_crps", "score"]
