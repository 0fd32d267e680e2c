"""Can a client dodge the scenario rate limit with a forged X-Forwarded-For? (issue 24.)

What it does, in a temporary folder removed afterwards, once per FORWARDED_ALLOW_IPS value
(``--trust``; default ``127.0.0.1``, this client standing in for nginx, as compose ships it
with the proxy's address, then ``*``, the setting compose used to ship):

1. starts the API as benchmarks/rate_limit_wrk.py does (a people hurdle champion on seeded
   synthetic data, a SQLite archive, live weather off, ``CROSSINGS_SCENARIO_RATE_LIMIT=--limit``
   (default 60/minute), the window in ``--storage``, default ``memory://``) under uvicorn with
   its proxy headers on and that FORWARDED_ALLOW_IPS;
2. sends ``--requests`` (default 150) scenario POSTs from one client, each with
   ``X-Forwarded-For: 10.0.0.<i>, 203.0.113.9`` (a forged left entry, then the address the
   proxy saw);
3. prints the status counts per setting (JSON with ``--json``); exits 1 when the trusted
   setting lets more than the limit through.

Run: ``.venv/bin/python benchmarks/rate_limit_forwarded.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from api_serve import free_port, wait_for
from rate_limit_wrk import _scenario

ROOT = Path(__file__).resolve().parents[1]
WRK = Path(__file__).with_name("rate_limit_wrk.py")


def measure(trust: str, args: argparse.Namespace) -> dict[str, Any]:
    """Serve with FORWARDED_ALLOW_IPS=`trust`, post the forged requests, count the statuses."""
    tmp = Path(tempfile.mkdtemp(prefix="ratelimit-xff-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FORWARDED_ALLOW_IPS": trust}
    env["CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE"] = args.storage
    cmd = [sys.executable, str(WRK), "--serve", str(port), str(tmp), args.limit]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_for(f"{base}/readyz")
        body = _scenario(base)
        counts: Counter[int] = Counter()
        with httpx.Client(base_url=base, timeout=60) as client:
            for i in range(args.requests):
                forged = {"X-Forwarded-For": f"10.0.0.{i % 250 + 1}, 203.0.113.9"}
                counts[client.post("/v1/forecast", json=body, headers=forged).status_code] += 1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"forwarded_allow_ips": trust, "statuses": dict(sorted(counts.items()))}


def main() -> None:
    """Measure each --trust setting; print (and write) the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trust", nargs="+", default=["127.0.0.1", "*"])
    parser.add_argument("--limit", default="60/minute")
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--storage", default="memory://")
    parser.add_argument("--json", type=Path, help="Also write the result here.")
    args = parser.parse_args()
    from limits import parse

    amount = parse(args.limit).amount
    runs = [measure(trust, args) for trust in args.trust]
    result = {"limit": args.limit, "requests": args.requests, "storage": args.storage}
    result["runs"] = runs
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    trusted = [r for r in runs if r["forwarded_allow_ips"] != "*"]
    sys.exit(1 if any(r["statuses"].get(200, 0) > amount for r in trusted) else 0)


if __name__ == "__main__":
    main()
