"""The planner page read at a glance (issue 23), in headless Chromium: a headline first, one
name for P(any crossing), risk colours that agree with the printed percents, labelled
thresholds, zero days drawn apart from missing data, and the target and days in the address.

The colour check runs the page's own `riskOf` (api/web/static/page.js) on every day of 100
forecasts, edge cases included, and is shown to fail on a deliberately broken copy.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.reading import Reading
from api.web.script import SCRIPT
from tests.api.chromium import Browser, chromium
from tests.support.server import PAGE_READY, serve_app

EDGES = (0.345, 0.3449, 0.35, 0.3499, 0.34999, 0.3495, 0.55, 0.5499, 0.5501, 0.55001, 0.5495)
EDGES += (0.555, 0.0, 1.0, 0.004, 0.005, 0.995, 0.2, 0.7, 0.7001, 0.1999, 0.6995)
THRESHOLDS = ({"red_above": 0.55, "green_below": 0.35}, {"red_above": 0.7, "green_below": 0.2})


def _riskof_source() -> str:
    """The page's risk function, as served."""
    return SCRIPT[SCRIPT.index("function riskOf") : SCRIPT.index("// A y axis")]


def _forecasts(n: int = 100, days: int = 7) -> list[dict[str, Any]]:
    """`n` forecasts of `days` p values: random, on sample grids (1/400, 1/1000), and every
    edge case; the last fifth with other thresholds."""
    rng = np.random.default_rng(23)
    out = []
    edges = list(EDGES)
    for k in range(n):
        grid = (400, 1000, 2000)[k % 3]
        ps = [float(rng.integers(0, grid + 1)) / grid for _ in range(days)]
        for i in range(days):
            if edges:
                ps[i] = edges.pop()
        out.append({"p": ps, "th": THRESHOLDS[0] if k < n * 4 // 5 else THRESHOLDS[1]})
    return out


def _band(percent: float, th: dict[str, float]) -> str:
    """The band a printed percent falls in, by the legend's words."""
    red, green = round(th["red_above"] * 100, 6), round(th["green_below"] * 100, 6)
    return "red" if percent > red else "amber" if percent >= green else "green"


def _disagreements(browser: Browser, source: str) -> list[str]:
    """Every day of the 100 forecasts whose colour (from `source`'s riskOf) is not the band
    of its printed percent, or not the server's risk, or whose percent is wrongly rounded."""
    cases = _forecasts()
    browser.eval(f"window.riskOf = (function () {{ {source}; return riskOf; }})(), true")
    got = json.loads(
        browser.eval(
            f"JSON.stringify({json.dumps(cases)}.map(function (f) {{"
            " return f.p.map(function (p) { return riskOf(p, f.th); }); }))"
        )
    )
    bad = []
    for case, days in zip(cases, got, strict=True):
        th = case["th"]
        server = Reading(red_above=th["red_above"], green_below=th["green_below"])
        for p, r in zip(case["p"], days, strict=True):
            text = r["text"]
            printed = float(text.rstrip("%"))
            decimals = len(text.rstrip("%").partition(".")[2])
            whole = math.floor(p * 100 + 0.5)
            problems = [
                _band(printed, th) != r["risk"] and "colour is not the printed band",
                server.risk(p) != r["risk"] and "colour is not the server's risk",
                abs(printed - p * 100) > 0.5 * 10**-decimals + 1e-9 and "misrounded",
                decimals > 0 and _band(whole, th) == r["risk"] and "needless decimals",
            ]
            bad += [f"p={p} th={th}: {text} {r['risk']}: {why}" for why in problems if why]
    return bad


def test_risk_colour_matches_the_printed_percent_on_100_forecasts(tmp_path: Path) -> None:
    """The page's riskOf on 700 days: the colour is the band of the printed number and the
    server's risk; and a broken copy (colour from p, percent always whole) is caught."""
    chromium()
    assert sum(len(f["p"]) for f in _forecasts()) == 700
    page = tmp_path / "risk.html"
    page.write_text("<!doctype html><title>risk</title>")
    source = _riskof_source()
    broken = source.replace("while (band(shown) !== risk && d < 6)", "while (false)")
    assert broken != source
    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri(), 400, 300, "document.readyState === 'complete'")
        assert _disagreements(browser, source) == []
        caught = _disagreements(browser, broken)
    assert any("p=0.345 " in c and "35% green" in c for c in caught), caught
    assert any("p=0.5501 " in c for c in caught), caught


def test_history_keeps_missing_days_apart_from_zero_days(tmp_path: Path) -> None:
    """A day absent from the arrivals is a slot with count null, never a zero."""
    chromium()
    start, end = SCRIPT.index("function utc"), SCRIPT.index("function fmtDay")
    helpers = SCRIPT[start:end]
    slots_fn = SCRIPT[SCRIPT.index("function historySlots") : SCRIPT.index("var SOURCES")]
    page = tmp_path / "slots.html"
    page.write_text(f"<script>var PAGE = {{history_days: 5}}; {helpers}{slots_fn}</script>")
    history = [
        {"date": "2024-05-01", "count": 3},
        {"date": "2024-05-02", "count": 0},
        {"date": "2024-05-04", "count": 7},
    ]
    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri(), 400, 300, "typeof historySlots === 'function'")
        got = json.loads(
            browser.eval(f"JSON.stringify(historySlots({{history: {json.dumps(history)}}}))")
        )
    assert got == [
        {"date": "2024-04-30", "count": None},
        {"date": "2024-05-01", "count": 3},
        {"date": "2024-05-02", "count": 0},
        {"date": "2024-05-03", "count": None},
        {"date": "2024-05-04", "count": 7},
    ]


