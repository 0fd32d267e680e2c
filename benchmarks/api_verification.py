"""/v1/verification on a full archive (issue 24: "p95 ≤ 300 ms at 7,300 archived forecasts").

What it does, in a temporary folder removed afterwards:

1. creates a throwaway PostgreSQL database (``--admin``) and starts a real ``crossings serve``
   (``--workers``, default 1, so "the first call after a new write" is one process's cache
   miss) on a tiny trained people registry with that database as its archive;
2. fills the archive with ``--per-day`` (default 20) forecasts per issue date over
   ``--issue-days`` (default 365) issue dates up to the data's last day (7,300 forecasts):
   per date 14 default forecasts (starts T and T+1, horizons 1..7), one reissued hindcast and
   its climatology reference (8 days, covering them all) and 4 two-day scenarios, all in the
   honest ``forecast`` weather mode. Each is a copy of a forecast the server issued (its
   inputs, response, bands and stored percentiles, the figures jittered), with its own id,
   dates and issue time, written with the archive's own writer (``ForecastArchive.write``);
3. for days N in 56, 183 and 366: ``--rounds`` cold calls (each after a new scenario has been
   archived, which changes the cache key: a recompute) and as many warm calls (cached);
4. under load: ``--clients`` clients loop on /v1/verification (cycling through the three N)
   while one client times a cached GET /v1/forecast, measured before without the load;
   twice: with the answers cached, and with a new scenario archived every second (so the
   verification answers are recomputed as the cache key changes);
5. prints p50/p95/max (ms) of each (JSON); exits 1 when a cold p95 is over
   300 ms or a verification call fails.

Run: ``flock /tmp/bench.lock .venv/bin/python benchmarks/api_verification.py``.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api_outage import ADMIN, _scenario, measured  # noqa: E402
from api_replicas import _drained  # noqa: E402

DAYS = (56, 183, 366)
TARGET_P95_MS = 300.0
# (kind, start offset from the issue date, horizon) of the forecasts archived per issue date
DEFAULTS = [("default", s, h) for s in (0, 1) for h in range(1, 8)]
MIX = [*DEFAULTS, ("reissue", 0, 7), ("reference", 0, 8), *[("scenario", 0, 2)] * 4]


def _stats(ms: list[float]) -> dict[str, float]:
    """n, p50, p95 and max of latencies in milliseconds."""
    a = np.asarray(ms, dtype=float)
    if a.size == 0:
        return {"n": 0}
    pct = np.percentile(a, [50, 95])
    return {
        "n": int(a.size),
        "p50": round(pct[0], 1),
        "p95": round(pct[1], 1),
        "max": round(a.max(), 1),
    }


def _template(url: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[list[int]]]:
    """The forecast row, day rows and percentiles of the 7-day forecast the server archived."""
    from sqlalchemy import select

    from api.archive.store import ForecastArchive, days_table, forecasts_table, quantiles_table

    archive = ForecastArchive(url)
    with archive.engine.connect() as conn:
        f = conn.execute(select(forecasts_table).where(forecasts_table.c.horizon == 7)).first()
        assert f is not None, "the server archived no 7-day forecast"
        fid = f.forecast_id
        days = conn.execute(select(days_table).where(days_table.c.forecast_id == fid))
        qs = conn.execute(select(quantiles_table).where(quantiles_table.c.forecast_id == fid))
        day_rows = [dict(r._mapping) for r in days]
        quantiles = [list(r.quantiles) for r in sorted(qs, key=lambda r: r.date)]
    archive.engine.dispose()
    return dict(f._mapping), sorted(day_rows, key=lambda r: r["date"]), quantiles


def _copy(
    template: tuple[Any, ...], kind: str, issue: date, start: date, horizon: int, rng: random.Random
) -> Any:
    """A record like the template's for `kind` issued on `issue` for `horizon` days."""
    from api.archive.store import ArchiveRecord

    row, days, quantiles = template
    fid = f"{rng.getrandbits(128):032x}"
    issued_at = datetime.combine(issue, datetime.min.time(), UTC) + timedelta(
        hours=6 + rng.random() * 12
    )
    inputs = {**row["inputs"], "issue_date": issue.isoformat(), "weather_mode": "forecast"}
    inputs["hindcast"] = kind in ("reissue", "reference")
    forecast = {**row, "forecast_id": fid, "issued_at": issued_at, "kind": kind, "start": start}
    forecast.update(horizon=horizon, inputs=inputs, data_as_of=issue - timedelta(days=1))
    day_rows, q_rows = [], []
    for i in range(horizon):
        d, k = start + timedelta(days=i), i % len(days)
        scale = rng.uniform(0.5, 1.5)
        q = [int(v * scale) for v in quantiles[k]]
        day_rows.append(
            {
                **days[k],
                "forecast_id": fid,
                "date": d,
                "lead_days": (d - issue).days + 1,
                "median": q[49],
                "p_any": min(1.0, days[k]["p_any"] * scale),
            }
        )
        day_rows[-1].pop("id", None)
        q_rows.append({"forecast_id": fid, "date": d, "quantiles": q})
    return ArchiveRecord(forecast, day_rows, q_rows)


def fill(url: str, last: date, issue_days: int, per_day: int) -> int:
    """Archive `per_day` forecasts (MIX, cycled) per issue date over the `issue_days` dates up
    to `last`; how many."""
    from api.archive.store import ForecastArchive

    template, rng = _template(url), random.Random(7)
    archive = ForecastArchive(url)
    mix = [MIX[i % len(MIX)] for i in range(per_day)]
    batch: list[Any] = []
    n = 0
    for k in range(issue_days):
        issue = last - timedelta(days=issue_days - 1 - k)
        for kind, offset, horizon in mix:
            batch.append(_copy(template, kind, issue, issue + timedelta(days=offset), horizon, rng))
        if len(batch) >= 400 or k == issue_days - 1:
            archive.write(batch)
            n, batch = n + len(batch), []
    archive.engine.dispose()
    return n


