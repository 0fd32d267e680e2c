(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("forecast-data").textContent);
  var PAGE = JSON.parse(document.getElementById("page-settings").textContent);
  var NAME = "chance of crossings";  // the one name of P(any crossing) on the page
  var RISK = { red: ["#b91c1c", "Red"], amber: ["#d97706", "Amber"], green: ["#15803d", "Green"] };
  var TINT = { red: "#fbe5e5", amber: "#fdf0dc", green: "#e7f4eb" };
  var state = { target: "people", horizon: PAGE.days, shown: null, loaded: {} };
  Object.keys(data).forEach(function (t) { state.loaded[t] = PAGE.days; });

  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function span(cls, text) { var s = document.createElement("span"); s.className = cls; s.textContent = text; return s; }
  function utc(iso) { return new Date(iso.slice(0, 10) + "T00:00:00Z"); }
  function addDays(iso, k) { return new Date(utc(iso).getTime() + k * 86400000).toISOString().slice(0, 10); }
  function fmtDay(iso) {
    return utc(iso).toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  }
  function fmtLong(iso) {
    return utc(iso).toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  }
  function fmtShort(iso) { return utc(iso).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" }); }
  function weekday(iso) { return utc(iso).toLocaleDateString("en-GB", { weekday: "short", timeZone: "UTC" }); }
  function num(v) { return Math.round(v).toLocaleString("en-GB"); }
  function pct(p) { return Math.round(p * 100) + "%"; }
  function daysBetween(a, b) { return Math.round((utc(b) - utc(a)) / 86400000); }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  // The one function that decides how a chance of crossings reads: its risk colour, by the
  // server's rule on p itself (api/reading.py: red above red_above, amber from green_below,
  // green below), so the page agrees with the API, the CSV and the archive; and the percent
  // printed, with as few decimals as put the printed number in that same band, so colour and
  // number never disagree: 0.44 prints "44%", 0.345 (just under 35%) "34.5%" in green.
  function riskOf(p, th) {
    var red = +(th.red_above * 100).toFixed(6), green = +(th.green_below * 100).toFixed(6);
    var risk = p > th.red_above ? "red" : p >= th.green_below ? "amber" : "green";
    function band(v) { return v > red ? "red" : v >= green ? "amber" : "green"; }
    var d = 0, shown = Math.round(p * 100);
    while (band(shown) !== risk && d < 6) { d += 1; shown = Math.round(p * 100 * Math.pow(10, d)) / Math.pow(10, d); }
    return { risk: risk, pct: shown, text: shown.toFixed(d) + "%" };
  }
  // A y axis of whole counts: the step is 1, 2, 2.5 or 5 times a power of ten, never below 1
  // and never fractional, so every gridline is a count and is labelled exactly.
  function axis(top) {
    var raw = Math.max(top, 1) / 4, p = Math.pow(10, Math.floor(Math.log10(raw))), step = 1;
    var mults = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < mults.length; i++) {
      var s = mults[i] * p;
      if (s >= raw && s >= 1 && Math.round(s) === s) { step = s; break; }
    }
    if (step < raw) { step = Math.ceil(raw); }
    return { step: step, max: Math.max(step, Math.ceil(Math.max(top, 1) / step) * step) };
  }
  function levelsOf(f) {
    return Object.keys(f.days[0].bands).sort(function (a, b) { return parseFloat(b) - parseFloat(a); });
  }
  function bandText(b) { return b ? (num(b.lo) + "\u2013" + num(b.hi)) : "\u2013"; }
  // A median of 0 with a fair chance of crossings: most paths have none, but some do.
  function zeroExplained(d) { return Math.round(d.median) === 0 && d.p_any >= 0.2 && !!d.if_crossing; }
  // The days of history, by date (a day missing from the data has count null).
  function historySlots(f) {
    var hist = f.history || [], counts = {};
    if (!hist.length) { return []; }
    hist.forEach(function (h) { counts[h.date] = h.count; });
    var last = hist[hist.length - 1].date, n = Math.max(PAGE.history_days || 0, hist.length), out = [];
    for (var k = n - 1; k >= 0; k--) {
      var day = addDays(last, -k), c = counts[day];
      out.push({ date: day, count: c === undefined ? null : c });
    }
    return out;
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
  function weatherText(d) {
    var w = d.weather;
    if (!w) { return "not used: this model does not read the weather"; }
    var t = sourceText(d.weather_source) + ": wind " + (w.wind_mean_ms !== undefined ? w.wind_mean_ms.toFixed(1) + " m/s" : "\u2013");
    if (w.gust_max_ms !== undefined) { t += ", gusts " + w.gust_max_ms.toFixed(1) + " m/s"; }
    if (d.weather_place) { t += " \u00b7 at " + d.weather_place; }
    t += d.weather_issued_at ? " \u00b7 issued " + fmtShort(d.weather_issued_at) + " " + d.weather_issued_at.slice(11, 16) + " UTC"
                             : " \u00b7 no forecast issue time";
    return t;
  }
  function heading(f) {
    var base = "Small-boat crossings of the English Channel";
    if (!f.hindcast) { return base + ": the next " + f.days.length + " days"; }
    var last = f.days[f.days.length - 1].date;
    return base + ": hindcast for " + fmtDay(f.days[0].date) + " \u2013 " + fmtDay(last) + " " + last.slice(0, 4);
  }
  var SPREAD = ["request", "forecast", "simulated", "issued"];
  function notice(f) {
    var age = daysBetween(f.data_as_of, PAGE.today), text;
    if (f.hindcast) {
      text = "Hindcast: issued as of " + fmtLong(f.issue_date) + ", with the arrivals up to " +
        fmtLong(f.data_as_of) + ", which is " + plural(age, "day") + " before today (" + fmtLong(PAGE.today) +
        "). This is what the model would have forecast then, not a forecast of the coming days.";
    } else {  // when and from what data: the headline says it
      text = f.bridged_days ? "The " + plural(f.bridged_days, "day") + " between the data and today are simulated." : "";
    }
    var seen = [];
    f.days.forEach(function (d) { if (seen.indexOf(d.weather_source) < 0) { seen.push(d.weather_source); } });
    var spread = seen.some(function (s) { return SPREAD.indexOf(s) >= 0; });
    text += (text ? " " : "") + "Weather: " + seen.map(function (s) { return (SOURCES[s] || [s, s])[1]; }).join("; ") +
      (spread ? "; around a forecast the weather paths spread more with each lead day." : ".");
    return text;
  }

  // The chart: history, then the forecast's bands and median, then the strip of the chance of
  // crossings with its thresholds, drawn at the SVG's own width in pixels.
  function draw(f) {
    var svg = document.getElementById("chart"); clear(svg);
    var W = Math.max(300, Math.round(svg.getBoundingClientRect().width || 1120)), narrow = W < 640;
    var g = { W: W, narrow: narrow, L: narrow ? 44 : 64, R: narrow ? 8 : 20, T: 24, CH: narrow ? 200 : 250 };
    g.PV = g.T + g.CH + 52;  // the row of printed percents, clear of the day labels and lines
    g.PT = g.PV + 8; g.PH = narrow ? 60 : 70;
    var H = g.PT + g.PH + 10;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H); svg.setAttribute("height", H);
    var slots = historySlots(f), levels = levelsOf(f), top = 0;
    f.days.forEach(function (d) { levels.forEach(function (l) { top = Math.max(top, d.bands[l].hi); }); top = Math.max(top, d.median); });
    slots.forEach(function (h) { top = Math.max(top, h.count || 0); });
    var ax = axis(top * 1.05), PW = W - g.L - g.R;
    g.ymax = ax.max;
    g.HW = slots.length ? PW * (narrow ? 0.34 : 0.4) : 0;
    g.fs = (PW - g.HW) / f.days.length;
    g.y = function (v) { return g.T + g.CH - (v / g.ymax) * g.CH; };
    g.x = function (i) { return g.L + g.HW + g.fs * (i + 0.5); };
    for (var v = 0; v <= g.ymax + 1e-9; v += ax.step) {
      el("line", { x1: g.L, x2: W - g.R, y1: g.y(v), y2: g.y(v), stroke: "#e6eaef" }, svg);
      el("text", { x: g.L - 6, y: g.y(v) + 4, "text-anchor": "end", "class": "tick" }, svg, num(v));
    }
    if (!narrow) {
      el("text", { x: 12, y: g.T + g.CH / 2, transform: "rotate(-90 12 " + (g.T + g.CH / 2) + ")", "text-anchor": "middle" },
         svg, f.target === "boats" ? "boats per day" : "people per day");
    }
    drawHistory(svg, f, g, slots);
    drawForecast(svg, f, g, levels);
    drawStrip(svg, f, g);
    el("line", { x1: g.L, x2: W - g.R, y1: g.T + g.CH, y2: g.T + g.CH, stroke: "#c8cfd8" }, svg);
  }
  function drawHistory(svg, f, g, slots) {
    if (!slots.length) { return; }
    var hs = g.HW / slots.length, bw = Math.max(1, hs * 0.7), base = g.y(0);
    slots.forEach(function (h, i) {
      var xh = g.L + hs * (i + 0.5);
      if (h.count === null) {  // no data: a dashed outline, never a bar or a zero
        el("rect", { x: xh - bw / 2, y: base - 8, width: bw, height: 8, fill: "none", stroke: "#9aa5b1",
                     "stroke-dasharray": "2 2", "data-role": "history-missing", "data-date": h.date }, svg);
      } else if (h.count === 0) {  // no arrivals: a dark dash on the axis
        el("rect", { x: xh - bw / 2, y: base - 3, width: bw, height: 3, fill: "#39434e", "class": "zero",
                     "data-role": "history", "data-count": 0, "data-date": h.date }, svg);
      } else {
        el("rect", { x: xh - bw / 2, y: g.y(h.count), width: bw, height: Math.max(1, base - g.y(h.count)),
                     fill: "#9aa5b1", "data-role": "history", "data-count": h.count, "data-date": h.date }, svg);
      }
      if (i % (g.narrow ? 10 : 7) === (g.narrow ? 5 : 3)) {  // a date now and then, clear of the axis
        var t = el("text", { x: xh, y: g.T + g.CH + 16, "text-anchor": "middle" }, svg, fmtShort(h.date));
        var half = t.getComputedTextLength() / 2;
        if (xh - half < g.L + 2 || xh + half > g.L + g.HW - 4) { svg.removeChild(t); }
      }
    });
    var xs = g.L + g.HW;
    el("line", { x1: xs, x2: xs, y1: g.T - 8, y2: g.PT + g.PH, stroke: "#5b6775", "stroke-dasharray": "4 3" }, svg);
    el("text", { x: g.L + g.HW / 2, y: g.T - 8, "text-anchor": "middle" }, svg,
       g.narrow ? (f.target === "boats" ? "boats/day" : "people/day") : "actual arrivals");
    el("text", { x: xs + 6, y: g.T - 8 }, svg, "forecast \u2192");
  }
  function drawForecast(svg, f, g, levels) {
    var n = f.days.length, x = g.x, y = g.y;
    levels.forEach(function (l, k) {
      var up = [], down = [];
      f.days.forEach(function (d, i) { up.push(x(i) + "," + y(d.bands[l].hi)); down.unshift(x(i) + "," + y(d.bands[l].lo)); });
      var b0 = f.days[0].bands[l], q = g.fs / 4;
      var pts = n === 1 ? [(x(0) - q) + "," + y(b0.hi), (x(0) + q) + "," + y(b0.hi), (x(0) + q) + "," + y(b0.lo), (x(0) - q) + "," + y(b0.lo)]
                        : up.concat(down);
      el("polygon", { points: pts.join(" "), fill: PAGE.colours[Math.min(k, PAGE.colours.length - 1)], "data-level": l, opacity: 0.95 }, svg);
    });
    el("polyline", { points: f.days.map(function (d, i) { return x(i) + "," + y(d.median); }).join(" "),
                     fill: "none", stroke: "var(--med)", "stroke-width": 2.5 }, svg);
    f.days.forEach(function (d, i) {
      el("circle", { cx: x(i), cy: y(d.median), r: 4, fill: "var(--med)" }, svg);
      if (g.fs >= 44 && !zeroExplained(d)) {  // a 0 explained below the chart is not printed on each point
        el("text", { x: x(i), y: y(d.median) - 9, "text-anchor": "middle", "class": "val" }, svg, num(d.median));
      }
      el("text", { x: x(i), y: g.T + g.CH + 16, "text-anchor": "middle" }, svg, weekday(d.date));
      el("text", { x: x(i), y: g.T + g.CH + 30, "text-anchor": "middle" }, svg, g.fs >= 44 ? fmtShort(d.date) : d.date.slice(8, 10));
    });
  }
  function drawStrip(svg, f, g) {
    var th = f.risk_thresholds, x0 = g.L + g.HW, x1 = g.W - g.R;
    function yp(p) { return g.PT + g.PH - p * g.PH; }
    [["green", 0, th.green_below], ["amber", th.green_below, th.red_above], ["red", th.red_above, 1]].forEach(function (z) {
      el("rect", { x: x0, y: yp(z[2]), width: x1 - x0, height: yp(z[1]) - yp(z[2]), fill: TINT[z[0]], "data-zone": z[0] }, svg);
    });
    f.days.forEach(function (d, i) {
      var r = riskOf(d.p_any, th), ph = Math.max(1, d.p_any * g.PH), x = g.x(i);
      el("rect", { x: x - g.fs * 0.25, y: g.PT + g.PH - ph, width: g.fs * 0.5, height: ph, fill: RISK[r.risk][0],
                   "class": "pbar risk-" + r.risk, "data-risk": r.risk }, svg);
      var t = el("text", { x: x, y: g.PV, "text-anchor": "middle", "class": "pval" + (g.narrow ? " small" : ""),
                           "data-risk": r.risk, "data-day": i }, svg, r.text);
      if (t.getComputedTextLength() > g.fs - 2) { svg.removeChild(t); }  // no room: the table prints it
    });
    [th.green_below, th.red_above].forEach(function (p) {
      el("line", { x1: x0, x2: x1, y1: yp(p), y2: yp(p), stroke: "#5b6775", "stroke-dasharray": "3 3", "class": "thr-line" }, svg);
      el("text", { x: x0 - 5, y: yp(p) + 4, "text-anchor": "end", "class": "thr" }, svg, pct(p));
    });
    el("line", { x1: x0, x2: x1, y1: g.PT + g.PH, y2: g.PT + g.PH, stroke: "#c8cfd8" }, svg);
    el("text", { x: x0 - 5, y: g.PV, "text-anchor": "end", "class": "strip-name" }, svg, NAME);
  }

  function cell(tr, label, content) {
    var td = document.createElement("td");
    td.setAttribute("data-label", label);
    if (typeof content === "string") { td.textContent = content; } else { td.appendChild(content); }
    tr.appendChild(td);
    return td;
  }
  function riskChip(risk, text) { return span("risk risk-" + risk, text || RISK[risk][1]); }
  function typical(d) {
    var t = d.if_crossing;
    return t ? "typically " + num(t.median) + " (" + num(t.lo) + "\u2013" + num(t.hi) + ")" : "\u2013";
  }
  function medianCell(d) {
    var box = span("median", "");
    box.appendChild(span("", num(d.median)));
    if (zeroExplained(d)) {
      box.appendChild(span("why", "Median 0: most paths have no crossing; on a crossing day expect " +
        typical(d).replace("typically ", "") + "."));
    }
    return box;
  }
  function exceed(d) {
    return Object.keys(d.p_at_least).map(function (k) { return "\u2265" + num(+k) + ": " + pct(d.p_at_least[k]); }).join(" \u00b7 ");
  }
  function held(f) {
    var parts = PAGE.levels.map(function (l) {
      var c = f.band_coverage ? f.band_coverage[l] : null;
      return c === null || c === undefined ? l + "% band: not scored" : l + "% band held " + pct(c);
    });
    return "How often the bands held the actual outcomes in the model's backtest: " + parts.join("; ") +
      ". A band that held more than its name says is wider than it needs to be; one that held less is too narrow.";
  }
  function medianNote(f) {
    var days = f.days.filter(zeroExplained);
    if (!days.length) { return ""; }
    var ps = days.map(function (d) { return d.p_any; }), th = f.risk_thresholds;
    var lo = riskOf(Math.min.apply(null, ps), th).text, hi = riskOf(Math.max.apply(null, ps), th).text;
    return "Median 0 on " + days.length + " of " + f.days.length + " days although the " + NAME + " is " +
      (lo === hi ? lo : lo + "\u2013" + hi) + ": on most of the model's paths nobody crosses those days, so the " +
      "middle path is 0. On a crossing day expect the count under \u201cOn a crossing day\u201d in the table.";
  }

  function table(f) {
    var body = document.querySelector("#table tbody"); clear(body);
    f.days.forEach(function (d) {
      var tr = document.createElement("tr"), r = riskOf(d.p_any, f.risk_thresholds);
      tr.setAttribute("data-risk", r.risk);
      tr.setAttribute("data-p", String(d.p_any));
      cell(tr, "Day", fmtDay(d.date));
      cell(tr, "Risk", riskChip(r.risk));
      cell(tr, "Chance of crossings", r.text).className = "p";
      cell(tr, "Median", medianCell(d));
      cell(tr, "Mean", num(d.mean));
      cell(tr, "On a crossing day", typical(d));
      PAGE.levels.forEach(function (l) { cell(tr, l + "% band", bandText(d.bands[l])); });
      cell(tr, "P(\u2265 k)", exceed(d));
      cell(tr, "Weather assumed", weatherText(d)).className = "weather";
      body.appendChild(tr);
    });
    var wt = f.week_total, b = wt.bands[PAGE.total] || wt.bands[Object.keys(wt.bands)[0]];
    document.getElementById("total").textContent = "Total over " + f.days.length + " days: median " + num(wt.median) + " " + f.target +
      (wt.mean !== undefined && wt.mean !== null ? ", mean " + num(wt.mean) : "") + " (" + PAGE.total + "% band " + bandText(b) + ").";
  }
  // The headline: the day of highest risk with its colour and percent, the total expected over
  // the days with its range, and when the forecast was issued from what data.
  function headline(f) {
    var th = f.risk_thresholds, top = null, count = { red: 0, amber: 0, green: 0 };
    f.days.forEach(function (d) {
      var r = riskOf(d.p_any, th);
      count[r.risk] += 1;
      if (!top || d.p_any > top.d.p_any) { top = { d: d, r: r }; }
    });
    var hr = document.getElementById("hl-risk"); clear(hr);
    hr.appendChild(document.createTextNode("Highest risk: " + fmtDay(top.d.date) + " "));
    hr.appendChild(riskChip(top.r.risk, RISK[top.r.risk][1] + " " + top.r.text));
    hr.appendChild(document.createTextNode(" " + NAME));
    var split = ["red", "amber", "green"].filter(function (k) { return count[k]; }).map(function (k) { return k + " on " + count[k]; });
    hr.appendChild(span("hl-split", " (" + split.join(", ") + " of " + plural(f.days.length, "day") + ")"));
    var wt = f.week_total, b = wt.bands[PAGE.total] || wt.bands[Object.keys(wt.bands)[0]];
    var hasMean = wt.mean !== undefined && wt.mean !== null;
    document.getElementById("hl-total").textContent = (f.hindcast ? "Total over the " : "Total over the next ") +
      plural(f.days.length, "day") + ": " + (hasMean ? "expected " + num(wt.mean) : "median " + num(wt.median)) + " " + f.target +
      " (" + PAGE.total + "% range " + bandText(b) + ")";
    var age = daysBetween(f.data_as_of, PAGE.today);
    document.getElementById("hl-issued").textContent = (f.hindcast ? "Hindcast as of " : "Issued today, ") + fmtLong(f.issue_date) +
      ", from the arrivals up to " + fmtLong(f.data_as_of) + " (" + plural(age, "day") + " old) \u00b7 model " +
      f.model.name + " v" + f.model.version;
  }
  function describe(f) {
    document.getElementById("held").textContent = held(f); document.getElementById("median-note").textContent = medianNote(f);
    var th = f.risk_thresholds;
    document.getElementById("risk-legend").textContent = "Risk from the " + NAME + ": red above " + pct(th.red_above) +
      ", amber " + pct(th.green_below) + "\u2013" + pct(th.red_above) + ", green below " + pct(th.green_below) +
      " (a percent printed with a decimal is one just beside a threshold).";
    document.getElementById("meta").textContent = "Model " + f.model.name + " v" + f.model.version +
      " \u00b7 data to " + f.data_as_of + " \u00b7 computed " + f.issued_at.replace("T", " ").slice(0, 16) + " UTC" +
      (f.weather_note ? " \u00b7 " + f.weather_note : "");
    var h = heading(f), nt = document.getElementById("notice");
    document.getElementById("heading").textContent = document.title = h;
    nt.textContent = notice(f);
    nt.className = f.hindcast ? "notice hindcast" : "notice";
  }

  function query(target, fmt) {
    return "v1/forecast?horizon=" + state.horizon + "&levels=" + PAGE.levels.join(",") + "&target=" + target + (fmt ? "&format=" + fmt : "");
  }
  // The target and the days ahead live in the address (?target=boats&horizon=14): read on load,
  // rewritten (history.replaceState, no new history entry) when either changes.
  function readAddress() {
    var q = new URLSearchParams(window.location.search), t = q.get("target"), h = parseInt(q.get("horizon"), 10);
    if (t && Object.prototype.hasOwnProperty.call(data, t)) { state.target = t; }
    if (h >= 1 && h <= PAGE.max_days) { state.horizon = h; }
  }
  function writeAddress() {
    var q = new URLSearchParams(window.location.search);
    q.set("target", state.target); q.set("horizon", String(state.horizon));
    window.history.replaceState(null, "", window.location.pathname + "?" + q.toString());
  }
  function load(target, then) {
    var kept = data[target] && data[target].history;
    state.loaded[target] = state.horizon;
    fetch(query(target))
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) { data[target] = res.ok ? res.body : { error: JSON.stringify(res.body.detail) }; },
            function (e) { data[target] = { error: "The forecast could not be loaded (" + e.message + ")." }; })
      .then(function () { data[target].history = kept; then(); });
  }
  function render() {
    var target = state.target, f = data[target], svg = document.getElementById("chart");
    document.querySelectorAll("[data-target]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-target") === target));
    });
    document.getElementById("horizon").value = String(state.horizon);
    document.getElementById("csv").setAttribute("href", query(target, "csv"));
    if (state.shown !== target) {  // the track-record panel (track.js) follows the target
      state.shown = target; document.dispatchEvent(new CustomEvent("crossings:target", { detail: target }));
    }
    if (!f || f.error) {
      clear(svg);
      el("text", { x: 20, y: 60, "class": "val" }, svg, (f && f.error) || "No forecast available.");
      ["total", "meta", "notice", "held", "median-note", "hl-risk", "hl-total", "hl-issued"].forEach(function (id) {
        document.getElementById(id).textContent = "";
      });
      clear(document.querySelector("#table tbody"));
    } else {
      draw(f); table(f); headline(f); describe(f);
    }
    document.body.setAttribute("data-ready", "true");
  }
  function show() {
    writeAddress();
    var f = data[state.target];
    if (f && state.loaded[state.target] !== state.horizon) { load(state.target, render); } else { render(); }
  }

  var pick = document.getElementById("horizon");
  for (var h = 1; h <= PAGE.max_days; h++) { pick.appendChild(new Option(String(h), String(h))); }
  pick.addEventListener("change", function () { state.horizon = parseInt(pick.value, 10); show(); });
  document.querySelectorAll("[data-target]").forEach(function (b) {
    b.addEventListener("click", function () { state.target = b.getAttribute("data-target"); show(); });
  });
  document.getElementById("refresh").addEventListener("click", function () { load(state.target, render); });
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { var f = data[state.target]; if (f && !f.error) { draw(f); } }, 100);
  });
  readAddress();
  show();
})();
