# ruff: noqa: E501  (the embedded HTML/CSS/JS keeps its natural line lengths)
"""The planner page: one static HTML document with inline SVG and vanilla JavaScript.

The server embeds the 7-day forecasts (people and boats) as JSON in the page, so it renders
without a second request; the People/Boats switch reuses that data, and "Refresh" refetches
/v1/forecast. No framework and no build step.
"""

from __future__ import annotations

import json
from typing import Any

_TEMPLATE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Channel crossings: next 7 days</title>
<style>
  :root { --ink:#1d2733; --muted:#5b6775; --line:#d5dbe2; --b95:#cfe0f3; --b80:#9fc2e7;
          --b50:#5f97d1; --med:#0b3d75; --p:#c2410c; }
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
  svg text { font: 12px system-ui, sans-serif; fill: var(--muted); }
  svg .val { fill: var(--ink); font-weight: 600; }
  svg .pval { fill: var(--p); font-weight: 600; }
</style>
</head>
<body>
<header>
  <h1>Small-boat crossings of the English Channel: the next 7 days</h1>
  <p>Forecast distribution per day: shaded bands hold 50%, 80% and 95% of outcomes; the line is
  the median. Orange bars: probability that any crossing happens.</p>
</header>
<main>
  <div class="bar">
    <button type="button" data-target="people" aria-pressed="true">People</button>
    <button type="button" data-target="boats" aria-pressed="false">Boats</button>
    <button type="button" id="refresh">Refresh</button>
    <span class="meta" id="meta"></span>
  </div>
  <div class="card">
    <svg id="chart" viewBox="0 0 1120 420" width="100%" role="img"
         aria-label="Fan chart of the next 7 days"></svg>
    <div class="legend">
      <span><span class="sw" style="background:var(--b95)"></span>95% band</span>
      <span><span class="sw" style="background:var(--b80)"></span>80% band</span>
      <span><span class="sw" style="background:var(--b50)"></span>50% band</span>
      <span><span class="sw" style="background:var(--med);height:3px"></span>median</span>
      <span><span class="sw" style="background:var(--p)"></span>P(crossing)</span>
    </div>
  </div>
  <table id="table">
    <thead><tr><th>Day</th><th>Median</th><th>Mean</th><th>50% band</th><th>80% band</th>
      <th>95% band</th><th>P(crossing)</th><th>Weather</th></tr></thead>
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
    var colours = ["var(--b95)", "var(--b80)", "var(--b50)", "#3f7cbf", "#2c5f99"];
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
      [fmtDay(d.date), d.median.toLocaleString("en-GB"), d.mean.toFixed(0),
       bandText(d.bands["50"]), bandText(d.bands["80"]), bandText(d.bands["95"]),
       Math.round(d.p_any * 100) + "%", d.weather_source].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    var wt = f.week_total, b = wt.bands["80"] || wt.bands[Object.keys(wt.bands)[0]];
    document.getElementById("total").textContent = "Total over " + f.days.length + " days: median " +
      wt.median.toLocaleString("en-GB") + " " + f.target + " (80% band " + bandText(b) + ").";
    document.getElementById("meta").textContent = "Model " + f.model.name + " v" + f.model.version +
      " \u00b7 data to " + f.data_as_of + " \u00b7 issued " + f.issued_at.replace("T", " ").slice(0, 16) + " UTC";
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
      return;
    }
    draw(f);
    table(f);
  }

  document.querySelectorAll("[data-target]").forEach(function (b) {
    b.addEventListener("click", function () { show(b.getAttribute("data-target")); });
  });
  document.getElementById("refresh").addEventListener("click", function () {
    fetch("v1/forecast?horizon=7&levels=50,80,95&target=" + current)
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


def render_page(data: dict[str, Any]) -> str:
    """The page with `data` ({target: forecast response or {"error": message}}) embedded."""
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return _TEMPLATE.replace("__DATA__", payload)
