"""Unit tests for the Forecast sample-path object."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.forecast import Forecast, sample_quantiles


def _dates(h: int = 7) -> pd.DatetimeIndex:
    return pd.date_range("2024-06-01", periods=h, freq="D")


def _forecast(n: int = 500, h: int = 7, seed: int = 0) -> Forecast:
    rng = np.random.default_rng(seed)
    crossing = rng.uniform(size=(n, h)) < 0.5
    counts = np.where(crossing, rng.poisson(300, size=(n, h)), 0).astype(np.int64)
    return Forecast(dates=_dates(h), samples=counts, target="people", model="test")


def test_shapes_and_properties() -> None:
    fc = _forecast(n=200, h=7)
    assert fc.horizon == 7
    assert fc.n_samples == 200
    assert fc.is_nonnegative_integer()


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (np.zeros(7, dtype=np.int64), "2-D"),
        (np.zeros((2, 7, 1), dtype=np.int64), "2-D"),
        (np.zeros((0, 7), dtype=np.int64), "at least one sample"),
        (np.zeros((10, 6), dtype=np.int64), "columns"),
    ],
)
def test_validation_errors(samples: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Forecast(dates=_dates(7), samples=samples, target="people", model="m")


def test_rejects_gappy_dates_and_bad_target() -> None:
    dates = pd.DatetimeIndex(["2024-01-01", "2024-01-03"])
    with pytest.raises(ValueError, match="consecutive"):
        Forecast(dates=dates, samples=np.zeros((3, 2)), target="people", model="m")
    with pytest.raises(ValueError, match="target"):
        Forecast(dates=_dates(2), samples=np.zeros((3, 2)), target="cats", model="m")


def test_float_and_negative_samples_are_kept() -> None:
    samples = np.array([[-1.5, 2.0], [0.5, 3.25]])
    fc = Forecast(dates=_dates(2), samples=samples, target="boats", model="prophet")
    assert fc.samples.dtype == np.float64
    assert fc.samples[0, 0] == -1.5
    assert not fc.is_nonnegative_integer()


def test_quantiles_monotone_and_integer() -> None:
    fc = _forecast()
    levels = [0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975]
    q = fc.quantiles(levels)
    assert list(q.columns) == levels
    assert q.index.equals(fc.dates)
    assert (np.diff(q.to_numpy(), axis=1) >= 0).all()
    assert q.to_numpy().dtype.kind == "i"
    for t in range(fc.horizon):
        assert set(q.iloc[t]).issubset(set(fc.samples[:, t]))


def test_quantile_level_validation() -> None:
    fc = _forecast()
    with pytest.raises(ValueError):
        fc.quantiles([0.0, 0.5])
    with pytest.raises(ValueError):
        fc.quantiles([1.2])
    with pytest.raises(ValueError):
        fc.interval(100)
    with pytest.raises(ValueError):
        fc.interval(0)


def test_inverted_cdf_by_hand() -> None:
    samples = np.array([[1], [2], [3], [4]], dtype=np.int64)
    fc = Forecast(dates=_dates(1), samples=samples, target="boats", model="m")
    # Smallest x with F(x) ≥ p, F = empirical CDF of {1, 2, 3, 4}.
    assert fc.quantiles([0.25, 0.26, 0.5, 0.75, 0.99]).iloc[0].tolist() == [1, 2, 2, 3, 4]
    assert fc.median().tolist() == [2]
    lo, hi = fc.interval(50)
    assert (lo.tolist(), hi.tolist()) == ([1], [3])


def test_interval_matches_quantiles() -> None:
    fc = _forecast()
    lo, hi = fc.interval(80)
    q = fc.quantiles([0.1, 0.8, 0.9]).to_numpy()
    np.testing.assert_array_equal(lo, q[:, 0])
    # Equal-tailed, except where the lower quantile is zero: then [0, q0.80].
    np.testing.assert_array_equal(hi, np.where(q[:, 0] == 0, q[:, 1], q[:, 2]))
    np.testing.assert_array_equal(sample_quantiles(fc.samples.T, [0.1, 0.8, 0.9]), q)


def test_p_any_and_p_at_least_against_loops() -> None:
    fc = _forecast(n=300, h=5, seed=3)
    naive_any = [sum(1 for v in fc.samples[:, t] if v > 0) / fc.n_samples for t in range(5)]
    naive_300 = [sum(1 for v in fc.samples[:, t] if v >= 300) / fc.n_samples for t in range(5)]
    np.testing.assert_allclose(fc.p_any(), naive_any)
    np.testing.assert_allclose(fc.p_at_least(300), naive_300)
    exc = fc.exceedance([1, 300])
    assert list(exc.columns) == [1, 300]
    np.testing.assert_allclose(exc[1].to_numpy(), naive_any)
    np.testing.assert_allclose(exc[300].to_numpy(), naive_300)


def test_mean_and_median() -> None:
    fc = _forecast()
    np.testing.assert_allclose(fc.mean(), fc.samples.mean(axis=0))
    assert fc.median().dtype.kind == "i"


def test_weekly_total_is_sum_of_paths() -> None:
    fc = _forecast(n=100, h=7)
    totals = fc.total_samples()
    assert totals.shape == (100,)
    for i in range(100):
        assert totals[i] == sum(int(v) for v in fc.samples[i])
    tq = fc.total_quantiles([0.1, 0.5, 0.9])
    assert list(tq.index) == [0.1, 0.5, 0.9]
    assert tq.is_monotonic_increasing
    lo, hi = fc.total_interval(80)
    assert (lo, hi) == (tq[0.1], tq[0.9])


def test_to_frame_columns() -> None:
    fc = _forecast()
    frame = fc.to_frame()
    expected = ["date", "model", "median", "mean", "p_any"]
    expected += ["lo-50", "hi-50", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert list(frame.columns) == expected
    assert len(frame) == fc.horizon
    assert (frame["model"] == "test").all()
    assert (frame["lo-95"] <= frame["lo-80"]).all()
    assert (frame["lo-80"] <= frame["lo-50"]).all()
    assert (frame["lo-50"] <= frame["median"]).all()
    assert (frame["median"] <= frame["hi-50"]).all()
    assert (frame["hi-50"] <= frame["hi-80"]).all()
    assert (frame["hi-80"] <= frame["hi-95"]).all()


def test_interval_probabilities_hit_exact_boundaries() -> None:
    # n·p is an integer here (200 · 0.025 = 5), where float noise in 1 − 0.95 would
    # move the inverted-CDF quantile to the next order statistic.
    samples = np.arange(200, dtype=np.int64).reshape(200, 1)
    fc = Forecast(dates=_dates(1), samples=samples, target="people", model="m")
    lo, hi = fc.interval(95)
    q = fc.quantiles([0.025, 0.975]).iloc[0].tolist()
    assert [lo[0], hi[0]] == q == [4, 194]
