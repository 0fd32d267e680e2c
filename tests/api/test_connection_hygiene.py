"""Connection hygiene (issue 24): a connection that does not send a whole request head in
time is closed (a fresh one, an idle keep-alive one, a slowloris), and the answers uvicorn
writes itself carry nosniff.

A real uvicorn server in this process with the options `crossings serve` uses
(`UVICORN_LIMITS`: `GuardedH11Protocol`), CROSSINGS_HEADER_READ_TIMEOUT set to `HEAD`
seconds, spoken to over raw sockets.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.middleware.body_timeout import UVICORN_LIMITS
from api.middleware.connection import GuardedH11Protocol
from api.settings import ApiSettings, get_settings
from benchmarks.connection_timeouts import read_until_closed, slowloris
from tests.api.conftest import FakeRegistry, build_app, write_processed
from tests.support.server import serve_app
from tests.synthetic import generate_series

HEAD = 1.5  # the request-head deadline the server runs with here
EARLY = HEAD - 0.3  # closed before this: the deadline is wrong
LATE = HEAD + 1.5  # still open after this: no deadline (uvicorn's keep-alive is 5 s)
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`host:port` of the app (answering /boom with an unhandled error) served with `crossings
    serve`'s options and a HEAD s deadline."""
    work = tmp_path_factory.mktemp("connections")
    arrivals, weather = generate_series(400, "2022-01-01", seed=5)
    settings = ApiSettings(
        data_dir=write_processed(Path(work) / "data", arrivals, weather),
        archive_url=f"sqlite:///{work}/archive.db",
        open_meteo_url="",
        poll_seconds=0,
    )
    app = build_app(settings, FakeRegistry())  # no model: none is needed here

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("a bug (test)")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("tests.support.server.build_app", lambda *_: app)  # serve this one
        mp.setenv("CROSSINGS_HEADER_READ_TIMEOUT", str(HEAD))
        get_settings.cache_clear()  # the protocol reads the setting through get_settings
        try:
            with serve_app(settings, None, **UVICORN_LIMITS) as url:
                yield url.removeprefix("http://").rstrip("/")
        finally:
            get_settings.cache_clear()


def _connect(server: str) -> socket.socket:
    host, port = server.split(":")
    return socket.create_connection((host, int(port)), timeout=LATE + 5)


class _Responses:
    """Whole responses (by their Content-Length) off one kept-alive connection, keeping what
    arrived beyond one response (pipelined answers may come in a single read)."""

    def __init__(self, s: socket.socket) -> None:
        self.s = s
        self.data = b""

    def _more(self) -> None:
        chunk = self.s.recv(4096)
        assert chunk, "the server closed the connection"
        self.data += chunk

    def next(self) -> tuple[int, dict[str, str], bytes]:
        """The next response: status, lower-cased headers, body."""
        while b"\r\n\r\n" not in self.data:
            self._more()
        head, _, rest = self.data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        size = int(headers.get("content-length", 0))
        while len(rest) < size:
            self._more()
            rest = self.data.partition(b"\r\n\r\n")[2]
        self.data = rest[size:]
        return int(lines[0].split()[1]), headers, rest[:size]


def _parse(raw: bytes) -> tuple[int, list[str]]:
    """Status and lower-cased header lines of a raw answer."""
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1").lower().split("\r\n")
    return int(head[0].split()[1]), head[1:]


# --------------------------------------------------------------------------- deadline


def test_the_setting_reaches_the_protocol(server: str) -> None:
    assert ApiSettings.model_fields["header_read_timeout"].default == 10.0
    assert UVICORN_LIMITS["http"] is GuardedH11Protocol
    assert get_settings().header_read_timeout == HEAD


def test_half_a_request_line_is_cut_off_in_time(server: str) -> None:
    with _connect(server) as s:
        t0 = time.monotonic()
        s.sendall(b"GET /heal")
        took, answer = read_until_closed(s, t0)
    assert EARLY < took < LATE, took
    status, headers = _parse(answer)
    assert status == 408 and "x-content-type-options: nosniff" in headers
    assert "connection: close" in headers and not any(h.startswith("server:") for h in headers)


def test_a_connection_that_sends_nothing_is_closed(server: str) -> None:
    with _connect(server) as s:
        took, answer = read_until_closed(s, time.monotonic())
    assert EARLY < took < LATE, took
    assert answer == b""  # nothing was asked: nothing is answered


