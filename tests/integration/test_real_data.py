"""The ingested official series reproduces the published facts (reads ../shared/data)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crossings.app import app
from forecasting.adapters import home_office, read_arrivals, read_weather

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def daily(real_ods: Path) -> pd.DataFrame:
    return read_arrivals(real_ods).set_index("date")


@pytest.mark.parametrize(
    ("day", "people", "boats"),
    [
        ("2024-01-17", 358, 8),
        ("2024-03-04", 401, 7),
        ("2022-09-03", 1305, 27),
        ("2018-01-31", 7, 1),
    ],
)
def test_published_days(daily: pd.DataFrame, day: str, people: int, boats: int) -> None:
    assert (daily.loc[day, "people"], daily.loc[day, "boats"]) == (people, boats)


def test_yearly_totals_and_span(daily: pd.DataFrame) -> None:
    by_year = daily.groupby(daily.index.year)[["people", "boats"]].sum()
    assert tuple(by_year.loc[2022]) == (45_755, 1_110)
    assert tuple(by_year.loc[2025]) == (41_472, 672)
    assert daily.index[-1] == pd.Timestamp("2026-05-14")
    assert daily.index[0] == pd.Timestamp("2018-01-01") and len(daily) == 3056
    assert daily.loc[:"2018-01-30", "people"].sum() == 0  # first arrivals on 2018-01-31
    assert daily["revised"].sum() > 0


def test_weekly_sheet_agrees_with_daily(real_ods: Path, daily: pd.DataFrame) -> None:
    weekly = home_office.read_weekly(real_ods).set_index("week_ending")
    sums = daily["people"].resample("W-SUN").sum()
    common = weekly.index.intersection(sums.index)[:-1]  # the last week may be partial
    assert len(common) > 400
    assert (weekly.loc[common, "people"].astype(int) == sums.loc[common]).mean() > 0.99
    assert weekly["people_prevented"].notna().any()


def test_knmi_weather_gates_crossings(real_knmi: Path, daily: pd.DataFrame) -> None:
    w = read_weather(real_knmi).set_index("date")
    assert w.loc["2018-01-01":, "wind_mean_ms"].notna().all()
    joined = daily.loc["2021-01-01":].join(w["wind_mean_ms"], how="inner")
    calm = joined[joined["wind_mean_ms"] <= 2.0]
    windy = joined[joined["wind_mean_ms"] > 6.0]
    assert (calm["people"] > 0).mean() > 0.7
    assert (windy["people"] > 0).mean() < 0.05


def test_ingest_command_on_real_files(real_ods: Path, real_knmi: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "ingest",
            "--arrivals",
            str(real_ods),
            "--weather",
            str(real_knmi),
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "2026-05-14" in res.output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["sources"]["arrivals"]["vintage"] == "2026-05-15"
    assert manifest["sources"]["arrivals"]["rows"] == 3056
    table = pd.read_parquet(tmp_path / "arrivals.parquet")
    assert table.loc[table["date"] == "2024-01-17", "people"].item() == 358
