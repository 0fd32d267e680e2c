"""What one fetch found: a publication that is new (its bytes ready to write) or unchanged,
and how it is reported in the JSON lines of `fetch-arrivals`, `fetch-weather` and `update`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from forecasting.ingest import atomic_write

log = logging.getLogger(__name__)

Status = Literal["new", "unchanged", "skipped", "failed"]


@dataclass
class Fetched:
    """One source's fetch. `status`: "new" (checked bytes in `data`, to be written to
    `path`), "unchanged" (`path` already holds this publication), "skipped" (not fetched;
    `note` says why) or "failed" (`error`)."""

    source: str  # "arrivals" or "weather"
    status: Status
    path: Path | None = None
    publication: str | None = None  # YYYY-MM-DD, when the publisher dates it
    last_day: str | None = None  # YYYY-MM-DD, the last day with data
    url: str | None = None
    note: str | None = None
    error: str | None = None
    data: bytes | None = field(default=None, repr=False)

    def write(self) -> None:
        """Write a new publication to `path` atomically (nothing to do otherwise)."""
        if self.status != "new" or self.data is None or self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, self.data)
        log.info("wrote %s (%d bytes)", self.path, len(self.data))

    def as_dict(self) -> dict[str, Any]:
        """The JSON record: status, path, publication, last_day, url, and note or error."""
        out: dict[str, Any] = {
            "status": self.status,
            "path": None if self.path is None else str(self.path),
            "publication": self.publication,
            "last_day": self.last_day,
            "url": self.url,
        }
        if self.note:
            out["note"] = self.note
        if self.error:
            out["error"] = self.error
        return out


def same_bytes(data: bytes, candidates: list[Path]) -> Path | None:
    """The first existing file among `candidates` whose bytes are `data`."""
    for p in candidates:
        if p.is_file() and p.stat().st_size == len(data) and p.read_bytes() == data:
            return p
    return None


__all__ = ["Fetched", "Status", "same_bytes"]