# What the page shows for the target on screen, read from the rendered DOM and layout.
_GLANCE = """JSON.stringify((function () {
  function box(e) { var r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }
  var target = document.querySelector('[data-target][aria-pressed=true]').dataset.target;
  var data = JSON.parse(document.getElementById('forecast-data').textContent)[target];
  var chip = document.querySelector('#hl-risk .risk');
  return {
    target: target, search: location.search, inner: innerHeight,
    p: Array.from(document.querySelectorAll('#table tbody tr')).map(function (tr) {
      return parseFloat(tr.dataset.p); }), th: data.risk_thresholds,
    zeros: data.history.filter(function (h) { return h.count === 0; }).length,
    rows: Array.from(document.querySelectorAll('#table tbody tr')).map(function (tr) {
      var why = tr.querySelector('.why');
      return {risk: tr.dataset.risk, chip: tr.querySelector('.risk').className,
              p: tr.querySelector('td.p').textContent,
              median: tr.querySelector('.median').firstChild.textContent,
              why: why ? why.textContent : null}; }),
    pbars: Array.from(document.querySelectorAll('#chart .pbar')).map(function (e) {
      return e.dataset.risk; }),
    pvals: Array.from(document.querySelectorAll('#chart .pval')).map(function (e) {
      return [e.textContent, e.dataset.risk, +e.dataset.day]; }),
    thr: Array.from(document.querySelectorAll('#chart text.thr')).map(function (e) {
      return e.textContent; }),
    texts: Array.from(document.querySelectorAll('#chart text')).map(function (e) {
      var r = e.getBoundingClientRect();
      return [e.textContent, r.left, r.top, r.right, r.bottom]; }),
    zeroMarks: Array.from(document.querySelectorAll('#chart [data-role=history][data-count="0"]'))
      .map(function (e) { return e.getBoundingClientRect().height; }),
    missing: document.querySelectorAll('#chart [data-role=history-missing]').length,
    headline: {risk: document.getElementById('hl-risk').textContent,
               chip: chip ? [chip.className, chip.textContent] : null,
               total: document.getElementById('hl-total').textContent,
               issued: document.getElementById('hl-issued').textContent,
               box: box(document.getElementById('headline'))},
    chart: box(document.getElementById('chart')), table: box(document.getElementById('table')),
    text: document.body.innerText + ' ' + Array.from(document.querySelectorAll('svg text'))
      .map(function (e) { return e.textContent; }).join(' ')
  };
})())"""


# The server's own answer to the page's Refresh, with its days' P(any) moved onto the edges
# of the risk thresholds (and their risk by the server's rule).
_EDGE_FETCH = """(function () {
  var real = window.fetch, ps = [0.345, 0.3449, 0.35, 0.3499, 0.5501, 0.55, 0.5499];
  window.fetch = function (url) {
    return real(url).then(function (r) { return r.json().then(function (body) {
      body.days.forEach(function (d, i) { d.p_any = ps[i % ps.length];
        d.risk = d.p_any > 0.55 ? 'red' : d.p_any >= 0.35 ? 'amber' : 'green'; });
      return {ok: r.ok, json: function () { return Promise.resolve(body); }};
    }); });
  };
  return true;
})()"""


def _glance(browser: Browser) -> dict[str, Any]:
    got: dict[str, Any] = json.loads(browser.eval(_GLANCE))
    return got


def _overlaps(texts: list[list[Any]]) -> list[tuple[str, str]]:
    """Pairs of chart labels whose boxes intersect (by more than a pixel)."""
    out = []
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if a[1] < b[3] - 1 and b[1] < a[3] - 1 and a[2] < b[4] - 1 and b[2] < a[4] - 1:
                out.append((a[0], b[0]))
    return out


