"""Unit tests for the scoring rules, checked against hand-computed values and naive loops."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecasting.evaluation import metrics as M
from forecasting.forecast import Forecast

DIGITS = np.arange(10, dtype=np.int64)  # ensemble {0, …, 9}


def _naive_crps(x: np.ndarray, y: float) -> float:
    """E|X − y| − ½E|X − X'| over the empirical distribution, by double loop."""
    n = len(x)
    e1 = sum(abs(float(v) - y) for v in x) / n
    e2 = sum(abs(float(a) - float(b)) for a in x for b in x) / n**2
    return e1 - 0.5 * e2


def _naive_quantile(x: np.ndarray, p: float) -> float:
    """Smallest sample value v with empirical F(v) ≥ p."""
    xs = sorted(x)
    n = len(xs)
    for v in xs:
        if sum(1 for w in xs if w <= v) / n >= p - 1e-12:
            return float(v)
    return float(xs[-1])


def _naive_wis(x: np.ndarray, y: float, levels_pct: tuple[float, ...]) -> float:
    total = 0.5 * abs(y - _naive_quantile(x, 0.5))
    for level in levels_pct:
        alpha = 1 - level / 100
        lo, hi = _naive_quantile(x, alpha / 2), _naive_quantile(x, 1 - alpha / 2)
        score = (hi - lo) + (2 / alpha) * max(lo - y, 0) + (2 / alpha) * max(y - hi, 0)
        total += alpha / 2 * score
    return total / (len(levels_pct) + 0.5)


def _poisson_case(m: int = 40, n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.2, 20, size=m)
    zero = rng.uniform(size=(m, 1)) < 0.4
    samples = np.where(
        zero & (rng.uniform(size=(m, n)) < 0.7), 0, rng.poisson(lam[:, None], (m, n))
    )
    y = rng.poisson(lam)
    return samples.astype(np.int64), y


# --- CRPS -----------------------------------------------------------------------------


def test_crps_point_mass_is_absolute_error() -> None:
    samples = np.full((3, 50), 3, dtype=np.int64)
    y = np.array([7, 1, 3])
    np.testing.assert_allclose(M.crps(samples, y), [4.0, 2.0, 0.0])
    np.testing.assert_allclose(M.crps(samples, y, fair=True), [4.0, 2.0, 0.0])
    np.testing.assert_allclose(M.crps(np.array([[5.0]]), np.array([2.0])), [3.0])


def test_crps_two_point_ensemble_by_hand() -> None:
    # F jumps 0 → ½ at 0 and ½ → 1 at 10; y = 4:
    # ∫_0^4 (½)² dx + ∫_4^10 (½)² dx = 1 + 1.5 = 2.5. Energy form: 5 − ½·5 = 2.5.
    samples = np.array([[0, 10], [0, 10]])
    y = np.array([4, 12])
    # y = 12: E|X − y| = (12 + 2)/2 = 7, so 7 − 2.5 = 4.5.
    np.testing.assert_allclose(M.crps(samples, y), [2.5, 4.5])
    # Fair: spread term over the 2 distinct pairs, E|X − X'| = 10 → 5 − 5 = 0 and 7 − 5 = 2.
    np.testing.assert_allclose(M.crps(samples, y, fair=True), [0.0, 2.0])


def test_crps_large_normal_ensemble_matches_closed_form() -> None:
    rng = np.random.default_rng(1)
    mu, sigma = 2.0, 3.0
    y = np.array([-4.0, 0.0, 2.0, 5.5, 11.0])
    samples = rng.normal(mu, sigma, size=(len(y), 40_000))
    z = (y - mu) / sigma
    closed = sigma * (
        z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)
    )
    np.testing.assert_allclose(M.crps(samples, y), closed, atol=0.02 * sigma)


def test_crps_vectorised_matches_naive_loop() -> None:
    samples, y = _poisson_case(m=15, n=40)
    naive = [_naive_crps(samples[i], float(y[i])) for i in range(len(y))]
    np.testing.assert_allclose(M.crps(samples, y), naive, rtol=1e-10, atol=1e-12)


