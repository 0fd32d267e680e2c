"""The planner page: served HTML, and rendered in headless Chromium as a person sees it.

The Chromium test runs a real uvicorn server on a free 127.0.0.1 port, takes a screenshot and
dumps the rendered DOM. It skips when Chromium is missing, except under CI (then it fails).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.api.conftest import build_app

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def test_page_embeds_both_forecasts(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<svg" in html and 'id="table"' in html
    assert '"target":"people"' in html and '"target":"boats"' in html
    assert "<script src" not in html  # no framework, nothing to fetch


def test_page_follows_the_contract_levels(client: TestClient) -> None:
    from api.page import PAGE_DAYS
    from forecasting.contract import DEFAULT_LEVELS_PCT, level_name

    html = client.get("/").text
    names = [level_name(lv) for lv in DEFAULT_LEVELS_PCT]
    headers = re.findall(r"<th>([^<]*) band</th>", html)
    assert headers == [f"{n}%" for n in names]
    assert f'"days":{PAGE_DAYS},"levels":{json.dumps(names, separators=(",", ":"))}' in html
    assert "levels=50,80,95" not in html  # the refresh builds its query from those


def test_page_shows_errors_instead_of_failing(settings: Any) -> None:
    from tests.api.conftest import FakeRegistry

    with TestClient(build_app(settings, FakeRegistry())) as c:
        r = c.get("/")
        assert r.status_code == 200 and "no people model is loaded" in r.text


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(settings: Any, registry: Any) -> Iterator[str]:
    """A real uvicorn server on a free port, in a thread of this process."""
    with _serve(settings, registry) as url:
        yield url


@contextmanager
def _serve(settings: Any, registry: Any) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        build_app(settings, registry), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        srv.should_exit = True
        thread.join(10)


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def test_page_in_headless_chromium(server: str, tmp_path: Path) -> None:
    exe = _chromium()
    shot = Path(os.environ.get("CROSSINGS_SCREENSHOT", tmp_path / "planner.png"))
    base = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    run = _run([*base, f"--screenshot={shot}", "--window-size=1400,1000", server])
    assert shot.is_file(), run.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    _assert_not_blank(shot)

    dom = _run([*base, "--dump-dom", "--virtual-time-budget=3000", server]).stdout
    body = re.search(r"<tbody>(.*?)</tbody>", dom, re.S)
    assert body is not None, dom[-2000:]
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    assert len(rows) == 7
    first = re.findall(r"<td>(.*?)</td>", rows[0])
    assert len(first) == 9 and first[7] == "climatology"  # no live provider, no stored weather
    assert first[6].endswith("%")
    assert re.fullmatch(r"\d+\.\d m/s / \d+\.\d m/s", first[8]), first[8]  # wind / gusts
    assert dom.count("<polygon") == 3  # the 50, 80 and 95% bands
    assert "Total over 7 days" in dom
    # issued today (the pinned date): "the next 7 days", and the notice says from what
    assert "the next 7 days" in _text(dom, "h1")
    notice = _text(dom, "p")
    assert notice.startswith("Issued today") and "Hindcast" not in notice
    assert "the same days of past years" in notice


def _text(dom: str, tag: str) -> str:
    """The text of the element with that tag whose id is `heading` (h1) or `notice` (p)."""
    ident = "heading" if tag == "h1" else "notice"
    found = re.search(rf'<{tag}[^>]*id="{ident}"[^>]*>(.*?)</{tag}>', dom, re.S)
    assert found is not None, dom[:2000]
    return found.group(1)


def test_a_hindcast_page_says_so(settings: Any, registry: Any, origin: Any, tmp_path: Path) -> None:
    """Data 61 days old: the forecast is a hindcast issued the day after it, and the page
    never calls it the next 7 days."""
    from datetime import timedelta

    exe = _chromium()
    today = origin + timedelta(days=60)
    with _serve(settings.model_copy(update={"today": today}), registry) as url:
        raw = urllib.request.urlopen(url, timeout=60).read().decode()
        dom = _run(
            [
                exe,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp_path / 'p'}",
                "--dump-dom",
                "--virtual-time-budget=3000",
                url,
            ]
        ).stdout
    assert "next 7 days" not in raw and "next 7 days" not in dom
    assert "hindcast" in _text(dom, "h1")
    notice = _text(dom, "p")
    assert notice.startswith("Hindcast: issued as of") and "61 days before today" in notice
    assert "not a forecast of the coming days" in notice


def _assert_not_blank(png: Path) -> None:
    """Decode the screenshot and check it has many colours (a rendered chart, not a blank)."""
    import struct
    import zlib

    data = png.read_bytes()
    pos, chunks, width, height = 8, [], 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        payload = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", payload[:10])
            assert depth == 8 and colour in (2, 6)
        elif kind == b"IDAT":
            chunks.append(payload)
        pos += 12 + length
    assert (width, height) == (1400, 1000)
    raw = zlib.decompress(b"".join(chunks))
    stride = len(raw) // height
    # sample the first byte after each row's filter byte pattern: count distinct row payloads
    distinct_rows = len({raw[i * stride + 1 : (i + 1) * stride] for i in range(height)})
    assert distinct_rows > 100, "screenshot looks blank"
