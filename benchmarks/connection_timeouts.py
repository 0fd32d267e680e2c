"""Are slow and idle connections closed in time? (issue 24, "Connection hygiene".)

What it does, in a temporary folder removed afterwards:

1. makes a SQLite MLflow registry holding the two registered models without a champion (the
   service starts, answers /healthz and 503s forecasts: no model is needed for this) and
   starts a real `crossings serve` on it with the default settings (the request-head
   deadline CROSSINGS_HEADER_READ_TIMEOUT is 10 s unless set in the environment);
2. times how long the server keeps a connection that sends half a request line and stops,
   and one that sends nothing;
3. opens `--slowloris` connections (default 50) that each send a request head one byte every
   `--interval` seconds (default 1), and meanwhile asks /healthz twice a second from another
   connection: when each slow connection was closed, and how the others were served;
4. prints the figures as JSON; exits 1 when a connection outlived `--bound` seconds (15) or
   another client was refused or kept waiting over a second.

Run: ``.venv/bin/python benchmarks/connection_timeouts.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

if __package__:
    from .api_serve import BIN, PREFIX, TARGETS, free_port, stop, wait_for
else:  # run as a script: benchmarks/ is first on sys.path
    from api_serve import BIN, PREFIX, TARGETS, free_port, stop, wait_for

ROOT = Path(__file__).resolve().parents[1]
SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: " + b"s" * 200 + b"\r\n\r\n"


def make_registry(uri: str) -> None:
    """Register the two models (no versions, so no champion) in the store at `uri`."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    for target in TARGETS:
        client.create_registered_model(f"{PREFIX}-{target}")


def start_server(tmp: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """`crossings serve` on a free port (its log in tmp/api.log), once it answers /healthz."""
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    make_registry(uri)
    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": uri,
        "CROSSINGS_DATA_DIR": str(tmp / "processed"),
        "CROSSINGS_ARCHIVE_URL": f"sqlite:///{tmp / 'archive.db'}",
        "CROSSINGS_OPEN_METEO_URL": "",
    }
    proc = subprocess.Popen(
        [str(BIN / "crossings"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=tmp,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "api.log").open("wb"),
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
    except RuntimeError:
        stop(proc)
        raise
    return proc, port


def read_until_closed(s: socket.socket, t0: float) -> tuple[float, bytes]:
    """Read `s` until the server closes it: the seconds since `t0` and all it sent."""
    got = b""
    try:
        while chunk := s.recv(4096):
            got += chunk
    except ConnectionResetError:
        pass
    return round(time.monotonic() - t0, 2), got


def one_connection(port: int, send: bytes, cap: float) -> dict[str, Any]:
    """Open a connection, send `send` and nothing more; when the server closed it."""
    with socket.create_connection(("127.0.0.1", port), timeout=cap) as s:
        t0 = time.monotonic()
        s.sendall(send)
        closed, answer = read_until_closed(s, t0)
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    return {"sent": send.decode("latin-1"), "closed_after_s": closed, "answer": status_line}


def _poll_healthz(port: int, stop_at: threading.Event, out: list[tuple[int, float]]) -> None:
    """Ask /healthz twice a second until `stop_at` is set: (status, seconds) each."""
    with httpx.Client(timeout=10) as client:
        while not stop_at.is_set():
            t = time.monotonic()
            try:
                status = client.get(f"http://127.0.0.1:{port}/healthz").status_code
            except httpx.HTTPError:
                status = 0
            out.append((status, time.monotonic() - t))
            stop_at.wait(0.5)


def slowloris(port: int, n: int, interval: float, cap: float) -> dict[str, Any]:
    """`n` connections sending SLOW_HEAD a byte each `interval` s; others served meanwhile."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=cap) for _ in range(n)]
    t0 = time.monotonic()
    closed: dict[int, float] = {}
    others: list[tuple[int, float]] = []
    done = threading.Event()
    poller = threading.Thread(target=_poll_healthz, args=(port, done, others), daemon=True)
    poller.start()
    sent = 0
    while len(closed) < n and time.monotonic() - t0 < cap and sent < len(SLOW_HEAD):
        for i, s in enumerate(socks):
            if i not in closed and select.select([s], [], [], 0)[0]:
                closed[i] = read_until_closed(s, t0)[0]
            if i not in closed:
                try:
                    s.sendall(SLOW_HEAD[sent : sent + 1])
                except OSError:
                    closed[i] = round(time.monotonic() - t0, 2)
        sent += 1
        time.sleep(interval)
    done.set()
    poller.join(15)
    for s in socks:
        s.close()
    times = sorted(closed.values())
    return {
        "connections": n,
        "byte_every_s": interval,
        "bytes_sent_each_before_close": sent,
        "closed": len(times),
        "closed_after_s": {"min": times[0], "median": statistics.median(times), "max": times[-1]}
        if times
        else {},
        "others_served": {
            "requests": len(others),
            "ok": sum(1 for status, _ in others if status == 200),
            "max_s": round(max((t for _, t in others), default=0.0), 3),
        },
    }


def check(r: dict[str, Any], bound: float) -> list[str]:
    """What failed, if anything."""
    problems = []
    for name in ("half_request_line", "silent"):
        if r[name]["closed_after_s"] > bound:
            problems.append(f"{name}: open for {r[name]['closed_after_s']} s")
    loris = r["slowloris"]
    if loris["closed"] < loris["connections"] or loris["closed_after_s"]["max"] > bound:
        problems.append(f"slowloris: {loris['closed']} closed, {loris['closed_after_s']}")
    others = loris["others_served"]
    if others["ok"] < others["requests"] or others["max_s"] > 1.0:
        problems.append(f"others: {others}")
    return problems


def main() -> None:
    """Measure, print the figures as JSON, exit 1 on a failed check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slowloris", type=int, default=50, help="Slow connections.")
    parser.add_argument("--interval", type=float, default=1.0, help="Seconds between bytes.")
    parser.add_argument("--bound", type=float, default=15.0, help="Longest acceptable life.")
    parser.add_argument("--workers", type=int, default=1, help="`crossings serve --workers`.")
    parser.add_argument("--json", type=Path, help="Also write the result here.")
    args = parser.parse_args()
    cap = 60.0  # the measurement gives up on a connection after this
    tmp = Path(tempfile.mkdtemp(prefix="connections-"))
    proc, port = start_server(tmp, args.workers)
    try:
        result = {
            "header_read_timeout": os.environ.get("CROSSINGS_HEADER_READ_TIMEOUT", "10 (default)"),
            "workers": args.workers,
            "half_request_line": one_connection(port, b"GET /heal", cap),
            "silent": one_connection(port, b"", cap),
            "slowloris": slowloris(port, args.slowloris, args.interval, cap),
        }
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    result["problems"] = check(result, args.bound)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    sys.exit(1 if result["problems"] else 0)


if __name__ == "__main__":
    main()
