"""The serving chain on plain frames: request, live forecast, observed, climatology, in order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import schema
from forecasting.weather.history import WeatherHistory
from forecasting.weather.serving import WeatherUnavailable, build_weather
from tests.synthetic import generate_series

VARS = ("wind_mean_ms", "gust_max_ms", "wind_max_hourly_ms", "wind_dir_deg", "precip_mm")


@pytest.fixture(scope="module")
def history() -> WeatherHistory:
    _, weather = generate_series(n_days=900, seed=1)
    return WeatherHistory(weather, "v1")


def _origin(history: WeatherHistory) -> pd.Timestamp:
    """The first day after the observed weather."""
    return pd.Timestamp(history.frame[schema.DATE].iloc[-1]) + pd.Timedelta(days=1)


def test_build_weather_order_and_shapes(history: WeatherHistory) -> None:
    dates = pd.date_range(_origin(history) - pd.Timedelta(days=2), periods=6, freq="D")
    live = pd.DataFrame(
        {v: [3.0] * 2 for v in VARS}, index=pd.DatetimeIndex(dates[2:4], name="date")
    )
    wanted = {dates[1].date(): {v: 1.0 for v in VARS}}
    fw = build_weather(
        VARS,
        dates,
        n_paths=50,
        rng=np.random.default_rng(0),
        history=history,
        live=live,
        requested=wanted,
    )
    assert fw.sources == (
        "observed",
        "request",
        "forecast",
        "forecast",
        "climatology",
        "climatology",
    )
    assert fw.values.shape == (50, 6, len(VARS))
    assert np.all(fw.values[:, 1, :] == 1.0)
    assert np.ptp(fw.values[:, 2, 0]) > 0  # forecast days carry lead-time error
    assert np.ptp(fw.values[:, 4, 0]) > 0  # climatology differs between paths
    fixed = build_weather(
        VARS,
        dates[:2],
        n_paths=50,
        rng=np.random.default_rng(0),
        history=history,
        live=None,
        requested=wanted,
    )
    assert fixed.values.shape[0] == 1  # nothing random: one path


def test_no_source_left(history: WeatherHistory) -> None:
    dates = pd.date_range(_origin(history), periods=3, freq="D")
    with pytest.raises(WeatherUnavailable, match="no weather for"):
        build_weather(VARS, dates, n_paths=5, rng=np.random.default_rng(0), history=None, live=None)


def test_climatology_needs_the_variables_and_enough_history(history: WeatherHistory) -> None:
    dates = pd.date_range(_origin(history), periods=3, freq="D")
    with pytest.raises(WeatherUnavailable, match="has no visibility_min_m"):
        bare = WeatherHistory(history.frame.drop(columns=["visibility_min_m"]))
        build_weather(
            ("visibility_min_m",),
            dates,
            n_paths=5,
            rng=np.random.default_rng(0),
            history=bare,
            live=None,
        )
    short = WeatherHistory(history.frame.head(2))
    early = pd.date_range(short.frame[schema.DATE].iloc[-1], periods=3, freq="D")
    with pytest.raises(WeatherUnavailable, match="no observed weather before"):
        build_weather(
            VARS, early, n_paths=5, rng=np.random.default_rng(0), history=short, live=None
        )
    young = WeatherHistory(history.frame.head(100))  # ends before any analogue window
    with pytest.raises(WeatherUnavailable, match="climatology: no analogue days"):
        build_weather(
            VARS, dates, n_paths=5, rng=np.random.default_rng(0), history=young, live=None
        )


def test_the_snapshot_caches_what_every_request_needs(history: WeatherHistory) -> None:
    first = _origin(history)
    assert history.rows is history.rows
    assert history.filled(VARS) is history.filled(VARS)
    assert history.complete_rows(VARS) is history.complete_rows(VARS)
    assert history.analogue_positions(first, 7) is history.analogue_positions(first, 7)
    fresh = WeatherHistory(history.frame, "v2")  # a new snapshot starts afresh
    assert fresh.filled(VARS) is not history.filled(VARS)
    pd.testing.assert_frame_equal(fresh.filled(VARS), history.filled(VARS))
