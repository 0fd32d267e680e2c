"""The training job's next-days weather: a simulated forecast where observed, else climatology."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.weather.modes import future_weather, next_days_weather
from tests.synthetic import generate_series


def test_next_days_inside_the_weather_are_a_simulated_forecast() -> None:
    _, weather = generate_series(n_days=800, seed=2)
    dates = pd.date_range(weather[schema.DATE].iloc[-7], periods=7, freq="D")
    fw, frame, mode = next_days_weather(weather, dates, 30, seed=4)
    assert mode == "forecast" and fw.sources == ("forecast",) * 7
    expected = future_weather("forecast", weather, dates, 30, np.random.default_rng([4, 7]))
    np.testing.assert_array_equal(fw.values, expected.values)
    assert frame[schema.DATE].tolist() == list(dates)
    np.testing.assert_array_equal(
        frame["wind_mean_ms"].to_numpy(), weather["wind_mean_ms"].to_numpy()[-7:]
    )


def test_next_days_after_the_weather_are_climatology() -> None:
    _, weather = generate_series(n_days=800, seed=2)
    dates = pd.date_range(weather[schema.DATE].iloc[-3], periods=7, freq="D")
    fw, frame, mode = next_days_weather(weather, dates, 30, seed=4)
    assert mode == "climatology" and fw.n_paths == 30
    past = weather.loc[weather[schema.DATE] < dates[0]]
    expected = future_weather("climatology", past, dates, 30, np.random.default_rng([4, 7]))
    np.testing.assert_array_equal(fw.values, expected.values)
    pd.testing.assert_frame_equal(frame, fw.mean_frame())
    again = next_days_weather(weather, dates, 30, seed=4)[0]
    np.testing.assert_array_equal(again.values, fw.values)
