"""Load benchmark of the forecast API against `mlflow models serve`, on 127.0.0.1 with wrk.

What it does, all in a temporary folder that is removed afterwards:

1. reads the processed tables (``--data-dir``, default ``data/processed``; when missing it
   runs ``crossings ingest`` on ../shared/data into the temporary folder);
2. fits the hurdle model for people on them, logs it as a `forecasting.pyfunc.CrossingsModel`
   in a temporary SQLite MLflow store, registers it as ``channel-crossings-people`` and sets
   the ``champion`` alias;
3. starts ``crossings serve`` (one worker, live weather off so no traffic leaves the machine)
   and measures with wrk:
   - GET /v1/forecast (the default-weather forecast, cached per target/start/horizon/version)
     at ``--connections`` connections;
   - POST /v1/forecast (a one-day "calm Thursday" scenario; computed for every request with
     CROSSINGS_SCENARIO_SAMPLES=500 sample paths) at 1 connection, for its latency;
4. starts ``mlflow models serve`` on the same registered model (``--env-manager local``,
   one worker) and measures POST /invocations for the same 7-day forecast (1000 paths) at
   the same number of connections;
5. prints a Markdown table and writes JSON to ``--out``.

Run: ``.venv/bin/python benchmarks/api_bench.py`` (needs the Debian ``wrk`` package).
Each wrk run is bounded by ``--duration`` seconds; every server is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NAME = "channel-crossings-people"
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


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"unexpected wrk latency {text!r}")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, connections: int, duration: int, script: Path | None = None) -> dict[str, Any]:
    """Run wrk (one thread: the machine has two cores and the server needs one) and parse
    throughput, latency percentiles and errors."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "command": " ".join([*cmd, url]),
        "requests": total,
        "rps": rps,
        "p50_ms": pct.get("50"),
        "p90_ms": pct.get("90"),
        "p99_ms": pct.get("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def _post_script(path: Path, body: dict[str, Any], route: str) -> Path:
    text = json.dumps(body).replace("\\", "\\\\").replace("'", "\\'")
    path.write_text(
        f'wrk.method = "POST"\nwrk.path = "{route}"\n'
        f"wrk.body = '{text}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


def _data(data_dir: Path, tmp: Path) -> Path:
    if (data_dir / "manifest.json").is_file():
        return data_dir
    out = tmp / "processed"
    log.info("no tables in %s: ingesting ../shared/data into %s", data_dir, out)
    subprocess.run([str(BIN / "crossings"), "ingest", "--out", str(out)], check=True, cwd=ROOT)
    return out


def register_champion(data_dir: Path, uri: str, artifacts: Path) -> dict[str, Any]:
    """Fit the hurdle model on the tables and register it as the people champion."""
    import mlflow

    from forecasting import models
    from forecasting.ingest import load_processed
    from forecasting.tracking.pyfunc import CrossingsModel, input_example

    arrivals, weather, manifest = load_processed(data_dir)
    model = models.create("hurdle", target="people").fit(arrivals, weather)
    meta = {
        "model_name": "hurdle",
        "target": "people",
        "trained_at": pd.Timestamp.now("UTC").isoformat(),
        "data_vintage": manifest["sources"]["arrivals"]["vintage"],
        "weather_source": manifest["sources"]["weather"]["source"],
        "weather_location": manifest["sources"]["weather"]["location"],
        "backtest_metrics": {},
    }
    history = arrivals[["date", "people"]].tail(56)
    wrapped = CrossingsModel(model, meta, history)
    # 7 days of plausible weather: the same calendar days one year earlier
    start = wrapped.first_forecast_day
    past = pd.date_range(start - pd.DateOffset(years=1), periods=7, freq="D")
    w = weather.set_index("date").reindex(past).ffill().bfill().reset_index()
    w["date"] = pd.date_range(start, periods=7, freq="D")
    example = input_example(wrapped, w)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    exp = mlflow.create_experiment("api-bench", artifact_location=artifacts.as_uri())
    with mlflow.start_run(experiment_id=exp):
        info = mlflow.pyfunc.log_model(name="model", python_model=wrapped, input_example=example)
    version = mlflow.register_model(info.model_uri, NAME).version
    mlflow.MlflowClient().set_registered_model_alias(NAME, "champion", str(version))
    example = example.assign(date=example["date"].dt.strftime("%Y-%m-%d"))
    return {"version": str(version), "example": example, "start": start.date().isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "processed")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "api_bench.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    results: dict[str, Any] = {"connections": args.connections, "duration_s": args.duration}
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            data_dir = _data(args.data_dir, tmp)
            uri = f"sqlite:///{tmp / 'mlruns.db'}"
            log.info("fitting and registering the champion in %s", uri)
            champ = register_champion(data_dir, uri, tmp / "artifacts")
            env = {
                **os.environ,
                "MLFLOW_TRACKING_URI": uri,
                "CROSSINGS_DATA_DIR": str(data_dir),
                "CROSSINGS_ARCHIVE_URL": f"sqlite:///{tmp / 'archive.db'}",
                "CROSSINGS_OPEN_METEO_URL": "",
                "CROSSINGS_TARGETS": '["people"]',
                "CROSSINGS_POLL_SECONDS": "60",
                "CROSSINGS_SCENARIO_SAMPLES": "500",
                "CROSSINGS_SCENARIO_RATE_LIMIT": "",  # measure the path, not the limiter
            }
            port = free_port()
            api = f"http://127.0.0.1:{port}"
            procs.append(
                subprocess.Popen(
                    [str(BIN / "crossings"), "serve", "--port", str(port)],
                    env=env,
                    cwd=tmp,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp / "api.log").open("wb"),
                )
            )
            wait_for(f"{api}/readyz")
            first = httpx.get(f"{api}/v1/forecast?target=people", timeout=30)
            first.raise_for_status()
            start = first.json()["start"]
            thursday = next(
                d["date"] for d in first.json()["days"] if pd.Timestamp(d["date"]).day_of_week == 3
            )
            log.info("API ready; default forecast starts %s", start)
            get_url = f"{api}/v1/forecast?target=people&horizon=7&levels=50,80,95"
            results["get_forecast"] = wrk(get_url, args.connections, args.duration)
            scenario = {
                "target": "people",
                "horizon": 7,
                "levels": [50, 80, 95],
                "weather": [
                    {
                        "date": thursday,
                        "wind_mean_ms": 1.5,
                        "wind_max_hourly_ms": 3.0,
                        "gust_max_ms": 5.0,
                        "wind_dir_deg": 200,
                        "precip_mm": 0,
                        "temp_mean_c": 14,
                        "pressure_hpa": 1020,
                    }
                ],
            }
            check = httpx.post(f"{api}/v1/forecast", json=scenario, timeout=30)
            check.raise_for_status()
            script = _post_script(tmp / "post.lua", scenario, "/v1/forecast")
            results["post_scenario_1conn"] = wrk(api + "/v1/forecast", 1, args.duration, script)
            results["post_scenario_4conn"] = wrk(api + "/v1/forecast", 4, args.duration, script)
            _stop(procs.pop())

            if not args.skip_mlflow:
                mport = free_port()
                murl = f"http://127.0.0.1:{mport}"
                procs.append(
                    subprocess.Popen(
                        [
                            str(BIN / "mlflow"),
                            "models",
                            "serve",
                            "-m",
                            f"models:/{NAME}@champion",
                            "-p",
                            str(mport),
                            "--env-manager",
                            "local",
                            "-w",
                            "1",
                        ],
                        env={**env, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"},
                        cwd=tmp,
                        start_new_session=True,
                        stdout=subprocess.DEVNULL,
                        stderr=(tmp / "mlflow.log").open("wb"),
                    )
                )
                wait_for(f"{murl}/ping")
                example = champ["example"]
                body = {"dataframe_split": json.loads(example.to_json(orient="split"))}
                body["dataframe_split"].pop("index", None)
                r = httpx.post(f"{murl}/invocations", json=body, timeout=60)
                r.raise_for_status()
                script = _post_script(tmp / "inv.lua", body, "/invocations")
                results["mlflow_invocations"] = wrk(
                    murl + "/invocations", args.connections, args.duration, script
                )
                results["throughput_ratio"] = round(
                    results["get_forecast"]["rps"] / results["mlflow_invocations"]["rps"], 1
                )
                _stop(procs.pop())
        finally:
            for p in procs:
                _stop(p)
            for name in ("api.log", "mlflow.log"):
                f = tmp / name
                if f.is_file() and f.stat().st_size and "error" in f.read_text().lower():
                    log.info("%s (tail):\n%s", name, f.read_text()[-1500:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    _print(results)


def _print(r: dict[str, Any]) -> None:
    rows = [
        ("GET /v1/forecast (cached)", r["get_forecast"], r["connections"]),
        ("POST /v1/forecast scenario", r["post_scenario_1conn"], 1),
        ("POST /v1/forecast scenario", r["post_scenario_4conn"], 4),
    ]
    if "mlflow_invocations" in r:
        rows.append(("mlflow models serve /invocations", r["mlflow_invocations"], r["connections"]))
    lines = [
        "| endpoint | connections | req/s | p50 ms | p90 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m, c in rows:
        lines.append(
            f"| {name} | {c} | {m['rps']:.0f} | {m['p50_ms']:.2f} | {m['p90_ms']:.2f} | "
            f"{m['p99_ms']:.2f} | {m['non_2xx']} |"
        )
    if "throughput_ratio" in r:
        lines.append(f"\nGET /v1/forecast vs /invocations throughput: {r['throughput_ratio']}×")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
