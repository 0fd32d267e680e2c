"""Helpers for the MLflow lifecycle tests: synthetic source files, small configs, a
pre-migrated SQLite store, free ports and processes that are always stopped."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.synthetic import generate_series

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
FULL_DAYS = 830
FIRST_DAYS = 800


def write_sources(
    folder: Path,
    n_days: int = FIRST_DAYS,
    seed: int = 3,
    weather_ahead: int = 10,
    revise: dict[int, int] | None = None,
) -> tuple[Path, Path]:
    """Synthetic arrivals and weather as Parquet source files: the first `n_days` days of
    one fixed series, so a larger `n_days` is the same history plus new days. The weather
    runs `weather_ahead` days past the arrivals (negative: it ends that many days before);
    `revise` adds people to days by position (a revised publication)."""
    arrivals, weather = generate_series(FULL_DAYS, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    a, w = folder / "arrivals.parquet", folder / "weather.parquet"
    arrivals = arrivals.iloc[:n_days].copy()
    for pos, extra in (revise or {}).items():
        arrivals.iloc[pos, arrivals.columns.get_loc("people")] += extra
    arrivals.to_parquet(a)
    weather.iloc[: n_days + weather_ahead].to_parquet(w)
    return a, w


def small_config(name: str, prefix: str, models: dict[str, Any] | None = None, **over: Any) -> dict:
    """A config that trains in seconds: one target, 2 origins, 2 issued weather forecasts per
    origin, 50 sample paths, no workers."""
    cfg: dict[str, Any] = {
        "name": name,
        "targets": ["people"],
        "models": models or {"hurdle": {"history_days": 365}, "seasonal_naive": {}},
        "backtest": {
            "n_origins": 2,
            "n_samples": 50,
            "n_jobs": 1,
            "weather_modes": ["forecast"],
            "weather_draws": 2,
        },
        "registry": {"name_prefix": prefix},
        "forecast": {"n_samples": 100},
    }
    cfg.update(over)
    return cfg


def retrain_args(config: Path, src: Path, data_dir: Path, *extra: str) -> list[str]:
    """`crossings retrain --json` arguments for sources written by `write_sources`."""
    return [
        "retrain",
        "--json",
        "--config",
        str(config),
        "--arrivals",
        str(src / "arrivals.parquet"),
        "--weather",
        str(src / "weather.parquet"),
        "--data",
        str(data_dir),
        *extra,
    ]


def write_config(folder: Path, data: dict) -> Path:
    """Write a config dict as <folder>/<name>.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{data['name']}.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


_MIGRATED: list[Path] = []  # this process's one migrated store, copied for every template


def make_store_template(folder: Path) -> Path:
    """An empty, fully migrated MLflow SQLite store, <folder>/template.db. Migrations take
    seconds and copies don't: each test process migrates one store, and copies it here."""
    from mlflow import MlflowClient

    if not (_MIGRATED and _MIGRATED[0].exists()):
        cache = Path(tempfile.mkdtemp(prefix="mlflow-template-"))
        atexit.register(shutil.rmtree, cache, ignore_errors=True)
        migrated = cache / "template.db"
        MlflowClient(tracking_uri=f"sqlite:///{migrated}").search_experiments(max_results=1)
        _MIGRATED[:] = [migrated]
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "template.db"
    shutil.copy(_MIGRATED[0], db)
    return db


def fresh_store(template: Path, folder: Path) -> str:
    """A copy of the template store in `folder`; returns its tracking URI."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "mlruns.db"
    shutil.copy(template, db)
    return f"sqlite:///{db}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_with_venv(**extra: str) -> dict[str, str]:
    """The environment with the venv's bin first on PATH (mlflow serve execs uvicorn)."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def start(cmd: list[str], log: Path, env: dict[str, str], cwd: Path | None = None) -> Any:
    """Start `cmd` in its own process group, output to `log`."""
    fh = log.open("wb")
    return subprocess.Popen(
        cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
    )


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop the process group we started (TERM, then KILL), and reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):  # children (uvicorn) may outlive the leader
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll `url` until it answers 200, the process dies, or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout}s:\n{log.read_text()[-3000:]}")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `predicate` until true or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
