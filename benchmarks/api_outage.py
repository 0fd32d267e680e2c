"""A PostgreSQL outage under load (issue 24: "≤ 20 failed write attempts and ≥ 90% of the
healthy throughput" during a 20 s outage).

What it does, in a temporary folder removed afterwards:

1. creates a throwaway PostgreSQL database (``--admin``, default 127.0.0.1:5432 as postgres)
   and a TCP proxy in this process (asyncio, 127.0.0.1:<port> → the database server), so the
   database can be made unreachable without stopping the shared server;
2. starts a real ``crossings serve --workers <n>`` (tests/support/serving.py) with the archive
   at that database through the proxy and the scenario rate limit lifted;
3. ``--threads`` clients, each on a new connection per request, POST scenarios with a random
   wind and rain (every answer a new forecast, so a new archive write) for three phases of
   ``--seconds`` each: healthy; outage (the proxy closes every open connection and stops
   listening: new connections are refused); after (the proxy listens again);
4. waits for the outbox to drain and counts: answers per second in each phase, non-200
   answers, the failed write attempts (``crossings_archive_write_errors`` on /metrics, summed
   over the workers: scraped until every worker has answered one), and the answered scenarios
   missing from the archive (each is a new forecast: one archived scenario per answer);
5. prints the figures (JSON); exits 1 when a forecast is lost, the outbox did
   not drain, an answer is not 200, failed attempts exceed ``--max-failed`` or the outage
   throughput is under 90% of the healthy one.

Run: ``flock /tmp/bench.lock .venv/bin/python benchmarks/api_outage.py --seconds 20``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api_replicas import _ask, _drained  # noqa: E402

PHASES = ("healthy", "outage", "after")
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@contextmanager
def throwaway_database(admin: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL database on the server `admin` connects to; yields its URL and drops
    it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        info = conn.info
        try:
            yield f"postgresql://{info.user}@{info.host}:{info.port}/{name}"
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measured(admin: str, name: str, measure: Callable[[str, Path], dict[str, Any]]) -> Any:
    """`measure(url, folder)` on a throwaway database and in a temporary folder; prints its
    figures (JSON) and returns them."""
    with (
        throwaway_database(admin, f"crossings_{name}_bench") as url,
        tempfile.TemporaryDirectory(prefix=f"{name}-bench-") as tmp,
    ):
        figures = measure(url, Path(tmp))
    print(json.dumps(figures, indent=2, default=str))
    return figures


class Proxy:
    """A TCP proxy 127.0.0.1:`port` → `upstream` on its own event loop thread; `down` closes
    every connection and stops listening (new ones are refused), `up` listens again."""

    def __init__(self, port: int, upstream: tuple[str, int]) -> None:
        self.port = port
        self.upstream = upstream
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        threading.Thread(target=self._loop.run_forever, name="pg-proxy", daemon=True).start()

    def up(self) -> None:
        """Listen (again)."""
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)

    def down(self) -> None:
        """Stop listening and close every open connection."""
        asyncio.run_coroutine_threadsafe(self._drop(), self._loop).result(10)

    def close(self) -> None:
        """Drop everything and stop the loop."""
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._pipe, "127.0.0.1", self.port, reuse_address=True
        )

    async def _drop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, up_writer))
        await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer))
        self._open.difference_update((writer, up_writer))


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of file or a closed connection, then close the other side."""
    with suppress(OSError, ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


def _scenario(day: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    """A scenario POST no other request repeats (a random mean wind and rain)."""
    mean = round(rng.uniform(0.5, 12.0), 4)
    weather = {
        "date": day,
        "wind_mean_ms": mean,
        "precip_mm": round(rng.uniform(0.0, 5.0), 4),
        "wind_max_hourly_ms": mean + 3,
        "gust_max_ms": mean + 5,
        "wind_dir_deg": 90,
    }
    return "POST", {"horizon": 2, "weather": [weather]}


def _load(base: str, day: str, bounds: list[float], seed: int) -> list[tuple[int, int, str]]:
    """Scenarios until the last bound; (phase, status, detail of a refusal) of each answer,
    the phase by when the request was sent."""
    rng, answers = random.Random(seed), []
    while (sent := time.monotonic()) < bounds[-1]:
        phase = sum(sent >= b for b in bounds[1:-1])
        try:
            r = _ask(base, _scenario(day, rng))
            answers.append((phase, r.status_code, "" if r.status_code == 200 else r.text[:120]))
        except httpx.HTTPError as exc:
            answers.append((phase, 0, type(exc).__name__))
    return answers


def write_errors(base: str, workers: int, tries: int = 40) -> int:
    """`crossings_archive_write_errors` summed over the workers: each worker refreshes its own
    value when it answers a scrape, so scrape (new connections) until it stops rising."""
    best, steady = 0, 0
    for _ in range(tries):
        text = httpx.get(f"{base}/metrics", timeout=10).text
        found = re.search(r"^crossings_archive_write_errors(?:\{[^}]*\})? (\S+)$", text, re.M)
        value = int(float(found.group(1))) if found else 0
        steady = steady + 1 if value <= best else 0
        best = max(best, value)
        if steady >= 4 * workers:
            break
    return best


def _phases(
    base: str, day: str, proxy: Proxy, seconds: float, threads: int
) -> list[tuple[int, int, str]]:
    """Run the load through the three phases, taking the proxy down for the middle one."""
    start = time.monotonic()
    bounds = [start + i * seconds for i in range(len(PHASES) + 1)]
    with ThreadPoolExecutor(threads) as pool:
        loads = [pool.submit(_load, base, day, bounds, s) for s in range(threads)]
        time.sleep(max(0.0, bounds[1] - time.monotonic()))
        proxy.down()
        time.sleep(max(0.0, bounds[2] - time.monotonic()))
        proxy.up()
        return [a for f in loads for a in f.result()]


def _archived_scenarios(url: str) -> int:
    """Scenario forecasts in the archive."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM issued_forecasts WHERE kind = 'scenario'")
        return int((row.fetchone() or (0,))[0])


def run(url: str, root: Path, seconds: float, threads: int, workers: int) -> dict[str, Any]:
    """Serve on the database at `url` through a proxy, load it through an outage; figures."""
    from tests.lifecycle import free_port
    from tests.support import serving

    db = re.match(r"postgresql://([^@]+)@([^:]+):(\d+)/(.+)", url)
    assert db is not None
    proxy = Proxy(free_port(), (db.group(2), int(db.group(3))))
    proxy.up()
    proxied = f"postgresql://{db.group(1)}@127.0.0.1:{proxy.port}/{db.group(4)}"
    env = {"CROSSINGS_ARCHIVE_URL": proxied, "CROSSINGS_SCENARIO_RATE_LIMIT": "1000000/minute"}
    try:
        with serving.serve_trained(root, "outage-bench", workers, **env) as (base, _):
            first = httpx.get(f"{base}/v1/forecast", params={"horizon": 2}, timeout=60).json()
            day = first["days"][-1]["date"]
            warm = _ask(base, _scenario(day, random.Random(-1)))  # the baseline is cached
            assert warm.status_code == 200, warm.text
            errors_before = write_errors(base, workers)
            answers = _phases(base, day, proxy, seconds, threads)
            ended = time.monotonic()
            final = _drained(base, timeout=120)
            drained_after = time.monotonic() - ended
            failed = write_errors(base, workers) - errors_before
            log_text = (root / "serve.log").read_text()
    finally:
        proxy.close()
    answered = sum(1 for _, s, _ in answers if s == 200) + 1  # and the warm-up scenario
    refusals = Counter(f"{s} {d}" for _, s, d in answers if s != 200)
    per_phase = {
        name: sum(1 for p, s, _ in answers if p == k and s == 200) / seconds
        for k, name in enumerate(PHASES)
    }
    return {
        "seconds_per_phase": seconds,
        "threads": threads,
        "workers": workers,
        "answers_per_s": {k: round(v, 1) for k, v in per_phase.items()},
        "outage_over_healthy": round(per_phase["outage"] / per_phase["healthy"], 3),
        "after_over_healthy": round(per_phase["after"] / per_phase["healthy"], 3),
        "non_200": dict(refusals.most_common(5)),
        "failed_write_attempts": failed,
        # every scenario asked is new (a random wind and rain): one archived forecast each
        "answered_scenarios": answered,
        "missing_from_archive": answered - _archived_scenarios(url),
        "not_journalled_logged": log_text.count("could not be journalled"),
        "outbox_at_end": final["archive_outbox"],
        "archive_at_end": final["archive"],
        "drained_s_after_load": round(drained_after, 1),
        "proxy_connections": proxy.connections,
    }


def main() -> int:
    """Parse arguments, run the benchmark in a throwaway database, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="each phase's length")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-failed", type=int, default=20)
    ap.add_argument("--admin", default=ADMIN)
    args = ap.parse_args()
    figures = measured(
        args.admin,
        "outage",
        lambda url, tmp: run(url, tmp, args.seconds, args.threads, args.workers),
    )
    bad = (
        figures["non_200"]
        or figures["missing_from_archive"]
        or figures["outbox_at_end"]
        or figures["failed_write_attempts"] > args.max_failed
        or figures["outage_over_healthy"] < 0.9
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
