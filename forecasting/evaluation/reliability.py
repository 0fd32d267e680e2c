"""The reliability diagram of P(any crossing): one bin rule and one table for every report.

The backtest's calibration report (`forecasting.evaluation.calibration.reliability`, in the
backtest JSON, the benchmarks and the MLflow plots) and the track record
(`GET /v1/verification`, `api.verification`) both bin forecasts here, so a forecast
probability lands in the same bin in all of them.

The bin rule: with `bins` equal-width bins, bin k holds [k/bins, (k+1)/bins) and the last bin
also holds 1. A probability on an edge belongs to the bin the edge opens, even where
floating point puts ``p * bins`` just below the edge's index (0.29 × 100 is
28.999999999999996): p counts as on the edge within `EDGE_TOLERANCE` / bins. The edges are
never compared as computed floats (``np.linspace(0, 1, 11)[3]`` is 0.30000000000000004, which
put 0.3, 0.6 and 0.7 in the bin below). Values below 0 go to the first bin, above 1 to the
last; NaN is in no bin.

`reliability_bins` returns every bin, empty ones included (n = 0, forecast and observed
None), so the table always has `bins` entries; a report that lists only bins holding
forecasts drops the empty ones itself.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

RELIABILITY_BINS: Final = 10
EDGE_TOLERANCE: Final = 1e-9  # in units of a bin's width


def bin_index(p_any: np.ndarray, bins: int = RELIABILITY_BINS) -> np.ndarray:
    """The bin of each probability under the rule in the module doc; -1 for NaN."""
    p = np.asarray(p_any, dtype=float)
    finite = np.isfinite(p)
    k = np.floor(np.where(finite, p, 0.0) * bins + EDGE_TOLERANCE)
    return np.where(finite, np.clip(k, 0, bins - 1), -1).astype(int)


def _mean(values: np.ndarray, digits: int) -> float | None:
    return None if values.size == 0 else round(float(np.mean(values)), digits)


def reliability_bins(
    p_any: np.ndarray, happened: np.ndarray, bins: int = RELIABILITY_BINS, digits: int = 6
) -> list[dict[str, Any]]:
    """Per bin (all `bins` of them, in order): its edges ``lo`` and ``hi`` (to 6 decimals),
    the forecasts in it ``n``, their mean P(any) ``forecast`` and the share of them with a
    crossing ``observed`` (both rounded to `digits`; None for an empty bin)."""
    p = np.asarray(p_any, dtype=float)
    hit = np.asarray(happened, dtype=bool).astype(float)
    which = bin_index(p, bins)
    out = []
    for k in range(bins):
        sel = which == k
        out.append(
            {
                "lo": round(k / bins, 6),
                "hi": round((k + 1) / bins, 6),
                "n": int(sel.sum()),
                "forecast": _mean(p[sel], digits),
                "observed": _mean(hit[sel], digits),
            }
        )
    return out


__all__ = ["EDGE_TOLERANCE", "RELIABILITY_BINS", "bin_index", "reliability_bins"]
