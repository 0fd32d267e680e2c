"""The backtest's `issued` weather mode: archived forecasts issued the day before each origin
drive the forecast, and a table that cannot support the window is refused before any fit."""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest

from forecasting import schema
from forecasting.errors import InputError
from forecasting.evaluation.archived_weather import check_issued
from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from tests.synthetic import generate_series

ORIGINS = pd.DatetimeIndex(["2022-06-06", "2022-06-13"])
LEADS = 7


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(n_days=560, start="2021-01-01", seed=11)


def _issued(wind: float, origins: pd.DatetimeIndex = ORIGINS, leads: int = LEADS) -> pd.DataFrame:
    """Forecasts issued the day before each origin for leads 1..`leads`, all alike: a mean
    wind of `wind` m/s with matching hourly maxima and gusts, dry. No visibility."""
    rows = [
        {
            schema.ISSUE_DATE: o - pd.Timedelta(days=1),
            schema.VALID_DATE: o - pd.Timedelta(days=1) + pd.Timedelta(days=lead),
            schema.LEAD: lead,
            "wind_mean_ms": wind,
            "wind_max_hourly_ms": 1.4 * wind,
            "gust_max_ms": 2.0 * wind,
            "wind_dir_deg": 220.0,
            "precip_mm": 0.0,
            "temp_mean_c": 15.0,
            "pressure_hpa": 1015.0,
            "cloud_octas": 4.0,
        }
        for o in origins
        for lead in range(1, leads + 1)
    ]
    table = schema.validate_issued(pd.DataFrame(rows))
    table.attrs = {
        schema.ATTR_SOURCE: "open-meteo-previous-runs",
        schema.ATTR_LOCATION: "51.00N 1.50E",
    }
    return table


def _cfg(**kw: object) -> BacktestConfig:
    base: dict[str, object] = dict(
        models=("hurdle",),
        start=ORIGINS[0],
        end=ORIGINS[-1],
        horizon=LEADS,
        weather_modes=("issued",),
        n_samples=200,
        n_jobs=1,
    )
    return BacktestConfig(**(base | kw))  # type: ignore[arg-type]


Series = tuple[pd.DataFrame, pd.DataFrame]


def test_the_archived_forecasts_drive_the_forecast(series: Series) -> None:
    arrivals, weather = series
    calm = run_backtest(arrivals, weather, _cfg(), issued=_issued(1.0)).rows
    storm = run_backtest(arrivals, weather, _cfg(), issued=_issued(14.0)).rows
    assert set(calm["weather_mode"]) == {"issued"} and len(calm) == 2 * LEADS
    # A calm week issued gives crossings on most days, a storm almost none; were the archive
    # ignored (climatology, say), both would be the same forecast.
    assert calm["p_any"].mean() > 0.6
    assert storm["p_any"].mean() < 0.25
    assert (calm["mean"].to_numpy() > storm["mean"].to_numpy()).all()


def test_the_same_archive_gives_the_same_scores(series: Series) -> None:
    arrivals, weather = series
    a = run_backtest(arrivals, weather, _cfg(), issued=_issued(3.0)).rows
    b = run_backtest(arrivals, weather, _cfg(), issued=_issued(3.0)).rows
    np.testing.assert_array_equal(a["crps"].to_numpy(), b["crps"].to_numpy())


@pytest.mark.parametrize(
    ("table", "cfg", "message"),
    [
        (None, {}, "the issued weather mode needs archived forecasts"),
        (
            _issued(3.0).drop(columns=["gust_max_ms"]),
            {},
            "the archived forecasts have no 'gust_max_ms', which the models need",
        ),
        (_issued(3.0, leads=5), {}, "the archived forecasts reach 5 days ahead, the horizon is 7"),
        (
            _issued(3.0, origins=ORIGINS[:1]),
            {},
            "origin 2022-06-13 needs the forecast issued on 2022-06-12 for 2022-06-13 (lead 1)",
        ),
    ],
)
def test_a_table_that_cannot_support_the_window_is_refused(
    series: Series, table: pd.DataFrame | None, cfg: dict[str, object], message: str
) -> None:
    arrivals, weather = series
    with pytest.raises(InputError, match=re.escape(message)):
        run_backtest(arrivals, weather, _cfg(**cfg), issued=table)


def test_a_missing_value_the_models_need_is_a_gap() -> None:
    table = _issued(3.0)
    table.loc[
        (table[schema.ISSUE_DATE] == "2022-06-05") & (table[schema.LEAD] == 4), "precip_mm"
    ] = np.nan
    with pytest.raises(InputError, match=re.escape("for 2022-06-09 (lead 4)")) as err:
        check_issued(table, ORIGINS, LEADS, ("wind_mean_ms", "precip_mm"))
    assert "--start 2022-06-06 --end 2022-06-19" in str(err.value)
    # A variable no model reads may be missing.
    check_issued(table, ORIGINS, LEADS, ("wind_mean_ms",))


def test_forecasts_for_another_place_are_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    observed = pd.DataFrame({schema.DATE: ORIGINS})
    observed.attrs = {schema.ATTR_SOURCE: "KNMI etmgeg", schema.ATTR_LOCATION: "51.45N 4.34E"}
    with caplog.at_level(logging.WARNING, logger="forecasting.evaluation.archived_weather"):
        check_issued(_issued(3.0), ORIGINS, LEADS, ("wind_mean_ms",), observed)
    assert "are for 51.00N 1.50E but the observed weather is for 51.45N 4.34E" in caplog.text
    caplog.clear()
    observed.attrs[schema.ATTR_LOCATION] = "51.00N 1.50E"
    with caplog.at_level(logging.WARNING, logger="forecasting.evaluation.archived_weather"):
        check_issued(_issued(3.0), ORIGINS, LEADS, ("wind_mean_ms",), observed)
    assert caplog.text == ""
