"""The season outlook on seeded synthetic data: coherent totals, ordered bands, year to date,
the window's limits, and the models that may run a season."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting import models, schema
from forecasting.contract import MAX_OUTLOOK_DAYS
from forecasting.issuing import CannotIssue
from forecasting.outlook import (
    default_thresholds,
    outlook_window,
    pooled,
    simulate_outlook,
    year_to_date,
)
from forecasting.weather.history import WeatherHistory
from tests.synthetic import generate_series


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """1000 synthetic days from 2021-01-01 (to 2023-09-27)."""
    return generate_series(1000, "2021-01-01", seed=5)


@pytest.fixture(scope="module")
def hurdle(data: Any) -> models.Model:
    arrivals, weather = data
    return models.create("hurdle", history_days=730).fit(arrivals, weather)


@pytest.fixture(scope="module")
def climatology(data: Any) -> models.Model:
    arrivals, weather = data
    return models.create("climatology").fit(arrivals, weather)


def _outlook(model: models.Model, data: Any, until: str, n: int = 300) -> Any:
    arrivals, weather = data
    return simulate_outlook(model, arrivals, WeatherHistory(weather), pd.Timestamp(until), n, 0)


def test_totals_are_sums_of_the_daily_paths(hurdle: models.Model, data: Any) -> None:
    o = _outlook(hurdle, data, "2023-11-30")
    assert o.start == pd.Timestamp("2023-09-28")
    daily = o.daily()
    assert daily.dates[0] == o.start and daily.dates[-1] == pd.Timestamp("2023-11-30")
    np.testing.assert_array_equal(o.totals(), daily.samples.sum(axis=1))
    assert o.forecast.dates[-1] == pd.Timestamp("2023-12-31")  # paths reach the year end
    s = o.summary((50, 80, 95))
    assert s["total"]["median"] == int(np.quantile(o.totals(), 0.5, method="inverted_cdf"))
    assert s["total"]["mean"] == pytest.approx(o.totals().mean(), abs=0.1)
    assert s["days"] == 64


def test_bands_are_nested_and_ordered(hurdle: models.Model, data: Any) -> None:
    s = _outlook(hurdle, data, "2024-03-31").summary((50, 80, 95))
    for part in (s["total"], s["year_end"]):
        b = part["bands"]
        assert b["95"]["lo"] <= b["80"]["lo"] <= b["50"]["lo"] <= part["median"]
        assert part["median"] <= b["50"]["hi"] <= b["80"]["hi"] <= b["95"]["hi"]
        assert b["80"]["lo"] < b["80"]["hi"]  # a season total is uncertain
    probs = [row["probability"] for row in s["exceedance"]]
    assert probs == sorted(probs, reverse=True)


def test_year_to_date_and_year_end(climatology: models.Model, data: Any) -> None:
    arrivals, _ = data
    o = _outlook(climatology, data, "2023-10-31")
    dates = arrivals[schema.DATE]
    expected = int(arrivals.loc[dates >= "2023-01-01", schema.PEOPLE].sum())
    assert o.year_to_date == expected == year_to_date(arrivals, schema.PEOPLE, o.start)
    rest = o.forecast.samples[:, : (pd.Timestamp("2023-12-31") - o.start).days + 1].sum(axis=1)
    np.testing.assert_array_equal(o.year_end_totals(), expected + rest)
    s = o.summary()
    assert s["year_to_date"] == {"year": 2023, "through": "2023-09-27", "actual": expected}
    assert s["year_end"]["median"] >= expected


def test_window_limits() -> None:
    end = pd.Timestamp("2023-09-27")
    start, until = outlook_window(end, pd.Timestamp("2024-09-27"))  # 2024 is a leap year
    assert (until - start).days + 1 == MAX_OUTLOOK_DAYS
    with pytest.raises(CannotIssue) as late:
        outlook_window(end, pd.Timestamp("2024-09-28"))
    assert late.value.field == "until" and "366" in str(late.value)
    with pytest.raises(CannotIssue, match="before the outlook's first day"):
        outlook_window(end, end)


def test_a_full_366_day_outlook_runs(hurdle: models.Model, data: Any) -> None:
    o = _outlook(hurdle, data, "2024-09-27", n=50)
    assert o.daily().horizon == MAX_OUTLOOK_DAYS
    assert o.forecast.is_nonnegative_integer()
    # climatology weather is a new draw per path: the paths differ
    assert np.unique(o.totals()).size > 10


def test_model_that_cannot_run_a_season_is_refused(data: Any) -> None:
    arrivals, weather = data
    sarimax = models.create("seasonal_naive")
    sarimax.name = "sarimax"  # type: ignore[misc]
    sarimax.fit(arrivals, weather)
    with pytest.raises(CannotIssue) as exc:
        simulate_outlook(sarimax, arrivals, WeatherHistory(weather), pd.Timestamp("2023-12-01"))
    assert exc.value.field == "model"


def test_same_seed_same_outlook_and_pooling(
    hurdle: models.Model, climatology: models.Model, data: Any
) -> None:
    a = _outlook(hurdle, data, "2023-12-31")
    b = _outlook(hurdle, data, "2023-12-31")
    np.testing.assert_array_equal(a.totals(), b.totals())
    c = _outlook(climatology, data, "2023-12-31")
    mix = pooled([a, c])
    assert mix.forecast.n_samples == a.forecast.n_samples + c.forecast.n_samples
    np.testing.assert_array_equal(np.sort(mix.totals()), np.sort(np.r_[a.totals(), c.totals()]))


def test_default_thresholds_are_round_numbers_around_the_median() -> None:
    assert default_thresholds(np.array([9561, 9561])) == [7600, 9600, 11000]
    assert default_thresholds(np.zeros(3)) == [1]
