"""Level, band and coverage names come from `forecasting.contract` alone, and for the default
levels they are the names published today (the backtest JSON, the MLflow metric keys)."""

from __future__ import annotations

import numpy as np

from forecasting.contract import coverage_name, hi_col, level_name, lo_col
from forecasting.evaluation import calibration, metrics
from forecasting.evaluation.backtest import JSON_METRICS
from forecasting.training.runlog import SUMMARY_KEYS


def test_names_of_the_default_levels_are_unchanged() -> None:
    assert [coverage_name(lv) for lv in (50, 80, 95)] == [
        "coverage_50",
        "coverage_80",
        "coverage_95",
    ]
    assert (lo_col(97.5), hi_col(80.0), level_name(99)) == ("lo-97.5", "hi-80", "99")
    assert JSON_METRICS == (
        "crps", "wis", "mae", "rmse", "mase", "coverage_50", "coverage_80", "coverage_95",
        "brier", "n_forecasts", "fit_seconds_median",
    )  # fmt: skip
    assert SUMMARY_KEYS == (
        "crps", "wis", "pinball", "mae", "rmse", "mase", "brier",
        "coverage_50", "coverage_80", "coverage_95",
        "central_coverage_50", "central_coverage_80", "central_coverage_95",
        "width_50", "width_80", "width_95", "n_forecasts",
    )  # fmt: skip


def test_scores_and_reports_use_the_contract_names() -> None:
    rng = np.random.default_rng(0)
    samples = rng.poisson(5, size=(20, 200))
    y = rng.poisson(5, size=20)
    scores = metrics.score_forecasts(samples, y, 1.0, levels_pct=(80, 97.5), rng=rng)
    summary = metrics.aggregate_scores(scores, [])
    assert {coverage_name(80), coverage_name(97.5), "width_97.5"} <= set(summary.columns)
    total = calibration.weekly_total_scores(samples[:, :7], y[:7], rng, levels_pct=(80, 97.5))
    assert {f"total_covered_{level_name(lv)}" for lv in (80, 97.5)} <= set(total)
