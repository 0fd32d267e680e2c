"""A weather provider can never hold a request (a real uvicorn process, marked slow).

A fake provider on 127.0.0.1 drips its answer one byte a second (or sends 60 MB): 50
concurrent uncached forecasts all answer within 3 s, /readyz within 1 s, SIGTERM stops the
server within 10 s, and the 60 MB answer is refused without the memory growing by 100 MB.
The times are generous bounds on a loaded machine, not benchmarks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.lifecycle import ROOT, env_with_venv, free_port, start, stop, wait_http

pytestmark = pytest.mark.slow


class _Provider(BaseHTTPRequestHandler):
    mode = "drip"
    stop = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.mode == "huge":
            self.end_headers()  # no length announced: the client must count
            block = b" " * (1 << 20)
            for _ in range(60):
                try:
                    self.wfile.write(block)
                except OSError:
                    return
            return
        self.send_header("Content-Length", "100000")
        self.end_headers()
        while not self.stop.wait(1.0):
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, *_args: object) -> None:
        pass


def _provider(mode: str) -> Iterator[str]:
    handler: type[_Provider] = type(
        "Handler", (_Provider,), {"mode": mode, "stop": threading.Event()}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        handler.stop.set()
        server.shutdown()
        server.server_close()


def _serve(tmp_path: Path, url: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = tmp_path / "server.log"
    cmd = [sys.executable, "-m", "tests.api.slow_provider_server", str(port), url, str(tmp_path)]
    proc = start(cmd, log, env_with_venv(), cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/healthz", 120, proc, log)
    return proc, base, log


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _timed_forecast(base: str, params: dict[str, str | int]) -> float:
    t0 = time.monotonic()
    r = httpx.get(f"{base}/v1/forecast", params=params, timeout=30)
    assert r.status_code == 200, r.text
    return time.monotonic() - t0


def test_a_dripping_provider_never_holds_a_request(tmp_path: Path) -> None:
    for url in _provider("drip"):
        proc, base, log = _serve(tmp_path, url)
        try:
            today = date.fromisoformat(httpx.get(f"{base}/readyz").json()["data_as_of"])
            today += timedelta(days=1)
            # 50 different forecasts (5 starts x 10 horizons), none computed before
            asks = [
                {"start": (today + timedelta(days=k)).isoformat(), "horizon": h}
                for k in range(5)
                for h in range(1, 11)
            ]
            one = partial(_timed_forecast, base)

            t0 = time.monotonic()
            with ThreadPoolExecutor(50) as pool:
                futures = [pool.submit(one, p) for p in asks]
                time.sleep(0.2)
                r0 = time.monotonic()
                ready = httpx.get(f"{base}/readyz", timeout=30)
                readyz_s = time.monotonic() - r0
                times = [f.result() for f in futures]
            assert ready.status_code == 200 and readyz_s < 1.0, readyz_s
            assert max(times) < 3.0 and time.monotonic() - t0 < 3.5, times

            t0 = time.monotonic()
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
            assert time.monotonic() - t0 < 10.0, log.read_text()[-2000:]
        finally:
            stop(proc)


def test_a_60_mb_answer_is_refused_within_memory(tmp_path: Path) -> None:
    for url in _provider("huge"):
        proc, base, log = _serve(tmp_path, url)
        try:
            before = _rss_mb(proc.pid)
            peak = before
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                r = httpx.get(f"{base}/v1/forecast", timeout=30)
                assert r.status_code == 200
                peak = max(peak, _rss_mb(proc.pid))
                time.sleep(0.2)
            text = log.read_text()
            assert ("bytes" in text and "cap" in text) or "more than" in text, text[-2000:]
            assert peak - before < 100, (before, peak)
        finally:
            stop(proc)
