# ruff: noqa: E501  (the embedded HTML keeps its natural line lengths)
"""The planner page: one static HTML document with inline SVG and vanilla JavaScript.

The server embeds the default forecasts of PAGE_DAYS days (people and boats) at PAGE_LEVELS,
each with the last HISTORY_DAYS days of actual arrivals, as JSON in the page, so it renders
without a second request; the People/Boats switch reuses that data, "Days ahead" and
"Refresh" fetch /v1/forecast with those days and the same levels, and "Download CSV" links to
its CSV. No framework
and no build step: the styles and the script are the files api/web/static/page.css and
page.js (api/web/script.py), read once at import and inlined as read. They never change with
the data or the day (those travel in JSON blocks, which do not run), so the page's
Content-Security-Policy allows them by fixed sha256 hashes of the text served
(api/middleware/security.py).

A headline comes first: the day of highest risk with its colour and percent, the total
expected over the days with its range, and when the forecast was issued from what data (on a
phone it sits above the chart and the day cards). P(any crossing) has one name on the page,
"the chance of crossings"; page.js's `riskOf` decides both its colour (the server's rule) and
how it is printed (with as few decimals as keep the printed number in the colour's band), so
the two never disagree. Each day shows its risk, the chance of crossings, the median (a 0
beside a fair chance of crossings says why) and mean, the count on a crossing day, the bands,
P(≥ k) and the weather assumed. The chart's threshold lines are labelled; a day with no
arrivals is a dark dash, a day missing from the data a dashed outline. The target and the days
ahead live in the address (`/?target=boats&horizon=14`). The bands are named as ranges, and
the page says how often each held the actual outcomes in the champion's backtest. A hindcast
says so, with its issue date and how old the data is. Below 720 px the table's rows become
cards and the chart is drawn at the screen's width, so a phone never scrolls sideways.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Final

from api.reading import IF_CROSSING_LEVEL
from api.web.assets import read_asset
from api.web.script import SCRIPT
from api.web.track import with_track_panel
from forecasting.contract import DEFAULT_HORIZON, DEFAULT_LEVELS_PCT, MAX_HORIZON, level_name

PAGE_DAYS: Final = DEFAULT_HORIZON
PAGE_LEVELS: Final = DEFAULT_LEVELS_PCT
HISTORY_DAYS: Final = 28  # days of actual arrivals drawn before the forecast
_BAND_COLOURS: Final = ("#cfe0f3", "#9fc2e7", "#5f97d1", "#3f7cbf", "#2c5f99")  # widest first

_HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Channel crossings forecast</title>
<style>
__STYLE__</style>
</head>
<body>
<header>
  <h1 id="heading">Small-boat crossings of the English Channel</h1>
</header>
<main>
  <div class="bar">
    <button type="button" data-target="people" aria-pressed="true">People</button>
    <button type="button" data-target="boats" aria-pressed="false">Boats</button>
    <label class="days">Days ahead <select id="horizon"></select></label>
    <button type="button" id="refresh">Refresh</button>
    <a id="csv" href="v1/forecast?format=csv" download>Download CSV</a>
  </div>
  <section class="headline" id="headline" aria-label="At a glance">
    <p class="hl-risk" id="hl-risk"></p>
    <p class="hl-total" id="hl-total"></p>
    <p class="hl-issued" id="hl-issued"></p>
  </section>
  <p class="notice" id="notice"></p>
  <div class="card">
    <svg id="chart" viewBox="0 0 1120 420" width="100%" role="img"
         aria-label="Actual arrivals of the last days, then the forecast days with bands and the chance of crossings"></svg>
    <div class="legend">
      <span><span class="sw sw-hist"></span>actual arrivals</span>
      <span><span class="sw sw-zero"></span>no arrivals (0)</span>
      <span><span class="sw sw-missing"></span>no data</span>
__LEGEND__
      <span><span class="sw sw-med"></span>median</span>
      <span><span class="sw risk-red"></span>red</span>
      <span><span class="sw risk-amber"></span>amber</span>
      <span><span class="sw risk-green"></span>green</span>
    </div>
    <p class="explain" id="risk-legend"></p>
    <p class="explain" id="median-note"></p>
    <p class="explain">Each day: the chance of crossings (that anyone crosses that day), coloured by
    risk; the median (line) and the forecast's __BAND_TEXT__ ranges (shaded; how often they held
    is below); the grey bars are the last __HISTORY_DAYS__ days of actual arrivals, a dark dash a
    day with none. <q>On a crossing day: typically X (lo&ndash;hi)</q> is the middle count and the
    __IF_LEVEL__% range of the model's paths that have a crossing that day.</p>
    <p class="explain" id="held"></p>
  </div>
  <table id="table">
    <thead><tr><th>Day</th><th>Risk</th><th>Chance of crossings</th><th>Median</th><th>Mean</th>
      <th>On a crossing day: middle (__IF_LEVEL__% range)</th>__BAND_HEADERS__<th>P(&ge; k)</th>
      <th class="weather">Weather assumed</th></tr></thead>
    <tbody></tbody>
  </table>
  <div class="total" id="total"></div>
  <p class="meta" id="meta"></p>
</main>
<script id="page-settings" type="application/json">__PAGE__</script>
<script id="forecast-data" type="application/json">__DATA__</script>
<script>
__SCRIPT__</script>
</body>
</html>
"""
# The styles and the script go in once, here; render_page fills in the rest.
_TEMPLATE: Final = _HTML.replace("__STYLE__", read_asset("page.css")).replace("__SCRIPT__", SCRIPT)


