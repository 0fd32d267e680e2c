"""One contract test for every registered model: fit -> predict on synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ConfigError, InputError
from forecasting.evaluation import metrics
from forecasting.models import REGISTRY, create, model_class, parse_model_list
from forecasting.models.base import Model, NotFittedError
from forecasting.models.baselines import Climatology
from forecasting.weather.paths import FutureWeather
from tests.synthetic import generate_series

HORIZON = 7
FAST = ["seasonal_naive", "climatology", "hurdle"]
SLOW = sorted(set(REGISTRY) - set(FAST))


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(n_days=900, start="2021-01-01", seed=0)


def _split(series, n_hist: int = 850):  # type: ignore[no-untyped-def]
    arrivals, weather = series
    hist = arrivals.iloc[:n_hist]
    future = weather[weather["date"].isin(arrivals["date"].iloc[n_hist : n_hist + HORIZON])]
    return hist, weather[weather["date"] <= hist["date"].iloc[-1]], FutureWeather.from_frame(future)


def _check_contract(name: str, series) -> None:  # type: ignore[no-untyped-def]
    hist, w_hist, fw = _split(series)
    model = create(name, target="people")
    fc = model.fit(hist, w_hist).predict(HORIZON, fw, n_samples=400, seed=1)
    assert fc.samples.shape == (400, HORIZON)
    assert fc.dates[0] == hist["date"].iloc[-1] + pd.Timedelta(days=1)
    if model.nonnegative_integer:
        assert fc.is_nonnegative_integer()
    q = fc.quantiles([0.05, 0.25, 0.5, 0.75, 0.95]).to_numpy()
    assert np.all(np.diff(q, axis=1) >= 0), "quantiles must be monotone in the level"
    lo, hi = fc.interval(80)
    assert np.all(lo <= fc.median()) and np.all(fc.median() <= hi)
    again = create(name, target="people").fit(hist, w_hist).predict(HORIZON, fw, 400, seed=1)
    np.testing.assert_array_equal(fc.samples, again.samples)


@pytest.mark.parametrize("name", FAST)
def test_contract_fast_models(name: str, series) -> None:  # type: ignore[no-untyped-def]
    _check_contract(name, series)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_contract_slow_models(name: str, series) -> None:  # type: ignore[no-untyped-def]
    _check_contract(name, series)


# -- skill: a weather-aware model must beat climatology where the weather decides ----------
# The synthetic series gates crossings on the wind (tests/synthetic.py), so with the observed
# weather a model that reads it must be clearly better than the same weeks of past years.
# 19 weekly origins over the last ~4.5 months of 1200 days; each model is fitted once at the
# first and takes its state at the later ones (`condition`), climatology likewise. Measured
# (people): hurdle 0.855, prophet_weather 0.907, sarimax 0.919; a model that ignores the
# weather scores 1.00 (climatology's paths) and 1.10 (all zeros), so 0.93 separates them.
SKILL_DAYS = 1200
SKILL_ORIGINS = tuple(range(1060, SKILL_DAYS - HORIZON + 1, 7))
SKILL_MAX_RATIO = 0.93  # model CRPS / climatology CRPS, at most
WEATHER_AWARE = sorted(n for n in REGISTRY if model_class(n).uses_weather)
FAST_WEATHER = [n for n in WEATHER_AWARE if n == "hurdle"]
SLOW_WEATHER = [n for n in WEATHER_AWARE if n not in FAST_WEATHER]


@pytest.fixture(scope="module")
def skill_series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(n_days=SKILL_DAYS, start="2021-01-01", seed=0)


def _skill_ratio(model: Model, series) -> float:  # type: ignore[no-untyped-def]
    """Mean CRPS of `model` over the skill origins under the observed weather, divided by
    climatology's on the same origins."""
    arrivals, weather = series
    first = arrivals["date"].iloc[SKILL_ORIGINS[0]]
    fitted = {
        "model": model.fit(arrivals.iloc[: SKILL_ORIGINS[0]], weather[weather["date"] < first]),
        "climatology": create("climatology").fit(arrivals.iloc[: SKILL_ORIGINS[0]]),
    }
    scores: dict[str, list[float]] = {k: [] for k in fitted}
    for t in SKILL_ORIGINS:
        hist, origin = arrivals.iloc[:t], arrivals["date"].iloc[t]
        days = arrivals["date"].iloc[t : t + HORIZON]
        fw = FutureWeather.from_frame(weather[weather["date"].isin(days)])
        actual = arrivals["people"].iloc[t : t + HORIZON].to_numpy(dtype=float)
        for key, m in fitted.items():
            state = m.condition(hist, weather[weather["date"] < origin])
            fc = state.predict(HORIZON, fw if m.uses_weather else None, 500, seed=t)
            scores[key].append(float(metrics.crps(fc.samples.T.astype(float), actual).mean()))
    return float(np.mean(scores["model"]) / np.mean(scores["climatology"]))


