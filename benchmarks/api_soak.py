"""Soak: does a long run of varied requests keep the server's memory bounded? (issue 24)

1. fits and registers hurdle champions for people and boats on the processed tables
   (``--data-dir``, else ../shared/data ingested into a temporary directory), as
   benchmarks/api_bench.py does;
2. starts a real ``crossings serve`` (``--workers``, default 1 as in the Kubernetes pod; live
   weather off, a SQLite archive, the default 1,000 sample paths, the scenario rate limit
   lifted to 1000000/minute), with ``--env KEY=VALUE`` added to its environment;
3. sends ``--requests`` requests (default 50,000) from ``--threads`` httpx clients over every
   route with varied parameters: GET forecasts (start, horizon, target, as_of, weather_mode,
   levels, CSV), exceedance (thresholds), outlooks (until, thresholds), verification (days),
   history ranges, issued forecasts, scenario POSTs with varied weather, and the small routes
   (page, model, health, metrics, OpenAPI);
4. samples the RSS of the server process and its workers (psutil) every ``--every`` requests
   and prints the curve, the status counts and the cache gauges of /metrics; ``--json``
   writes it all.

It exits 1 when RSS at the end is more than 10% above RSS at the halfway sample, or over
``--max-mb`` (900 MB). Run it under ``flock /tmp/bench.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import logging
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from api_serve import ROOT, log_errors, register_champion, serve, serve_env, stop, tables

log = logging.getLogger("api_soak")

Question = tuple[str, str, dict[str, Any], dict[str, Any] | None]  # method, path, params, body
WEATHER = {
    "wind_mean_ms": (0.5, 14.0),
    "wind_max_hourly_ms": (1.0, 18.0),
    "gust_max_ms": (2.0, 25.0),
    "wind_dir_deg": (0.0, 359.0),
    "precip_mm": (0.0, 12.0),
    "temp_mean_c": (2.0, 24.0),
    "pressure_hpa": (990.0, 1035.0),
}


@dataclass(frozen=True)
class Days:
    """The served data's days the questions are built around."""

    issue: date  # the default issue date (today or a hindcast's)
    data_end: date  # the newest arrivals


def _days(base: str) -> Days:
    body = httpx.get(f"{base}/v1/forecast", params={"horizon": 1}, timeout=60).json()
    return Days(date.fromisoformat(body["issue_date"]), date.fromisoformat(body["data_as_of"]))


def _forecast_params(rng: random.Random, days: Days) -> tuple[date, dict[str, Any]]:
    """Varied GET forecast parameters, and the issue date they ask from."""
    params: dict[str, Any] = {"target": rng.choice(("people", "boats"))}
    issue = days.issue
    if rng.random() < 0.6:
        issue = days.data_end - timedelta(days=rng.randrange(0, 240))
        params["as_of"] = issue.isoformat()
    horizon = rng.randint(1, 14)
    params["horizon"] = horizon
    if rng.random() < 0.5:
        params["start"] = (issue + timedelta(days=rng.randrange(0, 15 - horizon))).isoformat()
    params["weather_mode"] = rng.choice(("forecast", "forecast", "observed", "climatology"))
    if rng.random() < 0.2:
        params["levels"] = ",".join(str(rng.choice((50, 80, 90, 95, 99))) for _ in range(2))
    if rng.random() < 0.1:
        params["format"] = "csv"
    return issue, params


def _scenario(rng: random.Random, days: Days) -> Question:
    issue, params = _forecast_params(rng, days)
    params.pop("format", None)
    params.pop("levels", None)
    params["weather_mode"] = "forecast"
    first = date.fromisoformat(params.get("start", issue.isoformat()))
    weather = []
    for i in range(rng.randint(1, min(3, params["horizon"]))):
        day = {k: round(rng.uniform(lo, hi), 1) for k, (lo, hi) in WEATHER.items()}
        day["wind_max_hourly_ms"] = round(day["wind_mean_ms"] * rng.uniform(1.1, 1.6), 1)
        day["gust_max_ms"] = round(day["wind_max_hourly_ms"] * rng.uniform(1.2, 1.8), 1)
        weather.append({"date": (first + timedelta(days=i)).isoformat(), **day})
    return "POST", "/v1/forecast", {}, {**params, "weather": weather}


def question(rng: random.Random, days: Days) -> Question:
    """One request, drawn over every route with varied parameters."""
    kind = rng.random()
    if kind < 0.40:
        return "GET", "/v1/forecast", _forecast_params(rng, days)[1], None
    if kind < 0.57:
        params = _forecast_params(rng, days)[1]
        params.pop("levels", None)
        params["thresholds"] = ",".join(str(rng.randint(1, 900)) for _ in range(rng.randint(1, 4)))
        return "GET", "/v1/forecast/exceedance", params, None
    if kind < 0.61:
        return _scenario(rng, days)
    if kind < 0.63:
        until = days.data_end + timedelta(days=rng.randint(1, 365))
        params = {"target": rng.choice(("people", "boats")), "until": until.isoformat()}
        if rng.random() < 0.3:
            params["thresholds"] = f"{rng.randint(1, 60) * 1000},{rng.randint(61, 90) * 1000}"
        return "GET", "/v1/outlook", params, None
    if kind < 0.65:
        days_asked = rng.randint(1, 366)
        return "GET", "/v1/verification", {"days": days_asked, "target": "people"}, None
    if kind < 0.77:
        to = days.data_end - timedelta(days=rng.randrange(0, 2000))
        frm = to - timedelta(days=rng.randrange(0, 400))
        return "GET", "/v1/history", {"from": frm.isoformat(), "to": to.isoformat()}, None
    if kind < 0.82:
        day = days.issue + timedelta(days=rng.randrange(-30, 14))
        return "GET", "/v1/issued", {"date": day.isoformat()}, None
    small = ("/", "/v1/model", "/healthz", "/readyz", "/metrics", "/openapi.json")
    return "GET", rng.choice(small), {"target": rng.choice(("people", "boats"))}, None


