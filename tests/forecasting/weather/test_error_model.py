"""The error model's AR(1) draws: the linear-filter path gives the loop's numbers bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.weather.error_model import _FILTER_MIN_DAYS, ForecastErrorModel, _Draws


def _loop(rng: np.random.Generator, n: int, width: int, rho: float, keep: int) -> np.ndarray:
    """z_t = ρ z_{t−1} + √(1−ρ²) ε_t over the columns of (n, width) normals, as written."""
    eps = rng.standard_normal((n, width))
    z = np.empty((n, keep))
    z[:, 0] = eps[:, 0]
    scale = np.sqrt(1 - rho**2)
    for t in range(1, keep):
        z[:, t] = rho * z[:, t - 1] + scale * eps[:, t]
    return z


@pytest.mark.parametrize(
    ("n", "keep"),
    [(1, 1095), (3, 400), (1, _FILTER_MIN_DAYS + 1), (500, 7), (1, 7), (200, 30)],
)
def test_ar1_is_the_recursion_bit_for_bit(n: int, keep: int) -> None:
    """Long, narrow runs go through scipy's lfilter, the rest through the loop: both give
    the recursion's numbers exactly, and leave the generator in the same state."""
    for seed in range(5):
        rng = np.random.default_rng(seed)
        width = max(keep, 14)
        got = _Draws(rng, n, width, 0.6, keep)._ar1(rng)
        ref_rng = np.random.default_rng(seed)
        np.testing.assert_array_equal(got, _loop(ref_rng, n, width, 0.6, keep))
        assert rng.bit_generator.state == ref_rng.bit_generator.state


def test_spread_over_a_training_history() -> None:
    """A 1095-day copy of the training weather (train as served, the filter path) is
    seeded and keeps the errors' day-to-day correlation."""
    model = ForecastErrorModel()
    centre = np.full((1095, 1), 4.0)
    a = model.spread(centre, ("wind_mean_ms",), 1, np.random.default_rng(3), leads=np.ones(1095))
    b = model.spread(centre, ("wind_mean_ms",), 1, np.random.default_rng(3), leads=np.ones(1095))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1, 1095, 1) and np.all(a > 0)
    # the lag-1 correlation of the log errors is the model's ρ
    z = np.log(a[0, :, 0])
    r = np.corrcoef(z[1:], z[:-1])[0, 1]
    assert abs(r - model.lead_correlation) < 0.1
