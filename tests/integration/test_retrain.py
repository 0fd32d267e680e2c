"""`crossings retrain` as a scheduler runs it: real subprocesses on a temporary SQLite store.

Covers: first run promotes; a second run on the same data does nothing; a run killed with
SIGKILL in the middle of its backtest moves no alias and registers nothing, and leaves no
stale lock; the next run completes; an overlapping run is refused by the lock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock
from mlflow import MlflowClient

from forecasting import tracking
from tests.lifecycle import (
    FULL_DAYS,
    VENV_BIN,
    env_with_venv,
    fresh_store,
    make_store_template,
    retrain_args,
    small_config,
    write_config,
    write_sources,
)

PREFIX = "cron"
NAME = f"{PREFIX}-people"
CLI = [str(VENV_BIN / "crossings")]
ROOT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup(tmp_path: Path) -> dict:
    uri = fresh_store(make_store_template(tmp_path), tmp_path)
    config = write_config(tmp_path / "experiments", small_config("weekly", PREFIX))
    return {
        "root": tmp_path,
        "uri": uri,
        "config": config,
        "env": env_with_venv(
            MLFLOW_TRACKING_URI=uri,
            CROSSINGS_ARTIFACT_ROOT=str(tmp_path / "mlartifacts"),
        ),
    }


def retrain_cmd(s: dict, src: Path, *extra: str) -> list[str]:
    return [
        *CLI,
        *extra,
        "retrain",
        "--config",
        str(s["config"]),
        "--arrivals",
        str(src / "arrivals.parquet"),
        "--weather",
        str(src / "weather.parquet"),
        "--data",
        str(s["root"] / "data" / "processed"),
    ]


def run(s: dict, src: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        retrain_cmd(s, src),
        env=s["env"],
        cwd=s["root"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def versions(uri: str) -> list[str]:
    client = MlflowClient(uri, uri)
    return sorted(str(v.version) for v in client.search_model_versions(f"name = '{NAME}'"))


def champion(uri: str) -> str:
    return str(MlflowClient(uri, uri).get_model_version_by_alias(NAME, "champion").version)


def test_retrain_lifecycle_survives_a_kill_midway(setup: dict) -> None:
    s = setup
    src_a = s["root"] / "src-a"
    write_sources(src_a)

    first = run(s, src_a)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "cron-people v1 → champion" in first.stdout
    assert versions(s["uri"]) == ["1"] and champion(s["uri"]) == "1"

    # Same data again: nothing new, nothing trained, nothing promoted.
    second = run(s, src_a)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Nothing new" in second.stdout
    assert versions(s["uri"]) == ["1"]

    # New data arrives; the run is killed (SIGKILL, whole process group) mid-backtest.
    src_b = s["root"] / "src-b"
    write_sources(src_b, n_days=FULL_DAYS)
    log = s["root"] / "killed.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            retrain_cmd(s, src_b, "--verbose"),
            env=s["env"],
            cwd=s["root"],
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while "backtest people" not in log.read_text(errors="replace"):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "backtest never started"
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, log.read_text()
    assert versions(s["uri"]) == ["1"] and champion(s["uri"]) == "1"
    tracking.configure(s["uri"])
    assert len(tracking.promotion_history(NAME)) == 1

    # The lock died with the process; the next run sees the new data and completes.
    third = run(s, src_b)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "Retrained" in third.stdout
    assert versions(s["uri"]) == ["1", "2"]
    fourth = run(s, src_b)
    assert fourth.returncode == 0 and "Nothing new" in fourth.stdout
    assert versions(s["uri"]) == ["1", "2"]


def test_overlapping_retrain_is_refused(setup: dict) -> None:
    s = setup
    src = s["root"] / "src"
    write_sources(src)
    lock = FileLock(str(s["root"] / "data" / "retrain.lock"))
    (s["root"] / "data").mkdir(exist_ok=True)
    with lock:
        res = run(s, src)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "another retrain is running" in res.stderr
    assert not (s["root"] / "data" / "processed").exists()


def test_retrain_with_unreachable_server_fails_cleanly(setup: dict) -> None:
    s = setup
    src = s["root"] / "src"
    write_sources(src)
    env = {**s["env"], "MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}
    res = subprocess.run(
        retrain_cmd(s, src), env=env, cwd=s["root"], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 4, res.stdout + res.stderr
    assert "unreachable" in res.stderr and "MLFLOW_TRACKING_URI" in res.stderr
    assert not (s["root"] / "data" / "processed").exists()


# -- the weekly cadence on the shared publication ------------------------------------------

CADENCE = "cadence"
CADENCE_ENDS = ("2026-04-30", "2026-05-07", "2026-05-14")  # arrivals, a week apart
WEATHER_BEHIND = 20  # days the weather ends before the arrivals in each vintage


def _vintages(root: Path) -> list[Path]:
    """Three vintages derived (never committed) from the shared publication."""
    from forecasting.ingest import ingest
    from forecasting.settings import default_arrivals_file, default_weather_file

    shared = ROOT_DIR.parent / "shared" / "data"
    full = ingest(default_arrivals_file(shared), default_weather_file(shared), root / "full")
    out = []
    for end in CADENCE_ENDS:
        folder = root / f"vintage-{end}"
        folder.mkdir(parents=True)
        last = pd.Timestamp(end)
        full.arrivals[full.arrivals["date"] <= last].to_parquet(folder / "arrivals.parquet")
        w_last = last - pd.Timedelta(days=WEATHER_BEHIND)
        full.weather[full.weather["date"] <= w_last].to_parquet(folder / "weather.parquet")
        out.append(folder)
    return out


@pytest.mark.slow
@pytest.mark.integration
def test_weekly_cadence_on_the_shared_publication(tmp_path: Path) -> None:
    """Three vintages a week apart, weather lagging: every retrain exits 0, the champions
    move only when the gate says so, and each model's history reads back all three."""
    import json

    uri = fresh_store(make_store_template(tmp_path), tmp_path)
    cfg = small_config(
        CADENCE,
        CADENCE,
        models={"climatology": {"years": 3}, "seasonal_naive": {}},
        targets=["people", "boats"],
    )
    config = write_config(tmp_path / "experiments", cfg)
    env = env_with_venv(
        MLFLOW_TRACKING_URI=uri, CROSSINGS_ARTIFACT_ROOT=str(tmp_path / "mlartifacts")
    )
    client = MlflowClient(uri, uri)
    names = {t: f"{CADENCE}-{t}" for t in ("people", "boats")}
    summaries = []
    for src in _vintages(tmp_path):
        before = {t: _champion_or_none(client, n) for t, n in names.items()}
        cmd = [*CLI, *retrain_args(config, src, tmp_path / "data" / "processed")]
        res = subprocess.run(
            cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
        )
        assert res.returncode == 0, res.stdout + res.stderr
        s = json.loads(res.stdout.strip().splitlines()[-1])
        assert s["status"] == "completed"
        assert s["window"]["limited_by"] == "weather"
        assert s["weather_lag"]["days"] == WEATHER_BEHIND and s["weather_lag"]["warning"]
        for t, name in names.items():
            gate = s["targets"][t]["gate"]
            after = _champion_or_none(client, name)
            assert after == (gate["version"] if gate["promoted"] else before[t])
        summaries.append(s)
    assert [s["data"]["arrivals"]["last_date"] for s in summaries] == list(CADENCE_ENDS)
    assert all(s["vintage"]["days_added"] == 7 for s in summaries[1:])
    tracking.configure(uri)
    for t, name in names.items():
        decisions = tracking.decision_history(name)
        assert [d["new_version"] for d in decisions] == ["1", "2", "3"]
        assert [d["promoted"] for d in decisions] == [
            s["targets"][t]["gate"]["promoted"] for s in summaries
        ]
        promoted = [d["new_version"] for d in decisions if d["promoted"]]
        assert [h["new_version"] for h in tracking.promotion_history(name)] == promoted
        assert _champion_or_none(client, name) == promoted[-1]


def _champion_or_none(client: MlflowClient, name: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, "champion").version)
    except Exception:
        return None
