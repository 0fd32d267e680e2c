"""Gap filling: carried forward over at most three days, then the column median (one place)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import features, schema
from forecasting.weather.fill import CARRY_FORWARD_DAYS, fill_gaps, filled_value_at
from forecasting.weather.history import WeatherHistory
from forecasting.weather.modes import observed_days

COLS = ("wind_mean_ms", "precip_mm")


def _with_gaps() -> pd.DataFrame:
    """Twelve days; wind has a 2-day and a 5-day gap, rain starts missing and has one gap."""
    nan = np.nan
    wind = [1.0, nan, nan, 2.0, 9.0, nan, nan, nan, nan, nan, 3.0, 4.0]
    rain = [nan, nan, 0.5, 0.0, nan, 3.0, 2.0, 1.0, 0.0, 0.0, 0.0, 4.0]
    return pd.DataFrame(
        {schema.DATE: pd.date_range("2024-01-01", periods=12), COLS[0]: wind, COLS[1]: rain}
    )


def _naive(values: list[float]) -> list[float]:
    """The old semantics written as a loop: carry the last value over ≤ 3 missing days, then
    put the median of the carried-forward column in what is still missing."""
    out, last, run = [], np.nan, 0
    for v in values:
        if np.isnan(v):
            run += 1
            out.append(last if run <= 3 else np.nan)
        else:
            last, run = v, 0
            out.append(v)
    median = float(np.nanmedian(out))
    return [median if np.isnan(v) else v for v in out]


def test_fill_gaps_matches_the_old_semantics() -> None:
    frame = _with_gaps()
    got = fill_gaps(frame.set_index(schema.DATE), COLS)
    assert CARRY_FORWARD_DAYS == 3
    assert list(got.columns) == list(COLS)
    assert got.index.equals(pd.DatetimeIndex(frame[schema.DATE], name=schema.DATE))
    for col in COLS:
        assert got[col].tolist() == pytest.approx(_naive(frame[col].tolist()))
    # by hand: the 5-day gap keeps 9.0 for three days, then the median of the carried column
    # (1, 1, 1, 2, 9, 9, 9, 9, 3, 4 → 3.5); rain has nothing to carry at first (median 0.25)
    assert got[COLS[0]].tolist()[5:10] == pytest.approx([9.0, 9.0, 9.0, 3.5, 3.5])
    assert got[COLS[1]].tolist()[:2] == pytest.approx([0.25, 0.25])


def test_every_user_fills_the_same_way() -> None:
    frame = _with_gaps()
    expected = fill_gaps(frame.set_index(schema.DATE), COLS)
    pd.testing.assert_frame_equal(features.fill_weather(frame, COLS), expected)
    pd.testing.assert_frame_equal(WeatherHistory(frame).filled_before(COLS, None), expected)
    dates = pd.DatetimeIndex(frame[schema.DATE])
    pd.testing.assert_frame_equal(observed_days(frame, dates), expected, check_freq=False)


def test_filled_value_at_is_the_filled_tables_value() -> None:
    """The value of the last day on or before a date equals filling the whole table and
    reading it, for every day: observed, carried forward, and the median after a long gap."""
    frame = _with_gaps()
    full = fill_gaps(frame.set_index(schema.DATE), COLS)
    for day in frame[schema.DATE]:
        for col in COLS:
            assert filled_value_at(frame, col, day) == full.loc[:day, col].iloc[-1]
    # a date between rows reads the row before it; one before every row has no value
    later = frame[schema.DATE].iloc[-1] + pd.Timedelta(days=3)
    assert filled_value_at(frame, COLS[0], later) == full[COLS[0]].iloc[-1]
    with pytest.raises(IndexError):
        filled_value_at(frame, COLS[0], frame[schema.DATE].iloc[0] - pd.Timedelta(days=1))
    # rows out of date order: the whole table is filled, as documented
    shuffled = frame.iloc[[0, 2, 1, *range(3, 12)]]
    day = frame[schema.DATE].iloc[6]
    expected = fill_gaps(shuffled.set_index(schema.DATE), COLS).loc[:day, COLS[0]].iloc[-1]
    assert filled_value_at(shuffled, COLS[0], day) == expected
