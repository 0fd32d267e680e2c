"""Climatology: analogue days of past years, and one draw shared by backtests and serving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.weather.climatology import analogue_positions, analogue_starts, draw_analogues


def test_analogue_starts_lie_in_past_years_near_the_date() -> None:
    available = pd.date_range("2021-01-01", "2023-12-31")
    starts = pd.DatetimeIndex(analogue_starts(pd.Timestamp("2024-03-10"), available, 7, 10, 7))
    assert len(starts) == 3 * 15  # three past years inside `available`, ±7 days each
    assert set(starts.year) == {2021, 2022, 2023}
    centres = pd.to_datetime([f"{y}-03-10" for y in starts.year])
    assert ((starts - centres).days.to_numpy() <= 7).all()
    with pytest.raises(ValueError, match="no analogue days"):
        analogue_starts(pd.Timestamp("2024-03-10"), available[-30:], 7, 1, 7)


def test_positions_and_draw_are_the_runs_of_those_days() -> None:
    index = pd.date_range("2021-01-01", "2023-12-31")
    values = np.arange(len(index), dtype=float)[:, None]
    pos = analogue_positions(index, pd.Timestamp("2023-06-01"), 5)
    starts = index[pos]
    assert (starts < pd.Timestamp("2023-06-01")).all() and set(starts.year) == {2021, 2022}
    block = draw_analogues(values, pos, 5, 20, np.random.default_rng(0))
    assert block.shape == (20, 5, 1)
    assert (np.diff(block[:, :, 0], axis=1) == 1).all()  # consecutive days
    assert set(block[:, 0, 0].astype(int)) <= set(pos)