def _timed_get(client: httpx.Client, path: str, **params: Any) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = client.get(path, params=params)
    return (time.perf_counter() - t0) * 1000, r.status_code


def cold_warm(base: str, day: str, rounds: int) -> dict[str, Any]:
    """Cold (after a new archived scenario) and warm latencies of /v1/verification per N."""
    rng, out = random.Random(11), {}
    with httpx.Client(base_url=base, timeout=120) as client:
        for n in DAYS:
            cold, warm = [], []
            for _ in range(rounds):
                method, body = _scenario(day, rng)
                assert client.post("/v1/forecast", json=body).status_code == 200, method
                _drained(base)  # archived: this process's write count, so the key, changed
                ms, status = _timed_get(client, "/v1/verification", days=n)
                assert status == 200, status
                cold.append(ms)
                warm.append(_timed_get(client, "/v1/verification", days=n)[0])
            out[str(n)] = {"cold": _stats(cold), "warm": _stats(warm)}
    return out


def _verification_loop(base: str, until: float, seed: int) -> Counter[int]:
    """/v1/verification for a random N until `until` (a new connection each, like the probe
    of many clients); the status codes."""
    rng, codes = random.Random(seed), Counter[int]()
    while time.monotonic() < until:
        with httpx.Client(base_url=base, timeout=120) as client:
            codes[_timed_get(client, "/v1/verification", days=rng.choice(DAYS))[1]] += 1
    return codes


def _forecast_probe(base: str, until: float) -> list[float]:
    """Latencies of a cached GET /v1/forecast (new connection each) until `until`."""
    ms = []
    while time.monotonic() < until:
        with httpx.Client(base_url=base, timeout=120) as client:
            ms.append(_timed_get(client, "/v1/forecast", horizon=7)[0])
        time.sleep(0.05)
    return ms


def _writes(base: str, day: str, until: float) -> int:
    """A new scenario every second until `until`; how many."""
    rng, n = random.Random(5), 0
    with httpx.Client(base_url=base, timeout=120) as client:
        while time.monotonic() < until:
            client.post("/v1/forecast", json=_scenario(day, rng)[1])
            n += 1
            time.sleep(1.0)
    return n


def under_load(base: str, day: str, clients: int, seconds: float, writes: bool) -> dict[str, Any]:
    """Forecast latency while `clients` loop on verification (and scenarios are archived
    every second when `writes`)."""
    until = time.monotonic() + seconds
    with ThreadPoolExecutor(clients + 2) as pool:
        loops = [pool.submit(_verification_loop, base, until, s) for s in range(clients)]
        wrote = pool.submit(_writes, base, day, until) if writes else None
        probe = pool.submit(_forecast_probe, base, until)
        codes = sum((f.result() for f in loops), Counter[int]())
        return {
            "forecast_ms": _stats(probe.result()),
            "verification_calls": dict(codes),
            "verification_per_s": round(sum(codes.values()) / seconds, 1),
            "scenarios_written": wrote.result() if wrote else 0,
        }


def run(url: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Serve on the archive at `url`, fill it and measure."""
    from tests.support import serving

    env = {"CROSSINGS_ARCHIVE_URL": url, "CROSSINGS_SCENARIO_RATE_LIMIT": "1000000/minute"}
    with serving.serve_trained(root, "verification-bench", args.workers, **env) as (base, _):
        first = httpx.get(f"{base}/v1/forecast", params={"horizon": 7}, timeout=120).json()
        _drained(base)
        last = date.fromisoformat(first["data_as_of"])
        t0 = time.monotonic()
        filled = fill(url, last, args.issue_days, args.per_day)
        fill_s = time.monotonic() - t0
        day = first["days"][1]["date"]  # a day the two-day scenarios cover
        with httpx.Client(base_url=base, timeout=300) as client:  # the references, if any
            prime = [_timed_get(client, "/v1/verification", days=n)[0] for n in DAYS]
        figures: dict[str, Any] = {
            "workers": args.workers,
            "archived_forecasts": filled,
            "fill_s": round(fill_s, 1),
            "first_calls_ms": [round(v) for v in prime],
            "latency_ms": cold_warm(base, day, args.rounds),
            "forecast_alone_ms": _stats(_forecast_probe(base, time.monotonic() + args.seconds)),
        }
        for writes in (False, True):
            key = "load_with_writes" if writes else "load_cached"
            figures[key] = under_load(base, day, args.clients, args.seconds, writes)
    return figures


def main() -> int:
    """Parse arguments, run the benchmark in a throwaway database, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--issue-days", type=int, default=365)
    ap.add_argument("--per-day", type=int, default=len(MIX))
    ap.add_argument("--rounds", type=int, default=10, help="cold and warm calls per N")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0, help="each load run's length")
    ap.add_argument("--admin", default=ADMIN)
    args = ap.parse_args()
    figures = measured(args.admin, "verification", lambda url, tmp: run(url, tmp, args))
    worst = max(v["cold"]["p95"] for v in figures["latency_ms"].values())
    failed = any(
        code != 200
        for k in ("load_cached", "load_with_writes")
        for code in figures[k]["verification_calls"]
    )
    return 1 if worst > TARGET_P95_MS or failed else 0


if __name__ == "__main__":
    threading.current_thread().name = "api_verification"
    sys.exit(main())
