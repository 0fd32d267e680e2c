"""The scenario rate limit behind a proxy and across workers (issue 24, "Hardened for the open
internet"), on real `crossings serve` processes over a tiny trained registry.

- With FORWARDED_ALLOW_IPS naming the proxy (here 127.0.0.1: this test client stands in for
  nginx), uvicorn keys the limit on the right-most untrusted X-Forwarded-For entry, so a
  client that forges entries to its left gets no window of its own.
- Two workers sharing a Redis window (CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE=redis://) admit
  at most the limit in total, whichever worker takes each connection.
- A shared store that does not answer: the limit still holds, per process, with a warning
  naming the setting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from api.middleware.ratelimit import ScenarioLimiter, parse_limit
from tests.support.serving import serve_trained

LIMIT = 20
REDIS = "redis://127.0.0.1:6379/5"  # a db of its own, flushed by the test that uses it
PROXY_ENV = {
    "FORWARDED_ALLOW_IPS": "127.0.0.1",  # the test client is the trusted proxy
    "CROSSINGS_SCENARIO_RATE_LIMIT": f"{LIMIT}/minute",
}


def _scenario(base: str) -> dict[str, Any]:
    """A one-day calm scenario on the server's issue date."""
    issue = httpx.get(f"{base}/v1/forecast", params={"horizon": 1}, timeout=60).json()
    day = {"date": issue["issue_date"], "wind_mean_ms": 1.5, "wind_max_hourly_ms": 3.0}
    day |= {"gust_max_ms": 5.0, "wind_dir_deg": 200, "precip_mm": 0, "temp_mean_c": 14}
    return {"target": "people", "horizon": 2, "weather": [{**day, "pressure_hpa": 1020}]}


def _statuses(base: str, n: int, forwarded: str | None) -> list[int]:
    """`n` scenario POSTs, each on a new connection (so any worker may take it), with
    `forwarded` as their X-Forwarded-For."""
    body = _scenario(base)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    out = []
    for _ in range(n):
        r = httpx.post(f"{base}/v1/forecast", json=body, headers=headers, timeout=60)
        assert r.status_code in (200, 429), r.text
        out.append(r.status_code)
    return out


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One worker, the window in memory, behind the test client as its trusted proxy."""
    root = tmp_path_factory.mktemp("proxied")
    with serve_trained(root, "proxied", workers=1, **PROXY_ENV) as (base, _):
        yield base


def test_forged_forwarded_entries_share_the_proxys_client_window(proxied: str) -> None:
    forged = [
        httpx.post(
            f"{proxied}/v1/forecast",
            json=_scenario(proxied),
            headers={"X-Forwarded-For": f"10.0.0.{i}, 203.0.113.9"},
            timeout=60,
        ).status_code
        for i in range(LIMIT + 10)
    ]
    assert forged.count(200) == LIMIT, forged  # one window: 203.0.113.9's
    assert set(forged[LIMIT:]) == {429}, forged
    # Another right-most address (another client behind the proxy) has a window of its own,
    # and so has the proxy itself, posting without the header.
    assert _statuses(proxied, 1, "10.0.0.1, 203.0.113.10") == [200]
    assert _statuses(proxied, 1, None) == [200]
    assert _statuses(proxied, 1, "10.0.0.99, 203.0.113.9") == [429]


@pytest.fixture(scope="module")
def shared_store() -> Iterator[str]:
    """The Redis db the two workers share, emptied before and after; skips without Redis."""
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS} ({exc}): start redis-server to run this")
    client.flushdb()
    try:
        yield REDIS
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory, shared_store: str) -> Iterator[str]:
    """`crossings serve --workers 2` with the window in the shared Redis."""
    root = tmp_path_factory.mktemp("shared")
    env = {**PROXY_ENV, "CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE": shared_store}
    with serve_trained(root, "sharedlimit", workers=2, **env) as (base, _):
        yield base


def test_two_workers_admit_the_limit_in_total(two_workers: str, shared_store: str) -> None:
    codes = _statuses(two_workers, 2 * LIMIT + 10, "10.0.0.1, 198.51.100.7")
    assert codes.count(200) == LIMIT, codes  # memory:// would admit up to 2 × the limit
    keys = list(redis.Redis.from_url(shared_store).scan_iter("LIMITS:*198.51.100.7*"))
    assert len(keys) == 1, keys  # the window is Redis's, keyed on the right-most address
    assert _statuses(two_workers, 1, "198.51.100.8") == [200]


def test_an_unreachable_store_still_limits_and_names_the_setting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = ScenarioLimiter(parse_limit("2/minute"), "redis://:secret@127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="api.middleware.ratelimit"):
        assert not limiter.check()
        waits = [limiter.hit("203.0.113.9") for _ in range(3)]
    assert waits[:2] == [None, None] and waits[2] is not None and waits[2] > 1
    assert limiter.shared_down
    [record] = caplog.records  # once per outage, not once per request
    text = record.getMessage()
    assert "CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE" in text and "127.0.0.1:1" in text
    assert "secret" not in text
