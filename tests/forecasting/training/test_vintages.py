"""The revision diff between two vintages of the arrivals table, and the backtest window."""

from __future__ import annotations

import pandas as pd

from forecasting.training.vintages import compare, read_previous
from forecasting.weather.lag import weather_lag
from tests.synthetic import generate_series


def test_two_vintages_differing_in_a_revised_day() -> None:
    arrivals, _ = generate_series(500, seed=1)
    old = arrivals.iloc[:480].copy()
    new = arrivals.iloc[:487].copy()
    new.loc[470, "people"] += 35
    new.loc[470, "boats"] += 1
    new.loc[475, "people"] -= min(5, int(new.loc[475, "people"]))
    diff = compare(old, new)
    assert diff.days_added == 7 and diff.days_removed == 0
    revised_dates = {pd.Timestamp(new.loc[470, "date"])}
    if new.loc[475, "people"] != old.loc[475, "people"]:
        revised_dates.add(pd.Timestamp(new.loc[475, "date"]))
    assert set(diff.revised["date"]) == revised_dates
    row = diff.revised.loc[diff.revised["date"] == new.loc[470, "date"]].iloc[0]
    assert row["people_old"] == old.loc[470, "people"]
    assert row["people_new"] == old.loc[470, "people"] + 35
    assert row["boats_new"] - row["boats_old"] == 1
    delta_475 = int(new.loc[475, "people"] - old.loc[475, "people"])
    assert diff.revised_totals == {"people": 35 + delta_475, "boats": 1}
    assert diff.as_dict()["days_revised"] == len(revised_dates)
    assert "7 days added" in diff.describe()


def test_identical_and_first_vintages() -> None:
    arrivals, _ = generate_series(450, seed=2)
    same = compare(arrivals, arrivals.copy())
    assert (same.days_added, same.days_revised, same.revised_totals) == (
        0,
        0,
        {"people": 0, "boats": 0},
    )
    first = compare(None, arrivals)
    assert first.previous_end is None and first.days_added == len(arrivals)
    assert "first vintage" in first.describe()


def test_read_previous_missing_or_present(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert read_previous(tmp_path) is None
    arrivals, _ = generate_series(450, seed=2)
    arrivals.to_parquet(tmp_path / "arrivals.parquet")
    back = read_previous(tmp_path)
    assert back is not None and len(back) == len(arrivals)


def test_weather_lag_warns_past_the_threshold() -> None:
    arrivals, weather = generate_series(450, seed=2)
    assert weather_lag(arrivals, weather.iloc[:-20], threshold=14).warn
    short = weather_lag(arrivals, weather.iloc[:-10], threshold=14)
    assert short.days == 10 and not short.warn and short.message() is None
    lag = weather_lag(arrivals, weather.iloc[:-30], threshold=14)
    assert lag.days == 30 and "rely on a weather provider or climatology" in str(lag.message())
