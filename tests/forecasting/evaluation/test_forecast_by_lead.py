"""The forecast weather mode is honest: on a seeded series where the wind decides whether boats
cross, the hurdle's forecast/observed CRPS ratio is above 1 from the first lead day and grows
with lead, as the issued forecast's error grows.

The same backtest with paths centred on the observed weather (the issued forecast replaced by
the truth, as before issue 14) fails these checks: that is what they are for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from forecasting.weather.error_model import ForecastErrorModel
from tests.synthetic import generate_series

N_DAYS = 900
N_ORIGINS = 40  # daily origins: every day is scored at every lead, so leads compare alike
DRAWS = 3


def _wind_decides(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """generate_series with its wind replaced by a stationary AR(1) around 5 m/s (s.d.
    2.5 m/s) and crossings gated sharply on it: P(crossing) = 1 / (1 + exp(3 (wind − 5)))."""
    arrivals, weather = generate_series(N_DAYS, seed=seed)
    rng = np.random.default_rng(seed + 100)
    z = np.empty(N_DAYS)
    z[0] = rng.normal()
    for t in range(1, N_DAYS):
        z[t] = 0.7 * z[t - 1] + np.sqrt(1 - 0.7**2) * rng.normal()
    wind = np.clip(5.0 + 2.5 * z, 0.3, None)
    weather = weather.assign(
        wind_mean_ms=wind,
        wind_max_hourly_ms=wind * rng.uniform(1.3, 1.5, N_DAYS),
        gust_max_ms=wind * rng.uniform(1.8, 2.2, N_DAYS),
    )
    cross = rng.uniform(size=N_DAYS) < 1 / (1 + np.exp(3 * (wind - 5.0)))
    boats = np.where(cross, 1 + rng.negative_binomial(3, 0.3, N_DAYS), 0)
    arrivals = arrivals.assign(boats=boats, people=boats * rng.integers(40, 61, N_DAYS))
    return arrivals, weather


def _ratio_by_lead(arrivals: pd.DataFrame, weather: pd.DataFrame) -> tuple[pd.Series, float]:
    """The hurdle's forecast/observed CRPS ratio per lead day and overall."""
    last = arrivals["date"].iloc[-1] - pd.Timedelta(days=6)
    cfg = BacktestConfig(
        models=["hurdle"],
        # The weather modes' honesty, not the P(any) map (which costs 5 fits per origin).
        model_params={"hurdle": {"recalibrate": False}},
        start=last - pd.Timedelta(days=N_ORIGINS - 1),
        end=last,
        step=1,
        weather_modes=("observed", "forecast"),
        n_samples=200,
        n_jobs=1,  # in process, so the control below can patch the error model
        weather_draws=DRAWS,
    )
    rows = run_backtest(arrivals, weather, cfg).rows
    assert (rows.loc[rows["weather_mode"] == "forecast", "weather_draw"].nunique()) == DRAWS
    by_lead = rows.groupby(["weather_mode", "lead"])["crps"].mean().unstack(0)
    overall = rows.groupby("weather_mode")["crps"].mean()
    ratio = by_lead["forecast"] / by_lead["observed"]
    return ratio, float(overall["forecast"] / overall["observed"])


def _honest(ratio: pd.Series, overall: float) -> bool:
    """Worse than observed weather from lead 1, and worse still a week out."""
    early, late = ratio.loc[[1, 2]].mean(), ratio.loc[[5, 6, 7]].mean()
    return bool(overall >= 1.1 and early >= 1.02 and late - early >= 0.1)


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _wind_decides()


def test_forecast_observed_ratio_grows_with_lead(
    series: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ratio, overall = _ratio_by_lead(*series)
    assert _honest(ratio, overall), (ratio.round(3).to_dict(), overall)
    # Monotone in the large: the ratio rises with lead (rank correlation).
    assert ratio.rank().corr(pd.Series(ratio.index, index=ratio.index)) >= 0.7, ratio


def test_paths_centred_on_the_truth_fail_the_check(
    series: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        ForecastErrorModel, "issue", lambda self, truth, columns, rng: np.asarray(truth, float)
    )
    ratio, overall = _ratio_by_lead(*series)
    assert not _honest(ratio, overall), (ratio.round(3).to_dict(), overall)
