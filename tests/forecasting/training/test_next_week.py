"""The training job's next-week forecast is issued as the backtest and the API issue theirs:
at its issue date it is the backtest's forecast-mode row, and it says which weather each day
used."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from forecasting.models import Model, create
from forecasting.training.next_week import issue_next_week
from forecasting.training.plan import NextDays
from forecasting.training.provenance import TrainingData
from tests.synthetic import generate_series

N_DAYS, LAST = 900, 850  # arrivals to day LAST; the weather and the actuals go on
PARAMS = {"history_days": 365}
NEXT = NextDays(horizon=7, n_samples=200, seed=0)


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(N_DAYS, seed=4)


def _data(arrivals: pd.DataFrame, weather: pd.DataFrame) -> TrainingData:
    return TrainingData(Path("unused"), arrivals, weather, {}, "sha")


def _fitted(name: str, data: TrainingData, **params: object) -> Model:
    model = create(name, target="people", **params)
    return model.fit(data.arrivals, data.weather.loc[data.weather["date"] <= data.last_date])


def test_next_week_is_the_backtest_forecast_at_its_issue_date(
    series: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    arrivals, weather = series
    data = _data(arrivals.iloc[:LAST], weather)
    nw = issue_next_week(_fitted("hurdle", data, **PARAMS), data, NEXT)
    t = data.last_date + pd.Timedelta(days=1)
    cfg = BacktestConfig(
        models=["hurdle"],
        start=t,
        end=t,
        weather_modes=("forecast",),
        n_samples=NEXT.n_samples,
        seed=NEXT.seed,
        n_jobs=1,
        model_params={"hurdle": PARAMS},
        weather_draws=1,
    )
    rows = run_backtest(arrivals, weather, cfg).rows
    table = nw.table()
    assert (table["issue_date"] == t).all() and list(table["lead"]) == list(range(1, 8))
    for col in ("median", "mean", "p_any", "lo-80", "hi-80", "lo-95", "hi-95"):
        assert table[col].to_numpy() == pytest.approx(rows[col].to_numpy(), rel=1e-12), col


def test_each_day_says_where_its_weather_came_from(
    series: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    arrivals, weather = series
    # The weather file runs 3 days past the arrivals: 3 simulated forecast days, then
    # climatology.
    ahead = weather.iloc[: LAST + 3]
    data = _data(arrivals.iloc[:LAST], ahead)
    nw = issue_next_week(_fitted("hurdle", data, **PARAMS), data, NEXT)
    assert nw.issued.sources == ("simulated",) * 3 + ("climatology",) * 4
    assert nw.hindcast
    assert nw.label() == (
        f"hindcast issued {nw.issue_date.date()}, weather climatology ×4, simulated ×3"
    )
    table = nw.table()
    assert list(table["weather"]) == list(nw.issued.sources) and table["hindcast"].all()
    example = nw.example()
    assert list(example["date"]) == list(nw.issued.forecast.dates)
    assert {"wind_mean_ms", "gust_max_ms"} <= set(example.columns)
    assert example["wind_dir_deg"].between(0, 360).all()
    # No observed weather after the arrivals: a forecast on climatology, not a hindcast.
    bare = _data(arrivals.iloc[:LAST], weather.iloc[:LAST])
    plain = issue_next_week(_fitted("hurdle", bare, **PARAMS), bare, NEXT)
    assert set(plain.issued.sources) == {"climatology"} and not plain.hindcast
    assert plain.label().startswith("forecast issued")


def test_weather_blind_model(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    arrivals, weather = series
    data = _data(arrivals.iloc[:LAST], weather)
    nw = issue_next_week(_fitted("climatology", data), data, NEXT)
    assert nw.issued.sources == ("none",) * 7 and not nw.hindcast
    assert nw.label().endswith("weather not used ×7")
    assert list(nw.example().columns) == ["date"]
