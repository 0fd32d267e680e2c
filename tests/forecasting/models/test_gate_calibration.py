"""The hurdle's shared crossing-day gate and its calibration drawn inside the simulation
(seeded synthetic data): one P(any) for people and boats, draws keyed by day and path,
lead-aware weather, and long runs that keep every path alive."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from forecasting.models import create
from forecasting.models.gate_calibration import (
    GateCalibration,
    InnerPairs,
    fit_gate_calibration,
    inner_origins,
)
from forecasting.weather.future import WeatherStreams, build_future_weather
from forecasting.weather.history import WeatherHistory
from forecasting.weather.paths import FutureWeather
from tests.synthetic import generate_series

HORIZON = 7
FAST = {"recalibrate": True, "recal_origins": 30, "recal_refits": 2, "recal_samples": 100}
T = 1000  # the forecast origin's row


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(n_days=1100, start="2021-01-01", seed=0)


@pytest.fixture(scope="module")
def pair(series):  # type: ignore[no-untyped-def]
    """People and boats hurdles fitted (with calibration) on the history before row T."""
    arrivals, weather = series
    origin = arrivals["date"].iloc[T]
    wx = weather[weather["date"] < origin]
    return {t: create("hurdle", target=t, **FAST).fit(arrivals.iloc[:T], wx) for t in TARGETS}


TARGETS = ("people", "boats")


def _forecast_weather(series, origin: pd.Timestamp, n: int, **inputs) -> FutureWeather:  # type: ignore[no-untyped-def]
    _, weather = series
    days = pd.date_range(origin, periods=HORIZON)
    streams = WeatherStreams(0, origin, "forecast")
    from forecasting.weather.future import WeatherInputs

    return build_future_weather(
        ("wind_mean_ms", "gust_max_ms", "wind_max_hourly_ms", "wind_dir_deg", "precip_mm"),
        days,
        streams,
        WeatherHistory(weather),
        n,
        WeatherInputs(**inputs) if inputs else None,
    )


def test_people_and_boats_share_every_crossing_day(series, pair) -> None:  # type: ignore[no-untyped-def]
    """At many origins, P(any) is identical for both targets (tolerance 0) and no sample
    path has people above zero and boats at zero or the reverse."""
    arrivals, weather = series
    assert pair["people"].recal_ is not None and pair["people"].recal_ == pair["boats"].recal_
    for t in range(T, T + 60, 5):
        origin = arrivals["date"].iloc[t]
        fw = _forecast_weather(series, origin, 400)
        fc = {}
        for target, model in pair.items():
            state = model.condition(arrivals.iloc[:t], weather[weather["date"] < origin])
            fc[target] = state.predict(
                HORIZON, fw, 400, WeatherStreams(0, origin).predict("hurdle")
            )
        np.testing.assert_array_equal(fc["people"].p_any(), fc["boats"].p_any())
        np.testing.assert_array_equal(fc["people"].samples > 0, fc["boats"].samples > 0)
        busy = fc["people"].samples > 0
        assert (fc["people"].samples[busy] >= fc["boats"].samples[busy]).mean() > 0.95


def test_a_days_weather_leaves_earlier_days_bit_identical(series, pair) -> None:  # type: ignore[no-untyped-def]
    """Changing only day k's weather keeps days 1..k−1 bit-identical; asking a longer
    horizon keeps the shorter forecast's days."""
    arrivals, _ = series
    model = pair["people"]
    origin = arrivals["date"].iloc[T]
    days = pd.date_range(origin, periods=HORIZON)
    base = {
        d.date(): {
            "wind_mean_ms": 3.0,
            "gust_max_ms": 8.0,
            "wind_max_hourly_ms": 4.5,
            "wind_dir_deg": 200.0,
            "precip_mm": 0.0,
        }
        for d in days
    }
    fw = _forecast_weather(series, origin, 500, requested=base)
    for k in (2, 4, 6):
        changed = dict(base)
        changed[days[k].date()] = {**base[days[k].date()], "wind_mean_ms": 3.01}
        fw2 = _forecast_weather(series, origin, 500, requested=changed)
        a = model.predict(HORIZON, fw, 500, WeatherStreams(0, origin).predict("hurdle"))
        b = model.predict(HORIZON, fw2, 500, WeatherStreams(0, origin).predict("hurdle"))
        np.testing.assert_array_equal(a.samples[:, :k], b.samples[:, :k])
    short = model.predict(3, fw, 500, WeatherStreams(0, origin).predict("hurdle"))
    np.testing.assert_array_equal(short.samples, a.samples[:, :3])


