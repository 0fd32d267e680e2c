"""Fail fast on a mid-run MLflow outage: a fake server on 127.0.0.1 answers the start-up
checks, then stops answering; MLflow's bounded retries and timeouts (our settings) surface
it in seconds, and `crossings retrain` exits 4."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from mlflow.exceptions import MlflowException
from typer.testing import CliRunner

from crossings.app import app
from forecasting import tracking
from forecasting.tracking.store import TrackingSettings, apply_http_settings
from tests.lifecycle import retrain_args, small_config, write_config, write_sources

MLFLOW_VARS = (
    "MLFLOW_HTTP_REQUEST_TIMEOUT",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER",
)


class _Stalling(BaseHTTPRequestHandler):
    """Answers /health and the experiment search (the reachability check); every other
    request hangs until the test ends: a server that stopped answering mid-run."""

    release = threading.Event()
    hung: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        if self.path.startswith("/health"):
            self._reply({})
        else:
            self._stall()

    def do_POST(self) -> None:
        if "experiments/search" in self.path:
            self._reply({"experiments": []})
        else:
            self._stall()

    def _reply(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stall(self) -> None:
        self.hung.append(self.path)
        self.release.wait(60)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stalling_server() -> Iterator[str]:
    _Stalling.release.clear()
    _Stalling.hung.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stalling)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Stalling.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our settings at 1 s per request and 1 retry; MLflow's own variables unset."""
    for var in MLFLOW_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CROSSINGS_MLFLOW_HTTP_TIMEOUT_S", "1")
    monkeypatch.setenv("CROSSINGS_MLFLOW_HTTP_MAX_RETRIES", "1")


def test_default_budget_fails_within_60_seconds() -> None:
    defaults = TrackingSettings()
    assert defaults.worst_case_seconds() <= 45  # leaves room for one rollback attempt
    assert defaults.worst_case_seconds() + defaults.timeout_s <= 60


def test_settings_become_mlflow_variables_unless_set(
    quick: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert apply_http_settings()["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "1"
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # MLflow's own variable wins
    assert apply_http_settings()["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"


def test_a_stalled_server_fails_a_call_in_seconds(quick: None, stalling_server: str) -> None:
    tracking.configure(stalling_server)
    tracking.check_reachable(stalling_server)  # start-up checks still answer
    started = time.monotonic()
    with pytest.raises(MlflowException, match="timeout"):
        tracking.get_version_by_alias("stalled-people", "champion")
    elapsed = time.monotonic() - started
    assert elapsed < 8, elapsed
    assert len(_Stalling.hung) == 2  # one request and one retry


def test_retrain_exits_4_when_mlflow_stalls_mid_run(
    quick: None, stalling_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "src"
    write_sources(src)
    config = write_config(tmp_path / "experiments", small_config("stall", "stalled"))
    started = time.monotonic()
    res = CliRunner().invoke(
        app,
        retrain_args(
            config,
            src,
            tmp_path / "data" / "processed",
            "--tracking-uri",
            stalling_server,
        ),
    )
    elapsed = time.monotonic() - started
    assert res.exit_code == 4, res.output
    assert elapsed < 20, elapsed
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["status"] == "failed" and summary["exit_code"] == 4
    assert (tmp_path / "data" / "processed" / "manifest.json").exists()  # it got mid-run