def test_crps_shape_errors() -> None:
    with pytest.raises(ValueError):
        M.crps(np.zeros((3, 4)), np.zeros(2))
    with pytest.raises(ValueError):
        M.crps(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError):
        M.crps(np.zeros((3, 1)), np.zeros(3), fair=True)


# --- pinball and WIS --------------------------------------------------------------------


def test_pinball_from_quantiles_by_hand() -> None:
    # q = 2, 5, 9 at τ = .1, .5, .9; y = 6: 0.1·4 = 0.4, 0.5·1 = 0.5, 0.1·3 = 0.3 → mean 0.4.
    q = np.array([[2.0, 5.0, 9.0]])
    assert M.pinball(q, np.array([6.0]), [0.1, 0.5, 0.9], is_quantiles=True)[0] == pytest.approx(
        0.4
    )


def test_pinball_from_samples_by_hand() -> None:
    # {0..9}: q0.25 = 2, q0.75 = 7; y = 12: 0.25·10 = 2.5, 0.75·5 = 3.75 → mean 3.125.
    # y = 1: 0.75·1 = 0.75 and 0.25·6 = 1.5 → mean 1.125.
    samples = np.vstack([DIGITS, DIGITS])
    out = M.pinball(samples, np.array([12, 1]), [0.25, 0.75])
    np.testing.assert_allclose(out, [3.125, 1.125])


def test_wis_by_hand() -> None:
    # {0..9}: median 4, 50% interval [2, 7], 90% interval [0, 9].
    # y = 12: (½·8 + ¼·(5 + 4·5) + 0.05·(9 + 20·3)) / 2.5 = (4 + 6.25 + 3.45) / 2.5 = 5.48.
    # y = 5: (½·1 + ¼·5 + 0.05·9) / 2.5 = 2.2 / 2.5 = 0.88.
    samples = np.vstack([DIGITS, DIGITS])
    out = M.wis(samples, np.array([12, 5]), levels_pct=(50, 90))
    np.testing.assert_allclose(out, [5.48, 0.88])


def test_wis_equals_twice_mean_pinball_and_naive_loop() -> None:
    samples, y = _poisson_case()
    levels = (50, 80, 95)
    w = M.wis(samples, y, levels)
    probs = [0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975]
    np.testing.assert_allclose(w, 2 * M.pinball(samples, y, probs), rtol=1e-12)
    naive = [_naive_wis(samples[i], float(y[i]), levels) for i in range(len(y))]
    np.testing.assert_allclose(w, naive, rtol=1e-12)


def test_wis_point_mass_is_absolute_error() -> None:
    # All quantiles equal x: (½|x−y| + Σ (α/2)(2/α)|x−y|) / (K + ½) = |x − y|.
    samples = np.full((1, 20), 3)
    assert M.wis(samples, np.array([10]))[0] == pytest.approx(7.0)


# --- intervals, Brier, PIT --------------------------------------------------------------


def test_coverage_and_width_by_hand() -> None:
    samples = np.tile(DIGITS, (4, 1))
    y = np.array([1, 2, 7, 8])
    assert M.coverage(samples, y, 50).tolist() == [False, True, True, False]
    np.testing.assert_allclose(M.interval_width(samples, 50), [5, 5, 5, 5])
    # The 90% band's lower quantile is 0, the floor: the band becomes [0, q0.90] = [0, 8].
    assert M.coverage(samples, y, 90).all()
    np.testing.assert_allclose(M.interval_width(samples, 90), [8, 8, 8, 8])
    # The plain equal-tailed interval [q0.05, q0.95] = [0, 9] is kept for comparison.
    assert M.central_interval_coverage(samples, np.array([9, 9, 9, 9]), 90).all()
    assert not M.coverage(samples, np.array([9, 9, 9, 9]), 90).any()


