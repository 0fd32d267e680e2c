"""The planner page's script (vanilla JavaScript, no framework): the chart and the day table.

The script itself is api/web/static/page.js, read once at import (api/web/assets.py) and
inlined by api/web/page.py. The chart is drawn at the SVG's own width in pixels (redrawn on
resize), so text keeps its size on a phone: the last HISTORY_DAYS days of actual arrivals as
grey bars, then the forecast's bands and median, and below them P(any crossing) per day
coloured by its risk. The y axis steps by whole counts (1, 2, 5, 10, 20, 25, 50, ...), so
small counts never get rounded labels. The table gives each day's risk, P(crossing), median,
mean, the count if crossings happen, the bands, P(≥ k) and the weather assumed; on a narrow
screen its rows become cards (api/web/static/page.css).
"""

from __future__ import annotations

from typing import Final

from api.web.assets import read_asset

SCRIPT: Final = read_asset("page.js")

__all__ = ["SCRIPT"]
