"""What changed between two vintages of the processed arrivals table.

Each retrain compares the arrivals it just ingested with the table it replaced: the days
added, the days revised (with their old and new values, logged as an artifact table) and the
revised totals (new minus old, per target). The Home Office revises recent days between
publications, so a retrain can say how much of the past moved under the champion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting import schema
from forecasting.contract import TARGETS
from forecasting.ingest import ARRIVALS_FILE


@dataclass(frozen=True)
class VintageDiff:
    """The new arrivals against the previous processed table."""

    previous_end: str | None  # None: no previous table
    new_end: str
    days_added: int
    days_removed: int
    revised: pd.DataFrame = field(repr=False)  # date, <target>_old, <target>_new per target
    revised_totals: dict[str, int] = field(default_factory=dict)  # new - old, per target

    @property
    def days_revised(self) -> int:
        """Days present in both tables whose values differ."""
        return len(self.revised)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the revised rows are the artifact table)."""
        return {
            "previous_end": self.previous_end,
            "new_end": self.new_end,
            "days_added": self.days_added,
            "days_removed": self.days_removed,
            "days_revised": self.days_revised,
            "revised_totals": self.revised_totals,
        }

    def describe(self) -> str:
        """One line for logs, e.g. "7 days added, 2 revised (people +35, boats +1)"."""
        if self.previous_end is None:
            return "first vintage: no previous table to compare"
        totals = ", ".join(f"{k} {v:+d}" for k, v in self.revised_totals.items())
        return f"{self.days_added} days added, {self.days_revised} revised ({totals})"


def read_previous(data_dir: str | Path) -> pd.DataFrame | None:
    """The processed arrivals table in `data_dir`, read before ingest replaces it (None if
    there is none or it cannot be read)."""
    path = Path(data_dir) / ARRIVALS_FILE
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError):
        return None


def compare(previous: pd.DataFrame | None, new: pd.DataFrame) -> VintageDiff:
    """Compare two arrivals tables (columns date and the targets)."""
    targets: list[str] = [t for t in TARGETS if t in new.columns]
    new_end = str(pd.Timestamp(new[schema.DATE].iloc[-1]).date())
    if previous is None or previous.empty:
        empty = pd.DataFrame(columns=[schema.DATE])
        return VintageDiff(None, new_end, len(new), 0, empty, {t: 0 for t in targets})
    old = previous.set_index(schema.DATE)[targets]
    cur = new.set_index(schema.DATE)[targets]
    common = old.index.intersection(cur.index)
    o, n = old.loc[common], cur.loc[common]
    changed = (o != n).any(axis=1)
    revised = pd.concat(
        [o.loc[changed].add_suffix("_old"), n.loc[changed].add_suffix("_new")], axis=1
    )
    revised = revised[[f"{t}_{s}" for t in targets for s in ("old", "new")]].reset_index()
    totals = {t: int((n.loc[changed, t] - o.loc[changed, t]).sum()) for t in targets}
    return VintageDiff(
        previous_end=str(pd.Timestamp(previous[schema.DATE].iloc[-1]).date()),
        new_end=new_end,
        days_added=len(cur.index.difference(old.index)),
        days_removed=len(old.index.difference(cur.index)),
        revised=revised,
        revised_totals=totals,
    )


__all__ = ["VintageDiff", "compare", "read_previous"]
