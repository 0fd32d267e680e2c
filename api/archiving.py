"""What an issued forecast leaves in the archive: its content-derived forecast id and its
archive rows (the forecast, its days and their stored quantiles), and their submission
(`archive_issued`, which the forecast service calls for every forecast it issues)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np

from api.archive.record import archive_inputs
from api.archive.store import ARCHIVE_QUANTILE_PROBS, ArchiveRecord, ForecastArchive
from api.rendering import ARCHIVE_LEVELS, Issued


def content_key(issued: Issued, inputs: dict[str, Any]) -> str:
    """A forecast id derived from what the forecast is made of: the first 32 hex digits
    of the sha256 of canonical JSON (sorted keys) of its kind, target, asked days,
    samples, model (name, version, registered model, training time), data_as_of and
    archived `inputs` (issue date, weather, scenario, data version, seed). Seeded
    forecasts with equal keys are equal, so a forecast asked again, or issued by another
    worker or replica, is archived once (the outbox and the archive skip a forecast id
    they hold)."""
    facts = {
        "kind": issued.kind,
        "target": issued.target,
        "start": issued.start.isoformat(),
        "horizon": issued.horizon,
        "n_samples": issued.n_samples,
        "model": [
            issued.champion.registered_name,
            issued.champion.model_name,
            issued.champion.version,
            issued.champion.trained_at,
        ],
        "data_as_of": issued.data_as_of.isoformat(),
        "inputs": inputs,
    }
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def archive_record(issued: Issued, inputs: dict[str, Any]) -> ArchiveRecord:
    """The archive rows of this forecast: one for the forecast (with its `inputs` and the
    response at ARCHIVE_LEVELS) and one per asked day (`lead_days`: days from the data's
    end, as before; the lead from the issue date is in the inputs' `issue_date`)."""
    payload = issued.payload(ARCHIVE_LEVELS)
    days = [
        {
            "forecast_id": issued.forecast_id,
            "target": issued.target,
            "date": date.fromisoformat(d["date"]),
            "lead_days": (date.fromisoformat(d["date"]) - issued.data_as_of).days,
            "median": d["median"],
            "mean": d["mean"],
            "p_any": d["p_any"],
            "bands": d["bands"],
            "weather_source": d["weather_source"],
        }
        for i, d in enumerate(payload["days"])
    ]
    row = {
        "forecast_id": issued.forecast_id,
        "issued_at": issued.issued_at,
        "target": issued.target,
        "kind": issued.kind,
        "start": issued.start,
        "horizon": issued.horizon,
        "n_samples": issued.n_samples,
        "model_name": issued.champion.model_name,
        "model_version": issued.champion.version,
        "registered_model": issued.champion.registered_name,
        "model_trained_at": issued.champion.trained_at,
        "data_as_of": issued.data_as_of,
        "inputs": inputs,
        "response": payload,
    }
    quantiles = issued.forecast.daily_quantiles(ARCHIVE_QUANTILE_PROBS)  # days × probs
    counts = np.maximum(np.rint(quantiles), 0).astype(np.int64).tolist()  # as `_count`
    stored = [
        {
            "forecast_id": issued.forecast_id,
            "date": ts.date(),
            "quantiles": counts[i],
        }
        for i, ts in enumerate(issued.forecast.dates)
    ]
    return ArchiveRecord(row, days, stored)


def archive_issued(
    archive: ForecastArchive,
    issued: Issued,
    *,
    observed_version: str,
    point: tuple[float, float] | None,
    provider_error: str | None,
    requested: Mapping[date, Mapping[str, float]] | None,
    uncertainty: bool,
) -> None:
    """Submit `issued` to `archive` with what it was computed from (`archive_inputs`: the
    observed snapshot's version, the live weather point asked and its provider's error, the
    caller's scenario and its uncertainty). Sets its content-derived `forecast_id`, and its
    `issued_at` to the first issue of that id by any worker (`ForecastArchive.issue_time`)."""
    record = archive_inputs(
        issued.issued,
        hindcast=issued.hindcast,
        observed_version=observed_version,
        point=point,
        provider_error=provider_error,
        requested=requested,
        uncertainty=uncertainty,
    )
    # content-addressed: the same forecast (same question, model and data), issued
    # again or by another worker or replica, is archived once
    issued.forecast_id = content_key(issued, record)
    # ... and answers with the time it was first issued, whichever worker asks (two workers
    # computing it at once: the first to record its time in the shared outbox)
    issued.issued_at = archive.issue_time(issued.forecast_id, issued.issued_at)
    archive.submit(archive_record(issued, record))


__all__ = ["archive_issued", "archive_record", "content_key"]
