"""The measured runs of benchmarks/api_bench.py, one function per server (steps 3a-3c and 4 of
its docstring): each starts its server, drives it with wrk, stops it and returns the figures.
A started server is kept in `procs` until it is stopped, so the caller can stop it on error."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
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
from api_serve import TARGETS, post_script, serve, serve_mlflow, stop

FIRST_MEMORY_REQUESTS = 1000
MAX_WARMUPS = 8  # varied-GET warm-up runs at most, until one computes no forecast
log = logging.getLogger("api_bench")


def varied_args(seed: int, days: list[str], targets: tuple[str, ...]) -> list[str]:
    """The arguments of the varied Lua scripts."""
    return [f"seed={seed}", f"targets={','.join(targets)}", f"days={','.join(days)}"]


def varied_get(api: str, args: argparse.Namespace, days: list[str]) -> dict[str, Any]:
    """Warm the forecast cache, then the measured varied-GET run at --connections.

    Warm-up: --warmup-second runs of the varied GETs (other seeds) until one computes no
    forecast (crossings_forecasts_computed_total, over all workers, stays put), at most
    MAX_WARMUPS of them; every worker has its own cache, so each must see every
    target/start/horizon once."""
    rounds = []
    for i in range(MAX_WARMUPS):
        before = forecasts_computed(api)
        warm = varied_args(args.seed + 200 + i, days, TARGETS)
        wrk(api, args.connections, args.warmup, VARIED_GET, warm)
        rounds.append(int(forecasts_computed(api) - before))
        if rounds[-1] == 0:
            break
    else:
        log.warning("the forecast cache was still filling after %d warm-ups", MAX_WARMUPS)
    before = forecasts_computed(api)
    result = wrk(
        api, args.connections, args.duration, VARIED_GET, varied_args(args.seed, days, TARGETS)
    )
    result["forecasts_computed"] = int(forecasts_computed(api) - before)
    result["warmup_forecasts_computed"] = rounds
    return result


def memory(api: str, pid: int, args: argparse.Namespace, days: list[str]) -> dict[str, Any]:
    """RSS of the server when ready, after the first 1,000 varied GETs and after all
    --memory-requests of them (exact counts: the Lua script stops wrk after them)."""
    first = min(FIRST_MEMORY_REQUESTS, args.memory_requests)
    rest = args.memory_requests - first
    out: dict[str, Any] = {"rss_ready_mb": tree_rss_mb(pid)}
    computed = forecasts_computed(api)
    get = varied_args(args.seed + 100, days, TARGETS)
    runs = [wrk(api, args.connections, 300, VARIED_GET, get, stop_after=first)]
    out["rss_first_mb"] = tree_rss_mb(pid)
    if rest:
        bound = max(60, rest // 100)  # seconds; the run stops at `rest` responses long before
        get = varied_args(args.seed + 101, days, TARGETS)
        runs.append(wrk(api, args.connections, bound, VARIED_GET, get, stop_after=rest))
    out["rss_all_mb"] = tree_rss_mb(pid)
    out["requests"] = sum(r["requests"] for r in runs)
    out["first_requests"] = runs[0]["requests"]
    out["non_2xx"] = sum(r["non_2xx"] for r in runs)
    out["forecasts_computed"] = int(forecasts_computed(api) - computed)
    out["growth_mb"] = round(out["rss_all_mb"] - out["rss_first_mb"], 1)
    out["runs"] = runs
    return out


def calm_scenario(day: str) -> dict[str, Any]:
    """The fixed scenario: people, 7 days, one calm dry day of weather on `day`."""
    return {
        "target": "people",
        "horizon": 7,
        "levels": [50, 80, 95],
        "weather": [
            {
                "date": day,
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


def fixed_rows(
    env: dict[str, str],
    tmp: Path,
    args: argparse.Namespace,
    procs: list[subprocess.Popen[bytes]],
) -> tuple[dict[str, Any], list[str]]:
    """3a, one worker: the cached GET at --connections and one repeated 500-path scenario
    (a calm Thursday) at 1 and 4 connections; the figures and the 7 days from the issue date."""
    proc, api = serve(env, tmp, "fixed")
    procs.append(proc)
    first = httpx.get(f"{api}/v1/forecast?target=people", timeout=30)
    first.raise_for_status()
    issue = pd.Timestamp(first.json()["issue_date"])
    days = [(issue + pd.Timedelta(days=i)).date().isoformat() for i in range(7)]
    results: dict[str, Any] = {"issue_date": days[0]}
    thursday = next(d for d in days if pd.Timestamp(d).day_of_week == 3)
    log.info("issue date %s", days[0])
    get_url = f"{api}/v1/forecast?target=people&horizon=7&levels=50,80,95"
    results["get_forecast"] = wrk(get_url, args.connections, args.duration)
    scenario = calm_scenario(thursday)
    httpx.post(f"{api}/v1/forecast", json=scenario, timeout=30).raise_for_status()
    script = post_script(tmp / "post.lua", scenario, "/v1/forecast")
    results["post_fixed500_1conn"] = wrk(api + "/v1/forecast", 1, args.duration, script)
    results["post_fixed500_4conn"] = wrk(api + "/v1/forecast", 4, args.duration, script)
    stop(procs.pop())
    return results, days


def one_worker(
    env: dict[str, str],
    tmp: Path,
    args: argparse.Namespace,
    days: list[str],
    procs: list[subprocess.Popen[bytes]],
) -> dict[str, Any]:
    """3b, a fresh one-worker server: the sample check of the generated requests, memory,
    varied GETs, and varied POST scenarios at 1 and 4 connections."""
    proc, api = serve(env, tmp, "one-worker")
    procs.append(proc)
    get_args = varied_args(args.seed, days, TARGETS)
    post_args = varied_args(args.seed, days, ("people",))
    results: dict[str, Any] = {
        "sample_check": {
            "varied_get": check_requests(api, dump_requests(VARIED_GET, api, get_args, args.check)),
            "varied_post": check_requests(
                api, dump_requests(VARIED_POST, api, post_args, max(5, args.check // 10))
            ),
        }
    }
    log.info("memory: %d varied GETs", args.memory_requests)
    results["memory"] = memory(api, proc.pid, args, days)
    results["get_varied_1worker"] = varied_get(api, args, days)
    results["post_varied1000_1conn"] = wrk(api, 1, args.duration, VARIED_POST, post_args)
    post_args4 = varied_args(args.seed + 1, days, ("people",))
    results["post_varied1000_4conn"] = wrk(api, 4, args.duration, VARIED_POST, post_args4)
    stop(procs.pop())
    return results


def two_workers(
    env: dict[str, str],
    tmp: Path,
    args: argparse.Namespace,
    days: list[str],
    procs: list[subprocess.Popen[bytes]],
    one_worker_rps: float,
) -> dict[str, Any]:
    """3c, `crossings serve --workers 2`: the varied GETs, and their req/s over the one
    worker's (`one_worker_rps`)."""
    proc, api = serve(env, tmp, "two-workers", workers=2)
    procs.append(proc)
    varied = varied_get(api, args, days)
    varied["rss_tree_mb"] = tree_rss_mb(proc.pid)
    ratio = round(varied["rps"] / one_worker_rps, 2)
    stop(procs.pop())
    return {"get_varied_2workers": varied, "workers_ratio": ratio}


def mlflow_invocations(
    env: dict[str, str],
    tmp: Path,
    champ: dict[str, Any],
    args: argparse.Namespace,
    procs: list[subprocess.Popen[bytes]],
) -> dict[str, Any]:
    """4, `mlflow models serve` on the people champion, POST /invocations at --connections."""
    murl = serve_mlflow(env, tmp, procs)
    body = {"dataframe_split": json.loads(champ["example"].to_json(orient="split"))}
    body["dataframe_split"].pop("index", None)
    httpx.post(f"{murl}/invocations", json=body, timeout=60).raise_for_status()
    script = post_script(tmp / "inv.lua", body, "/invocations")
    result = wrk(murl + "/invocations", args.connections, args.duration, script)
    stop(procs.pop())
    return result
