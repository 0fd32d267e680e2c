"""Future weather as issued: one issued forecast per origin shared by the paths, spread around it.

These are the properties that keep a backtest honest: the paths' mean is the issued forecast,
not the observed weather, so it misses the truth by the stated error; the error keeps its size
near zero wind; rain can appear and vanish; one spec gives the same weather wherever it is
built, whatever the horizon asked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import schema
from forecasting.errors import ConfigError, InputError
from forecasting.weather import (
    ForecastErrorModel,
    WeatherHistory,
    WeatherInputs,
    WeatherStreams,
    build_future_weather,
)
from tests.synthetic import generate_series

VARS = ("wind_mean_ms", "wind_max_hourly_ms", "gust_max_ms", "wind_dir_deg", "precip_mm")


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    return generate_series(n_days=1100, start="2021-01-01", seed=11)[1]


def _build(weather, t, mode="forecast", draw=0, n=200, days=7, inputs=None):  # type: ignore[no-untyped-def]
    dates = pd.date_range(t, periods=days, freq="D")
    streams = WeatherStreams(0, pd.Timestamp(t), mode, draw)
    return build_future_weather(VARS, dates, streams, WeatherHistory(weather), n, inputs)


def _truth(weather: pd.DataFrame, t: str, days: int = 7) -> pd.DataFrame:
    return weather.set_index(schema.DATE).loc[pd.date_range(t, periods=days), list(VARS)]


def test_paths_share_one_issued_forecast_that_misses_the_truth_by_the_stated_error(
    weather: pd.DataFrame,
) -> None:
    origins = pd.date_range("2022-01-03", periods=150, freq="3D")
    errors = []
    for t in origins:
        fw = _build(weather, t, n=400)
        assert set(fw.sources) == {"simulated"}
        errors.append(fw.column("wind_mean_ms").mean(axis=0) - _truth(weather, t)["wind_mean_ms"])
    err = np.array(errors)  # origins × leads: the issued forecast's error, seen through paths
    sd = err.std(axis=0)
    stated = ForecastErrorModel().wind_sd(np.arange(1, 8))
    # The paths' mean carries the issued forecast's own error (the spread's sampling noise
    # around it is small with 400 paths): about the stated s.d. by lead, never zero.
    np.testing.assert_allclose(sd, stated, rtol=0.2)
    assert abs(err.mean()) < 0.3
    assert sd[6] > 1.6 * sd[0]


def test_draws_are_different_issued_forecasts_and_one_draw_is_reproducible(
    weather: pd.DataFrame,
) -> None:
    a = _build(weather, "2022-05-02", draw=0).column("wind_mean_ms").mean(axis=0)
    b = _build(weather, "2022-05-02", draw=1).column("wind_mean_ms").mean(axis=0)
    again = _build(weather, "2022-05-02", draw=0).column("wind_mean_ms").mean(axis=0)
    np.testing.assert_array_equal(a, again)
    assert np.abs(a - b).mean() > 0.3


def test_a_days_weather_does_not_depend_on_the_horizon(weather: pd.DataFrame) -> None:
    short = _build(weather, "2022-07-04", days=3).values
    long = _build(weather, "2022-07-04", days=10).values
    np.testing.assert_array_equal(short, long[:, :3])


def test_near_zero_wind_keeps_the_stated_error() -> None:
    model = ForecastErrorModel()
    truth = np.full((7, 1), 1.5)
    paths = model.spread(truth, ("wind_mean_ms",), 200_000, np.random.default_rng(0))
    err = paths[:, :, 0] - 1.5
    stated = model.wind_sd(np.arange(1, 8))
    np.testing.assert_allclose(err.std(axis=0), stated, rtol=0.10)
    np.testing.assert_allclose(err.mean(axis=0), 0.0, atol=0.03)
    assert paths.min() >= 0.0
    gust = model.spread(np.full((7, 1), 3.0), ("gust_max_ms",), 200_000, np.random.default_rng(1))
    assert (gust[:, :, 0] - 3.0).std(axis=0)[3] >= 1.8 * stated[3] * 0.95


def test_rain_appears_on_dry_days_and_vanishes_on_wet_ones() -> None:
    model = ForecastErrorModel()
    centre = np.array([[0.0], [0.0], [4.0], [4.0], [0.0], [4.0], [0.0]])
    paths = model.spread(centre, ("precip_mm",), 20_000, np.random.default_rng(2))[:, :, 0]
    dry, wet = centre[:, 0] == 0, centre[:, 0] > 0
    assert (paths[:, dry] > 0).mean() > 0.2  # rain appears
    assert (paths[:, wet] == 0).mean() > 0.02  # and vanishes
    assert paths.min() >= 0.0


def test_kinder_error_models_are_refused() -> None:
    with pytest.raises(ConfigError, match="below the floor"):
        ForecastErrorModel(wind_sd_day1=0.5)
    with pytest.raises(ConfigError, match="below the floor"):
        ForecastErrorModel(gust_ratio=1.2)


def test_observed_mode_is_hindsight_and_climatology_uses_only_the_past(
    weather: pd.DataFrame,
) -> None:
    t = "2022-06-01"
    obs = _build(weather, t, mode="observed")
    assert obs.n_paths == 1 and set(obs.sources) == {"hindsight"}
    np.testing.assert_allclose(obs.values[0], _truth(weather, t).to_numpy())
    clim = _build(weather, t, mode="climatology", n=300)
    assert set(clim.sources) == {"climatology"}
    past = weather.loc[weather[schema.DATE] < t, "wind_mean_ms"].to_numpy()
    assert np.isin(clim.column("wind_mean_ms")[:, 0], past).all()
    with pytest.raises(InputError, match="none for"):
        _build(weather.loc[weather[schema.DATE] < "2022-06-04"], t, mode="observed")


def test_days_before_the_issue_date_are_observed_and_leads_count_from_it(
    weather: pd.DataFrame,
) -> None:
    dates = pd.date_range("2022-08-01", periods=10, freq="D")
    t = pd.Timestamp("2022-08-04")
    fw = build_future_weather(VARS, dates, WeatherStreams(0, t), WeatherHistory(weather), 300, None)
    assert fw.sources[:3] == ("observed",) * 3 and set(fw.sources[3:]) == {"simulated"}
    truth = weather.set_index(schema.DATE).loc[dates[:3], "wind_mean_ms"].to_numpy()
    np.testing.assert_allclose(fw.column("wind_mean_ms")[:, :3], np.tile(truth, (300, 1)))
    # The same days issued on t from t on: the bridge does not change them.
    direct = _build(weather, t, n=300)
    np.testing.assert_array_equal(fw.values[:, 3:10], direct.values[:, :7])


def test_a_scenario_is_spread_by_lead_unless_taken_exactly(weather: pd.DataFrame) -> None:
    t = pd.Timestamp("2022-09-05")
    windy = {"wind_mean_ms": 5.0, "wind_max_hourly_ms": 7.5, "gust_max_ms": 10.0,
             "wind_dir_deg": 220.0, "precip_mm": 0.0}  # fmt: skip
    requested = {d.date(): windy for d in pd.date_range(t, periods=7)}
    spread = _build(weather, t, n=2000, inputs=WeatherInputs(requested=requested))
    exact = _build(weather, t, n=2000, inputs=WeatherInputs(requested=requested, uncertainty=False))
    assert set(spread.sources) == {"request"} == set(exact.sources)
    assert exact.n_paths == 1 and (exact.column("wind_mean_ms") == 5.0).all()
    sd = spread.column("wind_mean_ms").std(axis=0)
    assert sd[6] > 1.6 * sd[0] and sd[0] == pytest.approx(1.0, rel=0.15)


def test_the_live_forecast_wins_over_simulation(weather: pd.DataFrame) -> None:
    t = pd.Timestamp("2022-10-03")
    live = _truth(weather, str(t.date()), 3) + 2.0  # the provider's forecast of 3 days
    fw = _build(weather, t, n=500, inputs=WeatherInputs(live=live))
    assert fw.sources[:3] == ("forecast",) * 3 and set(fw.sources[3:]) == {"simulated"}
    centre = fw.column("wind_mean_ms")[:, :3].mean(axis=0)
    np.testing.assert_allclose(centre, live["wind_mean_ms"].to_numpy(), atol=0.35)


def test_bridge_days_past_the_observations_take_the_live_analysis(weather: pd.DataFrame) -> None:
    """The stored weather ends before the bridge: the live provider's past days (asked with
    `past_days`) fill the days it covers, climatology the rest; from T on, its forecast."""
    dates = pd.date_range("2022-08-01", periods=10, freq="D")
    t = pd.Timestamp("2022-08-04")
    lagging = weather.loc[weather[schema.DATE] < dates[0]]  # no observation of any day here
    live_days = pd.date_range("2022-08-02", periods=9, freq="D")  # analysis from 2 Aug on
    live = pd.DataFrame({v: 3.0 for v in VARS}, index=live_days)
    live["wind_mean_ms"] = np.arange(len(live_days), dtype=float)
    inputs = WeatherInputs(live=live)
    streams = WeatherStreams(0, t)
    fw = build_future_weather(VARS, dates, streams, WeatherHistory(lagging), 50, inputs)
    assert fw.sources[:3] == ("climatology", "forecast", "forecast")
    assert set(fw.sources[3:]) == {"forecast"}
    # the analysis is taken as it is (it happened), the same on every path
    np.testing.assert_array_equal(fw.column("wind_mean_ms")[:, 1:3], np.tile([0.0, 1.0], (50, 1)))
