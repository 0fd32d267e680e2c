"""The published backtest figures are guarded: a short real-data rerun must reproduce them.

benchmarks/backtest_benchmark.py runs a guard backtest (the first 6 weekly origins of the
published window, hurdle and climatology with their default hyperparameters, honest forecast
mode, 2 issued forecasts per origin, 300 paths, seed 0) and publishes its mean CRPS per model
under ``guard`` in benchmarks/backtest_results.json (people) and
benchmarks/backtest_results_boats.json (boats). This test reruns the same function and
checks each figure within the published tolerance (2%, relative). A model change that moves
the figures fails here until the benchmark is rerun and the new numbers are published.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.backtest_benchmark import output_names, run_guard
from forecasting.adapters import read_arrivals, read_weather
from forecasting.settings import default_arrivals_file, default_weather_file

pytestmark = [pytest.mark.slow, pytest.mark.integration]

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.parametrize("target", ["people", "boats"])
def test_guard_backtest_reproduces_the_published_crps(shared_data: Path, target: str) -> None:
    path = BENCHMARKS / output_names(target)[1]
    if not path.exists():
        pytest.fail(f"{path.name} is not published: run benchmarks/backtest_benchmark.py")
    published = json.loads(path.read_text()).get("guard")
    assert published, f"{path.name} has no guard figures: rerun the benchmark (--guard-only)"
    arrivals = read_arrivals(default_arrivals_file(shared_data))
    weather = read_weather(default_weather_file(shared_data))
    assert arrivals.attrs.get("vintage") == published["vintage"], (
        f"the data vintage changed ({arrivals.attrs.get('vintage')} vs published "
        f"{published['vintage']}): rerun benchmarks/backtest_benchmark.py to republish"
    )
    got = run_guard(arrivals, weather, target)
    assert got["origins"] == published["origins"]
    for model, value in published["crps"].items():
        assert got["crps"][model] == pytest.approx(value, rel=published["tolerance"]), (
            f"{target} {model}: CRPS {got['crps'][model]} moved from the published {value}; "
            "if the change is intended, rerun benchmarks/backtest_benchmark.py"
        )
