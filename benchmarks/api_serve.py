"""Servers for benchmarks/api_bench.py: fit and register the champions in an MLflow store,
start and stop `crossings serve` and `mlflow models serve`, write a fixed-POST Lua script."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PREFIX = "channel-crossings"
NAME = f"{PREFIX}-people"
TARGETS = ("people", "boats")
log = logging.getLogger("api_bench")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 180.0) -> None:
    """Wait until `url` answers 200 (or raise after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started in its own session (SIGTERM, then SIGKILL), if still running."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def post_script(path: Path, body: dict[str, Any], route: str) -> Path:
    """A wrk Lua script at `path` that POSTs `body` as JSON to `route`."""
    text = json.dumps(body).replace("\\", "\\\\").replace("'", "\\'")
    path.write_text(
        f'wrk.method = "POST"\nwrk.path = "{route}"\n'
        f"wrk.body = '{text}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


def tables(data_dir: Path, tmp: Path) -> Path:
    """`data_dir` when it holds the processed tables, else ../shared/data ingested into tmp."""
    if (data_dir / "manifest.json").is_file():
        return data_dir
    out = tmp / "processed"
    log.info("no tables in %s: ingesting ../shared/data into %s", data_dir, out)
    subprocess.run([str(BIN / "crossings"), "ingest", "--out", str(out)], check=True, cwd=ROOT)
    return out


def register_champion(
    data_dir: Path, uri: str, artifacts: Path, target: str = "people"
) -> dict[str, Any]:
    """Fit the hurdle model for `target` on the tables and register it as that target's
    champion (``channel-crossings-<target>@champion``)."""
    import mlflow

    from forecasting import models
    from forecasting.ingest import load_processed
    from forecasting.tracking.pyfunc import CrossingsModel, input_example

    arrivals, weather, manifest = load_processed(data_dir)
    model = models.create("hurdle", target=target).fit(arrivals, weather)
    meta = {
        "model_name": "hurdle",
        "target": target,
        "trained_at": pd.Timestamp.now("UTC").isoformat(),
        "data_vintage": manifest["sources"]["arrivals"]["vintage"],
        "weather_source": manifest["sources"]["weather"]["source"],
        "weather_location": manifest["sources"]["weather"]["location"],
        "backtest_metrics": {},
    }
    history = arrivals[["date", target]].tail(56)
    wrapped = CrossingsModel(model, meta, history)
    # 7 days of plausible weather: the same calendar days one year earlier
    start = wrapped.first_forecast_day
    past = pd.date_range(start - pd.DateOffset(years=1), periods=7, freq="D")
    w = weather.set_index("date").reindex(past).ffill().bfill().reset_index()
    w["date"] = pd.date_range(start, periods=7, freq="D")
    example = input_example(wrapped, w)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    exp = mlflow.get_experiment_by_name("api-bench")
    exp_id = (
        exp.experiment_id
        if exp is not None
        else mlflow.create_experiment("api-bench", artifact_location=artifacts.as_uri())
    )
    with mlflow.start_run(experiment_id=exp_id):
        info = mlflow.pyfunc.log_model(name="model", python_model=wrapped, input_example=example)
    name = f"{PREFIX}-{target}"
    version = mlflow.register_model(info.model_uri, name).version
    mlflow.MlflowClient().set_registered_model_alias(name, "champion", str(version))
    example = example.assign(date=example["date"].dt.strftime("%Y-%m-%d"))
    return {"version": str(version), "example": example, "start": start.date().isoformat()}


def serve_env(tmp: Path, uri: str, data_dir: Path) -> dict[str, str]:
    """The environment of `crossings serve`: live weather off, a SQLite archive, 500-path
    forecasts (scenarios use the default forecast's paths, CROSSINGS_N_SAMPLES) and the
    scenario rate limit off (the path is measured, not the limiter)."""
    return {
        **os.environ,
        "MLFLOW_TRACKING_URI": uri,
        "CROSSINGS_DATA_DIR": str(data_dir),
        "CROSSINGS_ARCHIVE_URL": f"sqlite:///{tmp / 'archive.db'}",
        "CROSSINGS_OPEN_METEO_URL": "",
        "CROSSINGS_TARGETS": json.dumps(list(TARGETS)),
        "CROSSINGS_POLL_SECONDS": "60",
        "CROSSINGS_N_SAMPLES": "500",
        "CROSSINGS_SCENARIO_RATE_LIMIT": "",  # measure the path, not the limiter
    }


def serve(
    env: dict[str, str], tmp: Path, label: str, workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `crossings serve` (its log in tmp/api-<label>.log) and wait until it is ready."""
    port = free_port()
    cmd = [str(BIN / "crossings"), "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=tmp,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / f"api-{label}.log").open("wb"),
    )
    api = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{api}/readyz")
    except RuntimeError:
        stop(proc)
        raise
    log.info("API %s ready (%d worker(s)) on %s", label, workers, api)
    return proc, api


def serve_mlflow(env: dict[str, str], tmp: Path, procs: list[subprocess.Popen[bytes]]) -> str:
    """Start `mlflow models serve` on the people champion (one worker, its log in
    tmp/mlflow.log), append it to `procs` and wait until it answers; its base URL."""
    mport = free_port()
    murl = f"http://127.0.0.1:{mport}"
    cmd = [str(BIN / "mlflow"), "models", "serve", "-m", f"models:/{NAME}@champion"]
    procs.append(
        subprocess.Popen(
            [*cmd, "-p", str(mport), "--env-manager", "local", "-w", "1"],
            env={**env, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"},
            cwd=tmp,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=(tmp / "mlflow.log").open("wb"),
        )
    )
    wait_for(f"{murl}/ping")
    return murl


def log_errors(tmp: Path) -> None:
    """Log the tail of every server log in tmp that mentions an error."""
    for f in sorted(tmp.glob("*.log")):
        if f.stat().st_size and "error" in f.read_text().lower():
            log.info("%s (tail):\n%s", f.name, f.read_text()[-1500:])
