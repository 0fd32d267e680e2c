"""Smaller holes closed: a wrong method's 405 lists HEAD beside GET (every GET answers HEAD),
and wrong admin tokens are throttled per client."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_405_lists_head_with_get(client: TestClient) -> None:
    r = client.delete("/v1/forecast")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST"
    assert client.head("/v1/forecast").status_code == 200  # and HEAD does answer


def test_wrong_admin_tokens_are_throttled(client: TestClient) -> None:
    wrong = {"Authorization": "Bearer guess"}
    codes = [client.post("/v1/admin/reload", headers=wrong).status_code for _ in range(12)]
    assert codes == [403] * 10 + [429] * 2
    r = client.post("/v1/admin/reload", headers=AUTH)  # the right token waits too
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert "too many failed admin attempts" in r.json()["detail"]
    assert client.get("/v1/forecast").status_code == 200  # the rest of the API is untouched


def test_the_right_token_is_not_counted(client: TestClient) -> None:
    codes = [client.post("/v1/admin/reload", headers=AUTH).status_code for _ in range(12)]
    assert codes == [200] * 12
