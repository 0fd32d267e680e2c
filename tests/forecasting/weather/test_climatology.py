"""Climatology: analogue days of past years, and one draw shared by backtests and serving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import schema
from forecasting.weather.climatology import analogue_positions, analogue_starts, draw_analogues
from forecasting.weather.history import WeatherHistory
from forecasting.weather.modes import future_weather
from forecasting.weather.serving import build_weather
from tests.synthetic import generate_series

VARS = ("wind_mean_ms", "wind_max_hourly_ms", "gust_max_ms", "wind_dir_deg", "precip_mm")


def test_analogue_starts_lie_in_past_years_near_the_date() -> None:
    available = pd.date_range("2021-01-01", "2023-12-31")
    starts = pd.DatetimeIndex(analogue_starts(pd.Timestamp("2024-03-10"), available, 7, 10, 7))
    assert len(starts) == 3 * 15  # three past years inside `available`, ±7 days each
    assert set(starts.year) == {2021, 2022, 2023}
    centres = pd.to_datetime([f"{y}-03-10" for y in starts.year])
    assert ((starts - centres).days.to_numpy() <= 7).all()
    with pytest.raises(ValueError, match="no analogue days"):
        analogue_starts(pd.Timestamp("2024-03-10"), available[-30:], 7, 1, 7)


def test_positions_and_draw_are_the_runs_of_those_days() -> None:
    index = pd.date_range("2021-01-01", "2023-12-31")
    values = np.arange(len(index), dtype=float)[:, None]
    pos = analogue_positions(index, pd.Timestamp("2023-06-01"), 5)
    starts = index[pos]
    assert (starts < pd.Timestamp("2023-06-01")).all() and set(starts.year) == {2021, 2022}
    block = draw_analogues(values, pos, 5, 20, np.random.default_rng(0))
    assert block.shape == (20, 5, 1)
    assert (np.diff(block[:, :, 0], axis=1) == 1).all()  # consecutive days
    assert set(block[:, 0, 0].astype(int)) <= set(pos)


def test_backtest_mode_and_serving_chain_draw_the_same_climatology() -> None:
    _, weather = generate_series(n_days=900, seed=5)
    weather = weather.loc[:, [schema.DATE, *VARS]].copy()
    weather.loc[[40, 41, 300, 301, 302, 303, 304], "wind_mean_ms"] = np.nan  # gaps to fill
    first = weather[schema.DATE].iloc[-1] + pd.Timedelta(days=1)
    dates = pd.date_range(first, periods=7, freq="D")
    backtest = future_weather("climatology", weather, dates, 40, np.random.default_rng(3))
    served = build_weather(
        VARS,
        dates,
        n_paths=40,
        rng=np.random.default_rng(3),
        history=WeatherHistory(weather, "v1"),
        live=None,
    )
    assert served.sources == backtest.sources == ("climatology",) * 7
    assert served.columns == backtest.columns == VARS
    np.testing.assert_array_equal(served.values, backtest.values)
    assert np.ptp(served.values[:, 0, 0]) > 0  # the paths differ