def _check_glance(g: dict[str, Any]) -> None:
    """Colours agree with printed percents everywhere; the headline is first and right."""
    th, rows = g["th"], g["rows"]
    server = Reading(red_above=th["red_above"], green_below=th["green_below"])
    for row, p in zip(rows, g["p"], strict=True):
        printed = float(row["p"].rstrip("%"))
        assert row["risk"] == _band(printed, th) == server.risk(p), (row, p)
        assert f"risk-{row['risk']}" in row["chip"]
        if row["median"] == "0" and p >= 0.2:
            assert row["why"].startswith("Median 0: most paths have no crossing; on a crossing")
    assert g["pbars"] == [r["risk"] for r in rows]
    for text, risk, day in g["pvals"]:  # the chart's printed percents, where there is room
        assert risk == _band(float(text.rstrip("%")), th) == rows[day]["risk"], (text, risk)
        assert text == rows[day]["p"]
    top = max(range(len(rows)), key=lambda i: g["p"][i])
    cls, chip_text = g["headline"]["chip"]
    assert chip_text.endswith(" " + rows[top]["p"]) and f"risk-{rows[top]['risk']}" in cls
    assert (
        g["headline"]["risk"].startswith("Highest risk: ")
        and "chance of crossings" in g["headline"]["risk"]
    )
    assert "expected" in g["headline"]["total"] and "80% range" in g["headline"]["total"]
    assert (
        g["headline"]["issued"].startswith("Issued today, ")
        and "arrivals up to" in g["headline"]["issued"]
    )
    box = g["headline"]["box"]
    assert box["bottom"] <= g["inner"] and box["bottom"] <= g["chart"]["top"] <= g["table"]["top"]
    assert sorted(g["thr"]) == ["35%", "55%"]
    assert _overlaps(g["texts"]) == []
    assert len(g["zeroMarks"]) == g["zeros"] > 0 and min(g["zeroMarks"]) >= 2
    assert g["missing"] == 0  # the synthetic arrivals have every day
    assert "P(any" not in g["text"] and "P(crossing" not in g["text"]
    assert g["text"].count("chance of crossings") >= 3


@pytest.mark.parametrize(("width", "height"), [(1400, 1000), (390, 844)])
def test_page_reads_at_a_glance(
    settings: Any, registry: Any, tmp_path: Path, width: int, height: int
) -> None:
    """People and boats at both sizes: see _check_glance; /?target=boats opens on boats."""
    chromium()
    with serve_app(settings, registry) as url, Browser(tmp_path / "p") as browser:
        browser.open(url + "?target=boats", width, height, PAGE_READY)
        boats = _glance(browser)
        browser.eval("document.querySelector('[data-target=people]').click(), true")
        people = _glance(browser)
        requests = list(browser.requests)
        browser.eval(_EDGE_FETCH)  # a forecast whose days sit on the thresholds, refreshed
        browser.eval("document.getElementById('refresh').click(), true")
        deadline = time.monotonic() + 30
        while browser.eval("document.querySelector('#table tbody tr').dataset.p") != "0.345":
            assert time.monotonic() < deadline, "the refreshed forecast never came"
            time.sleep(0.1)
        edges = _glance(browser)
    assert boats["target"] == "boats" and "boats" in boats["headline"]["total"]
    assert people["target"] == "people" and people["search"] == "?target=people&horizon=7"
    assert any("/v1/verification" in r and "target=boats" in r for r in requests)
    _check_glance(boats)
    _check_glance(people)
    _check_glance(edges)
    if width >= 1000:  # room on a desktop: every day's percent is printed on the chart too
        assert len(boats["pvals"]) == len(edges["pvals"]) == 7
    assert [r["p"] for r in edges["rows"]] == [
        "34.5%",
        "34%",
        "35%",
        "34.99%",
        "55.01%",
        "55%",
        "55%",
    ]


def test_the_address_holds_the_target_and_the_days(
    settings: Any, registry: Any, tmp_path: Path
) -> None:
    """?horizon=3 loads 3 days; choosing 10 days rewrites the address without a new entry."""
    chromium()
    rows = "document.querySelectorAll('#table tbody tr').length"
    with serve_app(settings, registry) as url, Browser(tmp_path / "p") as browser:
        browser.open(url + "?target=boats&horizon=3", 1400, 1000, f"{rows} === 3")
        first = browser.eval(
            "[location.search, history.length, document.getElementById('horizon').value]"
        )
        browser.eval(
            "var s = document.getElementById('horizon'); s.value = '10';"
            "s.dispatchEvent(new Event('change')), true"
        )
        deadline = time.monotonic() + 30
        while browser.eval(rows) != 10:
            assert time.monotonic() < deadline, "the 10 days never came"
            time.sleep(0.1)
        after = browser.eval("[location.search, history.length, document.title]")
        pressed = browser.eval("document.querySelector('[aria-pressed=true]').dataset.target")
    assert first[0] == "?target=boats&horizon=3" and first[2] == "3"
    assert after[0] == "?target=boats&horizon=10" and after[1] == first[1]
    assert "the next 10 days" in after[2] and pressed == "boats"
