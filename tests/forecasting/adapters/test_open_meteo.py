"""Open-Meteo adapter: parsing of hand-written payloads (the HTTP client is tested under
tests/forecasting/providers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting import schema
from forecasting.adapters.open_meteo import load_open_meteo_json, parse_open_meteo
from forecasting.errors import InputError

# --------------------------------------------------------------------------- payload helpers


def _daily_payload(wind_unit: str = "km/h", scale: float = 3.6) -> dict[str, Any]:
    """Three days of daily data as the API returns it; `scale` converts m/s to `wind_unit`."""
    return {
        "latitude": 51.0,
        "longitude": 1.5,
        "generationtime_ms": 0.2,
        "utc_offset_seconds": 0,
        "timezone": "Europe/London",
        "timezone_abbreviation": "GMT",
        "elevation": 0.0,
        "daily_units": {
            "time": "iso8601",
            "wind_speed_10m_mean": wind_unit,
            "wind_speed_10m_max": wind_unit,
            "wind_gusts_10m_max": wind_unit,
            "wind_direction_10m_dominant": "°",
            "precipitation_sum": "mm",
            "temperature_2m_mean": "°C",
            "pressure_msl_mean": "hPa",
            "cloud_cover_mean": "%",
        },
        "daily": {
            "time": ["2024-03-01", "2024-03-02", "2024-03-03"],
            "wind_speed_10m_mean": [5 * scale, 10 * scale, 2 * scale],
            "wind_speed_10m_max": [8 * scale, 15 * scale, 3 * scale],
            "wind_gusts_10m_max": [12 * scale, 20 * scale, 5 * scale],
            "wind_direction_10m_dominant": [270, 225, 90],
            "precipitation_sum": [0.0, 4.2, None],
            "temperature_2m_mean": [8.5, 9.0, 10.1],
            "pressure_msl_mean": [1012.0, 1003.5, 1020.0],
            "cloud_cover_mean": [100, 50, 0],
        },
    }


def _hourly_payload(hours: int = 48) -> dict[str, Any]:
    """`hours` hourly steps from 2024-03-01 00:00 with known values (wind in m/s)."""
    start = pd.Timestamp("2024-03-01")
    times = [(start + pd.Timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M") for h in range(hours)]
    return {
        "latitude": 50.98,
        "longitude": -1.25,
        "utc_offset_seconds": 0,
        "timezone": "Europe/London",
        "hourly_units": {
            "time": "iso8601",
            "wind_speed_10m": "m/s",
            "wind_gusts_10m": "m/s",
            "wind_direction_10m": "°",
            "precipitation": "mm",
            "temperature_2m": "°C",
            "pressure_msl": "hPa",
            "visibility": "m",
            "cloud_cover": "%",
        },
        "hourly": {
            "time": times,
            "wind_speed_10m": [float(h % 24) for h in range(hours)],  # 0..23 each day
            "wind_gusts_10m": [float(h % 24) + 5 for h in range(hours)],
            # alternate 350° and 10°: the vector mean is north (0°/360°)
            "wind_direction_10m": [350.0 if h % 2 else 10.0 for h in range(hours)],
            "precipitation": [0.5] * hours,
            "temperature_2m": [float(h % 24) / 2 for h in range(hours)],
            "pressure_msl": [1000.0 + h % 24 for h in range(hours)],
            "visibility": [20000.0 - 100 * (h % 24) for h in range(hours)],
            "cloud_cover": [25.0] * hours,
        },
    }


# --------------------------------------------------------------------------- parsing


def test_daily_kmh_is_converted_to_si() -> None:
    df = parse_open_meteo(_daily_payload("km/h", 3.6))
    assert list(df[schema.DATE]) == list(pd.date_range("2024-03-01", periods=3))
    assert df["wind_mean_ms"].tolist() == pytest.approx([5.0, 10.0, 2.0])
    assert df["wind_max_hourly_ms"].tolist() == pytest.approx([8.0, 15.0, 3.0])
    assert df["gust_max_ms"].tolist() == pytest.approx([12.0, 20.0, 5.0])
    assert df["wind_dir_deg"].tolist() == [270.0, 225.0, 90.0]
    assert df["cloud_octas"].tolist() == pytest.approx([8.0, 4.0, 0.0])
    assert df["pressure_hpa"].iloc[1] == 1003.5
    assert np.isnan(df["precip_mm"].iloc[2])  # null stays missing
    assert df.attrs == {
        "source": "open-meteo",
        "location": "51.00N 1.50E",
        "latitude": 51.0,
        "longitude": 1.5,
    }
    assert set(df.columns) <= {schema.DATE, *schema.WEATHER_COLUMNS}


def test_daily_ms_equals_kmh() -> None:
    kmh = parse_open_meteo(_daily_payload("km/h", 3.6))
    ms = parse_open_meteo(_daily_payload("m/s", 1.0))
    pd.testing.assert_frame_equal(kmh, ms)


@pytest.mark.parametrize(
    ("unit", "per_ms"), [("kn", 1 / 0.514444), ("mp/h", 1 / 0.44704), ("mph", 1 / 0.44704)]
)
def test_daily_other_wind_units(unit: str, per_ms: float) -> None:
    df = parse_open_meteo(_daily_payload(unit, per_ms))
    assert df["wind_mean_ms"].tolist() == pytest.approx([5.0, 10.0, 2.0])


def test_imperial_temperature_and_precipitation() -> None:
    payload = _daily_payload()
    payload["daily_units"].update(temperature_2m_mean="°F", precipitation_sum="inch")
    payload["daily"]["temperature_2m_mean"] = [50.0, 32.0, 14.0]
    payload["daily"]["precipitation_sum"] = [1.0, 0.0, 0.1]
    df = parse_open_meteo(payload)
    assert df["temp_mean_c"].tolist() == pytest.approx([10.0, 0.0, -10.0])
    assert df["precip_mm"].tolist() == pytest.approx([25.4, 0.0, 2.54])


def test_hourly_aggregated_to_days() -> None:
    df = parse_open_meteo(_hourly_payload(48), path="https://api.open-meteo.com/v1/forecast")
    assert len(df) == 2
    day = df.iloc[0]
    assert day["wind_mean_ms"] == pytest.approx(11.5)  # mean of 0..23
    assert day["wind_max_hourly_ms"] == 23.0
    assert day["gust_max_ms"] == 28.0
    assert day["precip_mm"] == pytest.approx(12.0)  # 24 x 0.5 mm
    assert day["temp_mean_c"] == pytest.approx(5.75)
    assert day["pressure_hpa"] == pytest.approx(1011.5)
    assert day["visibility_min_m"] == 17700.0
    assert day["cloud_octas"] == pytest.approx(2.0)
    # 350° and 10° alternate with speeds 0..23, so the speed-weighted mean leans a little
    # west of north: atan2(sum w sin, sum w cos) computed by hand.
    speeds = np.arange(24.0)
    dirs = np.deg2rad(np.where(np.arange(24) % 2, 350.0, 10.0))
    expected = np.rad2deg(np.arctan2((speeds * np.sin(dirs)).sum(), (speeds * np.cos(dirs)).sum()))
    assert day["wind_dir_deg"] == pytest.approx(expected % 360)
    assert min(day["wind_dir_deg"], 360 - day["wind_dir_deg"]) < 1.0
    assert df.attrs == {
        "source": "open-meteo-forecast",
        "location": "50.98N 1.25W",
        "latitude": 50.98,
        "longitude": -1.25,
    }


def test_hourly_vector_mean_of_350_and_10_is_north() -> None:
    payload = _hourly_payload(24)
    payload["hourly"]["wind_speed_10m"] = [4.0] * 24
    df = parse_open_meteo(payload)
    deg = df["wind_dir_deg"].iloc[0]
    assert min(deg, 360.0 - deg) == pytest.approx(0.0, abs=1e-6)


def test_hourly_partial_last_day_is_dropped() -> None:
    df = parse_open_meteo(_hourly_payload(24 + 7))
    assert df[schema.DATE].tolist() == [pd.Timestamp("2024-03-01")]


def test_hourly_missing_hour_makes_that_aggregate_nan() -> None:
    payload = _hourly_payload(48)
    payload["hourly"]["precipitation"][30] = None
    df = parse_open_meteo(payload)
    assert df["precip_mm"].iloc[0] == pytest.approx(12.0)
    assert np.isnan(df["precip_mm"].iloc[1])
    assert df["wind_mean_ms"].iloc[1] == pytest.approx(11.5)


def test_hourly_unix_time_uses_utc_offset() -> None:
    payload = _hourly_payload(24)
    base = int(pd.Timestamp("2024-07-01 00:00").timestamp()) - 3600  # local midnight at UTC+1
    payload["hourly"]["time"] = [base + 3600 * h for h in range(24)]
    payload["utc_offset_seconds"] = 3600
    df = parse_open_meteo(payload)
    assert df[schema.DATE].tolist() == [pd.Timestamp("2024-07-01")]


def test_daily_wins_and_hourly_fills() -> None:
    payload = _daily_payload("m/s", 1.0) | _hourly_payload(48)
    payload["daily"].pop("wind_direction_10m_dominant")
    payload["latitude"], payload["longitude"] = 51.0, 1.5
    df = parse_open_meteo(payload)
    assert len(df) == 3  # daily covers 3 days, hourly only 2
    assert df["wind_mean_ms"].tolist() == pytest.approx([5.0, 10.0, 2.0])  # daily, not 11.5
    assert df["visibility_min_m"].iloc[:2].tolist() == [17700.0, 17700.0]  # from hourly
    assert np.isnan(df["visibility_min_m"].iloc[2])
    assert min(df["wind_dir_deg"].iloc[0], 360 - df["wind_dir_deg"].iloc[0]) < 1.0


def test_other_variables_are_ignored() -> None:
    payload = _daily_payload()
    payload["daily"]["sunrise"] = ["2024-03-01T06:40", "2024-03-02T06:38", "2024-03-03T06:36"]
    payload["daily"]["weather_code"] = [3, 61, 0]
    assert len(parse_open_meteo(payload)) == 3


def test_legacy_variable_names() -> None:
    payload = _daily_payload("km/h", 3.6)
    daily, units = payload["daily"], payload["daily_units"]
    daily["windspeed_10m_max"] = daily.pop("wind_speed_10m_max")
    units["windspeed_10m_max"] = units.pop("wind_speed_10m_max")
    df = parse_open_meteo(payload)
    assert df["wind_max_hourly_ms"].tolist() == pytest.approx([8.0, 15.0, 3.0])


def test_source_guessed_from_archive_url() -> None:
    df = parse_open_meteo(_daily_payload(), path="https://archive-api.open-meteo.com/v1/archive")
    assert df.attrs["source"] == "open-meteo-archive"


@pytest.mark.parametrize(
    ("payload", "column", "text"),
    [
        ([1, 2], None, "expected a JSON object"),
        ({"error": True, "reason": "Cannot initialize X"}, "reason", "Cannot initialize X"),
        ({"latitude": 51.0, "longitude": 1.5}, None, "no 'daily' or 'hourly' block"),
        ({"daily": {"wind_speed_10m_max": [1.0]}}, "daily.time", "no 'time' array"),
        ({"daily": {"time": ["2024-01-01"], "foo": [1.0]}}, None, "no known weather variables"),
    ],
)
def test_bad_payloads(payload: object, column: str | None, text: str) -> None:
    with pytest.raises(InputError, match=text) as err:
        parse_open_meteo(payload, path="resp.json")
    assert err.value.path == "resp.json"
    assert err.value.column == column


def test_mismatched_lengths() -> None:
    payload = _daily_payload()
    payload["daily"]["wind_gusts_10m_max"].pop()
    with pytest.raises(InputError, match=r"has 2 values but 'daily\.time' has 3") as err:
        parse_open_meteo(payload, path="resp.json")
    assert err.value.column == "daily.wind_gusts_10m_max"
    assert "resp.json" in str(err.value)


def test_unknown_unit() -> None:
    payload = _daily_payload()
    payload["daily_units"]["wind_gusts_10m_max"] = "furlong/fortnight"
    with pytest.raises(InputError, match="unknown unit") as err:
        parse_open_meteo(payload, path="resp.json")
    assert err.value.column == "daily_units.wind_gusts_10m_max"


def test_non_numeric_values() -> None:
    payload = _daily_payload()
    payload["daily"]["temperature_2m_mean"][0] = "warm"
    with pytest.raises(InputError, match="non-numeric") as err:
        parse_open_meteo(payload)
    assert err.value.column == "daily.temperature_2m_mean"


def test_hourly_without_a_full_day() -> None:
    with pytest.raises(InputError, match="no complete day") as err:
        parse_open_meteo(_hourly_payload(10))
    assert err.value.column == "hourly.time"


def test_wrong_units_caught_by_range_check() -> None:
    payload = _daily_payload("m/s", 3.6 * 20)  # labelled m/s but far too large
    with pytest.raises(InputError, match="outside"):
        parse_open_meteo(payload)


def test_load_json_file(tmp_path: Path) -> None:
    good = tmp_path / "om.json"
    good.write_text(json.dumps(_daily_payload()))
    assert len(load_open_meteo_json(good)) == 3
    bad = tmp_path / "om_bad.json"
    bad.write_text("<html>not json</html>")
    with pytest.raises(InputError, match="not valid JSON") as err:
        load_open_meteo_json(bad)
    assert err.value.path == str(bad)
    with pytest.raises(InputError, match="does not exist"):
        load_open_meteo_json(tmp_path / "missing.json")