def _windy(origin: pd.Timestamp, lead: int) -> FutureWeather:
    row = np.array([6.0, 11.0, 8.5, 240.0, 2.0])  # wind, gust, hourly, direction, rain
    cols = ("wind_mean_ms", "gust_max_ms", "wind_max_hourly_ms", "wind_dir_deg", "precip_mm")
    values = np.tile(row, (1, 1, 1))
    return FutureWeather(
        pd.DatetimeIndex([origin]), values, cols, ("request",), np.array([lead]), values[0]
    )


def test_a_windy_forecast_says_less_the_further_ahead(series) -> None:  # type: ignore[no-untyped-def]
    """The same windy forecast lowers P(any) less at lead 7 than at lead 1, and least of all
    is the weather at lead 0 (taken as known) kinder than a forecast."""
    arrivals, weather = series
    origin = arrivals["date"].iloc[T]
    model = create("hurdle", recalibrate=False).fit(
        arrivals.iloc[:T], weather[weather["date"] < origin]
    )
    p = {lead: model.predict(1, _windy(origin, lead), 4000, 1).p_any()[0] for lead in (0, 1, 7)}
    assert p[0] < p[1] < p[7]


def test_the_calibrated_probability_is_what_the_paths_draw(series, pair) -> None:  # type: ignore[no-untyped-def]
    """Day 1's share of crossing paths is the mean of the calibrated per-path probabilities
    (within sampling error): calibration happens inside the simulation."""
    arrivals, _ = series
    model = pair["boats"]
    origin = arrivals["date"].iloc[T]
    fw = _forecast_weather(series, origin, 4000)
    rng = WeatherStreams(0, origin).predict("hurdle")
    raw = model.gate_paths(1, fw, 4000, WeatherStreams(0, origin).predict("hurdle"))
    served = model.predict(HORIZON, fw, 4000, rng).p_any()[0]
    want = model.recal_.prob(raw[:, 0], 1, origin).mean()
    assert served == pytest.approx(want, abs=3 * np.sqrt(want * (1 - want) / 4000))
    assert abs(raw[:, 0].mean() - want) > 1e-3  # the map did move it


def test_calibration_sees_only_history_before_the_origin(series, pair) -> None:  # type: ignore[no-untyped-def]
    arrivals, weather = series
    origin = arrivals["date"].iloc[T]
    cal = pair["people"].recal_
    assert cal is not None and len(cal.origins) == 30 and cal.n_pairs == 30 * HORIZON
    assert max(cal.origins) + pd.Timedelta(days=HORIZON - 1) < origin
    assert len({d.dayofweek for d in cal.origins}) == 7  # every weekday among the origins
    perturbed = arrivals.copy()
    perturbed.loc[T:, ["people", "boats"]] = 50_000
    wx = weather[weather["date"] < origin]
    again = create("hurdle", target="people", **FAST).fit(perturbed.iloc[:T], wx)
    assert again.recal_ == cal


