"""Two workers on a PostgreSQL archive under load (issue 24, "Replicas without races").

What it does, in a temporary folder removed afterwards:

1. creates a throwaway PostgreSQL database (``--admin``, default 127.0.0.1:5432 as postgres);
2. trains a tiny people registry and starts a real ``crossings serve --workers 2`` on it with
   that database as its archive (CROSSINGS_ARCHIVE_URL; the helpers of tests/support/serving.py);
3. for ``--seconds`` (default 60), ``--threads`` clients each on a new connection per request
   (so both workers answer) ask a small set of questions again and again: GET /v1/forecast
   for horizons 1..7 and POST scenarios of 12 winds, so the same new forecast often reaches
   both workers at once; meanwhile /readyz is read every second;
4. waits for the outbox to drain and counts: write failures the server logged (UniqueViolation,
   IntegrityError, "archive database unavailable"), /readyz samples not ``ready``, questions
   answered with more than one ``issued_at``, and archived forecasts against the questions
   (each question is one forecast: one row, with the answered issue time);
5. prints the figures (JSON with ``--json``); exits 1 when one is not zero.

Run: ``.venv/bin/python benchmarks/api_replicas.py --seconds 60``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FAILURES = ("UniqueViolation", "IntegrityError", "archive database unavailable")
WINDS = [round(1 + i / 4, 2) for i in range(12)]


def _questions(day: str) -> list[tuple[str, dict[str, Any]]]:
    """The questions asked: (method, params or JSON body)."""
    gets = [("GET", {"horizon": h}) for h in range(1, 8)]
    weather = {"date": day, "wind_max_hourly_ms": 9, "gust_max_ms": 11, "wind_dir_deg": 90}
    posts = [
        ("POST", {"horizon": 2, "weather": [{**weather, "wind_mean_ms": w, "precip_mm": 0}]})
        for w in WINDS
    ]
    return gets + posts


def _ask(base: str, question: tuple[str, dict[str, Any]]) -> httpx.Response:
    method, args = question
    with httpx.Client(base_url=base, timeout=60) as client:  # a new connection: any worker
        if method == "GET":
            return client.get("/v1/forecast", params=args)
        return client.post("/v1/forecast", json=args)


def _load(base: str, questions: list[Any], until: float, seed: int) -> list[tuple[int, str]]:
    """Ask random questions until `until`; (question index, issued_at) of each answer."""
    rng, answers = random.Random(seed), []
    while time.monotonic() < until:
        k = rng.randrange(len(questions))
        r = _ask(base, questions[k])
        if r.status_code != 200:
            raise RuntimeError(f"{questions[k]} answered {r.status_code}: {r.text[:200]}")
        answers.append((k, r.json()["issued_at"]))
    return answers


def _sample_readyz(base: str, until: float) -> list[dict[str, Any]]:
    """/readyz once a second until `until`."""
    samples = []
    while time.monotonic() < until:
        t0 = time.monotonic()
        with httpx.Client(timeout=10) as client:
            samples.append(client.get(f"{base}/readyz").json())
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    return samples


def _drained(base: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = httpx.get(f"{base}/readyz", timeout=10).json()
        if body["archive_outbox"] == 0 or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def run(url: str, root: Path, seconds: float, threads: int) -> dict[str, Any]:
    """Serve two workers on the archive at `url` in `root`, load them; the figures."""
    from tests.support import serving

    # the archive under test, and no scenario rate limit (a load from one address hits it)
    ours = {"CROSSINGS_ARCHIVE_URL": url, "CROSSINGS_SCENARIO_RATE_LIMIT": "100000/minute"}
    with serving.serve_trained(root, "replicas-bench", 2, **ours) as (base, _):
        day = httpx.get(f"{base}/v1/forecast", params={"horizon": 2}, timeout=60).json()
        questions = _questions(day["days"][-1]["date"])
        until = time.monotonic() + seconds
        with ThreadPoolExecutor(threads + 1) as pool:
            ready = pool.submit(_sample_readyz, base, until)
            loads = [pool.submit(_load, base, questions, until, s) for s in range(threads)]
            answers = [a for f in loads for a in f.result()]
            samples = ready.result()
        final = _drained(base)
        log_text = (root / "serve.log").read_text()
    stamps: dict[int, set[str]] = defaultdict(set)
    for k, at in answers:
        stamps[k].add(at)
    with psycopg.connect(url) as conn:
        archived = conn.execute("SELECT count(*), count(DISTINCT issued_at) FROM issued_forecasts")
        rows, distinct = archived.fetchone() or (0, 0)
    return {
        "seconds": seconds,
        "threads": threads,
        "answers": len(answers),
        "questions_answered": len(stamps),
        "write_failures_logged": sum(log_text.count(w) for w in FAILURES),
        "readyz_samples": len(samples),
        "readyz_not_ready": sum(s["status"] != "ready" for s in samples),
        "readyz_max_outbox": max((s["archive_outbox"] for s in samples), default=0),
        "questions_with_several_issued_at": sum(len(v) > 1 for v in stamps.values()),
        # the first forecast (asked before the load) is one more archived row
        "archived_rows": rows,
        "archived_distinct_issued_at": distinct,
        "outbox_at_end": final["archive_outbox"],
        "archive_at_end": final["archive"],
    }


def main() -> int:
    """Parse arguments, run the benchmark in a throwaway database, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--admin", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    name = f"crossings_replicas_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.admin, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        info = admin.info
        url = f"postgresql://{info.user}@{info.host}:{info.port}/{name}"
        try:
            with tempfile.TemporaryDirectory(prefix="replicas-bench-") as tmp:
                figures = run(url, Path(tmp), args.seconds, args.threads)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:36} {value}")
    bad = (
        figures["write_failures_logged"]
        + figures["readyz_not_ready"]
        + figures["questions_with_several_issued_at"]
        + figures["outbox_at_end"]
    )
    return 1 if bad or figures["archived_rows"] != figures["archived_distinct_issued_at"] else 0


if __name__ == "__main__":
    threading.current_thread().name = "api_replicas"
    sys.exit(main())
