(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("forecast-data").textContent);
  var PAGE = JSON.parse(document.getElementById("page-settings").textContent);
  var current = "people";
  var RISK = { red: ["#b91c1c", "Red"], amber: ["#d97706", "Amber"], green: ["#15803d", "Green"] };

  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function utc(iso) { return new Date(iso.slice(0, 10) + "T00:00:00Z"); }
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
    var W = Math.max(300, Math.round(svg.getBoundingClientRect().width || 1120));
    var narrow = W < 640;
    var H = narrow ? 360 : 420, L = narrow ? 44 : 64, R = narrow ? 8 : 20, T = 24;
    var CH = narrow ? 200 : 250, PT = T + CH + (narrow ? 46 : 50), PH = narrow ? 52 : 62;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("height", H);
    var hist = f.history || [], n = f.days.length, levels = levelsOf(f);
    var top = 0;
    f.days.forEach(function (d) { levels.forEach(function (l) { top = Math.max(top, d.bands[l].hi); }); top = Math.max(top, d.median); });
    hist.forEach(function (h) { top = Math.max(top, h.count); });
    var ax = axis(top * 1.05), ymax = ax.max;
    var PW = W - L - R, HW = hist.length ? PW * (narrow ? 0.34 : 0.4) : 0, FW = PW - HW;
    var hs = hist.length ? HW / hist.length : 0, fs = FW / n;
    function xh(i) { return L + hs * (i + 0.5); }
    function x(i) { return L + HW + fs * (i + 0.5); }
    function y(v) { return T + CH - (v / ymax) * CH; }
    for (var v = 0; v <= ymax + 1e-9; v += ax.step) {
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e6eaef" }, svg);
      el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "class": "tick" }, svg, num(v));
    }
    if (!narrow) el("text", { x: 12, y: T + CH / 2, transform: "rotate(-90 12 " + (T + CH / 2) + ")", "text-anchor": "middle" },
       svg, f.target === "boats" ? "boats per day" : "people per day");
    hist.forEach(function (h, i) {
      var bh = Math.max(0, y(0) - y(h.count));
      el("rect", { x: xh(i) - hs * 0.35, y: y(h.count), width: Math.max(1, hs * 0.7), height: bh,
                   fill: "#9aa5b1", "data-role": "history", "data-date": h.date }, svg);
      if (i % (narrow ? 14 : 7) === 3 && xh(i) < L + HW - 28) {
        el("text", { x: xh(i), y: T + CH + 16, "text-anchor": "middle" }, svg, fmtShort(h.date));
      }
    });
    if (hist.length) {
      el("line", { x1: L + HW, x2: L + HW, y1: T - 8, y2: T + CH, stroke: "#5b6775", "stroke-dasharray": "4 3" }, svg);
      el("text", { x: L + HW / 2, y: T - 8, "text-anchor": "middle" }, svg,
       narrow ? (f.target === "boats" ? "boats/day" : "people/day") : "actual arrivals");
      el("text", { x: L + HW + 6, y: T - 8 }, svg, "forecast \u2192");
    }
    levels.forEach(function (l, k) {
      var up = [], down = [];
      f.days.forEach(function (d, i) { up.push(x(i) + "," + y(d.bands[l].hi)); down.unshift(x(i) + "," + y(d.bands[l].lo)); });
      var b0 = f.days[0].bands[l], q = fs / 4;
      var pts = n === 1 ? [(x(0) - q) + "," + y(b0.hi), (x(0) + q) + "," + y(b0.hi), (x(0) + q) + "," + y(b0.lo), (x(0) - q) + "," + y(b0.lo)]
                        : up.concat(down);
      el("polygon", { points: pts.join(" "), fill: PAGE.colours[Math.min(k, PAGE.colours.length - 1)], "data-level": l, opacity: 0.95 }, svg);
    });
    el("polyline", { points: f.days.map(function (d, i) { return x(i) + "," + y(d.median); }).join(" "),
                     fill: "none", stroke: "var(--med)", "stroke-width": 2.5 }, svg);
    f.days.forEach(function (d, i) {
      el("circle", { cx: x(i), cy: y(d.median), r: 4, fill: "var(--med)" }, svg);
      if (fs >= 44) { el("text", { x: x(i), y: y(d.median) - 9, "text-anchor": "middle", "class": "val" }, svg, num(d.median)); }
      el("text", { x: x(i), y: T + CH + 16, "text-anchor": "middle" }, svg, weekday(d.date));
      el("text", { x: x(i), y: T + CH + 30, "text-anchor": "middle" }, svg, fs >= 44 ? fmtShort(d.date) : d.date.slice(8, 10));
      var colour = (RISK[d.risk] || ["#888"])[0];
      el("rect", { x: x(i) - fs * 0.3, y: PT, width: fs * 0.6, height: PH, fill: "#eef0f3", rx: 2 }, svg);
      var ph = Math.max(1, d.p_any * PH);
      el("rect", { x: x(i) - fs * 0.3, y: PT + PH - ph, width: fs * 0.6, height: ph, fill: colour, rx: 2,
                   "class": "pbar risk-" + d.risk, "data-risk": d.risk }, svg);
      if (fs >= 36) { el("text", { x: x(i), y: PT + PH - ph - 4, "text-anchor": "middle", "class": "pval" }, svg, pct(d.p_any)); }
    });
    var th = f.risk_thresholds;
    [th.green_below, th.red_above].forEach(function (p) {
      el("line", { x1: L + HW, x2: W - R, y1: PT + PH - p * PH, y2: PT + PH - p * PH, stroke: "#5b6775", "stroke-dasharray": "2 3", opacity: 0.6 }, svg);
    });
    el("line", { x1: L, x2: W - R, y1: PT + PH, y2: PT + PH, stroke: "#c8cfd8" }, svg);
    el("text", { x: L + HW - 6, y: PT + PH - 2, "text-anchor": "end" }, svg, "P(any)");
    el("line", { x1: L, x2: W - R, y1: T + CH, y2: T + CH, stroke: "#c8cfd8" }, svg);
  }

  function cell(tr, label, content) {
    var td = document.createElement("td");
    td.setAttribute("data-label", label);
    if (typeof content === "string") { td.textContent = content; } else { td.appendChild(content); }
    tr.appendChild(td);
  }
  function riskChip(risk) {
    var s = document.createElement("span");
    s.className = "risk risk-" + risk;
    s.textContent = (RISK[risk] || ["", risk])[1];
    return s;
  }
  function typical(d) {
    var t = d.if_crossing;
    return t ? "typically " + num(t.median) + " (" + num(t.lo) + "\u2013" + num(t.hi) + ")" : "\u2013";
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

  function table(f) {
    var body = document.querySelector("#table tbody");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    f.days.forEach(function (d) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-risk", d.risk);
      cell(tr, "Day", fmtDay(d.date));
      cell(tr, "Risk", riskChip(d.risk));
      cell(tr, "P(crossing)", pct(d.p_any));
      cell(tr, "Median", num(d.median));
      cell(tr, "Mean", num(d.mean));
      cell(tr, "If crossings happen", typical(d));
      PAGE.levels.forEach(function (l) { cell(tr, l + "% band", bandText(d.bands[l])); });
      cell(tr, "P(\u2265 k)", exceed(d));
      cell(tr, "Weather assumed", weatherText(d));
      tr.lastChild.className = "weather";
      body.appendChild(tr);
    });
    var wt = f.week_total, b = wt.bands[PAGE.total] || wt.bands[Object.keys(wt.bands)[0]];
    document.getElementById("total").textContent = "Total over " + f.days.length + " days: median " + num(wt.median) + " " + f.target +
      (wt.mean !== undefined && wt.mean !== null ? ", mean " + num(wt.mean) : "") + " (" + PAGE.total + "% band " + bandText(b) + ").";
    document.getElementById("held").textContent = held(f);
    var th = f.risk_thresholds;
    document.getElementById("risk-legend").textContent = "Risk from P(any crossing): red above " + pct(th.red_above) +
      ", amber " + pct(th.green_below) + "\u2013" + pct(th.red_above) + ", green below " + pct(th.green_below) + ".";
    document.getElementById("meta").textContent = "Model " + f.model.name + " v" + f.model.version +
      " \u00b7 data to " + f.data_as_of + " \u00b7 computed " + f.issued_at.replace("T", " ").slice(0, 16) + " UTC" +
      (f.weather_note ? " \u00b7 " + f.weather_note : "");
    var h = heading(f), nt = document.getElementById("notice");
    document.getElementById("heading").textContent = h;
    document.title = h;
    nt.textContent = notice(f);
    nt.className = f.hindcast ? "notice hindcast" : "notice";
  }

  function query(target, fmt) {
    return "v1/forecast?horizon=" + PAGE.days + "&levels=" + PAGE.levels.join(",") + "&target=" + target + (fmt ? "&format=" + fmt : "");
  }
  function show(target) {
    current = target;
    document.querySelectorAll("[data-target]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-target") === target));
    });
    document.getElementById("csv").setAttribute("href", query(target, "csv"));
    var f = data[target], svg = document.getElementById("chart");
    if (!f || f.error) {
      while (svg.firstChild) { svg.removeChild(svg.firstChild); }
      el("text", { x: 20, y: 60, "class": "val" }, svg, (f && f.error) || "No forecast available.");
      ["total", "meta", "notice", "held"].forEach(function (id) { document.getElementById(id).textContent = ""; });
      document.querySelector("#table tbody").innerHTML = "";
      return;
    }
    draw(f);
    table(f);
  }

  document.querySelectorAll("[data-target]").forEach(function (b) {
    b.addEventListener("click", function () { show(b.getAttribute("data-target")); });
  });
  document.getElementById("refresh").addEventListener("click", function () {
    var history = data[current] && data[current].history;
    fetch(query(current))
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        data[current] = res.ok ? res.body : { error: JSON.stringify(res.body.detail) };
        if (res.ok) { data[current].history = history; }
        show(current);
      });
  });
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { var f = data[current]; if (f && !f.error) { draw(f); } }, 100);
  });
  show(current);
  document.body.setAttribute("data-ready", "true");
})();
