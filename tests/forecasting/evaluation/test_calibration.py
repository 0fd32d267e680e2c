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


def _band_rows() -> pd.DataFrame:
    """Ten hand-made forecasts of one model: five zero days (the band misses one) and five
    crossing days (one under its band, one above it), with distinct answers per column."""
    actual = [0, 0, 0, 0, 0, 5, 7, 2, 30, 9]
    lo = [0, 0, 0, 1, 0, 0, 0, 3, 0, 0]
    hi = [4, 4, 4, 4, 4, 6, 6, 8, 40, 10]
    covered = [low <= y <= high for y, low, high in zip(actual, lo, hi, strict=True)]
    return pd.DataFrame(
        {
            "model": "m",
            "weather_mode": "forecast",
            "actual": actual,
            "hi-80": hi,
            "covered_80": covered,
            "central_covered_80": [True, False] * 5,
            "content_80": [0.8, 0.9, 0.85, 0.95, 0.8, 0.9, 0.85, 0.95, 0.8, 0.9],
        }
    )


def test_band_table_reports_zero_and_crossing_days() -> None:
    (row,) = calibration.interval_table(_band_rows(), levels_pct=(80,))
    assert row == {
        "model": "m",
        "weather_mode": "forecast",
        "level": 80.0,
        "band_coverage": 0.7,  # 7 of 10
        "central_coverage": 0.5,
        "band_expected": 0.87,
        "band_coverage_zero_days": 0.8,  # 4 of the 5 zero days
        "band_coverage_crossing_days": 0.6,  # 3 of the 5 crossing days
        "above_band_crossing_days": 0.2,  # 7 > 6 only: the 2 under [3, 8] is not above
    }


def test_band_table_splits_scored_forecasts_by_the_actual() -> None:
    """On scored synthetic forecasts, each day-kind figure is the mean over exactly the days
    of that kind, counted here from the actuals and the band's upper ends."""
    rows = _rows(0.5, 0.5, n=1000)
    zero = rows["actual"].to_numpy() == 0
    n_zero, n_cross = int(zero.sum()), int((~zero).sum())
    assert n_zero + n_cross == 1000 and 400 < n_zero < 600
    covered = rows["covered_80"].to_numpy(dtype=bool)
    above = rows["actual"].to_numpy() > rows["hi-80"].to_numpy()
    (row,) = calibration.interval_table(rows, levels_pct=(80,))
    assert row["band_coverage_zero_days"] == round(int(covered[zero].sum()) / n_zero, 4)
    assert row["band_coverage_crossing_days"] == round(int(covered[~zero].sum()) / n_cross, 4)
    assert row["above_band_crossing_days"] == round(int(above[~zero].sum()) / n_cross, 4)
    # the two kinds of day really differ here, so swapping them would show
    assert row["band_coverage_zero_days"] != row["band_coverage_crossing_days"]


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
