"""Prophet and SARIMAX wrappers on the seeded synthetic series: shapes, counts, seeds,
response to the weather, input errors, and the shared regressors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from forecasting import schema
from forecasting.errors import InputError
from forecasting.models import create
from forecasting.models._regressors import (
    WEATHER_INPUTS,
    historical_regressors,
    path_regressors,
    weather_regressors,
)
from forecasting.models.base import Model
from forecasting.models.prophet_models import PlainProphet, WeatherProphet, _path_samples
from forecasting.models.sarimax import WeatherSarimax, forecast_error_cov
from forecasting.weather.paths import FutureWeather
from tests.synthetic import generate_series

N_FIT = 760  # a little over two years, so Prophet does not warn about yearly seasonality
H = 7
ALL = ["prophet", "prophet_weather", "sarimax"]
WEATHER = ["prophet_weather", "sarimax"]
Data = tuple[pd.DataFrame, pd.DataFrame, FutureWeather]


@pytest.fixture(scope="module")
def data() -> Data:
    """History, its weather, and the true weather of the 7 following days."""
    arrivals, weather = generate_series(N_FIT + H, start="2021-01-01", seed=11)
    return arrivals.iloc[:N_FIT], weather.iloc[:N_FIT], FutureWeather.from_frame(weather[N_FIT:])


@pytest.fixture(scope="module")
def fitted(data: Data) -> dict[str, Model]:
    """Each model fitted once (about 2 s for all three)."""
    hist, w_hist, _ = data
    return {name: create(name).fit(hist, w_hist) for name in ALL}


def _scenario(fw: FutureWeather, wind: float, gust: float, precip: float) -> FutureWeather:
    """The same days with hand-set wind, gust and rain on every day."""
    vals = fw.values.copy()
    cols = list(fw.columns)
    for col, value in (("wind_mean_ms", wind), ("gust_max_ms", gust), ("precip_mm", precip)):
        vals[..., cols.index(col)] = value
    return FutureWeather(fw.dates, vals, fw.columns)


def test_registry_and_hyperparameters() -> None:
    assert isinstance(create("prophet"), PlainProphet)
    assert isinstance(create("prophet_weather"), WeatherProphet)
    assert isinstance(create("sarimax"), WeatherSarimax)
    model = create("sarimax", target="boats", order=(2, 0, 0), history_days=400)
    clone = model.clone()
    assert clone.get_params() == model.get_params()
    assert model.get_params() == {
        "target": "boats",
        "order": (2, 0, 0),
        "fourier_terms": 2,
        "history_days": 400,
    }
    assert create("prophet_weather").weather_variables == WEATHER_INPUTS
    assert create("sarimax").weather_variables == WEATHER_INPUTS
    assert set(WEATHER_INPUTS) <= set(schema.WEATHER_COLUMNS)
    assert create("prophet").weather_variables == ()


def test_prophet_is_imported_lazily() -> None:
    code = (
        "import sys, forecasting.models.prophet_models; "
        "assert 'prophet' not in sys.modules, 'prophet imported at module import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", ALL)
def test_shapes_and_counts(name: str, fitted: dict[str, Model], data: Data) -> None:
    hist, w_hist, fw = data
    model = fitted[name]
    fc = model.predict(H, fw if model.uses_weather else None, n_samples=300, seed=1)
    assert fc.samples.shape == (300, H)
    assert fc.dates[0] == w_hist["date"].iloc[-1] + pd.Timedelta(days=1)
    q = fc.quantiles([0.05, 0.25, 0.5, 0.75, 0.95]).to_numpy()
    assert np.all(np.diff(q, axis=1) >= 0)
    if name == "prophet":  # the untouched peer: floats, not rounded or clipped
        assert fc.samples.dtype.kind == "f"
        assert not np.allclose(fc.samples, np.rint(fc.samples))
    else:
        assert fc.is_nonnegative_integer()
        assert fc.samples.max() <= 3 * hist["people"].max()  # the sanity cap


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_samples(name: str, fitted: dict[str, Model], data: Data) -> None:
    fw = data[2] if fitted[name].uses_weather else None
    model = fitted[name]
    np.random.seed(123)
    before = np.random.get_state()[1].copy()  # type: ignore[index]
    a = model.predict(H, fw, n_samples=250, seed=7).samples
    b = model.predict(H, fw, n_samples=250, seed=7).samples
    c = model.predict(H, fw, n_samples=250, seed=8).samples
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # Prophet draws from numpy's global RNG; the wrapper restores its state afterwards.
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # type: ignore[index]


@pytest.mark.parametrize("name", WEATHER)
def test_calm_day_beats_stormy_day(name: str, fitted: dict[str, Model], data: Data) -> None:
    fw = data[2]
    model = fitted[name]
    calm = model.predict(H, _scenario(fw, wind=1.0, gust=2.5, precip=0.0), 500, seed=0)
    storm = model.predict(H, _scenario(fw, wind=9.0, gust=18.0, precip=4.0), 500, seed=0)
    assert np.all(calm.median() >= 10) and np.all(storm.median() == 0)
    assert np.all(calm.mean() > 10 * storm.mean() + 10)
    assert calm.p_any().min() > 0.7 and storm.p_any().max() < 0.35


@pytest.mark.parametrize("name", WEATHER)
def test_many_weather_paths(name: str, fitted: dict[str, Model], data: Data) -> None:
    """Samples spread over weather paths (one path per sample for prophet_weather, split
    by the base class for sarimax); a calm and a stormy path mix."""
    fw = data[2]
    calm = _scenario(fw, 1.0, 2.5, 0.0).values
    storm = _scenario(fw, 9.0, 18.0, 4.0).values
    mixed = FutureWeather(fw.dates, np.concatenate([calm, storm]), fw.columns)
    fc = fitted[name].predict(H, mixed, n_samples=400, seed=3)
    assert fc.samples.shape == (400, H) and fc.is_nonnegative_integer()
    assert 0.35 < fc.p_any().mean() < 0.75


@pytest.mark.parametrize("name", WEATHER)
def test_weather_input_errors(name: str, fitted: dict[str, Model], data: Data) -> None:
    model = fitted[name]
    fw = data[2]
    with pytest.raises(InputError, match="needs weather"):
        model.predict(H, None)
    keep = [c for c in fw.columns if c != "gust_max_ms"]
    idx = [fw.columns.index(c) for c in keep]
    lacking = FutureWeather(fw.dates, fw.values[:, :, idx], tuple(keep))
    with pytest.raises(InputError, match="lacks 'gust_max_ms'") as err:
        model.predict(H, lacking)
    assert err.value.column == "gust_max_ms"
    with pytest.raises(InputError, match="needs historical weather"):
        create(name).fit(data[0], None)
    with pytest.raises(InputError, match="precip_mm"):
        create(name).fit(data[0], data[1].drop(columns="precip_mm"))


def test_sarimax_paths_match_the_statsmodels_forecast(fitted: dict[str, Model], data: Data) -> None:
    """The closed-form path distribution is get_forecast's mean and variance, and its
    cross-day covariance matches statsmodels' own simulation."""
    model = fitted["sarimax"]
    assert isinstance(model, WeatherSarimax)
    fw = data[2]
    exog = model.future_exog(fw.dates, fw)
    fc = model.result_.get_forecast(H, exog=exog)
    np.testing.assert_allclose(model.mean0_[:H] + exog @ model.beta_, fc.predicted_mean)
    cov = model.chol_ @ model.chol_.T
    np.testing.assert_allclose(np.diag(cov)[:H], fc.var_pred_mean, rtol=1e-8)
    # With differencing the forecast errors accumulate: large cross-day covariances.
    arima = WeatherSarimax(order=(1, 1, 0), history_days=200)
    arima.fit(data[0], data[1])
    sigma = forecast_error_cov(arima.result_, H)
    n = 4_000
    sims = arima.result_.simulate(
        H, repetitions=n, anchor="end", exog=arima.future_exog(fw.dates, fw), rng=0
    )
    emp = np.cov(np.asarray(sims).reshape(H, n))
    se = np.sqrt((np.outer(np.diag(sigma), np.diag(sigma)) + sigma**2) / n)
    assert np.all(np.abs(emp - sigma) < 5 * se)
    assert sigma[0, 1] > 10 * se[0, 1]  # the check above is not vacuous


