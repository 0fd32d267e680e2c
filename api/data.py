"""The observed series the service reads: the canonical tables `crossings ingest` wrote.

They are reloaded when the manifest changes on disk, and swapped atomically like champions.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting import schema
from forecasting.ingest import MANIFEST_FILE, load_processed
from forecasting.weather.history import WeatherHistory

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Observed:
    """One consistent snapshot of the observed arrivals and weather."""

    arrivals: pd.DataFrame
    weather: pd.DataFrame
    manifest: dict[str, Any]
    version: str  # changes whenever the tables change

    @cached_property
    def last_date(self) -> date:
        """The last observed day of arrivals."""
        return pd.Timestamp(self.arrivals[schema.DATE].iloc[-1]).date()

    def actual(self, target: str, day: date) -> int | None:
        """The observed count on `day`, or None while it is not known."""
        ts = pd.Timestamp(day)
        hit = self._by_date.get(ts)
        return None if hit is None else int(self.arrivals[target].iloc[hit])

    @property
    def _by_date(self) -> dict[pd.Timestamp, int]:
        cached = self.__dict__.get("_index")
        if cached is None:
            cached = {pd.Timestamp(d): i for i, d in enumerate(self.arrivals[schema.DATE])}
            object.__setattr__(self, "_index", cached)
        return cached

    @cached_property
    def weather_history(self) -> WeatherHistory:
        """The observed weather as the serving chain reads it (its derived tables cached)."""
        return WeatherHistory(self.weather, self.version)


class ObservedStore:
    """Loads the tables from `data_dir`; `reload_if_changed()` picks up a new ingest."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._current: Observed | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self.error: str | None = None
        self.generation = 0  # bumped on every new snapshot

    def get(self) -> Observed | None:
        """The current snapshot, or None when the tables could not be read."""
        return self._current

    def _manifest_stamp(self) -> tuple[int, int] | None:
        try:
            st = (self.data_dir / MANIFEST_FILE).stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def reload_if_changed(self) -> bool:
        """Re-read the tables when the manifest changed; True if a new snapshot is served."""
        with self._lock:
            stamp = self._manifest_stamp()
            if stamp is not None and stamp == self._stamp and self._current is not None:
                return False
            try:
                arrivals, weather, manifest = load_processed(self.data_dir)
            except Exception as exc:  # keep the last good snapshot
                self.error = str(exc)
                log.warning("observed data not loaded from %s: %s", self.data_dir, exc)
                return False
            version = str(manifest.get("outputs", {}).get("arrivals.parquet", {}).get("sha256"))
            version = f"{version[:12]}-{stamp[0] if stamp else 0}"
            self._current = Observed(arrivals, weather, manifest, version)
            self._stamp = stamp
            self.generation += 1
            self.error = None
            log.info(
                "observed data loaded from %s: %d days up to %s",
                self.data_dir,
                len(arrivals),
                self._current.last_date,
            )
            return True
