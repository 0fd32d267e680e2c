# ruff: noqa: E501  (the embedded HTML/CSS/JS keeps its natural line lengths)
"""The planner page: one static HTML document with inline SVG and vanilla JavaScript.

The server embeds the default forecasts of PAGE_DAYS days (people and boats) at PAGE_LEVELS
as JSON in the page, so it renders without a second request; the People/Boats switch reuses
that data, and "Refresh" refetches /v1/forecast with the same days and levels. No framework
and no build step. The bands, legend and table columns follow PAGE_LEVELS (widest band
first in the chart); the total quotes the middle level's band.

The page says what each forecast is: "the next 7 days" only for a forecast issued today; a
hindcast says so, with its issue date and how old the data is. Each day's row says which
weather it used and the wind and gusts assumed (the mean over the weather paths).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Final

from forecasting.contract import DEFAULT_HORIZON, DEFAULT_LEVELS_PCT, level_name

PAGE_DAYS: Final = DEFAULT_HORIZON
PAGE_LEVELS: Final = DEFAULT_LEVELS_PCT
_BAND_COLOURS: Final = ("#cfe0f3", "#9fc2e7", "#5f97d1", "#3f7cbf", "#2c5f99")  # widest first

_TEMPLATE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Channel crossings forecast</title>
<style>
  :root { --ink:#1d2733; --muted:#5b6775; --line:#d5dbe2; --med:#0b3d75; --p:#c2410c; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color: var(--ink); background: #f6f8fa; }
  header { background: #0b3d75; color: #fff; padding: 14px 28px; }
  header h1 { margin: 0; font-size: 21px; font-weight: 600; }
  header p { margin: 2px 0 0; color: #cfe0f3; font-size: 13px; }
  main { max-width: 1180px; margin: 0 auto; padding: 14px 28px 28px; }
  .bar { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
  .bar button { border: 1px solid var(--line); background: #fff; color: var(--ink);
                padding: 5px 14px; border-radius: 6px; font: inherit; cursor: pointer; }
  .bar button[aria-pressed="true"] { background: var(--med); color: #fff; border-color: var(--med); }
  .meta { color: var(--muted); font-size: 13px; margin-left: auto; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
  .legend { display: flex; gap: 16px; font-size: 13px; color: var(--muted); margin: 4px 0 0; flex-wrap: wrap; }
  .sw { display: inline-block; width: 14px; height: 10px; margin-right: 5px; vertical-align: middle; }
  table { width: 100%; border-collapse: collapse; margin-top: 12px; background: #fff;
          border: 1px solid var(--line); border-radius: 8px; font-variant-numeric: tabular-nums; }
  th, td { padding: 6px 10px; text-align: right; border-bottom: 1px solid var(--line); }
  th:first-child, td:first-child { text-align: left; }
  th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
  tbody tr:last-child td { border-bottom: 0; }
  .total { margin-top: 10px; font-size: 14px; }
  .error { color: #b91c1c; padding: 20px; }
  .notice { margin: 0 0 10px; padding: 8px 12px; border-radius: 6px; font-size: 14px;
            background: #e8f1fb; border: 1px solid #bcd4ee; }
  .notice.hindcast { background: #fff4e0; border-color: #f0c674; }
  .notice:empty { display: none; }
  svg text { font: 12px system-ui, sans-serif; fill: var(--muted); }
  svg .val { fill: var(--ink); font-weight: 600; }
  svg .pval { fill: var(--p); font-weight: 600; }
</style>
</head>
<body>
<header>
  <h1 id="heading">Small-boat crossings of the English Channel</h1>
  <p>Forecast distribution per day: shaded bands hold __BAND_TEXT__ of outcomes; the line is
  the median. Orange bars: probability that any crossing happens.</p>
</header>
<main>
  <div class="bar">
    <button type="button" data-target="people" aria-pressed="true">People</button>
    <button type="button" data-target="boats" aria-pressed="false">Boats</button>
    <button type="button" id="refresh">Refresh</button>
    <span class="meta" id="meta"></span>
  </div>
  <p class="notice" id="notice"></p>
  <div class="card">
    <svg id="chart" viewBox="0 0 1120 420" width="100%" role="img"
         aria-label="Fan chart of the forecast days"></svg>
    <div class="legend">
__LEGEND__
      <span><span class="sw" style="background:var(--med);height:3px"></span>median</span>
      <span><span class="sw" style="background:var(--p)"></span>P(crossing)</span>
    </div>
  </div>
  <table id="table">
    <thead><tr><th>Day</th><th>Median</th><th>Mean</th>__BAND_HEADERS__<th>P(crossing)</th>
      <th>Weather used</th><th>Wind / gusts assumed</th></tr></thead>
    <tbody></tbody>
  </table>
  <div class="total" id="total"></div>
</main>
<script id="forecast-data" type="application/json">__DATA__</script>
<script>
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("forecast-data").textContent);
  var PAGE = __PAGE__;
  var current = "people";
  var W = 1120, H = 420, L = 64, R = 20, T = 22, CH = 250, PT = 320, PH = 62;

  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function fmtDay(iso) {
    var d = new Date(iso + "T00:00:00Z");
    return d.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  }
  function niceMax(v) {
    if (v <= 0) { return 10; }
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    var steps = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) { if (m <= steps[i]) { return steps[i] * p; } }
    return 10 * p;
  }
  function band(day, level) { return day.bands[level] || null; }
  function levelsOf(f) {
    return Object.keys(f.days[0].bands).sort(function (a, b) { return parseFloat(b) - parseFloat(a); });
  }
  function bandText(b) { return b ? (b.lo + "\u2013" + b.hi) : "\u2013"; }
  function fmtLong(iso) {
    var d = new Date(iso + "T00:00:00Z");
    return d.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  }
  function daysBetween(a, b) {
    return Math.round((new Date(b + "T00:00:00Z") - new Date(a + "T00:00:00Z")) / 86400000);
  }
  var SOURCES = {
    observed: ["observed", "the weather observed (days before the issue date)"],
    request: ["your scenario", "your scenario, as a forecast issued on the issue date"],
    forecast: ["live forecast", "the live weather forecast at the model's own weather point"],
    simulated: ["simulated forecast", "a weather forecast simulated from the observed weather, as the backtest does"],
    issued: ["archived forecast", "an archived real weather forecast"],
    hindsight: ["hindsight (observed)", "the weather that happened (hindsight, asked for)"],
    climatology: ["climatology", "the same days of past years (no forecast available)"],
    none: ["none", "none (this model does not use the weather)"]
  };
  function sourceText(s) { return (SOURCES[s] || [s])[0]; }
  function windText(w) {
    if (!w || w.wind_mean_ms === undefined) { return "\u2013"; }
    var t = w.wind_mean_ms.toFixed(1) + " m/s";
    if (w.gust_max_ms !== undefined) { t += " / " + w.gust_max_ms.toFixed(1) + " m/s"; }
    return t;
  }
  function heading(f) {
    var base = "Small-boat crossings of the English Channel";
    if (!f.hindcast) { return base + ": the next " + f.days.length + " days"; }
    var last = f.days[f.days.length - 1].date;
    return base + ": hindcast for " + fmtDay(f.days[0].date) + " \u2013 " + fmtDay(last) + " " + last.slice(0, 4);
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  var SPREAD = ["request", "forecast", "simulated", "issued"];
  function notice(f) {
    var age = daysBetween(f.data_as_of, PAGE.today), text;
    if (f.hindcast) {
      text = "Hindcast: issued as of " + fmtLong(f.issue_date) + ", with the arrivals up to " +
        fmtLong(f.data_as_of) + ", which is " + plural(age, "day") + " before today (" + fmtLong(PAGE.today) +
        "). This is what the model would have forecast then, not a forecast of the coming days.";
    } else {
      text = "Issued today, " + fmtLong(f.issue_date) + ", from the arrivals up to " +
        fmtLong(f.data_as_of) + " (" + plural(age, "day") + " old)";
      text += f.bridged_days ? "; the " + plural(f.bridged_days, "day") + " in between are simulated." : ".";
    }
    var seen = [];
    f.days.forEach(function (d) { if (seen.indexOf(d.weather_source) < 0) { seen.push(d.weather_source); } });
    var spread = seen.some(function (s) { return SPREAD.indexOf(s) >= 0; });
    text += " Weather: " + seen.map(function (s) { return (SOURCES[s] || [s, s])[1]; }).join("; ") +
      (spread ? "; around a forecast the weather paths spread more with each lead day." : ".");
    return text;
  }

  function draw(f) {
    var svg = document.getElementById("chart");
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var n = f.days.length, levels = levelsOf(f);
    var top = 0;
    f.days.forEach(function (d) {
      levels.forEach(function (l) { top = Math.max(top, d.bands[l].hi); });
      top = Math.max(top, d.median);
    });
    var ymax = niceMax(top * 1.05);
    var step = (W - L - R) / n;
    function x(i) { return L + step * (i + 0.5); }
    function y(v) { return T + CH - (v / ymax) * CH; }
    for (var g = 0; g <= 4; g++) {
      var v = ymax * g / 4;
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e6eaef" }, svg);
      el("text", { x: L - 8, y: y(v) + 4, "text-anchor": "end" }, svg, Math.round(v).toLocaleString("en-GB"));
    }
    el("text", { x: 14, y: T + CH / 2, transform: "rotate(-90 14 " + (T + CH / 2) + ")",
                 "text-anchor": "middle" }, svg, f.target === "boats" ? "boats per day" : "people per day");
    var colours = PAGE.colours;
    levels.forEach(function (l, k) {
      var up = [], down = [];
      f.days.forEach(function (d, i) {
        var b = band(d, l);
        up.push(x(i) + "," + y(b.hi));
        down.unshift(x(i) + "," + y(b.lo));
      });
      var pts = n === 1
        ? [(x(0) - step / 4) + "," + y(band(f.days[0], l).hi), (x(0) + step / 4) + "," + y(band(f.days[0], l).hi),
           (x(0) + step / 4) + "," + y(band(f.days[0], l).lo), (x(0) - step / 4) + "," + y(band(f.days[0], l).lo)]
        : up.concat(down);
      el("polygon", { points: pts.join(" "), fill: colours[Math.min(k, colours.length - 1)],
                      "data-level": l, opacity: 0.95 }, svg);
    });
    var line = f.days.map(function (d, i) { return x(i) + "," + y(d.median); }).join(" ");
    el("polyline", { points: line, fill: "none", stroke: "var(--med)", "stroke-width": 2.5 }, svg);
    f.days.forEach(function (d, i) {
      el("circle", { cx: x(i), cy: y(d.median), r: 4, fill: "var(--med)" }, svg);
      el("text", { x: x(i), y: y(d.median) - 9, "text-anchor": "middle", "class": "val" }, svg,
         d.median.toLocaleString("en-GB"));
      el("text", { x: x(i), y: T + CH + 20, "text-anchor": "middle" }, svg, fmtDay(d.date));
      el("rect", { x: x(i) - step * 0.28, y: PT, width: step * 0.56, height: PH,
                   fill: "#f1e4dc", rx: 2 }, svg);
      var ph = Math.max(1, d.p_any * PH);
      el("rect", { x: x(i) - step * 0.28, y: PT + PH - ph, width: step * 0.56, height: ph,
                   fill: "var(--p)", opacity: 0.85, rx: 2 }, svg);
      el("text", { x: x(i), y: PT + PH - ph - 5, "text-anchor": "middle", "class": "pval" }, svg,
         Math.round(d.p_any * 100) + "%");
    });
    el("line", { x1: L, x2: W - R, y1: PT + PH, y2: PT + PH, stroke: "#c8cfd8" }, svg);
    el("text", { x: L - 8, y: PT + PH - 2, "text-anchor": "end" }, svg, "P(any)");
    el("line", { x1: L, x2: W - R, y1: T + CH, y2: T + CH, stroke: "#c8cfd8" }, svg);
  }

  function table(f) {
    var body = document.querySelector("#table tbody");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    f.days.forEach(function (d) {
      var tr = document.createElement("tr");
      [fmtDay(d.date), d.median.toLocaleString("en-GB"), d.mean.toFixed(0)]
       .concat(PAGE.levels.map(function (l) { return bandText(d.bands[l]); }))
       .concat([Math.round(d.p_any * 100) + "%", sourceText(d.weather_source), windText(d.weather)]).forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    var wt = f.week_total, b = wt.bands[PAGE.total] || wt.bands[Object.keys(wt.bands)[0]];
    document.getElementById("total").textContent = "Total over " + f.days.length + " days: median " +
      wt.median.toLocaleString("en-GB") + " " + f.target + " (" + PAGE.total + "% band " + bandText(b) + ").";
    document.getElementById("meta").textContent = "Model " + f.model.name + " v" + f.model.version +
      " \u00b7 data to " + f.data_as_of + " \u00b7 computed " + f.issued_at.replace("T", " ").slice(0, 16) + " UTC";
    var h = heading(f), n = document.getElementById("notice");
    document.getElementById("heading").textContent = h;
    document.title = h;
    n.textContent = notice(f);
    n.className = f.hindcast ? "notice hindcast" : "notice";
  }

  function show(target) {
    current = target;
    document.querySelectorAll("[data-target]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-target") === target));
    });
    var f = data[target];
    var svg = document.getElementById("chart");
    if (!f || f.error) {
      while (svg.firstChild) { svg.removeChild(svg.firstChild); }
      el("text", { x: 40, y: 60, "class": "val" }, svg, (f && f.error) || "No forecast available.");
      document.querySelector("#table tbody").innerHTML = "";
      document.getElementById("total").textContent = "";
      document.getElementById("meta").textContent = "";
      document.getElementById("notice").textContent = "";
      return;
    }
    draw(f);
    table(f);
  }

  document.querySelectorAll("[data-target]").forEach(function (b) {
    b.addEventListener("click", function () { show(b.getAttribute("data-target")); });
  });
  document.getElementById("refresh").addEventListener("click", function () {
    fetch("v1/forecast?horizon=" + PAGE.days + "&levels=" + PAGE.levels.join(",") + "&target=" + current)
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        data[current] = res.ok ? res.body : { error: JSON.stringify(res.body.detail) };
        show(current);
      });
  });
  show(current);
})();
</script>
</body>
</html>
"""


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
    """The page with `data` ({target: forecast response or {"error": message}}) embedded;
    `today` dates the data's age and tells a forecast issued today from a hindcast."""
    page = _page_settings(today)
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    headers = "".join(f"<th>{name}% band</th>" for name in page["levels"])
    parts = {
        "__BAND_TEXT__": _band_text(page["levels"]),
        "__LEGEND__": _legend(),
        "__BAND_HEADERS__": headers,
        "__PAGE__": json.dumps(page, separators=(",", ":")),
    }
    html = _TEMPLATE
    for key, value in parts.items():
        html = html.replace(key, value)
    return html.replace("__DATA__", payload)  # last: the data may hold any text