def test_historical_regressors_fill_and_lag() -> None:
    _, weather = generate_series(40, start="2022-03-01", seed=2)
    hist_dates = weather["date"].iloc[10:30]
    gappy = weather.drop(index=[20]).copy()  # a missing day ...
    gappy.loc[25, "wind_mean_ms"] = np.nan  # ... and a missing value
    regs, last_wind = historical_regressors(hist_dates, gappy)
    wind = weather["wind_mean_ms"].to_numpy()
    assert len(regs) == 20 and not regs.isna().any().any()
    assert regs["wind_lag1"].iloc[0] == wind[9]  # from the day before the history
    assert regs["wind"].iloc[10] == wind[19]  # day 20 forward-filled from day 19
    assert regs["wind"].iloc[15] == wind[24]  # NaN on day 25 forward-filled
    np.testing.assert_array_equal(regs["wind_lag1"].iloc[1:], regs["wind"].iloc[:-1])
    assert last_wind == wind[29]
    assert set(regs["calm"].unique()) <= {0.0, 1.0}
    # Weather that starts with the history: the first lag is that day's own wind.
    regs2, _ = historical_regressors(hist_dates, weather.iloc[10:])
    assert regs2["wind_lag1"].iloc[0] == wind[10]
    with pytest.raises(InputError, match="lacks 'gust_max_ms'"):
        historical_regressors(hist_dates, weather.drop(columns="gust_max_ms"))


