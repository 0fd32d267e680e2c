"""The planner page: served HTML, and rendered in headless Chromium as a person sees it.

The Chromium tests run a real uvicorn server on a free 127.0.0.1 port and drive headless
Chromium over the DevTools protocol (tests/api/chromium.py) at 1400×1000 and 390×844: they
read the rendered DOM and layout, and save screenshots (to CROSSINGS_SCREENSHOT_DIR when set;
docs/screenshots/ holds the ones made so, see its README).
They skip when Chromium is missing, except under CI (then they fail).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.reading import RISKS
from tests.api.chromium import Browser, chromium
from tests.api.conftest import build_app
from tests.support.server import PAGE_READY, serve_app


def test_page_embeds_both_forecasts(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<svg" in html and 'id="table"' in html
    assert '"target":"people"' in html and '"target":"boats"' in html
    assert "<script src" not in html  # no framework, nothing to fetch


def test_page_follows_the_contract_levels(client: TestClient) -> None:
    from api.web.page import PAGE_DAYS
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


@pytest.fixture
def server(settings: Any, registry: Any) -> Iterator[str]:
    """A real uvicorn server on a free port, in a thread of this process."""
    with serve_app(settings, registry) as url:
        yield url


# What the page shows, read from the rendered DOM.
_STATE = """JSON.stringify({
  rows: Array.from(document.querySelectorAll('#table tbody tr')).map(function (tr) {
    return {risk: tr.getAttribute('data-risk'),
            chip: (tr.querySelector('.risk') || {}).className || '',
            cells: Array.from(tr.querySelectorAll('td')).map(function (td) {
              return td.textContent; })};
  }),
  history: document.querySelectorAll('#chart [data-role=history]').length,
  bands: document.querySelectorAll('#chart polygon').length,
  pbars: Array.from(document.querySelectorAll('#chart .pbar')).map(function (r) {
    return r.getAttribute('data-risk'); }),
  ticks: Array.from(document.querySelectorAll('#chart text.tick')).map(function (t) {
    return t.textContent; }),
  scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
  chartRight: document.getElementById('chart').getBoundingClientRect().right,
  heading: document.getElementById('heading').textContent,
  notice: document.getElementById('notice').textContent,
  issued: document.getElementById('hl-issued').textContent,
  total: document.getElementById('total').textContent,
  held: document.getElementById('held').textContent,
  legend: document.getElementById('risk-legend').textContent,
  csv: document.getElementById('csv').getAttribute('href')
})"""


def _state(browser: Browser) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(browser.eval(_STATE))
    return state


def _shot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: CROSSINGS_SCREENSHOT_DIR, else the test's temporary folder."""
    out = Path(os.environ.get("CROSSINGS_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    return out


def _shoot(browser: Browser, png: Path) -> Path:
    """A screenshot of the top of the page at `png`; on a phone, where the chart starts below
    the headline, a second one (`…-chart.png`) scrolled to the chart."""
    browser.screenshot(png)
    if browser.eval("window.innerWidth") < 500:
        top = "document.getElementById('chart').getBoundingClientRect().top + scrollY - 8"
        browser.eval(f"window.scrollTo(0, {top}), true")
        browser.screenshot(png.with_name(png.stem + "-chart.png"))
        browser.eval("window.scrollTo(0, 0), true")
    return png


def _check_state(state: dict[str, Any]) -> None:
    """Every day has a risk class (chip and P bar) and the weather assumed; history and
    forecast are drawn; nothing is wider than the window; the y axis has whole-count labels."""
    assert len(state["rows"]) == 7
    for row in state["rows"]:
        assert row["risk"] in RISKS and f"risk-{row['risk']}" in row["chip"]
        weather = row["cells"][-1]
        # no live provider and no stored weather past the data: climatology, no issue time
        assert re.search(r"^climatology: wind \d+\.\d m/s, gusts \d+\.\d m/s", weather), weather
        assert "at synthetic" in weather and "no forecast issue time" in weather
        assert row["cells"][2].endswith("%")
    assert state["pbars"] == [r["risk"] for r in state["rows"]]
    assert state["history"] == 28 and state["bands"] == 3
    assert state["scroll"] <= state["inner"], state  # no horizontal scroll
    assert state["chartRight"] <= state["inner"] + 0.5
    ticks = [int(t.replace(",", "")) for t in state["ticks"]]  # whole counts only
    assert ticks[0] == 0 and len(ticks) >= 3
    assert len({b - a for a, b in itertools.pairwise(ticks)}) == 1  # evenly spaced
    assert "red above 55%" in state["legend"] and "green below 35%" in state["legend"]
    assert "80% band held 81%" in state["held"]
    assert "Total over 7 days" in state["total"]


@pytest.mark.parametrize(("width", "height"), [(1400, 1000), (390, 844)])
def test_page_in_headless_chromium(server: str, tmp_path: Path, width: int, height: int) -> None:
    """Both sizes, people and boats: see _check_state."""
    chromium()
    shots = _shot_dir(tmp_path)
    with Browser(tmp_path / "profile") as browser:
        browser.open(server, width, height, PAGE_READY)
        shot = _shoot(browser, shots / f"planner-people-{width}x{height}.png")
        people = _state(browser)
        browser.eval("document.querySelector('[data-target=boats]').click(), true")
        boats = _state(browser)
        _shoot(browser, shots / f"planner-boats-{width}x{height}.png")
    _assert_not_blank(shot, width, height)
    _check_state(people)
    _check_state(boats)
    assert "format=csv" in boats["csv"] and "target=boats" in boats["csv"]
    assert "the next 7 days" in people["heading"]
    assert people["issued"].startswith("Issued today, ") and "Hindcast" not in people["notice"]
    assert people["notice"].startswith("Weather: the same days of past years")


def test_small_counts_get_whole_count_gridlines(tmp_path: Path) -> None:
    """The axis of a boats chart topping out near 9: steps of 2 or 5, never 2.5 labelled 3."""
    chromium()
    page = tmp_path / "axis.html"
    from api.web.script import SCRIPT

    fn = SCRIPT[SCRIPT.index("function axis") : SCRIPT.index("function levelsOf")]
    page.write_text(f"<script>{fn}</script>")
    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri(), 400, 300, "typeof axis === 'function'")
        for top, step in ((9.45, 5), (4.2, 2), (0.5, 1), (10.5, 5), (330, 100), (2600, 1000)):
            got = browser.eval(f"JSON.stringify(axis({top}))")
            ax = json.loads(got)
            assert ax["step"] == step and ax["max"] >= top and ax["max"] % ax["step"] == 0, got


def test_page_names_what_the_bands_held(client: TestClient) -> None:
    """The header never claims the bands hold 50/80/95% of outcomes; the backtest coverage
    from the champion's metadata is embedded for the page to quote, with the history."""
    html = client.get("/").text
    assert "of outcomes" not in html.split("<main>")[0]
    found = re.search(r'id="forecast-data"[^>]*>(.*?)</script>', html, re.S)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["people"]["band_coverage"] == {"50": None, "80": 0.81, "95": None}
    assert len(data["people"]["history"]) == 28
    assert data["people"]["history"][-1]["date"] == data["people"]["data_as_of"]
    assert all(d["risk"] in RISKS for d in data["boats"]["days"])


def test_a_hindcast_page_says_so(settings: Any, registry: Any, origin: Any, tmp_path: Path) -> None:
    """Data 61 days old: the forecast is a hindcast issued the day after it, and the page
    never calls it the next 7 days."""
    from datetime import timedelta

    chromium()
    today = origin + timedelta(days=60)
    with serve_app(settings.model_copy(update={"today": today}), registry) as url:
        raw = urllib.request.urlopen(url, timeout=60).read().decode()
        with Browser(tmp_path / "p") as browser:
            browser.open(url, 1400, 1000, PAGE_READY)
            state = _state(browser)
    assert "next 7 days" not in raw and "next 7 days" not in state["heading"]
    assert "hindcast" in state["heading"] and state["issued"].startswith("Hindcast as of")
    notice = state["notice"]
    assert notice.startswith("Hindcast: issued as of") and "61 days before today" in notice
    assert "not a forecast of the coming days" in notice


def _assert_not_blank(png: Path, width: int, height: int) -> None:
    """Decode the screenshot and check it has many colours (a rendered chart, not a blank)."""
    import struct
    import zlib

    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, w, h = 8, [], 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        payload = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", payload[:10])
            assert depth == 8 and colour in (2, 6)
        elif kind == b"IDAT":
            chunks.append(payload)
        pos += 12 + length
    assert (w, h) == (width, height)
    raw = zlib.decompress(b"".join(chunks))
    stride = len(raw) // h
    distinct_rows = len({raw[i * stride + 1 : (i + 1) * stride] for i in range(h)})
    assert distinct_rows > 100, "screenshot looks blank"
