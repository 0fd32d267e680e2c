"""A newer Home Office publication, made at test time from the shared one: its daily rows
plus `days` more days that repeat the week before them (so the weather file still covers
them), written as an ODS with the published sheet layout. Nothing derived is committed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from forecasting import schema
from forecasting.adapters.home_office import read_daily
from tests.conftest import sb02_frame, write_ods


def newer_publication(shared_ods: Path, out: Path, days: int = 7) -> tuple[Path, date]:
    """Write the shared publication extended by `days` days to `out`; returns the file and
    its last day."""
    daily = read_daily(shared_ods)
    last = daily[schema.DATE].iloc[-1]
    tail = daily.iloc[-7:].copy()
    extra = pd.concat([tail] * (days // 7 + 1), ignore_index=True).iloc[:days]
    extra[schema.DATE] = [last + timedelta(days=i + 1) for i in range(days)]
    rows = pd.concat([daily, extra], ignore_index=True)
    sb01 = pd.DataFrame(
        {
            "Date": pd.to_datetime(rows[schema.DATE]),
            "Migrants arrived": rows[schema.PEOPLE].astype(int),
            "Boats arrived": rows[schema.BOATS].astype(int),
            "Notes": [None] * len(rows),
        }
    )
    write_ods(out, {"SB_01": sb01, "SB_02": sb02_frame(sb01)})
    return out, pd.Timestamp(extra[schema.DATE].iloc[-1]).date()


__all__ = ["newer_publication"]
