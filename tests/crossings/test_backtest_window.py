"""`crossings backtest` without --start/--end: the last year of weekly origins the data supports
(the last origin's --horizon days all have arrivals and, in the modes reading observed weather,
weather; the first origin 52 weeks earlier)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crossings.app import app
from crossings.options import DEFAULT_WINDOW_WEEKS
from tests.synthetic import generate_series

runner = CliRunner()
ARRIVALS_END = pd.Timestamp("2023-03-11")  # 800 days from 2021-01-01
WEATHER_END = pd.Timestamp("2023-02-28")  # the weather trails the arrivals
YEAR = pd.Timedelta(weeks=DEFAULT_WINDOW_WEEKS)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    arrivals, weather = generate_series(n_days=800, start="2021-01-01", seed=3)
    assert arrivals["date"].iloc[-1] == ARRIVALS_END
    folder = tmp_path_factory.mktemp("window")
    a_file, w_file = folder / "arrivals.parquet", folder / "weather.csv"
    arrivals.to_parquet(a_file)
    weather[weather["date"] <= WEATHER_END].to_csv(w_file, index=False)
    return a_file, w_file


def _run(files: tuple[Path, Path], tmp_path: Path, *extra: str) -> tuple[list, dict, str]:
    """The origins scored, the --json payload and the whole output. A step of a year keeps
    only the window's first and last origin."""
    rows = tmp_path / "rows.parquet"
    args = ["backtest", "--arrivals", str(files[0]), "--weather", str(files[1])]
    args += ["--models", "climatology", "--samples", "10", "--jobs", "1", "--json"]
    args += ["--step", str(7 * DEFAULT_WINDOW_WEEKS), "--out", str(rows), *extra]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output.strip().splitlines()[-1])
    origins = sorted(pd.to_datetime(pd.read_parquet(rows)["origin"].unique()))
    return origins, payload, " ".join(res.output.split())


def test_default_window_ends_where_the_weather_does(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # observed mode reads the weather: the last origin's 7 days must all have some.
    origins, payload, out = _run(files, tmp_path, "--weather-mode", "observed")
    last = WEATHER_END - pd.Timedelta(days=6)
    assert origins == [last - YEAR, last] and payload["origins"] == 2
    assert (
        f"backtest origins {(last - YEAR).date()}..{last.date()} every 364d (default --end: the "
        f"last origin the data supports (the weather ends {WEATHER_END.date()}); default "
        f"--start: {DEFAULT_WINDOW_WEEKS} weeks before --end)"
    ) in out


def test_default_window_ends_where_the_arrivals_do(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # climatology mode reads no observed weather: only the arrivals limit the window.
    origins, _, out = _run(files, tmp_path, "--weather-mode", "climatology", "--horizon", "3")
    last = ARRIVALS_END - pd.Timedelta(days=2)
    assert origins == [last - YEAR, last]
    assert f"(the arrivals end {ARRIVALS_END.date()})" in out


def test_one_flag_given_keeps_it(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    end = pd.Timestamp("2023-02-15")
    origins, _, out = _run(files, tmp_path, "--end", str(end.date()), "--weather-mode", "observed")
    assert origins == [end - YEAR, end]
    assert "default --end" not in out and "default --start" in out
    origins, _, out = _run(files, tmp_path, "--start", "2022-04-01", "--step", "91")
    assert origins == list(pd.date_range("2022-04-01", "2023-02-22", freq="91D"))
    assert "default --start" not in out and "default --end" in out


def test_explicit_window_prints_no_default(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    origins, _, out = _run(files, tmp_path, "--start", "2022-03-07", "--end", "2022-03-21")
    assert origins == [pd.Timestamp("2022-03-07")] and "default" not in out


def test_start_after_the_supported_end_names_the_flag(files) -> None:  # type: ignore[no-untyped-def]
    args = ["backtest", "--arrivals", str(files[0]), "--weather", str(files[1])]
    res = runner.invoke(app, [*args, "--models", "climatology", "--start", "2023-03-01"])
    assert res.exit_code == 2
    assert " ".join(res.output.split()).startswith(
        "error: --start 2023-03-01 is after 2023-02-22, the last origin the data supports (the "
        "weather ends 2023-02-28); start earlier or give --end"
    )