def test_weather_prophet_samples_are_prophets_own_per_path(
    fitted: dict[str, Model], data: Data
) -> None:
    """Sample i is drawn under weather path i % paths, from Prophet's own predictive
    distribution under that path's regressors: with the same seed, the samples of path k
    are `predictive_samples`' samples for a frame holding path k (to rounding)."""
    model = fitted["prophet_weather"]
    assert isinstance(model, WeatherProphet) and model.weather_paths
    fw = data[2]
    calm = _scenario(fw, 1.0, 2.5, 0.0).values
    paths = FutureWeather(fw.dates, np.concatenate([fw.values, calm, 2 * fw.values]), fw.columns)
    regs = path_regressors(paths, model.last_wind_)
    n = model.model_.uncertainty_samples  # one predictive_samples call gives this many
    out = _path_samples(model.model_, fw.dates, regs, n, np.random.default_rng(5))
    seed = int(np.random.default_rng(5).integers(2**31))
    for k in range(paths.n_paths):
        frame = weather_regressors(paths.subset_paths(np.array([k])), model.last_wind_)
        for col in frame:  # the vectorised regressors are the one-path ones, exactly
            np.testing.assert_array_equal(regs[col][k], frame[col].to_numpy())
        frame.insert(0, "ds", fw.dates)
        state = np.random.get_state()
        np.random.seed(seed)
        ref = np.asarray(model.model_.predictive_samples(frame)["yhat"]).T
        np.random.set_state(state)
        np.testing.assert_allclose(out[k :: paths.n_paths], ref[k :: paths.n_paths], atol=1e-12)
    # the features are cached per fitted model and dates: a second call gives the same
    again = _path_samples(model.model_, fw.dates, regs, n, np.random.default_rng(5))
    np.testing.assert_array_equal(again, out)
    with pytest.raises(ValueError, match="regressors"):
        _path_samples(model.model_, fw.dates, {"wind": regs["wind"]}, n, np.random.default_rng(5))
