"""The download client against a local stand-in: a 2xx body, 5xx retried up to the attempts
and then an error naming the URL, a 404 not retried, a slow answer cut at the deadline, an
answer over the size cap refused, a closed port."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from forecasting.errors import ConfigError, InputError
from forecasting.sources.http import Downloader, SourceUnavailable
from tests.support.standin import Route, StandIn


@pytest.fixture
def server() -> Iterator[StandIn]:
    with StandIn() as s:
        yield s


def _dl(timeout: float = 0.5, max_bytes: int = 1 << 20) -> Downloader:
    return Downloader(timeout=timeout, retries=2, backoff=0.01, max_bytes=max_bytes)


def test_recovers_from_a_503_and_gives_up_after_the_attempts(server: StandIn) -> None:
    server.routes["/ok"] = Route(b'{"a": 1}', "application/json", fail_first=1)
    with _dl() as dl:
        assert dl.json(server.url("/ok")) == {"a": 1}
        assert dl.requests == 2 == server.requests["/ok"]
    server.routes["/down"] = Route(b"", fail_first=99)
    with _dl() as dl, pytest.raises(SourceUnavailable) as err:
        dl.get(server.url("/down"))
    assert str(err.value) == f"{server.url('/down')} failed after 2 attempts: HTTP 503"
    assert server.requests["/down"] == 2


def test_a_404_is_not_retried_and_bad_json_is_input(server: StandIn) -> None:
    with _dl() as dl, pytest.raises(SourceUnavailable, match="answered HTTP 404; nothing"):
        dl.get(server.url("/missing"))
    assert server.requests["/missing"] == 1
    server.routes["/html"] = Route(b"<html>", "text/html")
    with _dl() as dl, pytest.raises(InputError, match="/html: answered with a body that is not"):
        dl.json(server.url("/html"))


def test_slow_answers_and_large_ones_are_cut(server: StandIn) -> None:
    server.routes["/slow"] = Route(b"late", delay=5.0)
    started = time.monotonic()
    with _dl(timeout=0.3) as dl, pytest.raises(SourceUnavailable, match=r"within 0\.3s after 2"):
        dl.get(server.url("/slow"))
    assert time.monotonic() - started < 2.0
    assert server.requests["/slow"] == 2
    server.routes["/big"] = Route(b"x" * 2000)
    with _dl(max_bytes=1000) as dl, pytest.raises(SourceUnavailable, match="2000 bytes, over"):
        dl.get(server.url("/big"))
    assert server.requests["/big"] == 1  # not retried


def test_a_closed_port_is_unreachable() -> None:
    with StandIn() as gone:
        url = gone.url("/x")
    with _dl() as dl, pytest.raises(SourceUnavailable, match="is unreachable after 2 attempts"):
        dl.get(url)
    with pytest.raises(ConfigError):
        Downloader(retries=0)
