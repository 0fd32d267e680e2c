"""The planner page's script (vanilla JavaScript, no framework): the chart and the day table.

The script itself is api/web/static/page.js, read once at import (api/web/assets.py) and
inlined by api/web/page.py. It draws a headline (highest-risk day, the total expected, when
issued from what data), then the chart at the SVG's own width in pixels (redrawn on resize), so
text keeps its size on a phone: the last HISTORY_DAYS days of actual arrivals by date (grey
bars; a dark dash for a day with none, a dashed outline for a day missing from the data), the
forecast's bands and median, and below them the chance of crossings per day against labelled
threshold lines. The y axis steps by whole counts (1, 2, 5, 10, 20, 25, 50, ...), so small
counts never get rounded labels. One function, `riskOf`, decides each day's risk colour and its
printed percent. The table gives each day's risk, the chance of crossings, median, mean, the
count on a crossing day, the bands, P(≥ k) and the weather assumed; on a narrow screen its
rows become cards (api/web/static/page.css). The target and the days ahead are read from and
written to the address (`?target=…&horizon=…`, history.replaceState).
"""

from __future__ import annotations

from typing import Final

from api.web.assets import read_asset

SCRIPT: Final = read_asset("page.js")

__all__ = ["SCRIPT"]
