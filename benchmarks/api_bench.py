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

   a. one worker, CROSSINGS_N_SAMPLES=500 (scenarios use the default forecast's paths since
      issue 21, and are paired with it): GET /v1/forecast with one fixed URL (the
      cached default-weather forecast) at ``--connections``; POST /v1/forecast with one fixed
      one-day "calm Thursday" scenario (500 paths) at 1 and 4 connections (the earlier rows);
   b. a fresh one-worker server, CROSSINGS_N_SAMPLES=1000 (the default):
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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from api_measure import fixed_rows, mlflow_invocations, one_worker, two_workers
from api_report import markdown, targets
from api_serve import ROOT, log_errors, register_champion, serve_env, stop, tables

log = logging.getLogger("api_bench")


def _args() -> argparse.Namespace:
    """The command line, with the --quick or full defaults filled in."""
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
    return args


def _measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Steps 1-4 in `tmp`: the champions, then every server in turn; the figures. Every
    server is stopped at the end, and the tails of server logs with errors are logged."""
    results: dict[str, Any] = {}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        data_dir = tables(args.data_dir, tmp)
        uri = f"sqlite:///{tmp / 'mlruns.db'}"
        log.info("fitting and registering the champions in %s", uri)
        champ = register_champion(data_dir, uri, tmp / "artifacts", "people")
        register_champion(data_dir, uri, tmp / "artifacts", "boats")
        env = serve_env(tmp, uri, data_dir)
        # a. the fixed-URL rows: cached GET, one repeated 500-path scenario
        fixed, days = fixed_rows(env, tmp, args, procs)
        results.update(fixed)
        # b. a fresh worker, 1000-path scenarios: sample check, memory, varied GETs/POSTs
        env["CROSSINGS_N_SAMPLES"] = "1000"
        results.update(one_worker(env, tmp, args, days, procs))
        # c. two workers
        one_rps = results["get_varied_1worker"]["rps"]
        results.update(two_workers(env, tmp, args, days, procs, one_rps))
        if not args.skip_mlflow:
            results["mlflow_invocations"] = mlflow_invocations(env, tmp, champ, args, procs)
            results["throughput_ratio"] = round(
                results["get_forecast"]["rps"] / results["mlflow_invocations"]["rps"], 1
            )
    finally:
        for p in procs:
            stop(p)
        log_errors(tmp)
    return results


def main() -> None:
    args = _args()
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
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp_name:
        results.update(_measure(args, Path(tmp_name)))
    results["targets"] = targets(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    sys.stdout.write(markdown(results))


if __name__ == "__main__":
    main()
