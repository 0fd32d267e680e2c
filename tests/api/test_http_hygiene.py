"""HTTP hygiene: security headers on HTML, HEAD on every GET route, limits on the size of
the headers and on the time to send a body.

The CSP tests render the page, /docs and /redoc in headless Chromium (tests/api/chromium.py)
and listen for `securitypolicyviolation` events; the limit tests run a real uvicorn process
started with the options `crossings serve` uses (api.middleware.body_timeout.UVICORN_LIMITS).
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from api.middleware.body_timeout import MAX_HEADER_BYTES
from api.middleware.security import inline_code, page_policy, policy_for, sha256_source
from tests.api.chromium import Browser, chromium
from tests.lifecycle import ROOT, env_with_venv, free_port, start, stop, wait_http
from tests.support.server import PAGE_READY, serve_app

HTML_PATHS = ("/", "/docs", "/redoc")
# Records every CSP violation of the page, from before its own scripts run.
_LISTEN = """window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.effectiveDirective + ' ' + (e.blockedURI || 'inline'));
});"""
_VIOLATIONS = "JSON.stringify(window.__csp)"


# --------------------------------------------------------------------------- headers


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.parametrize("path", HTML_PATHS)
def test_html_answers_carry_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    csp = _directives(r.headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    for name in ("frame-ancestors", "object-src", "base-uri"):
        assert csp[name] == ["'none'"], name
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    # every inline script of the answer is allowed by its hash, and nothing else inline
    hashes = {sha256_source(s) for s in inline_code(r.text).scripts}
    assert hashes == {s for s in csp["script-src"] if s.startswith("'sha256-")}
    assert hashes or path == "/redoc"  # ReDoc's page has no inline script
    assert not any(s.startswith(("http", "*")) for v in csp.values() for s in v)


def test_json_answers_get_nosniff_only(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in r.headers and "x-frame-options" not in r.headers


def test_the_page_policy_does_not_depend_on_the_data(client: TestClient) -> None:
    """The page policy is computed once; a page with forecasts in it, or with an error in
    place of one, has exactly the same inline code."""
    html = client.get("/").text
    assert '"target":"people"' in html  # the data is embedded, in a JSON block
    assert policy_for(html) == page_policy() == client.get("/").headers["content-security-policy"]
    assert policy_for(html.replace('"target":"people"', '"error":"</x>"')) == page_policy()


def test_a_changed_script_is_not_covered(client: TestClient) -> None:
    html = client.get("/").text
    tampered = html.replace("<script>", "<script>alert(1);", 1)
    assert policy_for(tampered) != page_policy()
    csp = _directives(page_policy())
    assert sha256_source(inline_code(tampered).scripts[0]) not in csp["script-src"]


# --------------------------------------------------------------------------- in Chromium


def _open(browser: Browser, url: str, ready: str) -> list[str]:
    browser.send("Page.addScriptToEvaluateOnNewDocument", session=True, source=_LISTEN)
    browser.open(url, 1400, 1000, ready, timeout=40)
    time.sleep(0.5)  # let late fetches (the track panel) and their rendering finish
    violations: list[str] = json.loads(browser.eval(_VIOLATIONS))
    return violations


def test_the_page_renders_under_its_policy_in_chromium(
    settings: Any, registry: Any, tmp_path: Path
) -> None:
    chromium()
    with serve_app(settings, registry) as url, Browser(tmp_path / "p") as browser:
        violations = _open(browser, url, PAGE_READY)
        rows = browser.eval("document.querySelectorAll('#table tbody tr').length")
        bands = browser.eval("document.querySelectorAll('#chart polygon').length")
        legend = browser.eval("getComputedStyle(document.querySelector('.sw')).display")
        # the policy is enforced: an injected inline script is blocked and reported
        ran = browser.eval(
            "var s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
            "document.body.appendChild(s); window.__ran === 1"
        )
        time.sleep(0.2)
        after: list[str] = json.loads(browser.eval(_VIOLATIONS))
    assert violations == []
    assert rows == 7 and bands == 3
    assert legend == "inline-block"  # the stylesheet applied
    assert ran is False and after == ["script-src-elem inline"]


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("docs", "document.querySelectorAll('.opblock').length > 5"),
        ("redoc", "document.querySelectorAll('[data-section-id]').length > 5"),
    ],
)
def test_docs_render_under_their_policy_in_chromium(
    settings: Any, registry: Any, tmp_path: Path, path: str, ready: str
) -> None:
    chromium()
    with serve_app(settings, registry) as url, Browser(tmp_path / "p", offline=True) as browser:
        violations = _open(browser, url + path, ready)
        text = browser.eval("document.body.innerText")
    assert "/v1/forecast" in text
    # ReDoc links its maker's logo from a CDN in its footer; blocked by default-src 'self'
    assert [v for v in violations if "cdn.redoc.ly" not in v] == []


# --------------------------------------------------------------------------- HEAD


def _get_paths(routes: list[Any], prefix: str = "") -> Iterator[str]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _get_paths(inner.routes, prefix + getattr(inner, "prefix", ""))
        elif isinstance(route, Route) and "GET" in (route.methods or ()):
            path = route.path if route.path.startswith(prefix) else prefix + route.path
            yield path


def test_head_answers_every_get_route_like_get(client: TestClient) -> None:
    paths = sorted(set(_get_paths(client.app.routes)))  # type: ignore[attr-defined]
    assert {"/", "/docs", "/redoc", "/openapi.json", "/healthz", "/v1/forecast"} <= set(paths)
    volatile = {"/metrics"}  # its counters move between the two requests
    for path in paths:
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code != 405, path
        assert head.content == b"", path
        assert set(head.headers) == set(get.headers), path
        for name in ("content-type", "content-security-policy", "x-content-type-options"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)
        if path not in volatile:
            assert head.headers.get("content-length") == get.headers.get("content-length"), path


def test_head_keeps_the_schema_clean(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert not any("head" in ops for ops in spec["paths"].values())
    assert client.head("/v1/admin/reload").status_code == 405  # POST only: still refused


# --------------------------------------------------------------------------- server limits

BODY_TIMEOUT = 2.0


def run_server(port: int, workdir: str) -> None:
    """Serve the app with `crossings serve`'s uvicorn limits and a fake registry (no model:
    the limits act before any model is used). Run in a subprocess by the tests below."""
    import uvicorn

    from api.middleware.body_timeout import UVICORN_LIMITS
    from api.settings import ApiSettings
    from tests.api.conftest import FakeRegistry, build_app, write_processed
    from tests.synthetic import generate_series

    arrivals, weather = generate_series(400, "2022-01-01", seed=5)
    settings = ApiSettings(
        data_dir=write_processed(Path(workdir) / "data", arrivals, weather),
        archive_url=f"sqlite:///{workdir}/archive.db",
        open_meteo_url="",
        poll_seconds=0,
        body_read_timeout=BODY_TIMEOUT,
    )
    app = build_app(settings, FakeRegistry())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", **UVICORN_LIMITS)


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn process serving with the limits of `crossings serve`."""
    work = tmp_path_factory.mktemp("limits")
    port = free_port()
    code = f"from tests.api.test_http_hygiene import run_server; run_server({port}, {str(work)!r})"
    log = work / "server.log"
    proc = start([sys.executable, "-c", code], log, env_with_venv(), cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", 120, proc, log)
        yield base
    finally:
        stop(proc)


def _raw(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    s = socket.create_connection((host, int(port)), timeout=BODY_TIMEOUT + 10)
    return s


def _healthz_seconds(base: str) -> float:
    t0 = time.monotonic()
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    return time.monotonic() - t0


def test_a_50_mb_header_is_refused_and_the_server_stays_healthy(limited_server: str) -> None:
    refused = ""
    with _raw(limited_server) as s:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 50_000_000)
            s.sendall(b"\r\n\r\n")
            refused = s.recv(100).decode("latin-1")  # "" when the server closed at once
        except (ConnectionResetError, BrokenPipeError):
            refused = "closed"
    assert refused in ("", "closed") or refused.split()[1] in ("400", "431"), refused
    assert _healthz_seconds(limited_server) < 2.0


def _headers_totalling(total: int) -> bytes:
    """A GET /healthz whose headers come to exactly `total` bytes as the server counts them
    (name + value + 4 per header: `RequestLimitsMiddleware`), spread over many headers of
    about 1 KB; `Connection: close` so the server closes after answering."""
    lines = [(b"host", b"x"), (b"connection", b"close")]
    left = total - sum(len(k) + len(v) + 4 for k, v in lines)
    while left > 0:
        name = f"x-h{len(lines):03d}".encode()  # 6 bytes: 10 with ": " and CRLF
        size = 1000 if left >= 2 * 1010 else left - 10
        lines.append((name, b"a" * size))
        left -= len(name) + size + 4
    assert left == 0 and sum(len(k) + len(v) + 4 for k, v in lines) == total
    head = b"".join(k + b": " + v + b"\r\n" for k, v in lines)
    return b"GET /healthz HTTP/1.1\r\n" + head + b"\r\n"


def _status_and_body(base: str, request: bytes) -> tuple[int, bytes]:
    """Send `request` in one write and read the whole answer (the server closes after it)."""
    with _raw(base) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_headers_over_64_kib_in_all_get_431(limited_server: str) -> None:
    """One byte over MAX_HEADER_BYTES in all, over many headers none of them large, is
    refused with exactly 431 and the API's error body; exactly MAX_HEADER_BYTES is served."""
    status, body = _status_and_body(limited_server, _headers_totalling(MAX_HEADER_BYTES + 1))
    assert status == 431, body
    assert json.loads(body) == {"detail": f"request headers exceed {MAX_HEADER_BYTES} bytes in all"}
    status, body = _status_and_body(limited_server, _headers_totalling(MAX_HEADER_BYTES))
    assert status == 200, body
    ok = httpx.get(f"{limited_server}/healthz", headers={"x-h": "a" * 8000}, timeout=10)
    assert ok.status_code == 200


def test_a_stalled_body_gets_408_in_time(limited_server: str) -> None:
    with _raw(limited_server) as s:
        t0 = time.monotonic()
        s.sendall(
            b"POST /v1/forecast HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n" + b'{"target":'
        )
        # meanwhile the server answers others at once
        assert _healthz_seconds(limited_server) < 1.0
        answer = s.recv(4096).decode("latin-1")
        took = time.monotonic() - t0
        while chunk := s.recv(4096):  # the body, then the server closes the connection
            answer += chunk.decode("latin-1")
    assert answer == "" or answer.split()[1] == "408", answer
    assert BODY_TIMEOUT - 0.5 < took < BODY_TIMEOUT + 2.0, took
    if answer:
        assert "did not arrive within" in answer and "connection: close" in answer.lower()


def test_a_slow_but_complete_body_is_read(limited_server: str) -> None:
    """Chunks that arrive within the deadline are not cut off."""
    body = b'{"target": "nobody"}'
    with _raw(limited_server) as s:
        s.sendall(
            b"POST /v1/forecast HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:5]
        )
        time.sleep(BODY_TIMEOUT / 3)
        s.sendall(body[5:])
        status = s.recv(4096).decode("latin-1").split()[1]
    assert status == "422"  # read in full, then validated: not a 408
