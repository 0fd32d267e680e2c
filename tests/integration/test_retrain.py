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
    small_config,
    write_config,
    write_sources,
)

PREFIX = "cron"
NAME = f"{PREFIX}-people"
CLI = [str(VENV_BIN / "crossings")]


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