def _page_settings(today: date) -> dict[str, Any]:
    """What the script needs to know: today, the days embedded and the most it may ask for,
    the days of history, levels (narrowest first), the band quoted for the total, and the band
    colours (widest first)."""
    names = [level_name(lv) for lv in sorted(PAGE_LEVELS)]
    return {
        "today": today.isoformat(),
        "days": PAGE_DAYS,
        "levels": names,
        "total": names[len(names) // 2],
        "colours": list(_BAND_COLOURS),
        "max_days": MAX_HORIZON,
        "history_days": HISTORY_DAYS,
    }


def _legend() -> str:
    """The legend's band entries, widest first, coloured as the chart draws them."""
    widest_first = sorted(PAGE_LEVELS, reverse=True)
    return "\n".join(
        f'      <span><span class="sw" style="background:{_BAND_COLOURS[min(k, len(_BAND_COLOURS) - 1)]}">'
        f"</span>{level_name(lv)}% band</span>"
        for k, lv in enumerate(widest_first)
    )


def _band_text(levels: list[str]) -> str:
    """'50%, 80% and 95%'."""
    pct = [f"{name}%" for name in levels]
    return pct[0] if len(pct) == 1 else ", ".join(pct[:-1]) + " and " + pct[-1]


def render_page(data: dict[str, Any], today: date) -> str:
    """The page with `data` ({target: forecast response plus its `history`, or {"error":
    message}}) embedded;
    `today` dates the data's age and tells a forecast issued today from a hindcast."""
    page = _page_settings(today)
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    headers = "".join(f"<th>{name}% band</th>" for name in page["levels"])
    parts = {
        "__HISTORY_DAYS__": str(HISTORY_DAYS),
        "__BAND_TEXT__": _band_text(page["levels"]),
        "__LEGEND__": _legend(),
        "__BAND_HEADERS__": headers,
        "__IF_LEVEL__": str(IF_CROSSING_LEVEL),
        "__PAGE__": json.dumps(page, separators=(",", ":")),
    }
    html = _TEMPLATE
    for key, value in parts.items():
        html = html.replace(key, value)
    html = with_track_panel(html)  # api/web/track.py: the track-record section
    return html.replace("__DATA__", payload)  # last: the data may hold any text
