"""`crossings backtest`: the --json contract, and every flag checked at the edge with a message
naming the flag (exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crossings.app import app
from forecasting.contract import (
    DEFAULT_WEATHER_DRAWS,
    DEFAULT_WEATHER_MODE,
    MAX_HORIZON,
    WEATHER_MODES,
)
from tests.synthetic import generate_series

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    arrivals, weather = generate_series(n_days=800, start="2021-01-01", seed=3)
    folder = tmp_path_factory.mktemp("cli")
    a_file, w_file = folder / "arrivals.parquet", folder / "weather.csv"
    arrivals.to_parquet(a_file)
    weather.to_csv(w_file, index=False)
    return a_file, w_file, weather


def _args(files: tuple[Path, Path, pd.DataFrame], *extra: str) -> list[str]:
    a_file, w_file, _ = files
    return [
        "backtest",
        "--arrivals",
        str(a_file),
        "--weather",
        str(w_file),
        "--models",
        "hurdle,climatology",
        "--start",
        "2022-03-07",
        "--end",
        "2022-03-21",
        "--samples",
        "100",
        "--jobs",
        "1",
        *extra,
    ]


def test_cli_json_contract(files) -> None:  # type: ignore[no-untyped-def]
    args = _args(files, "--json", "--weather-mode", "forecast")
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output.strip().splitlines()[-1])
    assert payload["origins"] == 3 and payload["horizon"] == 7
    assert payload["target"] == "people" and payload["weather_mode"] == "forecast"
    assert payload["weather_draws"] == DEFAULT_WEATHER_DRAWS == 5
    keys = {
        "crps",
        "wis",
        "mae",
        "rmse",
        "mase",
        "coverage_50",
        "coverage_80",
        "coverage_95",
        "brier",
        "n_forecasts",
        "fit_seconds_median",
    }
    assert set(payload["models"]) == {"hurdle", "climatology"}
    assert set(payload["models"]["hurdle"]) == keys
    # 3 origins × 7 lead days × 5 issued weather forecasts per origin, all scored.
    assert payload["models"]["hurdle"]["n_forecasts"] == 3 * 7 * 5
    again = CliRunner().invoke(app, args)
    assert (
        json.loads(again.output.strip().splitlines()[-1])["models"]["hurdle"]["crps"]
        == (payload["models"]["hurdle"]["crps"])
    )
    bad = CliRunner().invoke(app, [*args[:-2], "--horizon", "20"])
    assert bad.exit_code != 0 and f"between 1 and {MAX_HORIZON}" in bad.output


def test_default_weather_mode_is_the_honest_forecast(files) -> None:  # type: ignore[no-untyped-def]
    # Without --weather-mode the backtest uses issued-like forecasts, never hindsight weather.
    res = CliRunner().invoke(app, _args(files, "--json", "--weather-draws", "1"))
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output.strip().splitlines()[-1])
    assert payload["weather_mode"] == DEFAULT_WEATHER_MODE == "forecast"
    assert payload["weather_draws"] == 1
    help_text = " ".join(CliRunner().invoke(app, ["backtest", "--help"]).output.split())
    assert "default: forecast" in help_text.lower()


def test_weather_draws_flag(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows_file = tmp_path / "rows.parquet"
    args = _args(files, "--json", "--weather-mode", "forecast", "--weather-draws", "2")
    res = CliRunner().invoke(app, [*args, "--out", str(rows_file)])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output.strip().splitlines()[-1])
    assert payload["weather_draws"] == 2
    assert payload["models"]["hurdle"]["n_forecasts"] == 3 * 7 * 2
    rows = pd.read_parquet(rows_file)
    assert sorted(rows["weather_draw"].unique()) == [0, 1]
    # Two issued forecasts per origin: the draws differ, so they are not one forecast twice.
    hurdle = rows.loc[rows["model"] == "hurdle"].set_index(["origin", "lead", "weather_draw"])
    assert not np.allclose(
        hurdle["p_any"].xs(0, level="weather_draw"), hurdle["p_any"].xs(1, level="weather_draw")
    )
    # Observed weather has one draw whatever the flag says, and the JSON says so.
    observed = CliRunner().invoke(
        app, _args(files, "--json", "--weather-mode", "observed", "--weather-draws", "3")
    )
    assert json.loads(observed.output.strip().splitlines()[-1])["weather_draws"] == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--models", ","], "--models needs at least one model name"),
        (
            ["--models", "hurdle,nope"],
            "unknown model 'nope'; known models: climatology, ensemble, hurdle",
        ),
        (["--start", "2022-13-45"], "--start '2022-13-45' is not a date; use YYYY-MM-DD"),
        (["--end", "xx"], "--end 'xx' is not a date; use YYYY-MM-DD"),
        (
            ["--start", "2022-05-01", "--end", "2022-04-01"],
            "--start 2022-05-01 is after --end 2022-04-01; swap them",
        ),
        (["--horizon", "0"], f"--horizon must be between 1 and {MAX_HORIZON}, got 0"),
        (["--horizon", "20"], f"--horizon must be between 1 and {MAX_HORIZON}, got 20"),
        (["--step", "0"], "--step must be at least 1 day, got 0"),
        (["--samples", "5"], "--samples must be at least 10, got 5"),
        (["--target", "migrants"], "--target must be one of people, boats"),
        (
            ["--weather-draws", "0"],
            "--weather-draws must be at least 1 issued forecast per origin, got 0",
        ),
        (
            ["--weather-mode", "psychic"],
            f"--weather-mode must be one of {', '.join(WEATHER_MODES)}, got 'psychic'",
        ),
        # Several bad flags: the first in the documented order is reported.
        (["--horizon", "0", "--step", "0", "--target", "x"], "--horizon must be between"),
        (
            ["--end", "2023-03-20"],
            "the last origin needs actuals up to 2023-03-26, but arrivals end 2023-03-11. "
            "Move --end to 2023-03-05 or earlier",
        ),
        (
            ["--start", "2021-06-01"],
            "--start 2021-06-01 leaves under 400 days of history (arrivals start 2021-01-01). "
            "Start the backtest later",
        ),
    ],
)
def test_bad_flags_name_the_flag(files, extra: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(app, _args(files, *extra))
    assert res.exit_code == 2, res.output
    output = " ".join(res.output.split())  # rich may wrap a long line
    assert output.startswith(f"error: {message}"), output


def test_observed_mode_without_weather_exits_2(files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a_file, _, weather = files
    cut = tmp_path / "weather.csv"
    weather[weather["date"] < "2022-04-27"].to_csv(cut, index=False)
    args = _args((a_file, cut, weather), "--end", "2022-04-25", "--weather-mode", "observed")
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "none for 2022-04-27" in res.output
