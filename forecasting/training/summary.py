"""The machine-readable summary of a retrain: one JSON object for schedulers and alerting.

``crossings retrain --json`` prints it as the last line of stdout, for successes and
failures alike; the exit code stays the documented one (0 done or nothing new, 2 bad config
or input, 3 locked, 4 MLflow). Keys:

- ``status``: "completed", "skipped" (nothing new) or "failed"; ``exit_code``;
- ``reason`` (why it trained or skipped) or ``error`` (what failed);
- ``data``: per table its vintage, first and last date and rows; ``vintage``: days added and
  revised since the previous table and the revised totals;
- ``window``: the backtest's origins, last scored day, what limited it and why;
- ``weather_lag``: days the weather trails the arrivals and the warning, if any;
- ``targets``: per target the winner and the gate decision (versions, alias, scores,
  ``p_value``: the gate's paired test over origins, null without a champion to pair with);
- ``promoted``, ``run_id``, ``config``, ``elapsed_s``;
- ``fetch`` (``crossings update`` only): per source (``arrivals``, ``weather``) its
  ``status`` ("new", "unchanged", "skipped" or "failed"), ``path``, ``publication``
  (YYYY-MM-DD, when the publisher dates it), ``last_day``, ``url``, and ``note`` or
  ``error``; an empty object when the job failed before fetching.
"""

from __future__ import annotations

import json
import math
from typing import Any

from forecasting.contract import WeatherMode
from forecasting.training.results import TargetResult
from forecasting.training.retrain import RetrainResult


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)


def _target(tr: TargetResult, metric: str, mode: WeatherMode) -> dict[str, Any]:
    run = tr.run_for(tr.winner)
    out: dict[str, Any] = {
        "winner": tr.winner,
        "metric": metric,
        "weather_mode": mode,
        "metrics": {
            k.removeprefix(f"{mode}/"): _num(v)
            for k, v in sorted(run.metrics.items())
            if k.startswith(f"{mode}/") and "lead" not in k
        },
        "gate": None,
    }
    d = tr.decision
    if d is not None:
        out["gate"] = {
            "registered_name": d.registered_name,
            "version": d.version,
            "alias": d.alias,
            "promoted": d.promoted,
            "challenger_score": _num(d.challenger_score),
            "champion_version": d.champion_version,
            "champion_score": _num(d.champion_score),
            "champion_reevaluated": d.champion_reevaluated,
            "p_value": _num(d.p_value),  # the gate's paired test (None: none was run)
            "reason": d.reason,
        }
    return out


def retrain_summary(outcome: RetrainResult, fetch: dict[str, Any] | None = None) -> dict[str, Any]:
    """The summary of a retrain that finished (completed or skipped); with `fetch` (an
    update's per-source report), its ``fetch`` object too."""
    train = outcome.train
    targets = {}
    if train is not None:
        targets = {
            t: _target(tr, train.gate_metric, train.gate_weather_mode)
            for t, tr in train.targets.items()
        }
    out: dict[str, Any] = {
        "status": outcome.status,
        "exit_code": 0,
        "reason": outcome.reason,
        "config": train.config_name if train is not None else None,
        "data": {
            "fingerprint": outcome.data_fingerprint,
            "changed": outcome.ingest_changed,
            **outcome.sources,
        },
        "vintage": outcome.vintage.as_dict() if outcome.vintage is not None else None,
        "window": outcome.window,
        "weather_lag": outcome.weather_lag,
        "targets": targets,
        "promoted": train.promoted if train is not None else [],
        "run_id": train.parent_run_id if train is not None else None,
        "elapsed_s": outcome.elapsed_s,
    }
    if fetch is not None:
        out["fetch"] = fetch
    return out


def failure_summary(
    exc: BaseException, exit_code: int, elapsed_s: float, fetch: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The summary of a retrain (or an update, with its `fetch` report) that failed with a
    documented exit code."""
    out: dict[str, Any] = {
        "status": "failed",
        "exit_code": exit_code,
        "error": f"{type(exc).__name__}: {exc}",
        "elapsed_s": round(elapsed_s, 3),
    }
    if fetch is not None:
        out["fetch"] = fetch
    return out


def to_line(summary: dict[str, Any]) -> str:
    """One JSON line."""
    return json.dumps(summary, sort_keys=True, default=str)


__all__ = ["failure_summary", "retrain_summary", "to_line"]