def test_zero_floored_band_by_hand() -> None:
    # 6 zeros and 4 positives: P(0) = 0.6 ≥ 0.1, so the 80% band is [0, q0.80] = [0, 5],
    # which holds 80% of the samples; the equal-tailed [q0.1, q0.9] = [0, 7] holds 90%.
    samples = np.array([[0, 0, 0, 0, 0, 0, 3, 5, 7, 9]])
    lo, hi = M.interval_bounds(samples, 80)
    assert (lo.tolist(), hi.tolist()) == ([0], [5])
    # With no zero in the lower tail the band is the usual equal-tailed interval.
    lo, hi = M.interval_bounds(samples + 1, 80)
    assert (lo.tolist(), hi.tolist()) == ([1], [8])
    # The forecast's own expected coverage of its band: 8 of 10 samples in [0, 5].
    row = M.score_forecasts(samples, np.array([6]), 1.0).iloc[0]
    assert row["content_80"] == pytest.approx(0.8) and not row["covered_80"]
    assert row["central_covered_80"]
    # Negative samples (the untouched prophet peer) are never floored.
    lo, hi = M.interval_bounds(samples - 1, 80)
    assert (lo.tolist(), hi.tolist()) == ([-1], [6])


def test_coverage_matches_forecast_interval() -> None:
    samples, y = _poisson_case(m=10, n=300)
    fc = Forecast(
        dates=pd.date_range("2024-01-01", periods=10, freq="D"),
        samples=samples.T,
        target="boats",
        model="m",
    )
    lo, hi = fc.interval(80)
    np.testing.assert_array_equal(M.coverage(samples, y, 80), (lo <= y) & (y <= hi))
    np.testing.assert_array_equal(M.interval_width(samples, 80), hi - lo)


def test_brier_any_by_hand() -> None:
    samples = np.array([[0, 0, 0, 5], [0, 0, 0, 5], [1, 2, 3, 4]])
    y = np.array([0, 3, 0])
    np.testing.assert_allclose(M.brier_any(samples, y), [0.0625, 0.5625, 1.0])


def test_pit_by_hand() -> None:
    # {0, 0, 1, 2}, y = 1: F(0) = 0.5, F(1) = 0.75 → u = 0.5 + 0.25·V.
    samples = np.array([[0, 0, 1, 2], [0, 0, 1, 2], [0, 0, 1, 2]])
    y = np.array([1, 0, 5])
    v = np.random.default_rng(7).uniform(size=3)
    expected = [0.5 + 0.25 * v[0], 0.5 * v[1], 1.0]
    np.testing.assert_allclose(M.pit(samples, y, np.random.default_rng(7)), expected)


def test_pit_uniform_for_calibrated_forecasts() -> None:
    rng = np.random.default_rng(11)
    m = 3000
    lam = rng.uniform(0.1, 15, size=m)
    crossing = rng.uniform(size=m) < 0.5
    y = np.where(crossing, rng.poisson(lam), 0)
    gate = rng.uniform(size=(m, 400)) < 0.5
    samples = np.where(gate, rng.poisson(lam[:, None], size=(m, 400)), 0)
    u = M.pit(samples, y, rng)
    assert stats.kstest(u, "uniform").statistic < 0.04
    counts = M.pit_histogram(u, bins=10)
    assert counts.sum() == m
    assert counts.min() > 0.75 * m / 10
    # An overconfident forecast (samples pinned at the mean) is visibly not uniform.
    sharp = np.repeat(np.round(np.where(crossing, lam, 0))[:, None], 50, axis=1)
    assert stats.kstest(M.pit(sharp, y, rng), "uniform").statistic > 0.1


def test_pit_histogram_bins() -> None:
    counts = M.pit_histogram(np.array([0.0, 0.05, 0.15, 0.5, 0.99, 1.0]), bins=10)
    assert counts.tolist() == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


# --- point errors and MASE --------------------------------------------------------------


def test_mase_scale_by_hand() -> None:
    history = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    assert M.mase_scale(history, season=1) == pytest.approx(1.75)
    assert M.mase_scale(history, season=2) == pytest.approx(10 / 3)
    weekly = np.array([0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0])
    assert M.mase_scale(weekly) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        M.mase_scale(np.arange(7.0), season=7)


def test_mase_mae_rmse_by_hand() -> None:
    median = np.array([1.0, 2.0, 3.0])
    y = np.array([2.0, 2.0, 6.0])
    assert M.mae(median, y) == pytest.approx(4 / 3)
    assert M.rmse(median, y) == pytest.approx(math.sqrt(10 / 3))
    assert M.mase(median, y, 2.0) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        M.mase(median, y, 0.0)


