# ruff: noqa: E501  (the embedded HTML keeps its natural line lengths)
"""The planner page: one static HTML document with inline SVG and vanilla JavaScript.

The server embeds the default forecasts of PAGE_DAYS days (people and boats) at PAGE_LEVELS,
each with the last HISTORY_DAYS days of actual arrivals, as JSON in the page, so it renders
without a second request; the People/Boats switch reuses that data, "Refresh" refetches
/v1/forecast with the same days and levels, and "Download CSV" links to its CSV. No framework
and no build step: the styles and the script are the files api/web/static/page.css and
page.js (api/web/script.py), read once at import and inlined as read. They never change with
the data or the day (those travel in JSON blocks, which do not run), so the page's
Content-Security-Policy allows them by fixed sha256 hashes of the text served
(api/middleware/security.py).

Each day shows its risk (red, amber, green from P(any crossing), with a legend giving the
thresholds), P(crossing), the median and mean, the count if crossings happen, the bands,
P(≥ k) and the weather assumed (source, wind, gusts, place, when that forecast was issued).
The bands are named as ranges, and the page says how often each held the actual outcomes in
the champion's backtest, rather than claiming they hold 50/80/95%. The page says what each
forecast is: "the next 7 days" only for a forecast issued today; a hindcast says so, with its
issue date and how old the data is. Below 720 px the table's rows become cards and the chart
is drawn at the screen's width, so a phone never scrolls sideways.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Final

from api.web.assets import read_asset
from api.web.script import SCRIPT
from api.web.track import with_track_panel
from forecasting.contract import DEFAULT_HORIZON, DEFAULT_LEVELS_PCT, level_name

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
  <p>Each day: the chance that any crossing happens, coloured by risk (red, amber, green);
  the median (line) and the forecast's __BAND_TEXT__ ranges (shaded; how often they held is
  below the chart); the grey bars are the last __HISTORY_DAYS__ days of actual arrivals.</p>
</header>
<main>
  <div class="bar">
    <button type="button" data-target="people" aria-pressed="true">People</button>
    <button type="button" data-target="boats" aria-pressed="false">Boats</button>
    <button type="button" id="refresh">Refresh</button>
    <a id="csv" href="v1/forecast?format=csv" download>Download CSV</a>
    <span class="meta" id="meta"></span>
  </div>
  <p class="notice" id="notice"></p>
  <div class="card">
    <svg id="chart" viewBox="0 0 1120 420" width="100%" role="img"
         aria-label="Actual arrivals of the last days, then the forecast days with bands and P(crossing)"></svg>
    <div class="legend">
      <span><span class="sw" style="background:#9aa5b1"></span>actual arrivals</span>
__LEGEND__
      <span><span class="sw" style="background:var(--med);height:3px"></span>median</span>
      <span><span class="sw" style="background:var(--red)"></span>red</span>
      <span><span class="sw" style="background:var(--amber)"></span>amber</span>
      <span><span class="sw" style="background:var(--green)"></span>green</span>
    </div>
    <p class="explain" id="risk-legend"></p>
    <p class="explain" id="held"></p>
  </div>
  <table id="table">
    <thead><tr><th>Day</th><th>Risk</th><th>P(crossing)</th><th>Median</th><th>Mean</th>
      <th>If crossings happen</th>__BAND_HEADERS__<th>P(&ge; k)</th>
      <th class="weather">Weather assumed</th></tr></thead>
    <tbody></tbody>
  </table>
  <div class="total" id="total"></div>
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
    """What the script needs to know: today, days, levels (narrowest first), the band quoted
    for the total, and the band colours (widest first)."""
    names = [level_name(lv) for lv in sorted(PAGE_LEVELS)]
    return {
        "today": today.isoformat(),
        "days": PAGE_DAYS,
        "levels": names,
        "total": names[len(names) // 2],
        "colours": list(_BAND_COLOURS),
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
        "__PAGE__": json.dumps(page, separators=(",", ":")),
    }
    html = _TEMPLATE
    for key, value in parts.items():
        html = html.replace(key, value)
    html = with_track_panel(html)  # api/web/track.py: the track-record section
    return html.replace("__DATA__", payload)  # last: the data may hold any text