def test_fit_recovers_a_known_map() -> None:
    rng = np.random.default_rng(0)
    m, n = 4000, 50
    days = pd.DatetimeIndex(rng.choice(pd.date_range("2022-01-01", periods=730), m))
    lead = rng.integers(1, 8, m)
    p = np.clip(rng.beta(2, 2, (m, 1)) + rng.normal(0, 0.05, (m, n)), 0.01, 0.99)
    true = GateCalibration(-0.5, 0.8, (-0.05, 0, 0, 0, 0, 0.6, 0.6, 0.0, 0.0), 7, 0, ())
    q = np.array([true.prob(p[i], int(lead[i]), days[i]).mean() for i in range(m)])
    y = rng.random(m) < q
    cal = fit_gate_calibration(InnerPairs(p, lead, days, y, ()))
    assert cal is not None and cal.n_pairs == m
    assert cal.intercept == pytest.approx(-0.5, abs=0.25)
    assert cal.slope == pytest.approx(0.8, abs=0.12)
    assert cal.terms[5] > 0.3 and cal.terms[6] > 0.3  # Saturday and Sunday found
    none = fit_gate_calibration(InnerPairs(p, lead, days, np.zeros(m, bool), ()))
    assert none is None  # one outcome only: no map


def test_inner_origins_fall_on_every_weekday() -> None:
    last = pd.Timestamp("2024-06-30")
    origins = inner_origins(last, 14, 7)
    assert origins[-1] + pd.Timedelta(days=6) == last
    assert len({o.dayofweek for o in origins}) == 7


def test_a_long_run_keeps_every_path_alive(series, pair) -> None:  # type: ignore[no-untyped-def]
    """Climatology weather over 200 days: no path is empty throughout, and 30 days on end
    without a crossing stay rare (the history has none; a ranking that thins the same paths
    every day, as the old after-the-fact map did, leaves a fifth of them empty)."""
    arrivals, weather = series
    model = pair["people"]
    days = pd.date_range(model.last_date_ + pd.Timedelta(days=1), periods=200)
    fw = build_future_weather(
        tuple(model.weather_variables),
        days,
        WeatherStreams(0, days[0], "climatology"),
        WeatherHistory(weather[weather["date"] < days[0]]),
        500,
    )
    fc = model.predict(200, fw, 500, 0, max_days=200)
    assert (fc.samples.sum(axis=1) > 0).all()
    # and no path runs away: a day is at most twice the largest day on record
    assert fc.samples.max() <= 2 * arrivals["people"].iloc[:T].max()
    month = np.lib.stride_tricks.sliding_window_view(fc.samples > 0, 30, axis=1).any(axis=2)
    assert month.mean() > 0.98


def test_the_calibration_travels_with_the_pickle(series, pair) -> None:  # type: ignore[no-untyped-def]
    arrivals, _ = series
    model = pair["people"]
    fw = _forecast_weather(series, arrivals["date"].iloc[T], 300)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        loaded.predict(HORIZON, fw, 300, 1).samples, model.predict(HORIZON, fw, 300, 1).samples
    )


def test_too_short_history_skips_with_a_warning(series, caplog) -> None:  # type: ignore[no-untyped-def]
    arrivals, weather = series
    hist = arrivals.iloc[:400]
    model = create("hurdle", **FAST).fit(hist, weather[weather["date"] <= hist["date"].iloc[-1]])
    assert model.recal_ is None
    assert "lower recal_origins" in caplog.text


def test_count_quantile_is_scipys_inverse_cdf() -> None:
    """The counts' inverse CDF equals scipy's nbinom.ppf, from tiny to huge means."""
    from scipy import stats

    from forecasting.models._hurdle_maths import nbinom_quantile as _nbinom_quantile

    rng = np.random.default_rng(0)
    u = np.clip(rng.random(20_000), 1e-12, 1 - 1e-12)
    for r in (0.3, 1.0, 4.0):
        p = r / (r + np.exp(rng.uniform(-8, 8, u.size)))
        np.testing.assert_array_equal(_nbinom_quantile(u, r, p), stats.nbinom.ppf(u, r, p))
