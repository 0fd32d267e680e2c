"""Forecast summaries read from presorted days equal numpy's quantiles bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.forecast import (
    Forecast,
    band,
    interval_probs,
    inverted_cdf_positions,
    open_unit,
    sample_quantiles,
)

# levels at the awkward places: exact multiples of 1/n, the float ends, interval tails
EDGE_PROBS = [
    open_unit(0.0),
    1e-9,
    0.001,
    0.025,
    0.05,
    0.1,
    0.25,
    0.3,
    0.5,
    0.7,
    0.75,
    0.9,
    0.95,
    0.975,
    0.999,
    open_unit(1.0),
]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 99, 500, 1000, 1001])
def test_positions_match_numpy_inverted_cdf(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(size=n)
    probs = np.r_[EDGE_PROBS, np.arange(1, n) / n, rng.random(200)]
    probs = probs[(probs > 0) & (probs < 1)]
    expected = np.quantile(x, probs, method="inverted_cdf")
    assert np.array_equal(np.sort(x)[inverted_cdf_positions(n, probs)], expected)


def _forecast(samples: np.ndarray) -> Forecast:
    dates = pd.date_range("2026-06-01", periods=samples.shape[1], freq="D")
    return Forecast(dates, samples, "people", "test")


@pytest.mark.parametrize("seed", range(5))
def test_summaries_equal_unsorted_definitions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, h = int(rng.integers(50, 1200)), int(rng.integers(1, 15))
    zero = rng.random((n, h)) < 0.6
    samples = np.where(zero, 0, rng.negative_binomial(2, 0.01, size=(n, h))).astype(np.int64)
    f = _forecast(samples)
    assert f.sorted_days is not None
    assert np.array_equal(
        f.quantiles(EDGE_PROBS).to_numpy(), sample_quantiles(samples.T, EDGE_PROBS)
    )
    for level in (1, 50, 80, 95, 99, 99.99999999999999, 5e-324):
        lo, hi = f.interval(level)
        ref_lo, ref_hi = band(samples.T, level)
        assert np.array_equal(lo, ref_lo) and np.array_equal(hi, ref_hi)
        t_lo, t_hi = f.total_interval(level)
        ref = sample_quantiles(samples.sum(axis=1), interval_probs(level))
        assert (t_lo, t_hi) == (ref[0].item(), ref[1].item())
    levels = [1, 50, 80, 95, 99]
    for (lo, hi), level in zip(f.intervals(levels), levels, strict=True):
        ref_lo, ref_hi = band(samples.T, level)
        assert np.array_equal(lo, ref_lo) and np.array_equal(hi, ref_hi)
    for k in (0, 1, 5, 50, 137, 10**6):
        assert np.array_equal(f.p_at_least(k), (samples >= k).mean(axis=0))
    assert np.array_equal(f.median(), np.quantile(samples, 0.5, axis=0, method="inverted_cdf"))


def test_nan_samples_keep_numpy_rules() -> None:
    samples = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]])
    f = _forecast(samples)
    assert f.sorted_days is None
    assert np.array_equal(
        f.quantiles([0.5]).to_numpy(), sample_quantiles(samples.T, [0.5]), equal_nan=True
    )
