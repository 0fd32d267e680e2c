"""benchmarks/peers.py (issue 22): the peers forecast from the very issued weather forecasts the
backtest scores the project's models on, and the paired interval is a plain block bootstrap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from benchmarks import peers
from benchmarks.peers_models import WEATHER, Zinb, forecast_design, training_set
from forecasting.evaluation import backtest
from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from tests.synthetic import generate_series


def _cfg() -> BacktestConfig:
    return BacktestConfig(
        models=["climatology"],
        start="2022-06-06",
        end="2022-06-13",
        weather_modes=("forecast",),
        n_samples=10,
        n_jobs=1,
        weather_draws=2,
    )


def test_peers_see_the_backtests_issued_forecasts(monkeypatch: pytest.MonkeyPatch) -> None:
    arrivals, weather = generate_series(n_days=600, start="2021-01-01")
    seen: dict[tuple[pd.Timestamp, int], np.ndarray] = {}
    real = backtest.build_future_weather

    def recording(columns: Any, dates: Any, streams: Any, *args: Any) -> Any:
        fw = real(columns, dates, streams, *args)
        assert fw.centre is not None
        pick = [columns.index(c) for c in WEATHER]
        seen[(streams.issue_date, streams.draw)] = fw.centre[:, pick]
        return fw

    monkeypatch.setattr(backtest, "build_future_weather", recording)
    cfg = _cfg()
    run_backtest(arrivals, weather, cfg)
    assert len(seen) == 4
    for origin in cfg.origins:
        for draw, centre in enumerate(peers.issued_weather(weather, origin, cfg)):
            np.testing.assert_array_equal(centre, seen[(origin, draw)])


def test_block_bootstrap_of_a_constant_is_that_constant() -> None:
    lo, hi = peers.block_bootstrap(np.full(20, -0.5), 4, 200, np.random.default_rng(0))
    assert lo == pytest.approx(-0.5) and hi == pytest.approx(-0.5)


def test_a_peer_forecasts_integer_paths_from_data_before_the_origin() -> None:
    arrivals, weather = generate_series(n_days=500, start="2021-01-01")
    origin = pd.Timestamp("2022-04-01")
    x, y = training_set(arrivals[arrivals.date < origin], weather[weather.date < origin], "people")
    assert len(x) == len(y) and len(x) > 7 * 400
    centre = np.full((7, len(WEATHER)), 3.0)
    dates = pd.date_range(origin, periods=7)
    xf = forecast_design(arrivals[arrivals.date < origin], dates, centre, "people")
    paths = Zinb().fit(x, y).sample(xf, 50, np.random.default_rng(0))
    assert paths.shape == (50, 7) and (paths >= 0).all()
    assert np.array_equal(paths, np.round(paths))