class _AllZero(Model):
    """A weather-aware impostor that always forecasts no crossings."""

    name = "all_zero"
    uses_weather = True
    supports_conditioning = True

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        pass

    def _condition(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        pass

    def _predict(self, dates, weather, n_samples, rng):  # type: ignore[no-untyped-def]
        return np.zeros((n_samples, len(dates)), dtype=np.int64)


class _ClimatologyCopy(Climatology):
    """A weather-aware impostor that takes the weather and ignores it (climatology's paths)."""

    name = "climatology_copy"
    uses_weather = True


@pytest.mark.parametrize("impostor", [_AllZero, _ClimatologyCopy])
def test_skill_check_fails_models_that_ignore_the_weather(impostor, skill_series) -> None:  # type: ignore[no-untyped-def]
    assert _skill_ratio(impostor(), skill_series) > SKILL_MAX_RATIO


@pytest.mark.parametrize("name", FAST_WEATHER)
def test_weather_aware_model_beats_climatology(name: str, skill_series) -> None:  # type: ignore[no-untyped-def]
    assert _skill_ratio(create(name), skill_series) <= SKILL_MAX_RATIO


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW_WEATHER)
def test_slow_weather_aware_model_beats_climatology(name: str, skill_series) -> None:  # type: ignore[no-untyped-def]
    assert _skill_ratio(create(name), skill_series) <= SKILL_MAX_RATIO


def test_hurdle_follows_the_weather(series) -> None:  # type: ignore[no-untyped-def]
    hist, w_hist, fw = _split(series)
    model = create("hurdle", recalibrate=False).fit(hist, w_hist)
    calm, storm = fw.values.copy(), fw.values.copy()
    cols = list(fw.columns)
    for col, c_val, s_val in [
        ("wind_mean_ms", 1.0, 9.0),
        ("gust_max_ms", 3.0, 18.0),
        ("wind_max_hourly_ms", 2.0, 13.0),
    ]:
        calm[..., cols.index(col)] = c_val
        storm[..., cols.index(col)] = s_val
    p_calm = model.predict(HORIZON, FutureWeather(fw.dates, calm, fw.columns), 500, 0).p_any()
    p_storm = model.predict(HORIZON, FutureWeather(fw.dates, storm, fw.columns), 500, 0).p_any()
    assert p_calm.mean() > 0.6 and p_storm.mean() < 0.15


def test_hurdle_backlog_follows_each_path(series) -> None:  # type: ignore[no-untyped-def]
    """Paths that stayed blocked longer surge more once the weather opens."""
    hist, w_hist, fw = _split(series)
    model = create("hurdle", recalibrate=False).fit(hist, w_hist)
    vals = fw.values.copy()
    cols = list(fw.columns)
    vals[..., cols.index("wind_mean_ms")] = 3.2  # marginal days: some paths blocked, some not
    vals[:, -1, cols.index("wind_mean_ms")] = 1.0  # a calm last day
    fc = model.predict(HORIZON, FutureWeather(fw.dates, vals, fw.columns), 4000, 0)
    blocked_all = (fc.samples[:, :-1] == 0).all(axis=1)
    last = fc.samples[:, -1]
    assert blocked_all.sum() > 50 and (~blocked_all).sum() > 50
    assert last[blocked_all].mean() > last[~blocked_all].mean()


def test_bad_model_inputs(series) -> None:  # type: ignore[no-untyped-def]
    hist, w_hist, fw = _split(series)
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        parse_model_list("hurdle,nope")
    with pytest.raises(ConfigError, match="bad hyperparameters"):
        create("hurdle", history_dayz=3)
    with pytest.raises(NotFittedError):
        create("hurdle").predict(HORIZON, fw)
    model = create("hurdle", recalibrate=False).fit(hist, w_hist)
    # A model simulates at most the bridge plus the longest horizon (14 + 14 days).
    with pytest.raises(ConfigError, match="horizon must be between 1 and 28 simulated days"):
        model.predict(29, fw)
    with pytest.raises(InputError, match="needs weather"):
        model.predict(HORIZON, None)
    gappy = fw.values.copy()
    gappy[0, 3, list(fw.columns).index("gust_max_ms")] = np.nan
    with pytest.raises(InputError, match="no 'gust_max_ms' on"):
        model.predict(HORIZON, FutureWeather(fw.dates, gappy, fw.columns))
    with pytest.raises(InputError, match="needs at least"):
        create("hurdle").fit(hist.iloc[:10], w_hist)
