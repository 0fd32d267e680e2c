"""`crossings fetch-weather` end to end against the local fake Open-Meteo server (127.0.0.1, the
real APIs' JSON layout, no internet): both providers, the point asked for and recorded, chunked
requests, bad flags (exit 2), provider failures (exit 4, nothing written), `crossings ingest`
of the archive file and a small `crossings backtest --weather-mode issued` on the fetched
forecasts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from crossings.app import app
from forecasting import schema
from forecasting.adapters import read_issued, read_weather
from forecasting.fetch import CHUNK_DAYS, chunks
from forecasting.providers.open_meteo import PREVIOUS_RUNS_HOURLY, PREVIOUS_RUNS_MAX_LEAD
from tests.forecasting.providers.conftest import FakeOpenMeteo, runs_wind
from tests.synthetic import generate_series

runner = CliRunner()


def _fetch(server: FakeOpenMeteo, provider: str, *extra: str) -> list[str]:
    return [
        "fetch-weather",
        "--provider",
        provider,
        "--base-url",
        server.base_url,
        *extra,
    ]


def _run(args: list[str]) -> tuple[Result, str]:
    res = runner.invoke(app, args)
    return res, " ".join(res.output.split())


def test_archive_fetch_writes_a_csv_that_ingest_records_with_its_point(
    server: FakeOpenMeteo, tmp_path: Path
) -> None:
    out = tmp_path / "strait.csv"
    args = _fetch(server, "open-meteo-archive", "--lat", "51.05", "--lon", "1.45")
    res, text = _run([*args, "--start", "2023-01-01", "--end", "2024-03-31", "--out", str(out)])
    assert res.exit_code == 0, text
    assert "Wrote 456 rows (2023-01-01..2024-03-31, 51.05N 1.45E, 2 requests)" in text
    # The archive API was asked for the point given, in SI units, a year per request.
    assert [p for p, _ in server.requests] == ["/v1/archive"] * 2
    asked = [q for _, q in server.requests]
    assert {(q["latitude"], q["longitude"]) for q in asked} == {("51.0500", "1.4500")}
    assert [(q["start_date"], q["end_date"]) for q in asked] == [
        ("2023-01-01", "2024-01-01"),
        ("2024-01-02", "2024-03-31"),
    ]
    assert all(q["wind_speed_unit"] == "ms" for q in asked)
    head = out.read_text().splitlines()[:4]
    assert head[0] == "# source: open-meteo-archive"
    assert "# latitude: 51.05" in head and "# longitude: 1.45" in head
    weather = read_weather(out)
    assert len(weather) == 456 and weather["date"].iloc[0] == pd.Timestamp("2023-01-01")
    assert weather.attrs["source"] == "open-meteo-archive"
    assert (weather.attrs["latitude"], weather.attrs["longitude"]) == (51.05, 1.45)
    # The second chunk starts again at the fake's day 0: the values are the chunks' own.
    assert weather["wind_mean_ms"].iloc[[0, 1, 366]].tolist() == pytest.approx([4.0, 5.0, 4.0])

    arrivals, _ = generate_series(n_days=456, start="2023-01-01", seed=1)
    a_file = tmp_path / "arrivals.parquet"
    arrivals.to_parquet(a_file)
    data = tmp_path / "processed"
    cmd = ["ingest", "--arrivals", str(a_file), "--weather", str(out), "--out", str(data)]
    res, text = _run(cmd)
    assert res.exit_code == 0, text
    entry = json.loads((data / "manifest.json").read_text())["sources"]["weather"]
    assert entry["source"] == "open-meteo-archive" and entry["location"] == "51.05N 1.45E"
    assert (entry["latitude"], entry["longitude"]) == (51.05, 1.45)


def test_previous_runs_fetch_writes_the_issued_table(server: FakeOpenMeteo, tmp_path: Path) -> None:
    out = tmp_path / "issued.parquet"
    args = _fetch(server, "open-meteo-previous-runs", "--lat", "51.0", "--lon", "-1.25")
    res, text = _run([*args, "--start", "2024-03-01", "--end", "2024-04-15", "--out", str(out)])
    assert res.exit_code == 0, text
    assert "2 requests" in text and "51.00N 1.25W" in text
    asked = [q for _, q in server.requests]
    assert {(q["latitude"], q["longitude"]) for q in asked} == {("51.0000", "-1.2500")}
    names = asked[0]["hourly"].split(",")
    assert len(names) == len(PREVIOUS_RUNS_HOURLY) * PREVIOUS_RUNS_MAX_LEAD
    assert "wind_gusts_10m_previous_day7" in names and "daily" not in asked[0]
    table = read_issued(out)
    assert table.attrs["source"] == "open-meteo-previous-runs"
    assert (table.attrs["latitude"], table.attrs["longitude"]) == (51.0, -1.25)
    assert len(table) == 46 * PREVIOUS_RUNS_MAX_LEAD
    assert ((table["valid_date"] - table["issue_date"]).dt.days == table["lead"]).all()
    row = table.loc[(table["valid_date"] == "2024-04-10") & (table["lead"] == 3)].iloc[0]
    assert row["issue_date"] == pd.Timestamp("2024-04-07")
    wind = runs_wind(date(2024, 4, 10), 3)
    assert row["wind_mean_ms"] == pytest.approx(wind, abs=1e-3)
    assert row["wind_max_hourly_ms"] == pytest.approx(wind + 0.6, abs=1e-3)
    assert row["gust_max_ms"] == pytest.approx(1.6 * (wind + 0.6), abs=1e-3)
    assert row["precip_mm"] == pytest.approx(3.0) and row["cloud_octas"] == pytest.approx(4.0)


def test_previous_runs_csv_and_days_before_the_archive(
    server: FakeOpenMeteo, tmp_path: Path
) -> None:
    server.runs_start = date(2024, 1, 5)
    out = tmp_path / "issued.csv"
    args = _fetch(server, "open-meteo-previous-runs", "--lat", "51", "--lon", "1.5")
    res, text = _run([*args, "--start", "2024-01-01", "--end", "2024-01-10", "--out", str(out)])
    assert res.exit_code == 0, text
    assert out.read_text().startswith("# source: open-meteo-previous-runs\n")
    table = read_issued(out)
    assert table["valid_date"].min() == pd.Timestamp("2024-01-05")
    assert len(table) == 6 * PREVIOUS_RUNS_MAX_LEAD


def test_nothing_archived_is_a_provider_failure_and_writes_nothing(
    server: FakeOpenMeteo, tmp_path: Path
) -> None:
    server.runs_start = date(2030, 1, 1)
    out = tmp_path / "issued.parquet"
    args = _fetch(server, "open-meteo-previous-runs", "--lat", "51", "--lon", "1.5")
    res, text = _run([*args, "--start", "2023-01-01", "--end", "2023-01-05", "--out", str(out)])
    assert res.exit_code == 4, text
    assert "has no weather for 2023-01-01..2023-01-05" in text and "January 2024" in text
    assert not out.exists()


def test_a_failing_chunk_leaves_the_old_file_untouched(
    server: FakeOpenMeteo, tmp_path: Path
) -> None:
    out = tmp_path / "strait.csv"
    out.write_text("old\n")
    server.fail_first, server.fail_status = 99, 500
    args = _fetch(server, "open-meteo-archive", "--lat", "51", "--lon", "1.5")
    res, text = _run([*args, "--start", "2024-01-01", "--end", "2024-01-31", "--out", str(out)])
    assert res.exit_code == 4, text
    assert text.startswith("error: ") and "failed after 3 attempts: HTTP 500" in text
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["strait.csv"]  # no temporary file left


def test_a_rejected_request_names_the_reason(server: FakeOpenMeteo, tmp_path: Path) -> None:
    server.unknown = {"wind_gusts_10m_previous_day1"}
    args = _fetch(server, "open-meteo-previous-runs", "--lat", "51", "--lon", "1.5")
    res, text = _run([*args, "--start", "2024-01-01", "--end", "2024-01-02"])
    assert res.exit_code == 4
    assert "rejected the request: HTTP 400 (Cannot initialize" in text
    assert len(server.requests) == 1  # a 4xx is not retried


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--provider", "met-office"], "--provider must be one of open-meteo-archive, "),
        (["--lat", "95"], "--lat must be between -90 and 90 degrees, got 95"),
        (["--lon", "-181"], "--lon must be between -180 and 180 degrees, got -181"),
        (["--start", "2024-02-01"], "--start 2024-02-01 is after the end 2024-01-31; swap them"),
        (["--end", "2024-02-30"], "--end '2024-02-30' is not a date; use YYYY-MM-DD"),
        (["--out", "w.json"], "--out w.json must end in .csv or .parquet"),
        (["--base-url", "ftp://x"], "--base-url 'ftp://x' is not an http(s) URL"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    server: FakeOpenMeteo, extra: list[str], message: str
) -> None:
    base = {
        "--provider": "open-meteo-archive",
        "--lat": "51",
        "--lon": "1.5",
        "--start": "2024-01-01",
        "--end": "2024-01-31",
        "--base-url": server.base_url,
    }
    base.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    res, text = _run(["fetch-weather", *[x for kv in base.items() for x in kv]])
    assert res.exit_code == 2, text
    assert text.startswith(f"error: {message}"), text
    assert server.requests == []


def test_chunks_cover_the_range_once() -> None:
    spans = chunks(date(2024, 1, 1), date(2024, 3, 5), CHUNK_DAYS["open-meteo-previous-runs"])
    assert spans[0] == (date(2024, 1, 1), date(2024, 1, 31))
    assert spans[-1] == (date(2024, 3, 3), date(2024, 3, 5))
    days = [a + timedelta(days=i) for a, b in spans for i in range((b - a).days + 1)]
    assert days == [date(2024, 1, 1) + timedelta(days=i) for i in range(65)]


def test_backtest_on_fetched_issued_forecasts(server: FakeOpenMeteo, tmp_path: Path) -> None:
    arrivals, weather = generate_series(n_days=520, start="2022-09-01", seed=5)
    a_file, w_file = tmp_path / "arrivals.parquet", tmp_path / "weather.parquet"
    arrivals.to_parquet(a_file)
    weather.to_parquet(w_file)
    issued = tmp_path / "issued.parquet"
    args = _fetch(server, "open-meteo-previous-runs", "--lat", "51", "--lon", "1.5")
    res, text = _run([*args, "--start", "2023-12-20", "--end", "2024-01-20", "--out", str(issued)])
    assert res.exit_code == 0, text
    backtest = [
        "backtest",
        "--arrivals",
        str(a_file),
        "--weather",
        str(w_file),
        "--models",
        "hurdle,climatology",
        "--start",
        "2024-01-01",
        "--end",
        "2024-01-08",
        "--samples",
        "50",
        "--jobs",
        "1",
        "--weather-mode",
        "issued",
        "--issued-weather",
        str(issued),
    ]
    rows = tmp_path / "rows.parquet"
    res, text = _run([*backtest, "--json", "--out", str(rows)])
    assert res.exit_code == 0, text
    payload = json.loads(res.output.strip().splitlines()[-1])
    assert payload["weather_mode"] == "issued"
    assert payload["models"]["hurdle"]["n_forecasts"] == 14
    scored = pd.read_parquet(rows)
    assert set(scored["weather_mode"]) == {"issued"} and set(scored["weather_draw"]) == {0}

    # A window the archive does not cover, a horizon past its leads, and a missing file.
    res, text = _run([*backtest[:-10], "--end", "2024-01-20", *backtest[-6:]])
    assert res.exit_code == 2
    assert "origin 2024-01-15 needs the forecast issued on 2024-01-14 for 2024-01-21" in text
    assert "--start 2024-01-01 --end 2024-01-21" in text
    res, text = _run([*backtest, "--horizon", "10"])
    assert res.exit_code == 2 and "reach 7 days ahead, the horizon is 10" in text
    res, text = _run([*backtest[:-1], str(tmp_path / "nope.parquet")])
    assert res.exit_code == 2 and "nope.parquet: does not exist" in text
    res, text = _run(backtest[:-2])
    assert res.exit_code == 2 and "--weather-mode issued needs --issued-weather FILE" in text
    res, text = _run([*backtest[:-4], "--issued-weather", str(issued)])
    assert res.exit_code == 2  # forecast: the default weather mode
    assert "--issued-weather is read only with --weather-mode issued, not 'forecast'" in text
    assert schema.LEAD in read_issued(issued).columns


def test_an_unwritable_output_exits_2(server: FakeOpenMeteo, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "strait.csv"
    args = _fetch(server, "open-meteo-archive", "--lat", "51", "--lon", "1.5")
    res, text = _run([*args, "--start", "2024-01-01", "--end", "2024-01-03", "--out", str(out)])
    assert res.exit_code == 2, text
    assert text.startswith("error: --out: could not write ") and "file" in text
