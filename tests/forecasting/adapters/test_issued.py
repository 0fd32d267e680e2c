"""The canonical issued-forecast table: its validator, the Previous Runs adapter that builds it
from hourly `_previous_dayN` variables, and canonical CSVs whose header names their source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting import schema
from forecasting.adapters import read_issued, read_weather
from forecasting.adapters.canonical_csv import to_csv_bytes
from forecasting.adapters.open_meteo_runs import parse_previous_runs
from forecasting.errors import InputError


def _table(**change: list[Any]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "issue_date": ["2024-01-02", "2024-01-01", "2024-01-01"],
            "valid_date": ["2024-01-03", "2024-01-02", "2024-01-03"],
            "lead": [1, 1, 2],
            "wind_mean_ms": [3.0, 4.0, np.nan],
            "precip_mm": ["0", "1.5", "0.2"],
        }
    )
    for key, values in change.items():
        frame[key] = values
    return frame


def test_validate_issued_normalises_and_sorts() -> None:
    out = schema.validate_issued(_table(extra=[1, 2, 3]), path="f.csv")
    assert list(out.columns) == ["issue_date", "valid_date", "lead", "wind_mean_ms", "precip_mm"]
    assert out["issue_date"].tolist() == [pd.Timestamp("2024-01-01")] * 2 + [
        pd.Timestamp("2024-01-02")
    ]
    assert out["lead"].dtype == "int64" and out["precip_mm"].tolist() == [1.5, 0.2, 0.0]
    assert np.isnan(out["wind_mean_ms"].iloc[1])  # a variable the forecast left out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lead": [1, 1, 3]}, "row 2, column 'lead': lead '3' does not fit a forecast issued "),
        ({"lead": [1, 1, 2.5]}, "row 2, column 'lead': lead '2.5'"),
        (
            {"issue_date": ["2024-01-02", "2024-01-02", "2023-12-01"], "lead": [1, 0, 33]},
            "row 1, column 'lead'",
        ),
        ({"valid_date": ["2024-01-03", "2024-01-32", "2024-01-03"]}, "row 1, column 'valid_date'"),
        ({"issue_date": ["2024-01-02", "x", "2024-01-01"]}, "'x' is not a date"),
        (
            {"valid_date": ["2024-01-03", "2024-01-03", "2024-01-03"], "lead": [1, 2, 2]},
            "row 2, column 'valid_date': a second forecast issued 2024-01-01 for 2024-01-03",
        ),
        ({"wind_mean_ms": [3.0, 400.0, 1.0]}, "row 1, column 'wind_mean_ms': value 400.0"),
        ({"precip_mm": ["0", "dry", "1"]}, "column 'precip_mm': holds non-numeric values"),
    ],
)
def test_validate_issued_names_the_row_and_column(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=r"^f\.csv, ") as err:
        schema.validate_issued(_table(**change), path="f.csv")
    assert message in str(err.value)


def test_validate_issued_needs_its_keys_and_weather() -> None:
    with pytest.raises(InputError, match="missing columns \\['lead'\\]"):
        schema.validate_issued(_table().drop(columns=["lead"]))
    with pytest.raises(InputError, match="no canonical weather columns"):
        schema.validate_issued(_table().drop(columns=["wind_mean_ms", "precip_mm"]))


def _runs_payload(days: int = 3, unit: str = "km/h") -> dict[str, Any]:
    """A Previous Runs answer for days 2024-03-01.., leads 1 and 2 plus day 0 (ignored)."""
    times = [f"2024-03-{d + 1:02d}T{h:02d}:00" for d in range(days) for h in range(24)]
    hourly: dict[str, Any] = {"time": times}
    units: dict[str, str] = {"time": "iso8601"}
    per = 3.6 if unit == "km/h" else 1.0
    for lead in (0, 1, 2):
        key = "wind_speed_10m" if lead == 0 else f"wind_speed_10m_previous_day{lead}"
        hourly[key] = [per * (2.0 + lead + d) for d in range(days) for _ in range(24)]
        units[key] = unit
        rain = f"precipitation_previous_day{lead}"
        hourly[rain] = [0.5 if h == 3 else 0.0 for _ in range(days) for h in range(24)]
        units[rain] = "mm"
    hourly["wind_speed_10m_previous_day2"][:24] = [None] * 24  # not archived on day 1
    return {
        "latitude": 51.0,
        "longitude": 1.5,
        "utc_offset_seconds": 0,
        "hourly_units": units,
        "hourly": hourly,
    }


def test_previous_runs_become_issued_rows_by_lead() -> None:
    table = parse_previous_runs(_runs_payload(), path="runs.json")
    assert table.attrs == {
        "source": "open-meteo-previous-runs",
        "location": "51.00N 1.50E",
        "latitude": 51.0,
        "longitude": 1.5,
    }
    assert table["lead"].tolist() == [2, 1, 2, 1, 2, 1]  # sorted by issue date
    lead2 = table.loc[table["lead"] == 2].set_index("valid_date")
    assert lead2.index[0] == pd.Timestamp("2024-03-01")
    assert np.isnan(lead2.loc["2024-03-01", "wind_mean_ms"])  # rain still forecast that day
    assert lead2.loc["2024-03-02", "wind_mean_ms"] == pytest.approx(5.0)
    assert lead2.loc["2024-03-02", "issue_date"] == pd.Timestamp("2024-02-29")
    lead1 = table.loc[table["lead"] == 1].set_index("valid_date")
    assert lead1["wind_mean_ms"].tolist() == pytest.approx([3.0, 4.0, 5.0])
    assert lead1["precip_mm"].tolist() == pytest.approx([0.5] * 3)


def test_previous_runs_without_archived_values_or_suffixes() -> None:
    payload = _runs_payload()
    for key in list(payload["hourly"]):
        if "previous_day" in key:
            payload["hourly"][key] = [None] * len(payload["hourly"]["time"])
    assert parse_previous_runs(payload).empty
    with pytest.raises(InputError, match="no `_previous_dayN` variables"):
        parse_previous_runs({"hourly": {"time": ["2024-03-01T00:00"], "wind_speed_10m": [1.0]}})
    with pytest.raises(InputError, match="no 'hourly' block"):
        parse_previous_runs({"daily": {}})


def test_canonical_csv_header_names_source_and_point(tmp_path: Path) -> None:
    weather = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3), "wind_mean_ms": 4.0})
    meta = {"source": "open-meteo-archive", "latitude": 51.05, "longitude": -1.5}
    path = tmp_path / "w.csv"
    path.write_bytes(to_csv_bytes(weather, meta))
    assert path.read_text().splitlines()[3] == "date,wind_mean_ms"
    read = read_weather(path)
    assert read.attrs == {
        "source": "open-meteo-archive",
        "location": "51.05N 1.50W",
        "latitude": 51.05,
        "longitude": -1.5,
    }
    assert read["date"].iloc[-1] == pd.Timestamp("2024-01-03")
    path.write_text("# latitude: 91\ndate,wind_mean_ms\n2024-01-01,3\n")
    with pytest.raises(InputError, match="header '# latitude: 91' is not a latitude"):
        read_weather(path)
    path.write_text("date,wind_mean_ms\n2024-01-01,3\n")
    assert read_weather(path).attrs == {"source": "csv w.csv", "location": "unknown"}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_read_issued_round_trip(tmp_path: Path, suffix: str) -> None:
    table = schema.validate_issued(_table())
    table.attrs = {"source": "open-meteo-previous-runs", "location": "51.00N 1.50E"}
    path = tmp_path / f"issued{suffix}"
    if suffix == ".csv":
        path.write_bytes(to_csv_bytes(table, table.attrs))
    else:
        table.to_parquet(path)
    back = read_issued(path)
    pd.testing.assert_frame_equal(back, table)
    assert back.attrs["source"] == "open-meteo-previous-runs"
    assert back.attrs["location"] == "51.00N 1.50E"
    with pytest.raises(InputError, match="does not exist"):
        read_issued(tmp_path / "none.parquet")
