"""The CSV rendering of a forecast: one row per day, flat columns for spreadsheets.

Columns: ``date, median, mean, p_any, risk``, then ``lo-L, hi-L`` per band level (the
contract's band names), ``p_ge_K`` per exceedance threshold, the count if crossings happen
(``if_crossing_median, if_crossing_lo, if_crossing_hi``) and the weather assumed
(``weather_source, wind_mean_ms, gust_max_ms``; empty for a model without weather).

The exceedance CSV: ``date``, ``p_ge_K`` per threshold, ``weather_source``, then ``target``
and ``issue_date`` (the same on every row).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, Final

from forecasting.contract import hi_col, level_name, lo_col

CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
_WEATHER: Final = ("wind_mean_ms", "gust_max_ms")


def exceedance_col(k: int | str) -> str:
    """The column of P(count ≥ k), e.g. ``p_ge_100``."""
    return f"p_ge_{k}"


def csv_columns(levels: Sequence[float], thresholds: Sequence[int | str]) -> list[str]:
    """The header row for these band levels and exceedance thresholds."""
    bands = [c for lv in sorted(levels) for c in (lo_col(lv), hi_col(lv))]
    return [
        "date",
        "median",
        "mean",
        "p_any",
        "risk",
        *bands,
        *(exceedance_col(k) for k in thresholds),
        "if_crossing_median",
        "if_crossing_lo",
        "if_crossing_hi",
        "weather_source",
        *_WEATHER,
    ]


def forecast_csv(payload: dict[str, Any], levels: Sequence[float]) -> str:
    """The forecast response `payload` (see ForecastResponse) as CSV text."""
    days = payload["days"]
    thresholds = list(days[0]["p_at_least"]) if days else []
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_columns(levels, thresholds))
    for d in days:
        bands = [d["bands"][level_name(lv)][end] for lv in sorted(levels) for end in ("lo", "hi")]
        typical = d.get("if_crossing") or {}
        weather = d.get("weather") or {}
        writer.writerow(
            [
                d["date"],
                d["median"],
                d["mean"],
                d["p_any"],
                d["risk"],
                *bands,
                *(d["p_at_least"][k] for k in thresholds),
                typical.get("median", ""),
                typical.get("lo", ""),
                typical.get("hi", ""),
                d["weather_source"],
                *(weather.get(c, "") for c in _WEATHER),
            ]
        )
    return out.getvalue()


def exceedance_csv(payload: dict[str, Any]) -> str:
    """The exceedance response `payload` (see ExceedanceResponse) as CSV text: one row per
    day, `target` and `issue_date` repeated on every row."""
    thresholds = [str(int(k)) for k in payload["thresholds"]]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["date", *(exceedance_col(k) for k in thresholds), "weather_source", "target", "issue_date"]
    )
    for d in payload["days"]:
        writer.writerow(
            [
                d["date"],
                *(d["p_at_least"][k] for k in thresholds),
                d["weather_source"],
                payload["target"],
                payload["issue_date"],
            ]
        )
    return out.getvalue()