# --- score table and aggregation --------------------------------------------------------


def test_score_forecasts_rows_match_single_forecast_calls() -> None:
    samples, y = _poisson_case(m=12, n=150, seed=5)
    scale = np.linspace(1, 3, 12)
    table = M.score_forecasts(samples, y, scale, rng=np.random.default_rng(0))
    expected = ["crps", "wis", "pinball", "ae", "se", "mase_term"]
    expected += ["covered_50", "width_50", "covered_80", "width_80", "covered_95", "width_95"]
    expected += ["central_covered_50", "central_covered_80", "central_covered_95"]
    expected += ["content_50", "content_80", "content_95"]
    expected += ["brier", "pit"]
    assert sorted(table.columns) == sorted(expected)
    assert len(table) == 12
    np.testing.assert_allclose(table["wis"], 2 * table["pinball"], rtol=1e-12)
    for i in range(12):
        s, obs = samples[i : i + 1], y[i : i + 1]
        row = table.iloc[i]
        med = float(np.quantile(samples[i], 0.5, method="inverted_cdf"))
        assert row["crps"] == pytest.approx(M.crps(s, obs)[0])
        assert row["wis"] == pytest.approx(M.wis(s, obs)[0])
        assert row["ae"] == pytest.approx(abs(med - y[i]))
        assert row["se"] == pytest.approx((med - y[i]) ** 2)
        assert row["mase_term"] == pytest.approx(abs(med - y[i]) / scale[i])
        assert row["covered_80"] == M.coverage(s, obs, 80)[0]
        assert row["width_95"] == pytest.approx(M.interval_width(s, 95)[0])
        assert row["brier"] == pytest.approx(M.brier_any(s, obs)[0])
    pit_again = M.score_forecasts(samples, y, scale, rng=np.random.default_rng(0))["pit"]
    np.testing.assert_array_equal(table["pit"], pit_again)


def test_score_forecasts_zero_scale_gives_nan_term() -> None:
    table = M.score_forecasts(np.ones((2, 5)), np.array([0, 3]), np.array([0.0, 2.0]))
    assert np.isnan(table["mase_term"].iloc[0])
    assert table["mase_term"].iloc[1] == pytest.approx(1.0)


def test_aggregate_scores_by_hand() -> None:
    df = pd.DataFrame(
        {
            "model": ["a", "a", "b"],
            "lead": [1, 2, 1],
            "crps": [1.0, 3.0, 5.0],
            "wis": [2.0, 4.0, 6.0],
            "pinball": [1.0, 2.0, 3.0],
            "ae": [1.0, 3.0, 2.0],
            "se": [1.0, 9.0, 4.0],
            "mase_term": [0.5, 1.5, 1.0],
            "covered_80": [True, False, True],
            "width_80": [4.0, 6.0, 8.0],
            "brier": [0.1, 0.3, 0.2],
            "pit": [0.2, 0.4, 0.9],
        }
    )
    out = M.aggregate_scores(df, by=["model"]).set_index("model")
    assert out.loc["a", "n_forecasts"] == 2
    assert out.loc["a", "mae"] == pytest.approx(2.0)
    assert out.loc["a", "rmse"] == pytest.approx(math.sqrt(5.0))
    assert out.loc["a", "mase"] == pytest.approx(1.0)
    assert out.loc["a", "coverage_80"] == pytest.approx(0.5)
    assert out.loc["a", "width_80"] == pytest.approx(5.0)
    assert out.loc["a", "crps"] == pytest.approx(2.0)
    assert out.loc["a", "wis"] == pytest.approx(3.0)
    assert out.loc["a", "pinball"] == pytest.approx(1.5)
    assert out.loc["a", "brier"] == pytest.approx(0.2)
    assert out.loc["b", "rmse"] == pytest.approx(2.0)
    overall = M.aggregate_scores(df, by=[])
    assert len(overall) == 1
    assert overall["n_forecasts"].iloc[0] == 3
    assert overall["rmse"].iloc[0] == pytest.approx(math.sqrt(14 / 3))
    by_two = M.aggregate_scores(df, by=["model", "lead"])
    assert len(by_two) == 3
