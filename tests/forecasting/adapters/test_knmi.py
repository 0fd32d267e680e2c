"""KNMI etmgeg adapter and weather-layout sniffing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.adapters import knmi, read_weather
from forecasting.errors import InputError


def test_units_are_converted_to_si(sample_knmi: Path) -> None:
    w = read_weather(sample_knmi)
    assert w["wind_mean_ms"].iloc[0] == pytest.approx(1.0)  # FG 10 tenths
    assert w["wind_max_hourly_ms"].iloc[0] == pytest.approx(3.0)
    assert w["gust_max_ms"].iloc[0] == pytest.approx(2.0)
    assert w["temp_mean_c"].iloc[0] == pytest.approx(10.5)
    assert w["pressure_hpa"].iloc[0] == pytest.approx(1013.2)
    assert w["precip_mm"].iloc[2] == 0.0  # -1 means a trace under 0.05 mm
    assert np.isnan(w["precip_mm"].iloc[3])  # blank stays missing
    assert w["visibility_min_m"].iloc[0] == 15_000.0  # code 65 -> 15-16 km
    assert w["cloud_octas"].iloc[0] == 6.0
    assert w.attrs["source"].startswith("KNMI etmgeg station 340")
    assert w.attrs["location"] == "51.45N 4.34E"
    assert len(w) == 40 and w["date"].is_monotonic_increasing


def test_visibility_codes() -> None:
    codes = pd.Series([0, 1, 49, 50, 56, 79, 80, 81, 89, np.nan])
    got = knmi.decode_visibility(codes).tolist()
    assert got[:9] == [0, 100, 4900, 5000, 6000, 29000, 30000, 35000, 70000]
    assert np.isnan(got[9])


def test_unknown_layout(tmp_path: Path) -> None:
    p = tmp_path / "weather.txt"
    p.write_text("station;day;wind\n340;2024-01-01;3\n")
    with pytest.raises(InputError, match="unknown weather file layout"):
        read_weather(p)


def test_gap_in_weather_is_rejected(sample_knmi: Path, tmp_path: Path) -> None:
    lines = sample_knmi.read_text().splitlines()
    p = tmp_path / "etmgeg_gap.txt"
    p.write_text("\n".join(lines[:15] + lines[17:]) + "\n")
    with pytest.raises(InputError, match="gap in the daily sequence"):
        read_weather(p)


def test_non_numeric_field_names_line_and_column(sample_knmi: Path, tmp_path: Path) -> None:
    text = sample_knmi.read_text().replace("10132", " abcd", 1)
    p = tmp_path / "etmgeg_bad.txt"
    p.write_text(text)
    with pytest.raises(InputError) as err:
        read_weather(p)
    assert err.value.column == "PG" and "abcd" in str(err.value)


def test_canonical_csv_is_accepted(tmp_path: Path) -> None:
    p = tmp_path / "w.csv"
    pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=3), "wind_mean_ms": [1, 2, 3]}
    ).to_csv(p, index=False)
    assert read_weather(p)["wind_mean_ms"].tolist() == [1.0, 2.0, 3.0]


def test_out_of_range_value_hints_at_units(tmp_path: Path) -> None:
    p = tmp_path / "w.csv"
    pd.DataFrame({"date": pd.date_range("2024-01-01", periods=2), "wind_mean_ms": [3, 300]}).to_csv(
        p, index=False
    )
    with pytest.raises(InputError, match="Check the units"):
        read_weather(p)
