"""Rolling-origin backtest: no look-ahead, reproducibility, metrics frame, CLI contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecasting.cli import app
from forecasting.errors import ConfigError, InputError
from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from forecasting.models import REGISTRY
from forecasting.models.base import Model
from forecasting.weather.modes import ForecastErrorModel, future_weather
from forecasting.weather.paths import FutureWeather
from tests.synthetic import generate_series


class Spy(Model):
    """Records the last day of arrivals and weather each fit saw."""

    name = "spy"
    uses_weather = True
    weather_paths = True
    seen: ClassVar[list[tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]]] = []

    def _fit(self, history: pd.DataFrame, weather: pd.DataFrame | None) -> None:
        assert weather is not None
        Spy.seen.append((history["date"].max(), weather["date"].max(), self.last_date_))

    def _predict(self, dates, weather, n_samples, rng):  # type: ignore[no-untyped-def]
        return np.zeros((n_samples, len(dates)))


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(n_days=800, start="2021-01-01", seed=3)


def _cfg(**kw) -> BacktestConfig:  # type: ignore[no-untyped-def]
    base = dict(
        models=["hurdle", "climatology"],
        start="2022-03-07",
        end="2022-04-25",
        step=7,
        horizon=7,
        n_samples=200,
        seed=0,
        n_jobs=1,
    )
    base.update(kw)
    return BacktestConfig(**base)  # type: ignore[arg-type]


def test_no_origin_sees_its_own_day_or_later(series, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(REGISTRY, "spy", ("tests.unit.test_backtest", "Spy"))
    Spy.seen.clear()
    cfg = _cfg(models=["spy"], weather_modes=["observed", "forecast", "climatology"])
    result = run_backtest(*series, cfg)
    assert len(Spy.seen) == len(cfg.origins) == 8
    for origin, (last_arrival, last_weather, last_fit) in zip(cfg.origins, Spy.seen, strict=True):
        assert last_arrival == last_weather == last_fit == origin - pd.Timedelta(days=1)
    assert set(result.rows["weather_mode"]) == {"observed", "forecast", "climatology"}
    first = result.rows.groupby("origin")["date"].min()
    assert (first.index == first.to_numpy()).all()


def test_climatology_weather_uses_only_the_past(series) -> None:  # type: ignore[no-untyped-def]
    _, weather = series
    dates = pd.date_range("2022-06-01", periods=7)
    past = weather[weather["date"] < dates[0]]
    fw = future_weather("climatology", past, dates, 300, np.random.default_rng(0))
    assert fw.values.shape[0] == 300 and set(fw.sources) == {"climatology"}
    # Every drawn path equals a run of earlier observed days.
    wind = past.set_index("date")["wind_mean_ms"]
    assert np.isin(fw.column("wind_mean_ms")[:, 0], wind.to_numpy()).all()


def test_forecast_mode_error_grows_with_lead(series) -> None:  # type: ignore[no-untyped-def]
    _, weather = series
    dates = pd.date_range("2022-06-01", periods=7)
    truth = weather.set_index("date").loc[dates, "wind_mean_ms"].to_numpy()
    fw = future_weather("forecast", weather, dates, 4000, np.random.default_rng(1))
    err = fw.column("wind_mean_ms") - truth
    sd = err.std(axis=0)
    assert sd[0] == pytest.approx(1.0, abs=0.25) and sd[6] > sd[0] * 1.6
    gust = fw.column("gust_max_ms") - weather.set_index("date").loc[dates, "gust_max_ms"].to_numpy()
    assert gust.std(axis=0)[3] > 1.5 * sd[3]
    with pytest.raises(ConfigError, match="below the floor"):
        ForecastErrorModel(wind_sd_day1=0.5)


def test_same_seed_same_numbers(series) -> None:  # type: ignore[no-untyped-def]
    a = run_backtest(*series, _cfg()).summary()
    b = run_backtest(*series, _cfg(n_jobs=2)).summary()
    cols = ["crps", "wis", "mae", "coverage_80", "brier"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    c = run_backtest(*series, _cfg(seed=1)).summary()
    assert not np.allclose(a["crps"], c["crps"])


def test_a_models_numbers_do_not_depend_on_the_company_it_keeps(series) -> None:  # type: ignore[no-untyped-def]
    alone = run_backtest(*series, _cfg(models=["hurdle"], weather_modes=["forecast"]))
    crowd = run_backtest(
        *series,
        _cfg(
            models=["climatology", "hurdle"],
            weather_modes=["observed", "forecast"],
            start="2022-02-28",
        ),
    )
    a = alone.rows
    b = crowd.rows[(crowd.rows["model"] == "hurdle") & (crowd.rows["weather_mode"] == "forecast")]
    b = b[b["origin"] >= a["origin"].min()].reset_index(drop=True)
    pd.testing.assert_series_equal(a["crps"], b["crps"])


def test_summary_per_lead(series) -> None:  # type: ignore[no-untyped-def]
    res = run_backtest(*series, _cfg(models=["hurdle"]))
    per_lead = res.summary(by=("model", "lead"))
    assert per_lead["lead"].tolist() == list(range(1, 8))
    assert (per_lead["n_forecasts"] == 8).all()
    overall = res.summary()
    assert overall["crps"].item() == pytest.approx(per_lead["crps"].mean())


@pytest.mark.parametrize(
    ("kw", "exc", "needle"),
    [
        ({"models": ["hurdle", "nope"]}, ConfigError, "unknown model 'nope'"),
        ({"start": "2022-05-01", "end": "2022-04-01"}, ConfigError, "is after --end"),
        ({"horizon": 0}, ConfigError, "between 1 and 14"),
        ({"horizon": 15}, ConfigError, "between 1 and 14"),
        ({"weather_modes": ["psychic"]}, ConfigError, "--weather-mode must be one of"),
    ],
)
def test_bad_parameters(kw, exc, needle) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=needle):
        _cfg(**kw)


def test_observed_mode_needs_weather_for_every_forecast_day(series) -> None:  # type: ignore[no-untyped-def]
    arrivals, weather = series
    cut = weather[weather["date"] < "2022-04-27"]
    with pytest.raises(InputError, match="none for 2022-04-27"):
        run_backtest(arrivals, cut, _cfg())
    # The climatology mode needs no future weather.
    run_backtest(arrivals, cut, _cfg(models=["climatology"], weather_modes=["climatology"]))


def test_cli_json_contract(series, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    arrivals, weather = series
    a_csv, w_csv = tmp_path / "arrivals.parquet", tmp_path / "weather.csv"
    arrivals.to_parquet(a_csv)
    weather.to_csv(w_csv, index=False)
    args = [
        "backtest",
        "--arrivals",
        str(a_csv),
        "--weather",
        str(w_csv),
        "--models",
        "hurdle,climatology",
        "--start",
        "2022-03-07",
        "--end",
        "2022-03-21",
        "--samples",
        "100",
        "--json",
        "--jobs",
        "1",
        "--weather-mode",
        "forecast",
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output.strip().splitlines()[-1])
    assert payload["origins"] == 3 and payload["horizon"] == 7
    assert payload["target"] == "people" and payload["weather_mode"] == "forecast"
    keys = {
        "crps",
        "wis",
        "mae",
        "rmse",
        "mase",
        "coverage_50",
        "coverage_80",
        "coverage_95",
        "brier",
        "n_forecasts",
        "fit_seconds_median",
    }
    assert set(payload["models"]) == {"hurdle", "climatology"}
    assert set(payload["models"]["hurdle"]) == keys
    assert payload["models"]["hurdle"]["n_forecasts"] == 21
    again = CliRunner().invoke(app, args)
    assert (
        json.loads(again.output.strip().splitlines()[-1])["models"]["hurdle"]["crps"]
        == (payload["models"]["hurdle"]["crps"])
    )
    bad = CliRunner().invoke(app, [*args[:-2], "--horizon", "20"])
    assert bad.exit_code != 0 and "between 1 and 14" in bad.output


def test_future_weather_frame_round_trip(series) -> None:  # type: ignore[no-untyped-def]
    _, weather = series
    fw = FutureWeather.from_frame(weather.iloc[:5], source="request")
    assert fw.path_frame(0)["wind_mean_ms"].tolist() == weather["wind_mean_ms"].iloc[:5].tolist()
    assert fw.sources == ("request",) * 5
