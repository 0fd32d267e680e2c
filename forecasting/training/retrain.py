"""Scheduled retraining: ingest → train → gate → promote, under a lock, for cron or Kubernetes.

`retrain` is safe to run on a schedule:

- a file lock (`filelock`) stops two runs from overlapping; the second one fails at once
  with `RetrainLocked` (the lock is an OS lock, released if the holder dies);
- bad config or MLflow being unreachable fail before anything is ingested or logged;
- when the processed tables (their content, not where the sources lay) and the config are
  those the registered models were last trained on (registered-model tag
  ``last_trained.<config name>``) and every target has a champion, it stops: nothing new
  arrived;
- otherwise it trains; the champion moves only as the very last step of a successful
  training job (see `forecasting.training.job`), so a failed or killed run never moves it.

It trains on what is there: with ``backtest.end: latest`` the backtest ends where the
arrivals and the weather both reach (`forecasting.training.window`), and newer arrivals feed
the model's state only. Each run compares the new arrivals with the table they replace
(`forecasting.training.vintages`) and warns when the weather trails the arrivals by more
than ``CROSSINGS_WEATHER_LAG_WARN_DAYS``. `forecasting.training.summary` turns the result
into the one-line JSON summary for schedulers.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock, Timeout

from forecasting import tracking
from forecasting.contract import CHAMPION_ALIAS
from forecasting.ingest import ingest
from forecasting.training.config import ExperimentConfig, load_config
from forecasting.training.job import train
from forecasting.training.provenance import data_fingerprint
from forecasting.training.results import ProgressFn, TrainResult
from forecasting.training.vintages import VintageDiff, compare, read_previous
from forecasting.weather.lag import weather_lag

log = logging.getLogger(__name__)


class RetrainLocked(RuntimeError):
    """Another retrain holds the lock."""


@dataclass
class RetrainResult:
    """What a retrain did: `status` is "skipped" (nothing new) or "completed"."""

    status: Literal["skipped", "completed"]
    reason: str
    ingest_changed: bool
    data_fingerprint: str
    train: TrainResult | None = None
    vintage: VintageDiff | None = None
    window: dict[str, Any] | None = None  # the backtest window and why (`training.window`)
    weather_lag: dict[str, Any] | None = None
    sources: dict[str, Any] = field(default_factory=dict)  # per table: vintage, first, last
    elapsed_s: float = 0.0


def default_lock_path(data_dir: str | Path) -> Path:
    """The lock file beside the processed-data folder (e.g. data/retrain.lock)."""
    d = Path(data_dir)
    return d.parent / "retrain.lock"


def up_to_date(cfg: ExperimentConfig, fingerprint: str) -> tuple[bool, str]:
    """Whether every target already has a champion and was last trained by this config on
    this data; returns (answer, why)."""
    if not cfg.registry.register_winner:
        return False, "the config registers nothing, so there is no record to compare"
    for target in cfg.targets:
        name = cfg.registered_name(target)
        if tracking.get_version_by_alias(name, CHAMPION_ALIAS) is None:
            return False, f"{name} has no champion"
        raw = tracking.registered_model_tags(name).get(tracking.LAST_TRAINED_PREFIX + cfg.name)
        try:
            last = json.loads(raw) if raw else {}
        except ValueError:
            last = {}
        if last.get("data_fingerprint") != fingerprint:
            return False, f"{name} was last trained on other data"
        if last.get("config_sha256") != cfg.sha256():
            return False, f"{name} was last trained with another version of the config"
    return True, "data and config unchanged since the last training, and champions exist"


def retrain(
    config_path: str | Path,
    arrivals_path: str | Path,
    weather_path: str | Path,
    data_dir: str | Path,
    tracking_uri: str | None = None,
    lock_path: str | Path | None = None,
    lock_timeout: float = 0.0,
    progress: ProgressFn | None = None,
) -> RetrainResult:
    """Ingest the source files into `data_dir`, then train and gate if anything is new.

    Raises RetrainLocked if another retrain runs, ConfigError/InputError for a bad config
    or bad source files, tracking.TrackingUnavailable if MLflow does not answer.
    """
    cfg = load_config(config_path)
    data = Path(data_dir)
    lock_file = Path(lock_path) if lock_path is not None else default_lock_path(data)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_file), timeout=lock_timeout)
    try:
        lock.acquire()
    except Timeout as exc:
        raise RetrainLocked(
            f"another retrain is running (lock {lock_file} is held); try again later"
        ) from exc
    try:
        return _run(cfg, arrivals_path, weather_path, data, tracking_uri, progress)
    finally:
        lock.release()


def _sources(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {k: src.get(k) for k in ("vintage", "first_date", "last_date", "rows")}
        for name, src in manifest.get("sources", {}).items()
    }


def _run(
    cfg: ExperimentConfig,
    arrivals_path: str | Path,
    weather_path: str | Path,
    data: Path,
    tracking_uri: str | None,
    progress: ProgressFn | None,
) -> RetrainResult:
    """The work under the lock: check MLflow, ingest, compare vintages, train if new."""
    started = time.monotonic()
    uri = tracking.configure(tracking_uri)
    tracking.check_reachable(uri)
    if progress:
        progress("ingest", 0, 1)
    previous = read_previous(data)
    ing = ingest(arrivals_path, weather_path, data)
    fingerprint = data_fingerprint(ing.manifest)
    vintage = compare(previous, ing.arrivals)
    lag = weather_lag(ing.arrivals, ing.weather)
    log.info(
        "ingest %s (data %s): %s",
        "changed" if ing.changed else "unchanged",
        fingerprint,
        vintage.describe(),
    )
    if (warning := lag.message()) is not None:
        log.warning("weather lag: %s", warning)
    fresh, why = up_to_date(cfg, fingerprint)
    result = RetrainResult(
        "skipped",
        why,
        ing.changed,
        fingerprint,
        vintage=vintage,
        weather_lag=lag.as_dict(),
        sources=_sources(ing.manifest),
    )
    if fresh:
        log.info("nothing to do: %s", why)
    else:
        log.info("training: %s", why)
        result.status = "completed"
        result.train = train(cfg, data, tracking_uri=uri, progress=progress, vintage=vintage)
        result.window = result.train.window
    result.elapsed_s = round(time.monotonic() - started, 3)
    return result


__all__ = ["RetrainLocked", "RetrainResult", "default_lock_path", "retrain", "up_to_date"]
