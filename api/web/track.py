"""The planner page's track-record panel: a self-contained section (HTML, CSS and vanilla JS)
that `api.web.page.render_page` appends to the page's main column. Its styles and script are
api/web/static/track.css and track.js, read once at import (api/web/assets.py) and inlined.

It reads `GET /v1/verification?days=56` for the target shown (it follows the page's People /
Boats buttons: page.js announces the target shown with a "crossings:target" event) and draws,
as inline SVG: each day of the last eight weeks, the forecast issued closest to it (median and
80% band) against the actual and climatology's median; a reliability diagram of the chance of
crossings; and the scores beside climatology's.
"""

from __future__ import annotations

from typing import Final

from api.schemas.verification import DEFAULT_VERIFICATION_DAYS
from api.web.assets import read_asset

_HTML = r"""
<section id="track" class="card" style="margin-top:14px" aria-labelledby="track-h">
<style>
__TRACK_STYLE__</style>
<h2 id="track-h">Track record</h2>
<p class="sub" id="track-sub">Loading past forecasts…</p>
<div class="grid">
  <div><svg id="track-series" viewBox="0 0 720 260" width="100%" role="img"
       aria-label="Issued forecasts against actual arrivals, last 8 weeks"></svg></div>
  <div style="flex:0 1 300px"><svg id="track-rel" viewBox="0 0 300 260" width="100%"
       role="img" aria-label="Reliability of the chance of crossings"></svg></div>
</div>
<div class="legend" style="display:flex;gap:14px;flex-wrap:wrap;font-size:13px;color:#5b6775">
  <span><span class="sw" style="background:#9ec5ec"></span>80% band issued</span>
  <span><span class="sw" style="background:#0b3d75;height:3px"></span>median issued</span>
  <span><span class="sw" style="background:#888;height:2px"></span>climatology median</span>
  <span><span class="sw" style="background:#111;border-radius:50%;width:8px;height:8px">
  </span>actual</span>
</div>
<table id="track-scores"><thead><tr><th>Score</th><th>Forecast</th><th>Climatology</th></tr>
</thead><tbody></tbody></table>
<script>
__TRACK_SCRIPT__</script>
</section>
"""
_SCRIPT = read_asset("track.js").replace("__TRACK_DAYS__", str(DEFAULT_VERIFICATION_DAYS))
TRACK_PANEL: Final = _HTML.replace("__TRACK_STYLE__", read_asset("track.css")).replace(
    "__TRACK_SCRIPT__", _SCRIPT
)


def with_track_panel(html: str) -> str:
    """`html` with the track-record panel at the end of its main column."""
    return html.replace("</main>", TRACK_PANEL + "</main>", 1)


__all__ = ["TRACK_PANEL", "with_track_panel"]