@dataclass
class Run:
    """The shared state of the client threads."""

    total: int
    sent: int = 0
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> int | None:
        """The number of the next request to send, or None when all were sent."""
        with self.lock:
            if self.sent >= self.total:
                return None
            self.sent += 1
            return self.sent


def _client(base: str, days: Days, run: Run, seed: int, repeat: float) -> None:
    """Send questions until all were sent: a new one, or with probability `repeat` one this
    client asked before (as planners reload the same views)."""
    rng = random.Random(seed)
    asked: list[Question] = []
    with httpx.Client(base_url=base, timeout=300) as client:
        while run.next() is not None:
            if asked and rng.random() < repeat:
                method, path, params, body = rng.choice(asked)
            else:
                method, path, params, body = question(rng, days)
                asked.append((method, path, params, body))
            try:
                r = client.request(method, path, params=params, json=body)
                status = str(r.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            with run.lock:
                run.statuses[f"{method} {path} {status}"] += 1


def rss_mb(pid: int) -> float:
    """RSS of `pid` and its descendants (uvicorn's workers), in MB."""
    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 1e6


def soak(
    base: str, pid: int, total: int, threads: int, every: int, repeat: float
) -> dict[str, Any]:
    """Send `total` varied requests from `threads` clients (`_client`); RSS every `every`
    requests."""
    days = _days(base)
    run = Run(total)
    curve = [(0, rss_mb(pid), 0.0)]
    t0 = time.monotonic()
    workers = [
        threading.Thread(target=_client, args=(base, days, run, seed, repeat), daemon=True)
        for seed in range(threads)
    ]
    for w in workers:
        w.start()
    mark = every
    while any(w.is_alive() for w in workers):
        time.sleep(0.2)
        if run.sent >= mark:
            curve.append((mark, rss_mb(pid), time.monotonic() - t0))
            log.info("%6d requests  RSS %7.1f MB  %6.0f s", *curve[-1])
            mark += every
    if curve[-1][0] != total:
        curve.append((total, rss_mb(pid), time.monotonic() - t0))
    gauges = [
        line
        for line in httpx.get(f"{base}/metrics", timeout=30).text.splitlines()
        if line.startswith("crossings_cache_")
    ]
    return {
        "days": {"issue": days.issue.isoformat(), "data_end": days.data_end.isoformat()},
        "curve": [
            {"requests": n, "rss_mb": round(mb, 1), "seconds": round(s)} for n, mb, s in curve
        ],
        "statuses": dict(sorted(run.statuses.items())),
        "cache_gauges": gauges,
    }


def verdict(curve: list[dict[str, Any]], max_mb: float) -> list[str]:
    """Failures of the target: RSS at the end within 10% of RSS at the halfway sample, and
    under `max_mb`."""
    end = curve[-1]
    half = min(curve, key=lambda c: abs(c["requests"] - end["requests"] / 2))
    failures = []
    if end["rss_mb"] > 1.10 * half["rss_mb"]:
        failures.append(f"RSS grew {end['rss_mb'] / half['rss_mb'] - 1:.0%} from the middle")
    if end["rss_mb"] > max_mb:
        failures.append(f"RSS {end['rss_mb']:.0f} MB is over {max_mb:.0f} MB")
    return failures


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=50_000)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--every", type=int, default=1000, help="Sample RSS every N requests.")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--repeat", type=float, default=0.8, help="Share of repeated questions.")
    p.add_argument("--max-mb", type=float, default=900.0)
    p.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server.")
    p.add_argument("--data-dir", type=Path, default=ROOT / "data" / "processed")
    p.add_argument("--json", type=Path, help="Write the results here.")
    return p.parse_args()


def main() -> int:
    """Run the soak; print the curve; exit 1 when memory is not bounded."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = _args()
    with tempfile.TemporaryDirectory(prefix="api-soak-") as tmp_name:
        tmp = Path(tmp_name)
        data_dir = tables(args.data_dir, tmp)
        uri = f"sqlite:///{tmp / 'mlruns.db'}"
        for target in ("people", "boats"):
            register_champion(data_dir, uri, tmp / "artifacts", target)
        env = serve_env(tmp, uri, data_dir)
        env.pop("CROSSINGS_N_SAMPLES")  # the default paths, as served
        env["CROSSINGS_SCENARIO_RATE_LIMIT"] = "1000000/minute"
        env.update(kv.split("=", 1) for kv in args.env)
        proc, base = serve(env, tmp, "soak", args.workers)
        try:
            result = soak(base, proc.pid, args.requests, args.threads, args.every, args.repeat)
        finally:
            stop(proc)
            log_errors(tmp)
    result["settings"] = {
        "workers": args.workers,
        "threads": args.threads,
        "repeat": args.repeat,
        "env": args.env,
    }
    print("requests  RSS MB  seconds")
    for c in result["curve"]:
        print(f"{c['requests']:8d}  {c['rss_mb']:6.1f}  {c['seconds']:7d}")
    for line in result["cache_gauges"]:
        print(line)
    print(json.dumps(result["statuses"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    failures = verdict(result["curve"], args.max_mb)
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
