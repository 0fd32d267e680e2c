"""A forged Host header never comes back: redirects point at a path on this server."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.middleware.security import relative_location


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (b"http://evil.example/v1/forecast?target=boats", b"/v1/forecast?target=boats"),
        (b"https://evil.example//evil.example/x", b"/evil.example/x"),  # never //host
        (b"//evil.example/x", b"/x"),  # a protocol-relative URL names a host
        (b"/v1/forecast", b"/v1/forecast"),
        (b"http://evil.example", b"/"),
    ],
)
def test_relative_location(location: bytes, expected: bytes) -> None:
    assert relative_location(location) == expected


def test_a_slash_redirect_does_not_echo_the_host(client: TestClient) -> None:
    r = client.get(
        "/v1/forecast/",
        params={"target": "boats"},
        headers={"host": "evil.example"},
        follow_redirects=False,
    )
    assert r.status_code in (307, 308), r.status_code
    assert r.headers["location"] == "/v1/forecast?target=boats"
    assert "evil.example" not in r.text and not any("evil.example" in v for v in r.headers.values())
