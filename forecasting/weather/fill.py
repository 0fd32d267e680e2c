"""Gap filling of observed weather: short gaps carried forward, the rest the column median."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

# The longest gap (days) an observation is carried forward over.
CARRY_FORWARD_DAYS: Final = 3


def fill_gaps(weather: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The `columns` of a weather frame indexed by date, as floats, with gaps filled.

    A value is carried forward over at most CARRY_FORWARD_DAYS missing days; what is still
    missing becomes the column's median. The frame's row order is kept.
    """
    w = weather.loc[:, list(columns)].astype(float).ffill(limit=CARRY_FORWARD_DAYS)
    return w.fillna(w.median())
