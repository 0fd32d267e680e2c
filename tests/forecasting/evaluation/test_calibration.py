"""Calibration reporting for mostly-zero counts: PIT, reliability, bands, weekly totals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.evaluation import calibration, metrics


def _rows(p_true: float, p_said: float, n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Forecasts of a zero-inflated Poisson: truth crosses with prob p_true, the forecast
    says p_said (same count part), 400 paths each."""
    rng = np.random.default_rng(seed)
    lam = rng.uniform(5, 40, size=n)
    y = np.where(rng.uniform(size=n) < p_true, 1 + rng.poisson(lam), 0)
    crosses = rng.uniform(size=(n, 400)) < p_said
    samples = np.where(crosses, 1 + rng.poisson(lam[:, None], size=(n, 400)), 0)
    scores = metrics.score_forecasts(samples, y, 1.0, rng=np.random.default_rng(seed + 1))
    _, hi = metrics.interval_bounds(samples, 80)
    return scores.assign(
        model="m",
        weather_mode="forecast",
        actual=y,
        p_any=(samples > 0).mean(axis=1),
        lead=1,
        **{"hi-80": hi, "hi-50": 0, "hi-95": 0},
    )


def test_calibrated_forecasts_pass_and_over_forecast_p_any_is_seen() -> None:
    good = _rows(0.5, 0.5)
    pit = calibration.pit_histograms(good)[0]
    assert pit["overall_max_dev"] < 0.02 and pit["crossing_days_max_dev"] < 0.03
    rel = calibration.reliability(good)[0]
    assert rel["max_gap"] is not None and rel["max_gap"] < 0.05
    bad = _rows(0.3, 0.6)
    rel_bad = calibration.reliability(bad)[0]
    assert rel_bad["max_gap"] > 0.2
    over = calibration.pit_histograms(bad)[0]
    assert min(over["overall"][:4]) > 0.15  # too many zeros land low: forecasts run high
    # The count part is the same in both: its conditional PIT stays flat.
    assert over["crossing_days_max_dev"] < 0.03


def test_band_table_reports_zero_and_crossing_days() -> None:
    table = calibration.interval_table(_rows(0.5, 0.5, n=1000), levels_pct=(80,))
    row = table[0]
    assert row["level"] == 80.0 and 0 <= row["band_coverage_zero_days"] <= 1
    assert row["band_expected"] >= 0.8 - 1e-9
    assert 0 <= row["above_band_crossing_days"] <= 1


def test_weekly_total_coverage_from_paths() -> None:
    rng = np.random.default_rng(5)
    records = []
    for _ in range(600):
        lam = rng.uniform(2, 30)
        paths = rng.poisson(lam, size=(500, 7))
        truth = rng.poisson(lam, size=7)
        biased = paths // 2  # totals far too low
        for model, s in (("good", paths), ("low", biased)):
            score = calibration.weekly_total_scores(s, truth, rng)
            records.append({"model": model, "weather_mode": "forecast", "lead": 1, **score})
    rows = pd.DataFrame(records)
    out = {r["model"]: r for r in calibration.weekly_total_coverage(rows)}
    assert out["good"]["max_dev_points"] < 4 and out["good"]["n_forecasts"] == 600
    assert set(out["good"]["coverage"]) == {"50", "80", "95", "99"}
    assert out["low"]["coverage"]["99"] < 0.5


def test_conditional_pit_is_exact_for_the_count_part() -> None:
    rows = pd.DataFrame({"actual": [0, 3, 5], "pit": [0.2, 0.75, 0.5], "p_any": [0.5, 0.5, 0.0]})
    np.testing.assert_allclose(calibration.conditional_pit(rows), [0.5, 1.0])
