"""The ensemble's P(any) recalibration, fitted on earlier origins only (seeded synthetic data).

The hurdle's own calibration, drawn inside its simulation, is tested in test_gate_calibration.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import features
from forecasting.models import create
from forecasting.models.recalibration import (
    PAnyCalibration,
    fit_calibration,
    inner_origins,
)
from forecasting.weather.paths import FutureWeather
from tests.synthetic import generate_series

HORIZON = 7


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(n_days=900, start="2021-01-01", seed=0)


def _map(a: float, b: float, c: float = 0.0) -> PAnyCalibration:
    return PAnyCalibration(a, b, c, max_lead=7, n_pairs=0, origins=())


def test_apply_moves_samples_to_the_calibrated_fraction() -> None:
    rng = np.random.default_rng(0)
    n, h = 2000, 7
    samples = np.where(rng.random((n, h)) < 0.6, rng.integers(50, 500, (n, h)), 0)
    for cal in (_map(-1.0, 1.0), _map(1.0, 1.0), _map(0.0, 1.0, -0.2)):
        out = cal.apply(samples, np.random.default_rng(1))
        frac_in = (samples > 0).mean(axis=0)
        want = cal.prob(frac_in, np.arange(1, h + 1))
        np.testing.assert_allclose((out > 0).mean(axis=0), want, atol=1 / n)
        for t in range(h):  # every non-zero value is one of that day's own positive draws
            assert set(out[:, t][out[:, t] > 0]) <= set(samples[:, t][samples[:, t] > 0])
    # Thinning keeps the surviving paths as they were.
    thin = _map(-1.0, 1.0).apply(samples, np.random.default_rng(1))
    kept = thin > 0
    np.testing.assert_array_equal(thin[kept], samples[kept])
    # An all-zero day has no positive draw to resample, so it stays all zero.
    zero = np.zeros((50, 3), dtype=np.int64)
    np.testing.assert_array_equal(_map(3.0, 1.0).apply(zero, rng), zero)


def test_fit_recovers_a_known_map() -> None:
    rng = np.random.default_rng(0)
    n = 6000
    p = rng.uniform(0.02, 0.98, n)
    lead = rng.integers(1, 8, n)
    true = _map(-0.6, 0.8, -0.05)
    y = rng.random(n) < true.prob(p, lead)
    pairs = pd.DataFrame({"origin": pd.Timestamp("2024-01-01"), "lead": lead, "p": p, "y": y})
    cal = fit_calibration(pairs)
    assert cal is not None and cal.n_pairs == n and cal.max_lead == 7
    assert cal.intercept == pytest.approx(-0.6, abs=0.15)
    assert cal.slope == pytest.approx(0.8, abs=0.08)
    assert cal.lead_coef == pytest.approx(-0.05, abs=0.03)
    assert fit_calibration(pairs.assign(y=False)) is None  # one outcome only: no map


def test_inner_origins_end_inside_the_history() -> None:
    last = pd.Timestamp("2024-06-30")
    origins = inner_origins(last, 4, 7)
    assert origins[-1] + pd.Timedelta(days=6) == last
    assert np.all(np.diff(pd.DatetimeIndex(origins)).astype("timedelta64[D]").astype(int) == 7)


def _future(series, t: int):  # type: ignore[no-untyped-def]
    arrivals, weather = series
    days = arrivals["date"].iloc[t : t + HORIZON]
    return FutureWeather.from_frame(weather[weather["date"].isin(days)])


def test_ensemble_recalibrates_its_pool_on_earlier_origins(series) -> None:  # type: ignore[no-untyped-def]
    arrivals, weather = series
    t = 850
    origin = arrivals["date"].iloc[t]
    params = {
        "members": ("hurdle", "climatology"),
        "inner_origins": 8,
        "inner_samples": 100,
        "recalibrate": True,
    }
    wx = weather[weather["date"] < origin]
    model = create("ensemble", **params).fit(arrivals.iloc[:t], wx)
    assert model.recal_ is not None and model.recal_.n_pairs == 8 * HORIZON
    assert max(model.recal_.origins) + pd.Timedelta(days=HORIZON - 1) < origin
    perturbed = arrivals.copy()
    perturbed.loc[t:, "people"] = 50_000
    again = create("ensemble", **params).fit(perturbed.iloc[:t], wx)
    assert again.recal_ == model.recal_
    fw = _future(series, t)
    fc = model.predict(HORIZON, fw, 400, seed=1)
    np.testing.assert_array_equal(fc.samples, again.predict(HORIZON, fw, 400, seed=1).samples)
    assert fc.is_nonnegative_integer()


def test_moves_keep_a_paths_character_across_the_week() -> None:
    """Thinning picks the same paths every day (one rank per path), so the paths that lose
    their crossings lose them all week: weekly totals keep their spread. Independent per-day
    picks would leave almost no path empty all week (1000 · 0.5⁷ ≈ 8)."""
    rng = np.random.default_rng(3)
    samples = rng.integers(1, 50, size=(1000, 7))  # every path crosses every day
    halve = PAnyCalibration(0.0, 0.0, 0.0, max_lead=7, n_pairs=0, origins=())  # P(any) = 0.5
    out = halve.apply(samples, np.random.default_rng(0))
    assert np.allclose((out > 0).mean(axis=0), 0.5)
    empty_all_week = int(((out > 0).sum(axis=1) == 0).sum())
    assert empty_all_week == 500


def test_a_conditioned_state_reads_the_filled_table(series) -> None:  # type: ignore[no-untyped-def]
    """A conditioned hurdle's wind is the gap-filled table's (a missing day, a short and a
    long gap just before the origin), as the inner origins' states need."""
    arrivals, weather = series
    t = 700
    gappy = weather.drop(index=[t - 20]).copy()
    gappy.loc[t - 4 : t - 3, "wind_mean_ms"] = np.nan  # carried forward
    gappy.loc[t - 12 : t - 6, "wind_mean_ms"] = np.nan  # partly the median
    model = create("hurdle", recalibrate=False).fit(arrivals.iloc[:500], weather.iloc[:500])
    for end in range(t - 14, t):
        last = arrivals["date"].iloc[end]
        before = gappy[gappy["date"] <= last]
        state = model.condition(arrivals.iloc[: end + 1], before)
        want = features.fill_weather(before).loc[:last, "wind_mean_ms"].iloc[-1]
        assert state.last_wind_ == want
