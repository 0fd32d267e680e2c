"""The 64 KiB bound on request headers holds for answers served from the response cache too."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.middleware.body_timeout import MAX_HEADER_BYTES


def test_a_cached_forecast_still_refuses_oversized_headers(client: TestClient) -> None:
    params = {"target": "people"}
    assert client.get("/v1/forecast", params=params).status_code == 200
    assert client.get("/v1/forecast", params=params).status_code == 200  # now cached
    big = {"x-padding": "a" * (MAX_HEADER_BYTES + 4_000)}  # about 70 KB
    r = client.get("/v1/forecast", params=params, headers=big)
    assert r.status_code == 431, r.status_code
    assert client.get("/v1/forecast", params=params).status_code == 200
