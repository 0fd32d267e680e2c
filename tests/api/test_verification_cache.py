"""/v1/verification is computed once per (target, days, generation, archive writes), once
however many ask at the same time, and again when a new forecast is archived."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient

from api.verification_cache import VerificationCache


def _service(written: int = 0, generation: tuple[int, ...] = (1, 1, 1)) -> Any:
    return SimpleNamespace(generation=generation, archive=SimpleNamespace(written=written))


def test_one_computation_per_key_even_when_asked_at_once() -> None:
    calls: list[tuple[str, int]] = []

    def slow_verify(service: Any, target: str, days: int) -> dict[str, Any]:
        calls.append((target, days))
        time.sleep(0.2)
        return {"target": target, "days": days}

    cache = VerificationCache(slow_verify)
    service = _service()
    answers: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(cache.get(service, "people", 30)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [("people", 30)] and len(answers) == 8
    assert cache.get(service, "people", 30) == {"target": "people", "days": 30}
    cache.get(service, "boats", 30)
    cache.get(_service(written=1), "people", 30)  # a forecast was archived since
    cache.get(_service(generation=(2, 1, 1)), "people", 30)  # a new champion
    assert calls == [("people", 30), ("boats", 30), ("people", 30), ("people", 30)]


def test_at_most_max_concurrent_computations() -> None:
    running, peak = 0, 0
    guard = threading.Lock()

    def verify(service: Any, target: str, days: int) -> dict[str, Any]:
        nonlocal running, peak
        with guard:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with guard:
            running -= 1
        return {}

    cache = VerificationCache(verify, max_concurrent=1)
    threads = [
        threading.Thread(target=cache.get, args=(_service(), "people", d)) for d in range(1, 7)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.computed == 6 and peak == 1


def test_entries_expire_and_are_bounded() -> None:
    calls = 0

    def verify(service: Any, target: str, days: int) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return {}

    cache = VerificationCache(verify, ttl=0.05, max_entries=3)
    cache.get(_service(), "people", 1)
    time.sleep(0.1)
    cache.get(_service(), "people", 1)
    assert calls == 2
    for d in range(2, 10):
        cache.get(_service(), "people", d)
    assert len(cache) == 3


def test_the_route_answers_from_the_cache_until_a_forecast_is_archived(
    client: TestClient,
) -> None:
    cache = client.app.state.verification  # type: ignore[attr-defined]
    first = client.get("/v1/verification", params={"days": 30})
    assert first.status_code == 200
    assert client.get("/v1/verification", params={"days": 30}).json() == first.json()
    assert cache.computed == 1
    assert client.get("/v1/forecast", params={"target": "people"}).status_code == 200
    client.app.state.service.archive.flush()  # type: ignore[attr-defined]
    assert client.get("/v1/verification", params={"days": 30}).status_code == 200
    assert cache.computed == 2
