"""Made-up methods and paths cannot grow the Prometheus series: methods outside the HTTP
vocabulary are counted as "other" and paths that match no route as "unmatched"."""

from __future__ import annotations

from fastapi.testclient import TestClient

N = 500  # 440 KB of series before the fix; constant after it (10,000 passed too, in 90 s)


def test_made_up_methods_and_paths_leave_metrics_small(client: TestClient) -> None:
    for i in range(N):
        if i % 2:
            client.request(f"M{i:06d}X", "/healthz")
        else:
            client.get(f"/no/such/route/{i}")
    body = client.get("/metrics").text
    assert len(body.encode()) < 100_000, len(body.encode())
    lines = [ln for ln in body.splitlines() if ln.startswith("crossings_http_requests_total{")]
    assert any('method="other"' in ln and 'route="/healthz"' in ln for ln in lines), lines
    assert any('route="unmatched"' in ln for ln in lines), lines
    assert not any("M000001X" in ln or "/no/such/route" in ln for ln in lines)
    other = next(ln for ln in lines if 'method="other"' in ln and 'route="/healthz"' in ln)
    assert float(other.rsplit(" ", 1)[1]) == N // 2  # every made-up request is counted
