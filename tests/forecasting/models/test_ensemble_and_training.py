"""The stacked ensemble and the hurdle trained as served, on seeded synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from forecasting.models import create
from forecasting.models._train_weather import decay_weights, weather_as_served
from forecasting.models.ensemble import _lead_weights, _score_terms, _simplex
from forecasting.weather.paths import FutureWeather
from tests.synthetic import generate_series

HORIZON = 7
# Fast members for unit tests: the ensemble's machinery does not depend on which.
FAST_MEMBERS = ("hurdle", "climatology")
# The hurdle member without its own P(any) recalibration (its inner origins cost time here).
FAST_MEMBER_PARAMS = {"hurdle": {"recalibrate": False}}


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(n_days=900, start="2021-01-01", seed=0)


def _split(series, n_hist: int = 850):  # type: ignore[no-untyped-def]
    arrivals, weather = series
    hist = arrivals.iloc[:n_hist]
    days = arrivals["date"].iloc[n_hist : n_hist + HORIZON]
    fw = FutureWeather.from_frame(weather[weather["date"].isin(days)])
    return hist, weather[weather["date"] <= hist["date"].iloc[-1]], fw


def test_weather_as_served_blurs_more_at_longer_leads(series) -> None:  # type: ignore[no-untyped-def]
    weather = series[1]
    cols = ("wind_mean_ms", "gust_max_ms")
    obs = weather.loc[:, list(cols)].to_numpy(dtype=float)
    views = weather_as_served(obs, cols, (1, 7))
    assert views.shape == (2, *obs.shape)
    err = np.abs(views[:, :, 0] - obs[:, 0]).mean(axis=1)
    assert 0.3 < err[0] < err[1]
    np.testing.assert_array_equal(views, weather_as_served(obs, cols, (1, 7)))


def test_decay_weights() -> None:
    w = decay_weights(731, 365.0)
    assert w.mean() == pytest.approx(1.0)
    assert w[-1] / w[-366] == pytest.approx(2.0)
    np.testing.assert_array_equal(decay_weights(5, None), np.ones(5))


def test_training_on_observed_weather_stays_reachable(series) -> None:  # type: ignore[no-untyped-def]
    """train_leads=() is the hurdle as it was; the served default weakens the weather
    coefficients (errors in variables attenuate them)."""
    hist, w_hist, fw = _split(series)
    old = create("hurdle", train_leads=(), recalibrate=False).fit(hist, w_hist)
    new = create("hurdle", recalibrate=False).fit(hist, w_hist)
    calm, storm = fw.values.copy(), fw.values.copy()
    wind = list(fw.columns).index("wind_mean_ms")
    calm[..., wind], storm[..., wind] = 1.0, 7.0

    def gap(model) -> float:  # type: ignore[no-untyped-def]
        p = [
            model.predict(HORIZON, FutureWeather(fw.dates, v, fw.columns), 2000, 0).p_any()
            for v in (calm, storm)
        ]
        return float((p[0] - p[1]).mean())

    assert 0.0 < gap(new) < gap(old)
    # Parameter uncertainty is that of one set of days, not of seven copies.
    ratio = np.diag(new.beta_cov_).mean() / np.diag(old.beta_cov_).mean()
    assert 0.3 < ratio < 3.0


def test_model_pickled_before_new_hyperparameters_loads(series) -> None:  # type: ignore[no-untyped-def]
    hist, w_hist, fw = _split(series)
    model = create("hurdle", train_leads=()).fit(hist, w_hist)
    before = model.predict(HORIZON, fw, 200, seed=3).samples
    del model.__dict__["train_leads"], model.__dict__["half_life_days"]  # an older pickle
    assert model.get_params()["train_leads"] == ()
    np.testing.assert_array_equal(model.predict(HORIZON, fw, 200, seed=3).samples, before)


def test_simplex_grid() -> None:
    grid = _simplex(3, 0.25)
    assert len(grid) == 15
    np.testing.assert_allclose(grid.sum(axis=1), 1.0)


def test_lead_weights_pick_the_better_member_per_lead() -> None:
    """Member 0 is sharp and right at lead 1, member 1 at lead 2; identical members
    otherwise (B = 0 between a member and itself)."""
    a = np.zeros((4, 2, 2))
    a[:, 0, 0], a[:, 1, 0] = 1.0, 5.0
    a[:, 0, 1], a[:, 1, 1] = 5.0, 1.0
    b = np.zeros((4, 2, 2, 2))
    b[:, 0, 1] = b[:, 1, 0] = 4.0
    w = _lead_weights(a, b, 0.05)
    assert w[0, 0] > 0.5 and w[1, 1] > 0.5
    np.testing.assert_allclose(w.sum(axis=1), 1.0)


def test_ensemble_uses_only_the_history_it_is_given(series) -> None:  # type: ignore[no-untyped-def]
    """Changing the arrivals after the fitted history does not move the fitted weights, and
    changing those inside it does."""
    arrivals, _ = series
    hist, w_hist, _ = _split(series)
    params = {
        "members": FAST_MEMBERS,
        "member_params": FAST_MEMBER_PARAMS,
        "inner_origins": 4,
        "inner_samples": 100,
    }
    base = create("ensemble", **params).fit(hist, w_hist)
    assert base.weights_.shape == (HORIZON, 2)
    np.testing.assert_allclose(base.weights_.sum(axis=1), 1.0)
    future_changed = arrivals.copy()
    future_changed.loc[850:, "people"] = 10_000
    again = create("ensemble", **params).fit(future_changed.iloc[:850], w_hist)
    np.testing.assert_array_equal(again.weights_, base.weights_)
    assert again.inner_crps_.tolist() == base.inner_crps_.tolist()
    inside = hist.copy()
    inside.loc[inside.index[-5:], "people"] += 50
    moved = create("ensemble", **params).fit(inside, w_hist)
    assert not np.allclose(moved.inner_crps_, base.inner_crps_)


def test_inner_origins_are_issued_as_a_backtest_issues_them(series) -> None:  # type: ignore[no-untyped-def]
    """The ensemble's inner forecasts are a forecast-mode backtest's: the same issued weather
    (the served builder's streams, not a weather maker of their own) and the same issuing, so
    each member's P(any) at the inner origins equals the backtest's at those origins."""
    arrivals, weather = series
    hist = arrivals.iloc[:850]
    origins = [hist["date"].iloc[-1] - pd.Timedelta(days=HORIZON - 1 + 7 * k) for k in (1, 0)]
    n, seed = 200, 5
    cfg = BacktestConfig(
        models=FAST_MEMBERS,
        start=origins[0],
        end=origins[-1],
        weather_modes=("forecast",),
        n_samples=n,
        seed=seed,
        n_jobs=1,
        model_params=FAST_MEMBER_PARAMS,
        weather_draws=1,
    )
    rows = run_backtest(arrivals, weather, cfg).rows
    for origin in origins:  # one fit per origin, as the backtest fits
        known = hist[hist["date"] < origin]
        fitted = [
            create(m, **FAST_MEMBER_PARAMS.get(m, {})).fit(known, weather) for m in FAST_MEMBERS
        ]
        _, _, p, _ = _score_terms(fitted, hist, weather, [origin], HORIZON, (n, seed))
        for i, name in enumerate(FAST_MEMBERS):
            want = rows[(rows["model"] == name) & (rows["origin"] == origin)].sort_values("lead")
            np.testing.assert_allclose(p[0, i], want["p_any"].to_numpy())


def test_ensemble_pool_keeps_paths_and_beats_climatology(series) -> None:  # type: ignore[no-untyped-def]
    arrivals, _ = series
    hist, w_hist, fw = _split(series)
    params = {
        "members": FAST_MEMBERS,
        "member_params": FAST_MEMBER_PARAMS,
        "inner_origins": 6,
        "inner_samples": 100,
    }
    model = create("ensemble", **params).fit(hist, w_hist)
    fc = model.predict(HORIZON, fw, 400, seed=1)
    assert fc.samples.shape == (400, HORIZON) and fc.is_nonnegative_integer()
    again = create("ensemble", **params).fit(hist, w_hist).predict(HORIZON, fw, 400, seed=1)
    np.testing.assert_array_equal(fc.samples, again.samples)
    from forecasting.evaluation import metrics

    actual = arrivals["people"].iloc[850 : 850 + HORIZON].to_numpy(dtype=float)
    clim = create("climatology").fit(hist, w_hist).predict(HORIZON, None, 400, seed=1)
    ens_crps = metrics.crps(fc.samples.T.astype(float), actual).mean()
    clim_crps = metrics.crps(clim.samples.T.astype(float), actual).mean()
    assert ens_crps < clim_crps


def test_sarimax_takes_its_state_without_refit(series) -> None:  # type: ignore[no-untyped-def]
    arrivals, weather = series
    hist, w_hist, _ = _split(series, 800)
    model = create("sarimax").fit(hist, w_hist)
    newer = arrivals.iloc[:830]
    moved = model.condition(newer, weather[weather["date"] <= newer["date"].iloc[-1]])
    assert moved.last_date_ == newer["date"].iloc[-1]
    np.testing.assert_array_equal(moved.beta_, model.beta_)  # same fitted parameters
    assert not np.allclose(moved.mean0_, model.mean0_)  # a new state
