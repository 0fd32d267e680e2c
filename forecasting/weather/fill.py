"""Gap filling of observed weather: short gaps carried forward, the rest the column median."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from forecasting import schema

# The longest gap (days) an observation is carried forward over.
CARRY_FORWARD_DAYS: Final = 3


def fill_gaps(weather: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The `columns` of a weather frame indexed by date, as floats, with gaps filled.

    A value is carried forward over at most CARRY_FORWARD_DAYS missing days; what is still
    missing becomes the column's median. The frame's row order is kept.
    """
    w = weather.loc[:, list(columns)].astype(float).ffill(limit=CARRY_FORWARD_DAYS)
    return w.fillna(w.median())


def filled_value_at(weather: pd.DataFrame, column: str, day: pd.Timestamp) -> float:
    """``fill_gaps(weather.set_index(DATE), [column]).loc[:day, column].iloc[-1]``: the gap-
    filled value of the last row dated `day` or earlier, of a canonical weather frame.

    Reads only the rows it needs (the median of the whole column only when the value is
    still missing after carrying forward); the same value as filling the whole frame
    (tests/forecasting/weather/test_fill.py). Raises IndexError when no row is that early.
    """
    dates = weather[schema.DATE]
    if not dates.is_monotonic_increasing:  # not canonical: fill it all, as documented
        filled = fill_gaps(weather.set_index(schema.DATE), [column])
        return float(filled.loc[:day, column].iloc[-1])
    end = int(dates.searchsorted(pd.Timestamp(day), side="right"))
    if end == 0:
        raise IndexError(f"no weather on or before {pd.Timestamp(day).date()}")
    values = weather[column].to_numpy(dtype=float)
    for k in range(end - 1, max(end - 2 - CARRY_FORWARD_DAYS, -1), -1):
        if not np.isnan(values[k]):
            return float(values[k])
    carried = pd.Series(values).ffill(limit=CARRY_FORWARD_DAYS)
    return float(carried.median())
