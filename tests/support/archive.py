"""A small archive record for the archive's own tests (one day, one band)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from api.archive.store import ArchiveRecord


def make_record(day: date, version: str = "5") -> ArchiveRecord:
    """A default people forecast for `day` from model version `version`, with a fresh id."""
    fid = uuid.uuid4().hex
    return ArchiveRecord(
        {
            "forecast_id": fid,
            "issued_at": datetime.now(UTC),
            "target": "people",
            "kind": "default",
            "start": day,
            "horizon": 1,
            "n_samples": 10,
            "model_name": "hurdle",
            "model_version": version,
            "registered_model": "channel-crossings-people",
            "model_trained_at": None,
            "data_as_of": day - timedelta(days=1),
            "inputs": {"weather_sources": ["forecast"]},
            "response": {"days": []},
        },
        [
            {
                "forecast_id": fid,
                "target": "people",
                "date": day,
                "lead_days": 1,
                "median": 4,
                "mean": 5.5,
                "p_any": 0.5,
                "bands": {"80": {"lo": 0, "hi": 9}},
                "weather_source": "forecast",
            }
        ],
    )


__all__ = ["make_record"]
