"""Backtests on a Dask cluster: a real LocalCluster with two worker processes gives exactly the
rows a local run gives with the same seed; the address and the optional extra are checked at
the edge."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crossings.app import app
from forecasting.errors import ConfigError
from forecasting.evaluation import cluster as cluster_module
from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from forecasting.evaluation.cluster import ENV_SCHEDULER, dask_backend, scheduler_address
from tests.synthetic import generate_series


@pytest.mark.parametrize(
    "address", ["localhost:8786", "http://127.0.0.1:8786", "tcp://127.0.0.1", "tcp://:8786"]
)
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(ConfigError, match="use tcp://HOST:PORT"):
        scheduler_address(address)


def test_address_from_flag_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SCHEDULER, raising=False)
    assert scheduler_address(None) is None
    monkeypatch.setenv(ENV_SCHEDULER, "tcp://10.0.0.5:8786")
    assert scheduler_address(None) == "tcp://10.0.0.5:8786"
    assert scheduler_address("tls://sched:8786") == "tls://sched:8786"


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with (
        pytest.raises(ConfigError, match=r"pip install '\.\[distributed\]'"),
        dask_backend("tcp://127.0.0.1:8786"),
    ):
        pass


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as lc:
        yield str(lc.scheduler_address)


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_series(n_days=800, start="2021-01-01", seed=5)


def test_cluster_rows_are_bit_identical_to_local(
    cluster: str, series: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    arrivals, weather = series
    cfg = BacktestConfig(
        models=["hurdle", "climatology"],
        start=pd.Timestamp("2022-02-07"),
        end=pd.Timestamp("2022-02-28"),
        weather_modes=("forecast", "observed"),
        weather_draws=2,
        n_samples=50,
        seed=11,
        n_jobs=1,
        model_params={"hurdle": {"history_days": 365, "train_leads": (1, 3)}},
    )
    local = run_backtest(arrivals, weather, cfg)
    seen: list[tuple[int, int]] = []
    with dask_backend(cluster):
        remote = run_backtest(
            arrivals,
            weather,
            BacktestConfig(**{**cfg.__dict__, "n_jobs": -1}),
            progress=lambda done, total: seen.append((done, total)),
        )
    assert seen[-1] == (4, 4)
    assert len(local.rows) == 4 * 2 * (2 + 1) * 7  # origins x models x (K + 1 draws) x leads
    pd.testing.assert_frame_equal(remote.rows, local.rows, check_exact=True)
    # The fits ran on the workers, not here: every origin was fitted once per model.
    assert sorted(remote.fits["origin"].unique()) == list(cfg.origins)


def test_cli_backtest_on_cluster_from_environment(
    cluster: str,
    series: tuple[pd.DataFrame, pd.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arrivals, weather = series
    a_file, w_file = tmp_path / "arrivals.parquet", tmp_path / "weather.parquet"
    arrivals.to_parquet(a_file)
    weather.to_parquet(w_file)
    args = [
        "backtest", "--arrivals", str(a_file), "--weather", str(w_file),
        "--models", "seasonal_naive,climatology", "--start", "2022-03-07",
        "--end", "2022-03-21", "--samples", "50", "--weather-mode", "forecast", "--json",
    ]  # fmt: skip
    runs = {}
    for name, env in (("local", {}), ("cluster", {ENV_SCHEDULER: cluster})):
        out = tmp_path / f"{name}.parquet"
        res = CliRunner().invoke(app, [*args, "--out", str(out)], env=env)
        assert res.exit_code == 0, res.output
        runs[name] = (json.loads(res.output.strip().splitlines()[-1]), pd.read_parquet(out))
    pd.testing.assert_frame_equal(runs["cluster"][1], runs["local"][1], check_exact=True)
    for model in ("seasonal_naive", "climatology"):
        assert (
            runs["cluster"][0]["models"][model]["crps"] == runs["local"][0]["models"][model]["crps"]
        )

    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT_S", 1)
    res = CliRunner().invoke(app, [*args, "--cluster", "tcp://127.0.0.1:1"])
    assert res.exit_code == 2 and "did not answer" in res.output