@pytest.mark.parametrize("then", [b"", b"GE"], ids=["silent", "half-a-request"])
def test_an_idle_keep_alive_connection_is_closed(server: str, then: bytes) -> None:
    """After an answer the next request head is due within the deadline too; a byte of it
    stops uvicorn's own keep-alive timer, not this one."""
    with _connect(server) as s:
        s.sendall(HEALTHZ)
        assert _Responses(s).next()[0] == 200
        t0 = time.monotonic()
        s.sendall(then)
        took, answer = read_until_closed(s, t0)
    assert EARLY < took < LATE, took
    assert (answer == b"") if not then else _parse(answer)[0] == 408


def test_a_slowloris_is_cut_off_while_others_are_served(server: str) -> None:
    """Five clients send a request head a byte every 0.2 s, for longer than the deadline:
    each is closed at the deadline (the clock is not reset by each byte), while another
    client is answered at once (benchmarks/connection_timeouts.py, on a short deadline)."""
    r = slowloris(int(server.split(":")[1]), 5, 0.2, cap=LATE + 1)
    assert r["closed"] == 5 and r["bytes_sent_each_before_close"] > HEAD / 0.2, r
    assert r["closed_after_s"]["min"] > EARLY and r["closed_after_s"]["max"] < LATE + 0.3, r
    others = r["others_served"]
    assert others["requests"] >= 2 and others["ok"] == others["requests"], others
    assert others["max_s"] < 1.0, others


# --------------------------------------------------------------------------- unaffected


def test_prompt_requests_are_unaffected(server: str) -> None:
    """Keep-alive requests within the deadline, pipelined ones, and a request whose head came
    at once but whose body takes longer than the head deadline (the body has its own)."""
    with _connect(server) as s:
        answers = _Responses(s)
        for _ in range(4):  # 4 × HEAD / 3 idle in all: more than one deadline
            s.sendall(HEALTHZ)
            assert answers.next()[0] == 200
            time.sleep(HEAD / 3)  # idle, then a new request: the clock starts again
        s.sendall(HEALTHZ * 2)
        assert [answers.next()[0] for _ in range(2)] == [200, 200]
        body = b'{"target": "nobody"}'
        s.sendall(
            b"POST /v1/forecast HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:5]
        )
        time.sleep(HEAD + 0.5)
        s.sendall(body[5:])
        status, headers, _ = answers.next()
    assert status == 422, status  # read in full, then validated: not closed, not a 408
    assert headers["x-content-type-options"] == "nosniff"


# --------------------------------------------------------------------------- nosniff


def _raw_answer(server: str, request: bytes) -> tuple[int, list[str], bytes]:
    with _connect(server) as s:
        s.sendall(request)
        took, answer = read_until_closed(s, time.monotonic())
    assert took < EARLY  # answered at once, not at the deadline
    status, headers = _parse(answer)
    return status, headers, answer.partition(b"\r\n\r\n")[2]


def test_a_garbage_request_line_gets_400_with_nosniff(server: str) -> None:
    status, headers, body = _raw_answer(server, b"\x16\x03\x01 garbage \x00\r\n\r\n")
    assert status == 400 and body == b"Invalid HTTP request received."
    assert "x-content-type-options: nosniff" in headers and "connection: close" in headers
    assert not any(h.startswith("server:") for h in headers), headers


def test_a_head_over_the_bound_gets_431_with_nosniff(server: str) -> None:
    """A header block still open after 64 KiB (h11's bound) is refused with 431, not 400."""
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (70 * 1024)
    status, headers, _ = _raw_answer(server, request)
    assert status == 431
    assert "x-content-type-options: nosniff" in headers
    assert not any(h.startswith("server:") for h in headers), headers


def test_an_unhandled_error_gets_nosniff(server: str) -> None:
    """Starlette writes a 500 outside the app's middleware; the protocol adds nosniff."""
    r = httpx.get(f"http://{server}/boom", timeout=10)
    assert r.status_code == 500
    assert r.headers.get_list("x-content-type-options") == ["nosniff"]
    ok = httpx.get(f"http://{server}/healthz", timeout=10)
    assert ok.headers.get_list("x-content-type-options") == ["nosniff"]  # not doubled
