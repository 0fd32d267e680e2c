"""The CSV renderings of the forecast, exceedance and outlook answers: flat columns for
spreadsheets and `pandas.read_csv`, with what the numbers rest on on every row.

Every CSV ends its columns with the context: ``target, issue_date, hindcast, model_version,
data_as_of`` (the same on every row; `hindcast` is ``true`` or ``false``).

The forecast CSV: one row per day, ``date, median, mean, p_any, risk``, then ``lo-L, hi-L`` per
band level (the contract's band names), ``p_ge_K`` per exceedance threshold, the count if
crossings happen (``if_crossing_median`` and its 80% range ``if_crossing_lo80,
if_crossing_hi80``) and the weather assumed (``weather_source, wind_mean_ms, gust_max_ms``;
empty for a model without weather); then a final row whose date is ``total``: the JSON's
`week_total`, the total over the days returned (median, mean and bands; the per-day columns
empty). Counts are whole numbers; means have one decimal.

The exceedance CSV: one row per day, ``date``, ``p_ge_K`` per threshold, ``weather_source``.

The outlook CSV: one row per summary (``total``, ``year_to_date``, ``year_end``) and one
``exceedance`` row per threshold, with the days they cover (``from``, ``until``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, Final

from api.reading import IF_CROSSING_LEVEL
from forecasting.contract import hi_col, level_name, lo_col

CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
TOTAL_ROW: Final = "total"  # the date of the forecast CSV's last row: the total over its days
CONTEXT: Final = ("target", "issue_date", "hindcast", "model_version", "data_as_of")
IF_CROSSING_LO: Final = f"if_crossing_lo{IF_CROSSING_LEVEL}"
IF_CROSSING_HI: Final = f"if_crossing_hi{IF_CROSSING_LEVEL}"
_WEATHER: Final = ("wind_mean_ms", "gust_max_ms")


def exceedance_col(k: int | str) -> str:
    """The column of P(count ≥ k), e.g. ``p_ge_100``."""
    return f"p_ge_{k}"


def csv_columns(levels: Sequence[float], thresholds: Sequence[int | str]) -> list[str]:
    """The forecast CSV's header row for these band levels and exceedance thresholds."""
    return [
        "date",
        "median",
        "mean",
        "p_any",
        "risk",
        *_band_cols(level_name(lv) for lv in sorted(levels)),
        *(exceedance_col(k) for k in thresholds),
        "if_crossing_median",
        IF_CROSSING_LO,
        IF_CROSSING_HI,
        "weather_source",
        *_WEATHER,
        *CONTEXT,
    ]


def context(payload: dict[str, Any]) -> dict[str, Any]:
    """The context columns (CONTEXT) of a response `payload`, by name."""
    return {
        "target": payload["target"],
        "issue_date": payload.get("issue_date", ""),
        "hindcast": "true" if payload.get("hindcast") else "false",
        "model_version": payload["model"]["version"],
        "data_as_of": payload.get("data_as_of") or "",
    }


def forecast_csv(payload: dict[str, Any], levels: Sequence[float]) -> str:
    """The forecast response `payload` (see ForecastResponse) as CSV text: a row per day and
    the `total` row (the week_total)."""
    days = payload["days"]
    thresholds = list(days[0]["p_at_least"]) if days else []
    names = [level_name(lv) for lv in sorted(levels)]
    ctx = context(payload)
    rows: list[dict[str, Any]] = []
    for d in days:
        typical = d.get("if_crossing") or {}
        rows.append(
            {
                **_summary(d["date"], d, names),
                "p_any": d["p_any"],
                "risk": d["risk"],
                **{exceedance_col(k): d["p_at_least"][k] for k in thresholds},
                "if_crossing_median": typical.get("median", ""),
                IF_CROSSING_LO: typical.get("lo", ""),
                IF_CROSSING_HI: typical.get("hi", ""),
                "weather_source": d["weather_source"],
                **{c: (d.get("weather") or {}).get(c, "") for c in _WEATHER},
                **ctx,
            }
        )
    rows.append({**_summary(TOTAL_ROW, payload["week_total"], names), **ctx})
    return _write(csv_columns(levels, thresholds), rows)


def exceedance_csv(payload: dict[str, Any]) -> str:
    """The exceedance response `payload` (see ExceedanceResponse) as CSV text: one row per
    day, with the context columns."""
    ks = [str(int(k)) for k in payload["thresholds"]]
    cols = [exceedance_col(k) for k in ks]
    ctx = context(payload)
    rows = [
        {
            "date": d["date"],
            **{exceedance_col(k): d["p_at_least"][k] for k in ks},
            "weather_source": d["weather_source"],
            **ctx,
        }
        for d in payload["days"]
    ]
    return _write(["date", *cols, "weather_source", *CONTEXT], rows)


def outlook_csv(body: dict[str, Any]) -> str:
    """The outlook response `body` (see OutlookResponse, by alias) as CSV text: the rows
    total, year_to_date and year_end, then one exceedance row per threshold."""
    names = list(body["total"]["bands"])
    header = ["row", "from", "until", "median", "mean", *_band_cols(names)]
    header += ["actual", "at_least", "probability", "weather", *CONTEXT]
    ctx = {"weather": body["weather"], **context(body)}
    ytd, year = body["year_to_date"], body["year_end"]["year"]
    span = {"from": body["from"], "until": body["until"]}
    rows = [
        {"row": "total", **span, **_summary(None, body["total"], names), **ctx},
        {"row": "year_to_date", "from": f"{ytd['year']}-01-01", "until": ytd["through"]}
        | {"actual": ytd["actual"], **ctx},
        {"row": "year_end", "from": f"{year}-01-01", "until": f"{year}-12-31"}
        | {**_summary(None, body["year_end"], names), **ctx},
    ]
    rows += [{"row": "exceedance", **span, **x, **ctx} for x in body["exceedance"]]
    return _write(header, rows)


def _summary(day: str | None, dist: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The date (unless None), median, mean and band columns of a day or a total."""
    bands = dist["bands"]
    return {
        **({} if day is None else {"date": day}),
        "median": dist["median"],
        "mean": _mean(dist.get("mean")),
        **{
            col: bands[name][end]
            for name in names
            for col, end in zip(_band_cols([name]), ("lo", "hi"), strict=True)
        },
    }


def _band_cols(names: Iterable[str]) -> list[str]:
    """``lo-L, hi-L`` for each band name L (the contract's band columns)."""
    return [c for name in names for c in (lo_col(float(name)), hi_col(float(name)))]


def _mean(x: float | None) -> float | str:
    """A mean count as written in the CSV: one decimal (empty when unknown)."""
    return "" if x is None else round(float(x), 1)


def _write(header: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """`rows` (by column name; a column a row lacks is empty) as CSV text under `header`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, header, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
