"""The gate's paired test: Diebold–Mariano over per-origin score differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.training.gate import decide
from forecasting.training.paired import diebold_mariano, hac_lags, origin_scores
from forecasting.training.plan import GatePolicy

ORIGINS = pd.date_range("2025-01-06", periods=60, freq="7D")


def _series(values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=ORIGINS[: len(values)])


def test_clearly_better_challenger_is_significant() -> None:
    rng = np.random.default_rng(1)
    champion = _series(rng.gamma(4.0, 10.0, size=60))
    challenger = champion * 0.85 + rng.normal(0, 1.0, size=60)
    test = diebold_mariano(challenger, champion, horizon=7, step=7)
    assert test is not None and test.n_origins == 60 and test.mean_diff < 0
    assert test.p_value < 0.01


def test_noise_alone_is_not_significant() -> None:
    rng = np.random.default_rng(2)
    base = rng.gamma(4.0, 10.0, size=60)
    champion = _series(base + rng.normal(0, 5.0, size=60))
    challenger = _series(base + rng.normal(0, 5.0, size=60) - 0.3)  # a tiny, noisy gain
    test = diebold_mariano(challenger, champion, horizon=7, step=7)
    assert test is not None and test.p_value > 0.05


def test_worse_challenger_has_a_large_p_value_and_too_few_origins_none() -> None:
    rng = np.random.default_rng(3)
    champion = _series(rng.gamma(4.0, 10.0, size=40))
    test = diebold_mariano(champion + 5.0 + rng.normal(0, 1, 40), champion, 7, 7)
    assert test is not None and test.p_value > 0.99
    assert diebold_mariano(champion.iloc[:2], champion.iloc[:2], 7, 7) is None


def test_only_shared_origins_are_paired_and_lags_follow_overlap() -> None:
    a = _series(np.arange(10.0))
    b = _series(np.arange(10.0) + 1.0).iloc[3:]
    test = diebold_mariano(a, b, 7, 7)
    assert test is not None and test.n_origins == 7 and test.p_value == 0.0
    assert hac_lags(7, 7) == 0 and hac_lags(7, 1) == 6 and hac_lags(14, 7) == 1


def test_origin_scores_average_leads_and_draws() -> None:
    rows = pd.DataFrame(
        {
            "model": ["m"] * 4 + ["x"],
            "weather_mode": ["forecast"] * 5,
            "origin": [ORIGINS[0]] * 2 + [ORIGINS[1]] * 2 + [ORIGINS[0]],
            "crps": [1.0, 3.0, 5.0, 7.0, 100.0],
        }
    )
    assert origin_scores(rows, "m", "forecast").tolist() == [2.0, 6.0]


def test_decide_needs_margin_and_significance() -> None:
    gate = GatePolicy("crps", "forecast", 0.01, significance=0.05)
    rng = np.random.default_rng(4)
    champion = _series(rng.gamma(4.0, 10.0, size=60))
    strong = diebold_mariano(champion * 0.8, champion, 7, 7)
    promoted, reason = decide(gate, 8.0, 10.0, strong)
    assert promoted and "significant at 0.05" in reason and "not significant" not in reason
    weak = diebold_mariano(champion + rng.normal(0, 8, 60) - 0.5, champion, 7, 7)
    assert weak is not None and weak.p_value > 0.05
    promoted, reason = decide(gate, 8.0, 10.0, weak)  # above the margin, yet not significant
    assert not promoted and "not significant" in reason
    strict = GatePolicy("crps", "forecast", 0.01, significance=1e-12)
    noisy = diebold_mariano(champion * 0.99 + rng.normal(0, 1, 60), champion, 7, 7)
    assert not decide(strict, 8.0, 10.0, noisy)[0]


def test_config_significance_default_and_bounds() -> None:
    from forecasting.errors import ConfigError
    from forecasting.training.config import GateSpec, parse_config

    assert GateSpec().significance == 0.05
    base = {
        "name": "t",
        "targets": ["people"],
        "models": {"climatology": None},
        "backtest": {"n_origins": 2},
    }
    assert parse_config({**base, "gate": {"significance": 0.1}}).gate.significance == 0.1
    with pytest.raises(ConfigError, match=r"gate\.significance"):
        parse_config({**base, "gate": {"significance": 0}})


def test_crps_skill_pairs_the_same_forecasts() -> None:
    from forecasting.training.runlog import skill_metric_rows

    keys = {"origin": [ORIGINS[0]] * 4, "weather_mode": ["forecast"] * 4, "weather_draw": 0}
    rows = pd.DataFrame(
        {**keys, "lead": [1, 2, 1, 2], "model": ["m", "m", "climatology", "climatology"]}
    ).assign(crps=[1.0, 3.0, 2.0, 4.0])
    out = {(k, step): v for k, v, step in skill_metric_rows(rows, "m")}
    assert out[("forecast/crps_skill", 0)] == pytest.approx(1 - 4 / 6)
    assert out[("forecast/by_lead/crps_skill", 1)] == pytest.approx(0.5)
    assert out[("forecast/by_lead/crps_skill", 2)] == pytest.approx(0.25)
    assert skill_metric_rows(rows.loc[rows["model"] == "m"], "m") == []
