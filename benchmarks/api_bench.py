"""Load benchmark of the forecast API against `mlflow models serve`, on 127.0.0.1 with wrk.

What it does, all in a temporary folder that is removed afterwards:

1. reads the processed tables (``--data-dir``, default ``data/processed``; when missing it
   runs ``crossings ingest`` on ../shared/data into the temporary folder);
2. fits the hurdle model for people and for boats on them, logs each as a
   `forecasting.pyfunc.CrossingsModel` in a temporary SQLite MLflow store, registers them as
   ``channel-crossings-people`` and ``channel-crossings-boats`` with the ``champion`` alias;
3. serves both targets with ``crossings serve`` (live weather off so no traffic leaves the
   machine, a SQLite archive, the scenario rate limit off so the path is measured, not the
   limiter) and measures with ``wrk -t1`` (issue 11's figures):

   a. one worker, CROSSINGS_SCENARIO_SAMPLES=500: GET /v1/forecast with one fixed URL (the
      cached default-weather forecast) at ``--connections``; POST /v1/forecast with one fixed
      one-day "calm Thursday" scenario (500 paths) at 1 and 4 connections (the earlier rows);
   b. a fresh one-worker server, CROSSINGS_SCENARIO_SAMPLES=1000:
      - first sends a sample of the requests the two varied Lua scripts generate (the same
        seeds, so the first ones the runs send) once each with httpx and records any not 200;
      - memory: ``--memory-requests`` varied GETs (benchmarks/lua/varied_get.lua, stopped
        after exact response counts) and the server's RSS (psutil, the process tree) when
        ready, after the first 1,000 and after all of them;
      - varied GETs at ``--connections``: target people/boats, 1-3 random levels, a start
        0..6 days after the issue date and a horizon within 14 days of it, sometimes
        format=csv, sometimes /v1/forecast/exceedance with random thresholds. "Uncached"
        means the answers: every request renders its own levels or thresholds, while the
        sample paths of the (at most 154) target/start/horizon forecasts are computed once
        each and then reused from the forecast cache, as in service. Warm-up runs
        (``--warmup`` s each) repeat until one computes no forecast (/metrics), so the run
        measures the steady state; its JSON says how many forecasts it computed;
      - varied POST scenarios (benchmarks/lua/varied_post.lua: a random one of the 7 days with
        a random mean wind and precipitation, so every request is a fresh 1000-path forecast)
        at 1 and 4 connections;
   c. ``crossings serve --workers 2``: the same warm-ups (each worker fills its own cache)
      and varied GETs; the ratio of its req/s to the one-worker figure;
4. starts ``mlflow models serve`` on the registered people model (``--env-manager local``,
   one worker) and measures POST /invocations for the same 7-day forecast (1000 paths) at
   ``--connections``: the ratio of the cached GET's req/s to it (``--skip-mlflow`` skips it);
5. prints Markdown tables (figures, memory, issue 11's targets, the wrk command lines) and
   writes JSON to ``--out``.

Run: ``.venv/bin/python benchmarks/api_bench.py`` (needs the Debian ``wrk`` package); about
6 minutes with the defaults when the server meets the targets. ``--quick``: 3 s runs and
5,000 requests for memory, a smoke run. Every server is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
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
from api_load import (
    VARIED_GET,
    VARIED_POST,
    check_requests,
    dump_requests,
    forecasts_computed,
    tree_rss_mb,
    wrk,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PREFIX = "channel-crossings"
NAME = f"{PREFIX}-people"
TARGETS = ("people", "boats")
FIRST_MEMORY_REQUESTS = 1000
MAX_WARMUPS = 8  # varied-GET warm-up runs at most, until one computes no forecast
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


def _serve(
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
        _stop(proc)
        raise
    log.info("API %s ready (%d worker(s)) on %s", label, workers, api)
    return proc, api


def _varied_args(seed: int, days: list[str], targets: tuple[str, ...]) -> list[str]:
    return [f"seed={seed}", f"targets={','.join(targets)}", f"days={','.join(days)}"]


def _varied_get(api: str, args: argparse.Namespace, days: list[str]) -> dict[str, Any]:
    """Warm the forecast cache, then the measured varied-GET run at --connections.

    Warm-up: --warmup-second runs of the varied GETs (other seeds) until one computes no
    forecast (crossings_forecasts_computed_total, over all workers, stays put), at most
    MAX_WARMUPS of them; every worker has its own cache, so each must see every
    target/start/horizon once."""
    rounds = []
    for i in range(MAX_WARMUPS):
        before = forecasts_computed(api)
        warm = _varied_args(args.seed + 200 + i, days, TARGETS)
        wrk(api, args.connections, args.warmup, VARIED_GET, warm)
        rounds.append(int(forecasts_computed(api) - before))
        if rounds[-1] == 0:
            break
    else:
        log.warning("the forecast cache was still filling after %d warm-ups", MAX_WARMUPS)
    before = forecasts_computed(api)
    result = wrk(
        api, args.connections, args.duration, VARIED_GET, _varied_args(args.seed, days, TARGETS)
    )
    result["forecasts_computed"] = int(forecasts_computed(api) - before)
    result["warmup_forecasts_computed"] = rounds
    return result


def _memory(api: str, pid: int, args: argparse.Namespace, days: list[str]) -> dict[str, Any]:
    """RSS of the server when ready, after the first 1,000 varied GETs and after all
    --memory-requests of them (exact counts: the Lua script stops wrk after them)."""
    first = min(FIRST_MEMORY_REQUESTS, args.memory_requests)
    rest = args.memory_requests - first
    out: dict[str, Any] = {"rss_ready_mb": tree_rss_mb(pid)}
    computed = forecasts_computed(api)
    get = _varied_args(args.seed + 100, days, TARGETS)
    runs = [wrk(api, args.connections, 300, VARIED_GET, get, stop_after=first)]
    out["rss_first_mb"] = tree_rss_mb(pid)
    if rest:
        bound = max(60, rest // 100)  # seconds; the run stops at `rest` responses long before
        get = _varied_args(args.seed + 101, days, TARGETS)
        runs.append(wrk(api, args.connections, bound, VARIED_GET, get, stop_after=rest))
    out["rss_all_mb"] = tree_rss_mb(pid)
    out["requests"] = sum(r["requests"] for r in runs)
    out["first_requests"] = runs[0]["requests"]
    out["non_2xx"] = sum(r["non_2xx"] for r in runs)
    out["forecasts_computed"] = int(forecasts_computed(api) - computed)
    out["growth_mb"] = round(out["rss_all_mb"] - out["rss_first_mb"], 1)
    out["runs"] = runs
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "processed")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: short runs, 5,000 requests for memory"
    )
    parser.add_argument("--duration", type=int, help="seconds per wrk run (15; --quick: 3)")
    parser.add_argument(
        "--warmup", type=int, help="seconds per varied-GET warm-up run (5; --quick: 2)"
    )
    parser.add_argument(
        "--memory-requests",
        type=int,
        help="varied GETs for the memory figure (100000; --quick: 5000)",
    )
    parser.add_argument(
        "--check",
        type=int,
        help="generated GETs checked with httpx first (200; --quick: 50); POSTs: a tenth",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seed", type=int, default=11, help="math.randomseed of the Lua scripts")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "api_bench.json")
    args = parser.parse_args()
    defaults = {
        "duration": (15, 3),
        "warmup": (5, 2),
        "memory_requests": (100_000, 5_000),
        "check": (200, 50),
    }
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    results: dict[str, Any] = {
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "seed": args.seed,
        "quick": args.quick,
    }
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            data_dir = _data(args.data_dir, tmp)
            uri = f"sqlite:///{tmp / 'mlruns.db'}"
            log.info("fitting and registering the champions in %s", uri)
            champ = register_champion(data_dir, uri, tmp / "artifacts", "people")
            register_champion(data_dir, uri, tmp / "artifacts", "boats")
            env = {
                **os.environ,
                "MLFLOW_TRACKING_URI": uri,
                "CROSSINGS_DATA_DIR": str(data_dir),
                "CROSSINGS_ARCHIVE_URL": f"sqlite:///{tmp / 'archive.db'}",
                "CROSSINGS_OPEN_METEO_URL": "",
                "CROSSINGS_TARGETS": json.dumps(list(TARGETS)),
                "CROSSINGS_POLL_SECONDS": "60",
                "CROSSINGS_SCENARIO_SAMPLES": "500",
                "CROSSINGS_SCENARIO_RATE_LIMIT": "",  # measure the path, not the limiter
            }

            # a. the fixed-URL rows: cached GET, one repeated 500-path scenario
            proc, api = _serve(env, tmp, "fixed")
            procs.append(proc)
            first = httpx.get(f"{api}/v1/forecast?target=people", timeout=30)
            first.raise_for_status()
            issue = pd.Timestamp(first.json()["issue_date"])
            days = [(issue + pd.Timedelta(days=i)).date().isoformat() for i in range(7)]
            results["issue_date"] = days[0]
            thursday = next(d for d in days if pd.Timestamp(d).day_of_week == 3)
            log.info("issue date %s", days[0])
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
            httpx.post(f"{api}/v1/forecast", json=scenario, timeout=30).raise_for_status()
            script = _post_script(tmp / "post.lua", scenario, "/v1/forecast")
            results["post_fixed500_1conn"] = wrk(api + "/v1/forecast", 1, args.duration, script)
            results["post_fixed500_4conn"] = wrk(api + "/v1/forecast", 4, args.duration, script)
            _stop(procs.pop())

            # b. a fresh worker, 1000-path scenarios: sample check, memory, varied GETs/POSTs
            env["CROSSINGS_SCENARIO_SAMPLES"] = "1000"
            proc, api = _serve(env, tmp, "one-worker")
            procs.append(proc)
            get_args = _varied_args(args.seed, days, TARGETS)
            post_args = _varied_args(args.seed, days, ("people",))
            results["sample_check"] = {
                "varied_get": check_requests(
                    api, dump_requests(VARIED_GET, api, get_args, args.check)
                ),
                "varied_post": check_requests(
                    api, dump_requests(VARIED_POST, api, post_args, max(5, args.check // 10))
                ),
            }
            log.info("memory: %d varied GETs", args.memory_requests)
            results["memory"] = _memory(api, proc.pid, args, days)
            results["get_varied_1worker"] = _varied_get(api, args, days)
            results["post_varied1000_1conn"] = wrk(api, 1, args.duration, VARIED_POST, post_args)
            post_args4 = _varied_args(args.seed + 1, days, ("people",))
            results["post_varied1000_4conn"] = wrk(api, 4, args.duration, VARIED_POST, post_args4)
            _stop(procs.pop())

            # c. two workers
            proc, api = _serve(env, tmp, "two-workers", workers=2)
            procs.append(proc)
            results["get_varied_2workers"] = _varied_get(api, args, days)
            results["get_varied_2workers"]["rss_tree_mb"] = tree_rss_mb(proc.pid)
            results["workers_ratio"] = round(
                results["get_varied_2workers"]["rps"] / results["get_varied_1worker"]["rps"], 2
            )
            _stop(procs.pop())

            if not args.skip_mlflow:
                results["mlflow_invocations"] = _mlflow(env, tmp, champ, args, procs)
                results["throughput_ratio"] = round(
                    results["get_forecast"]["rps"] / results["mlflow_invocations"]["rps"], 1
                )
        finally:
            for p in procs:
                _stop(p)
            for f in sorted(tmp.glob("*.log")):
                if f.stat().st_size and "error" in f.read_text().lower():
                    log.info("%s (tail):\n%s", f.name, f.read_text()[-1500:])
    results["targets"] = _targets(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.write(_markdown(results))


def _mlflow(
    env: dict[str, str],
    tmp: Path,
    champ: dict[str, Any],
    args: argparse.Namespace,
    procs: list[subprocess.Popen[bytes]],
) -> dict[str, Any]:
    """`mlflow models serve` on the people champion, POST /invocations at --connections."""
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
    body = {"dataframe_split": json.loads(champ["example"].to_json(orient="split"))}
    body["dataframe_split"].pop("index", None)
    httpx.post(f"{murl}/invocations", json=body, timeout=60).raise_for_status()
    script = _post_script(tmp / "inv.lua", body, "/invocations")
    result = wrk(murl + "/invocations", args.connections, args.duration, script)
    _stop(procs.pop())
    return result


def _targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 11's targets (and the first release's /invocations ratio) against the figures."""
    rows: list[tuple[str, float | None, str, float]] = [
        ("POST scenario 1000 paths, 1 conn: p50 ms", r["post_varied1000_1conn"]["p50_ms"], "<=", 5),
        ("POST scenario 1000 paths, 4 conns: req/s", r["post_varied1000_4conn"]["rps"], ">=", 300),
        ("varied GET, 1 worker: req/s", r["get_varied_1worker"]["rps"], ">=", 1500),
        ("varied GET, 1 worker: p99 ms", r["get_varied_1worker"]["p99_ms"], "<=", 50),
        ("varied GET, 2 workers / 1 worker", r["workers_ratio"], ">=", 1.6),
        ("RSS growth over the varied GETs, MB", r["memory"]["growth_mb"], "<=", 50),
    ]
    if "throughput_ratio" in r:
        rows.append(("cached GET / mlflow /invocations req/s", r["throughput_ratio"], ">=", 10))
    out = []
    for name, value, op, goal in rows:
        met = value is not None and (value <= goal if op == "<=" else value >= goal)
        out.append({"figure": name, "value": value, "target": f"{op} {goal:g}", "met": met})
    return out


