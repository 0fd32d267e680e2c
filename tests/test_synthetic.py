"""Unit tests for the seeded synthetic data generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.schema import (
    ARRIVALS_COLUMNS,
    WEATHER_COLUMNS,
    validate_arrivals,
    validate_weather,
)
from tests.synthetic import generate_series


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(seed=0)


def test_deterministic_given_seed(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    arrivals, weather = generate_series(seed=0)
    pd.testing.assert_frame_equal(arrivals, series[0])
    pd.testing.assert_frame_equal(weather, series[1])
    other, _ = generate_series(seed=1)
    assert not other["people"].equals(arrivals["people"])


def test_shape_and_columns(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    arrivals, weather = series
    assert list(arrivals.columns) == list(ARRIVALS_COLUMNS)
    assert list(weather.columns) == ["date", *WEATHER_COLUMNS]
    assert len(arrivals) == len(weather) == 1200
    assert arrivals["date"].iloc[0] == pd.Timestamp("2021-01-01")
    assert weather.attrs == {"source": "synthetic", "location": "synthetic"}


def test_daily_index_without_gaps(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    arrivals, weather = series
    for frame in (arrivals, weather):
        steps = frame["date"].diff().dropna()
        assert (steps == pd.Timedelta(days=1)).all()
    assert arrivals["date"].equals(weather["date"])


def test_passes_schema_validators(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    arrivals, weather = series
    checked = validate_arrivals(arrivals)
    pd.testing.assert_frame_equal(checked, arrivals)
    checked_weather = validate_weather(weather)
    assert checked_weather.attrs["source"] == "synthetic"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_zero_share(seed: int) -> None:
    arrivals, _ = generate_series(seed=seed)
    share = float((arrivals["people"] == 0).mean())
    assert 0.45 <= share <= 0.7


def test_non_negative_integer_counts(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    arrivals, _ = series
    for col in ("people", "boats"):
        assert arrivals[col].dtype == np.int64
        assert (arrivals[col] >= 0).all()
    assert ((arrivals["people"] > 0) == (arrivals["boats"] > 0)).all()
    crossing = arrivals[arrivals["boats"] > 0]
    per_boat = crossing["people"] / crossing["boats"]
    assert per_boat.between(40, 60).all()


def test_uncontrolled_and_revised(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    arrivals, _ = series
    unc = arrivals["uncontrolled_landing_boats"]
    assert unc.dtype == "Int64"
    assert unc.iloc[: len(unc) // 3].isna().all()
    rest = unc.iloc[len(unc) // 3 :]
    assert rest.notna().all()
    assert (rest <= arrivals["boats"].iloc[len(unc) // 3 :]).all()
    assert not arrivals["revised"].any()


def test_weather_gating(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    arrivals, weather = series
    crossing = arrivals["people"] > 0
    wind = weather["wind_mean_ms"]
    calm_rate = float(crossing[wind <= 2].mean())
    windy_rate = float(crossing[wind > 5].mean())
    assert calm_rate > 0.65
    assert windy_rate < 0.15
    assert calm_rate > 5 * windy_rate


def test_weather_plausible(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, weather = series
    wind = weather["wind_mean_ms"]
    assert (wind >= 0).all()
    assert 3.0 < wind.mean() < 5.0
    ratio = (weather["gust_max_ms"] / wind)[wind > 1]
    assert ratio.between(1.7, 2.6).mean() > 0.9
    assert (weather["gust_max_ms"] >= weather["wind_max_hourly_ms"]).all()
    assert (weather["wind_max_hourly_ms"] >= wind).all()
    assert weather[list(WEATHER_COLUMNS)].notna().all().all()
