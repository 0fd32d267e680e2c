"""wrk and memory helpers for benchmarks/api_bench.py: run wrk (optionally with a Lua script
from benchmarks/lua/ and its arguments), stop it after an exact number of responses, dump and
check the requests a varied script sends, and read a server's resident memory."""

from __future__ import annotations

import logging
import re
import shlex
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).resolve().parent / "lua"
VARIED_GET = LUA / "varied_get.lua"
VARIED_POST = LUA / "varied_post.lua"
log = logging.getLogger("api_bench")


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"unexpected wrk latency {text!r}")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _shown(part: str) -> str:
    """A command-line word, with paths inside the repository made relative to it."""
    path = Path(part)
    if path.is_absolute() and path.is_relative_to(ROOT):
        return str(path.relative_to(ROOT))
    return part


def wrk(
    url: str,
    connections: int,
    duration: int,
    script: Path | None = None,
    args: Sequence[str] = (),
    stop_after: int | None = None,
) -> dict[str, Any]:
    """Run wrk (one thread: the machine has two cores and the server needs one) and parse
    throughput, latency percentiles, errors and, for the varied scripts, the status counts.

    `args` go to the Lua script after `--`. With `stop_after`, the script (common.lua's
    ``stop=N``) stops after N responses and prints STOPPED, and wrk is then interrupted, so
    the run lasts as long as N responses take (`duration` is only the upper bound)."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(url)
    extra = [*args, f"stop={stop_after}"] if stop_after else list(args)
    if extra:
        cmd += ["--", *extra]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT) as proc:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.strip() == "STOPPED":
                proc.send_signal(signal.SIGINT)  # wrk prints its summary on SIGINT
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {' '.join(cmd)}")
    out = "".join(lines)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    assert total is not None, out
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    result: dict[str, Any] = {
        "command": shlex.join(_shown(part) for part in cmd),
        "requests": int(total.group(1)),
        "elapsed_s": round(_ms(total.group(2)) / 1000, 2),
        "rps": rps,
        "p50_ms": pct.get("50"),
        "p90_ms": pct.get("90"),
        "p99_ms": pct.get("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }
    statuses = re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)
    if statuses:
        result["statuses"] = {code: int(n) for code, n in sorted(statuses)}
    return result


def dump_requests(
    script: Path, url: str, args: Sequence[str], n: int
) -> list[tuple[str, str, str]]:
    """The first `n` requests (method, path, body) that `script` sends with `args`: the
    script prints them and exits before connecting (common.lua's ``dump=N``)."""
    cmd = ["wrk", "-t1", "-c1", "-d1s", "-s", str(script), url, "--", *args, f"dump={n}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    reqs = [tuple(line.split("\t", 3)[1:]) for line in out.splitlines() if line.startswith("REQ")]
    if len(reqs) != n:
        raise RuntimeError(f"{script.name} dumped {len(reqs)} requests, not {n}")
    return [(m, p, b) for m, p, b in reqs]


def check_requests(base: str, requests: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """Send each request once with httpx; count the statuses and keep the ones not 200 (the
    path, the start of the body sent and of the answer)."""
    statuses: dict[str, int] = {}
    failures: list[dict[str, Any]] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for method, path, body in requests:
            headers = {"Content-Type": "application/json"} if body else {}
            r = client.request(method, path, content=body or None, headers=headers)
            statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
            if r.status_code != 200:
                failures.append(
                    {
                        "method": method,
                        "path": path,
                        "body": body[:300],
                        "status": r.status_code,
                        "answer": r.text[:300],
                    }
                )
    if failures:
        log.warning("%d of %d sampled requests did not answer 200", len(failures), len(requests))
    return {"checked": len(requests), "statuses": statuses, "failures": failures[:20]}


def tree_rss_mb(pid: int) -> float:
    """Resident memory of process `pid` and all its descendants (uvicorn's workers), MB."""
    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:  # a child that ended meanwhile
            continue
    return round(total / 2**20, 1)


def forecasts_computed(base: str) -> float:
    """The server's crossings_forecasts_computed_total (cache misses and scenarios; summed
    over the workers by its multiprocess mode) from /metrics."""
    text = httpx.get(f"{base}/metrics", timeout=30).text
    found = re.findall(r"^crossings_forecasts_computed_total(?:\{[^}]*\})?\s+(\S+)$", text, re.M)
    return sum(float(x) for x in found)
