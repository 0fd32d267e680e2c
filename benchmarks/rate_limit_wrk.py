"""Does the scenario rate limit hold under wrk? (issue 12: "The rate limit holds under wrk".)

What it does, in a temporary folder removed afterwards:

1. starts the API in a uvicorn subprocess (this file with ``--serve``): a people hurdle
   champion fitted on seeded synthetic data through an in-memory registry, a SQLite archive,
   live weather off, ``CROSSINGS_SCENARIO_RATE_LIMIT=--limit`` (default 60/minute);
2. fires the same one-day POST /v1/forecast scenario with wrk (``--connections``,
   ``--duration`` seconds, a Lua script that counts the status codes);
3. checks that the 200s do not exceed the limit (the run is shorter than the window, so at
   most the limit's amount may pass), that the rest are 429s with a Retry-After, that the
   server's own /metrics agree, that another client address (127.0.0.2) still gets a 200,
   and that the archive holds one row for the repeated scenario;
4. prints the figures (and JSON with ``--json``); exits 1 when a check fails.

Run: ``.venv/bin/python benchmarks/rate_limit_wrk.py`` (needs the Debian ``wrk`` package).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from api_serve import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]

LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[%BODY%]]
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {}; retry = "" end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 429 and retry == "" then
    retry = headers["retry-after"] or headers["Retry-After"] or "missing"
  end
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("counts")) do io.write(string.format("STATUS %d %d\n", s, n)) end
    io.write(string.format("RETRY_AFTER %s\n", t:get("retry")))
  end
end
"""


def serve(port: int, workdir: Path, limit: str) -> None:
    """The server side: fit, wire and serve on 127.0.0.1:`port` until SIGTERM."""
    from datetime import timedelta

    import pandas as pd
    import uvicorn

    from api.deps import get_registry
    from api.main import create_app
    from api.settings import ApiSettings, get_settings
    from forecasting import models
    from tests.api.conftest import FakeRegistry, make_champion, write_processed
    from tests.synthetic import generate_series

    arrivals, weather = generate_series(900, "2021-01-01", seed=3)
    model = models.create("hurdle", target="people", history_days=365).fit(arrivals, weather)
    registry = FakeRegistry()
    registry.add(make_champion(model, "1"))
    settings = ApiSettings(
        data_dir=write_processed(workdir / "data", arrivals, weather),
        archive_url=f"sqlite:///{workdir / 'archive.db'}",
        open_meteo_url="",
        targets=("people",),
        poll_seconds=0,
        today=pd.Timestamp(model.last_date_).date() + timedelta(days=1),
        scenario_rate_limit=limit,
    )
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[get_registry] = lambda *_: registry
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _scenario(base: str) -> dict[str, Any]:
    """A one-day calm scenario on the server's issue date."""
    issue = httpx.get(f"{base}/v1/forecast", params={"horizon": 1}, timeout=30).json()
    day = {"date": issue["issue_date"], "wind_mean_ms": 1.5, "wind_max_hourly_ms": 3.0}
    day |= {"gust_max_ms": 5.0, "wind_dir_deg": 200, "precip_mm": 0, "temp_mean_c": 14}
    return {"target": "people", "horizon": 7, "weather": [{**day, "pressure_hpa": 1020}]}


def _wrk(url: str, body: dict[str, Any], tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run wrk with the counting Lua script; the status counts and wrk's summary."""
    script = tmp / "post.lua"
    script.write_text(LUA.replace("%BODY%", json.dumps(body)))
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    cmd += ["--latency", "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60).stdout
    counts: dict[int, int] = {}
    for status, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.MULTILINE):
        counts[int(status)] = counts.get(int(status), 0) + int(n)
    retry = sorted(set(re.findall(r"^RETRY_AFTER (\S+)$", out, re.MULTILINE)))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)$", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)$", out, re.MULTILINE)
    return {
        "command": " ".join([*cmd[:-3], "-s", "post.lua", url]),
        "counts": counts,
        "retry_after": retry,
        "requests_per_s": float(rps.group(1)) if rps else None,
        "p50": p50.group(1) if p50 else None,
        "p99": p99.group(1) if p99 else None,
    }


def _server_counts(base: str) -> dict[str, float]:
    """POST /v1/forecast responses by status, from the server's /metrics."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    pattern = (
        r'crossings_http_requests_total\{method="POST",route="/v1/forecast",'
        r'status="(\d+)"\} ([\d.e+]+)'
    )
    return {s: float(n) for s, n in re.findall(pattern, text)}


def _archived_scenarios(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT count(*) FROM issued_forecasts WHERE kind='scenario'")
        return int(row.fetchone()[0])


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Start the server, run wrk against it and another client after it, and stop it."""
    from limits import parse

    item = parse(args.limit)
    window = item.get_expiry()  # seconds
    # A moving window lets at most `amount` through in any `window` seconds.
    windows = 1 if args.duration <= window else math.ceil(args.duration / window) + 1
    amount = item.amount * windows
    tmp = Path(tempfile.mkdtemp(prefix="ratelimit-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, __file__, "--serve", str(port), str(tmp), args.limit]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_for(f"{base}/readyz")
        body = _scenario(base)
        result = _wrk(f"{base}/v1/forecast", body, tmp, args)
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        result["other_client_status"] = other.post(f"{base}/v1/forecast", json=body).status_code
        result["server_counts"] = _server_counts(base)
        time.sleep(6)  # let the archive writer drain its outbox
        result["archived_scenarios"] = _archived_scenarios(tmp / "archive.db")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)
    result |= {"limit": args.limit, "allowed_at_most": amount, "duration_s": args.duration}
    return result


def check(r: dict[str, Any]) -> list[str]:
    """What failed, if anything."""
    ok, limited = r["counts"].get(200, 0), r["counts"].get(429, 0)
    other = sum(n for s, n in r["counts"].items() if s not in (200, 429))
    problems = []
    if not 0 < ok <= r["allowed_at_most"]:
        problems.append(f"{ok} × 200, expected 1..{r['allowed_at_most']}")
    if limited == 0 or other:
        problems.append(f"{limited} × 429 and {other} other statuses")
    if not r["retry_after"] or not all(x.isdigit() for x in r["retry_after"]):
        problems.append(f"Retry-After values {r['retry_after']}")
    if r["server_counts"].get("200", 0) - 1 != ok:  # the other client's 200 is in there
        problems.append(f"server counted {r['server_counts']}")
    if r["other_client_status"] != 200:
        problems.append(f"another client got {r['other_client_status']}")
    if r["archived_scenarios"] != 1:
        problems.append(f"{r['archived_scenarios']} archived rows for one repeated scenario")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "WORKDIR", "LIMIT"))
    parser.add_argument("--limit", default="60/minute")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="Also write the result here.")
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), Path(args.serve[1]), args.serve[2])
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    result = measure(args)
    result["problems"] = check(result)
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    sys.exit(1 if result["problems"] else 0)


if __name__ == "__main__":
    main()