def _markdown(r: dict[str, Any]) -> str:
    """The figures as Markdown tables, then the wrk command lines."""
    c = r["connections"]
    rows = [
        ("GET /v1/forecast, one fixed URL (cached)", "get_forecast", c, 1),
        ("POST /v1/forecast, fixed scenario, 500 paths", "post_fixed500_1conn", 1, 1),
        ("POST /v1/forecast, fixed scenario, 500 paths", "post_fixed500_4conn", 4, 1),
        ("POST /v1/forecast, varied scenarios, 1000 paths", "post_varied1000_1conn", 1, 1),
        ("POST /v1/forecast, varied scenarios, 1000 paths", "post_varied1000_4conn", 4, 1),
        ("GET varied (forecast/exceedance, json/csv)", "get_varied_1worker", c, 1),
        ("GET varied (forecast/exceedance, json/csv)", "get_varied_2workers", c, 2),
        ("mlflow models serve /invocations", "mlflow_invocations", c, 1),
    ]
    lines = [
        f"Issue date {r['issue_date']}; wrk -t1, {r['duration_s']} s per run"
        f"{' (--quick)' if r['quick'] else ''}.\n",
        "| # | endpoint | workers | connections | requests | req/s | p50 ms | p90 ms | p99 ms "
        "| non-2xx |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    commands: list[str] = []
    for name, key, conns, workers in rows:
        if key not in r:
            continue
        m = r[key]
        commands.append(f"{len(commands) + 1}. `{m['command']}`")
        lines.append(
            f"| {len(commands)} | {name} | {workers} | {conns} | {m['requests']} | {m['rps']:.0f} "
            f"| {m['p50_ms']:.2f} | {m['p90_ms']:.2f} | {m['p99_ms']:.2f} | {m['non_2xx']} |"
        )
    mem = r["memory"]
    lines += [
        "",
        "| memory (one worker, varied GETs) | requests | RSS MB |",
        "|---|---:|---:|",
        f"| ready | 0 | {mem['rss_ready_mb']:.1f} |",
        f"| after the first | {mem['first_requests']} | {mem['rss_first_mb']:.1f} |",
        f"| after all | {mem['requests']} | {mem['rss_all_mb']:.1f} |",
        f"| growth | | {mem['growth_mb']:+.1f} |",
    ]
    for run in mem["runs"]:
        commands.append(f"{len(commands) + 1}. (memory) `{run['command']}`")
    lines += ["", "| figure | value | target | met |", "|---|---:|---|---|"]
    for t in r["targets"]:
        lines.append(
            f"| {t['figure']} | {t['value']} | {t['target']} | {'yes' if t['met'] else 'NO'} |"
        )
    for kind, check in r["sample_check"].items():
        bad = sum(n for code, n in check["statuses"].items() if code != "200")
        lines.append(f"\nSample check, {kind}: {check['checked']} requests, {bad} not 200.")
        lines += [
            f"- {f['status']} {f['method']} {f['path']} {f['body']}: {f['answer']}"
            for f in check["failures"]
        ]
    if "workers_ratio" in r:
        lines.append(f"\nTwo workers / one worker (varied GETs): {r['workers_ratio']}×")
    if "throughput_ratio" in r:
        lines.append(
            f"GET /v1/forecast (cached) vs /invocations throughput: {r['throughput_ratio']}×"
        )
    lines += ["", "wrk commands (the port differs per run):", *commands]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
