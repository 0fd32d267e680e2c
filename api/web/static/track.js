(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg", DAYS = __TRACK_DAYS__;
  function el(svg, name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e); return e;
  }
  function clear(svg) { while (svg.firstChild) svg.removeChild(svg.firstChild); }
  function fmt(x, d) { return x === null || x === undefined ? "–" : Number(x).toFixed(d); }
  function series(svg, rows) {
    clear(svg);
    var W = 720, H = 260, L = 44, R = 8, T = 10, B = 26, n = rows.length;
    if (!n) {
      el(svg, "text", {x: 20, y: 40}, "No scored forecasts yet: run crossings reissue --weeks 8.");
      return;
    }
    var top = 1;
    rows.forEach(function (r) {
      top = Math.max(top, r.actual, r.bands["80"].hi, r.climatology_median);
    });
    var step = Math.pow(10, Math.floor(Math.log10(top))), nice = Math.ceil(top / step) * step;
    var x = function (i) { return L + (W - L - R) * (i + 0.5) / n; };
    var y = function (v) { return T + (H - T - B) * (1 - v / nice); };
    for (var g = 0; g <= 4; g++) {
      var v = Math.round(nice * g / 4);
      el(svg, "line", {x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e5e9ee"});
      el(svg, "text", {x: L - 4, y: y(v) + 4, "text-anchor": "end"}, String(v));
    }
    var bw = Math.max(2, (W - L - R) / n * 0.7);
    rows.forEach(function (r, i) {
      var b = r.bands["80"];
      el(svg, "rect", {x: x(i) - bw / 2, width: bw, y: y(b.hi),
        height: Math.max(1, y(b.lo) - y(b.hi)), fill: "#9ec5ec", class: "track-band"});
      el(svg, "line", {x1: x(i) - bw / 2, x2: x(i) + bw / 2, y1: y(r.median), y2: y(r.median),
        stroke: "#0b3d75", "stroke-width": 2});
      el(svg, "line", {x1: x(i) - bw / 2, x2: x(i) + bw / 2, y1: y(r.climatology_median),
        y2: y(r.climatology_median), stroke: "#888", "stroke-dasharray": "3 2"});
      var inside = r.actual >= b.lo && r.actual <= b.hi;
      el(svg, "circle", {cx: x(i), cy: y(r.actual), r: 3, fill: inside ? "#111" : "#c2410c",
        class: "track-actual"}).appendChild(document.createElementNS(NS, "title")).textContent =
        r.date + ": actual " + r.actual + ", median " + r.median + " (80% " + b.lo + "–" + b.hi +
        "), issued " + r.issue_date;
      if (i % 7 === 0) {
        el(svg, "text", {x: x(i), y: H - 8, "text-anchor": "middle"}, r.date.slice(5));
      }
    });
  }
  function reliability(svg, bins) {
    clear(svg);
    var S = 200, L = 40, T = 12;
    var p = function (v) { return L + S * v; }, q = function (v) { return T + S * (1 - v); };
    el(svg, "rect", {x: L, y: T, width: S, height: S, fill: "none", stroke: "#d5dbe2"});
    el(svg, "line", {x1: p(0), y1: q(0), x2: p(1), y2: q(1), stroke: "#bbb",
      "stroke-dasharray": "4 3"});
    [0, 0.5, 1].forEach(function (v) {
      el(svg, "text", {x: p(v), y: T + S + 14, "text-anchor": "middle"}, String(v));
      el(svg, "text", {x: L - 4, y: q(v) + 4, "text-anchor": "end"}, String(v));
    });
    el(svg, "text", {x: L + S / 2, y: T + S + 32, "text-anchor": "middle"}, "forecast chance of crossings");
    el(svg, "text", {x: 10, y: T + S / 2, transform: "rotate(-90 10 " + (T + S / 2) + ")",
      "text-anchor": "middle"}, "observed share");
    var pts = bins.filter(function (b) { return b.n > 0; });
    if (pts.length > 1) el(svg, "polyline", {fill: "none", stroke: "#c2410c", "stroke-width": 2,
      points: pts.map(function (b) { return p(b.forecast) + "," + q(b.observed); }).join(" ")});
    pts.forEach(function (b) {
      el(svg, "circle", {cx: p(b.forecast), cy: q(b.observed), r: 2 + Math.min(6, Math.sqrt(b.n)),
        fill: "#c2410c", "fill-opacity": 0.6, class: "track-rel"});
    });
  }
  function scores(body) {
    var f = body.scores.forecast, c = body.scores.climatology;
    var tb = document.querySelector("#track-scores tbody");
    var rows = [["CRPS (lower is better)", fmt(f.crps, 2), fmt(c.crps, 2)],
                ["Brier of the chance of crossings", fmt(f.brier, 3), fmt(c.brier, 3)],
                ["In 80% band", fmt(f.coverage["80"], 2), fmt(c.coverage["80"], 2)],
                ["In 95% band", fmt(f.coverage["95"], 2), fmt(c.coverage["95"], 2)],
                ["Median abs. error", fmt(f.mae, 1), fmt(c.mae, 1)]];
    tb.innerHTML = "";
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      r.forEach(function (v) {
        var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      tb.appendChild(tr);
    });
  }
  function load(target) {
    var sub = document.getElementById("track-sub");
    fetch("/v1/verification?days=" + DAYS + "&target=" + target).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status); return r.json();
    }).then(function (body) {
      sub.textContent = "Forecasts as issued for " + body.window_start + " to " + body.window_end +
        " (" + body.scores.forecast.n + " forecast days from " + body.n_forecasts +
        " issue dates), each day against the forecast issued closest to it; climatology issued" +
        " on the same dates for comparison.";
      series(document.getElementById("track-series"), body.series);
      reliability(document.getElementById("track-rel"), body.reliability.forecast);
      scores(body);
    }).catch(function (e) { sub.textContent = "Track record unavailable (" + e.message + ")."; });
  }
  // The page's script (page.js, after this one) says which target it shows, on load and on
  // every switch.
  document.addEventListener("crossings:target", function (e) { load(e.detail); });
})();
