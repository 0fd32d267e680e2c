"""The scheduled job: fetch the newest publications, then retrain on the newest files.

`update` runs, in order, and stops at the first failure:

1. checks: the config loads, no other retrain holds the lock, MLflow answers;
2. fetches (nothing written yet): the newest Home Office publication from GOV.UK, and the
   weather the champions learned on: the KNMI station of the last ingest (its manifest), or
   on a first run the station of the KNMI file in use (340). Weather from another source
   (an Open-Meteo archive file) is not fetched: it is reused as it is, with a logged note;
3. writes the new files (each atomically) into the fetch folder
   (`forecasting.sources.folders`);
4. runs `forecasting.training.retrain.retrain` (lock, window, vintage diff) on the newest
   files across the folders read; it skips training when nothing new arrived.

A source that is down, missing or slow fails the job before anything is written, ingested or
trained. Every failure is raised as UpdateFailed carrying the cause (its type decides the
exit code) and the per-source fetch report so far.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from forecasting import tracking
from forecasting.errors import ConfigError
from forecasting.ingest import MANIFEST_FILE
from forecasting.settings import Settings, default_arrivals_file, default_weather_file, get_settings
from forecasting.sources.fetched import Fetched
from forecasting.sources.folders import fetch_dir, read_dirs
from forecasting.sources.govuk import fetch_arrivals
from forecasting.sources.http import Downloader
from forecasting.sources.knmi import STATION_FILE, fetch_knmi, file_name
from forecasting.training.config import load_config
from forecasting.training.results import ProgressFn
from forecasting.training.retrain import (
    RetrainLocked,
    RetrainResult,
    default_lock_path,
    retrain,
)

log = logging.getLogger(__name__)

DEFAULT_STATION = 340
_KNMI_SOURCE = re.compile(r"^KNMI etmgeg station (\d+)")


class UpdateFailed(Exception):
    """An update step failed: `cause` is the original error, `fetch` the per-source report."""

    def __init__(self, cause: Exception, fetch: dict[str, Any]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.fetch = fetch


@dataclass
class UpdateResult:
    """What an update fetched and what the retrain did."""

    fetches: list[Fetched]
    retrain: RetrainResult
    arrivals_path: Path
    weather_path: Path

    def fetch_report(self) -> dict[str, Any]:
        """Per source its JSON record (see `Fetched.as_dict`)."""
        return report(self.fetches)


def report(fetches: list[Fetched]) -> dict[str, Any]:
    """Per source its JSON record."""
    return {f.source: f.as_dict() for f in fetches}


@dataclass(frozen=True)
class WeatherPlan:
    """The weather to fetch (a KNMI `station`) or to reuse as it is (`path`, with `note`)."""

    station: int | None
    path: Path | None = None
    note: str | None = None


def plan_weather(data_dir: Path, read_from: list[Path]) -> WeatherPlan:
    """The weather the champions learned on: the last ingest's (its manifest), else the KNMI
    file the folders hold (station 340 when they hold none)."""
    manifest = Path(data_dir) / MANIFEST_FILE
    if manifest.is_file():
        weather = json.loads(manifest.read_text()).get("sources", {}).get("weather", {})
        source = str(weather.get("source") or "")
        m = _KNMI_SOURCE.match(source)
        if m:
            return WeatherPlan(int(m.group(1)))
        if weather.get("path"):
            return WeatherPlan(
                None,
                Path(weather["path"]),
                f"the weather in use ({source or 'unknown source'}) is not KNMI etmgeg; it is "
                "reused as it is (refresh it with `crossings fetch-weather`)",
            )
    m = STATION_FILE.match(default_weather_file(*read_from).name)
    return WeatherPlan(int(m.group(1)) if m else DEFAULT_STATION)


def fetch_all(
    folder: Path,
    read_from: list[Path],
    weather: WeatherPlan,
    settings: Settings,
    downloader: Downloader,
) -> list[Fetched]:
    """Fetch the arrivals, then the weather (nothing is written). On a failure, raises
    UpdateFailed with that source "failed" and those after it "skipped"."""
    steps: list[tuple[str, Any]] = [
        ("arrivals", lambda: fetch_arrivals(folder, read_from, settings.govuk_url, downloader))
    ]
    if weather.station is not None:
        station = weather.station
        steps.append(
            (
                "weather",
                lambda: fetch_knmi(folder, read_from, settings.knmi_url, station, downloader),
            )
        )
    done: list[Fetched] = []
    for i, (source, step) in enumerate(steps):
        try:
            done.append(step())
        except Exception as exc:
            done.append(Fetched(source, "failed", error=f"{type(exc).__name__}: {exc}"))
            done += [
                Fetched(s, "skipped", note=f"not fetched: {source} failed")
                for s, _ in steps[i + 1 :]
            ]
            raise UpdateFailed(exc, report(done)) from exc
    if weather.station is None:
        log.info("weather not fetched: %s", weather.note)
        done.append(Fetched("weather", "skipped", weather.path, note=weather.note))
    return done


def _check_lock(lock_path: Path) -> None:
    """Fail at once, before fetching, when another retrain holds the lock."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise RetrainLocked(
            f"another retrain is running (lock {lock_path} is held); try again later"
        ) from exc
    lock.release()


def _write(fetches: list[Fetched]) -> None:
    for f in fetches:
        try:
            f.write()
        except OSError as exc:
            raise ConfigError(f"could not write {f.path} ({exc.strerror or exc})") from exc


def update(
    config_path: str | Path,
    data_dir: str | Path,
    *,
    source: Path | None = None,
    tracking_uri: str | None = None,
    lock_path: str | Path | None = None,
    settings: Settings | None = None,
    downloader: Downloader | None = None,
    progress: ProgressFn | None = None,
) -> UpdateResult:
    """Fetch, write, retrain (see the module doc). Raises UpdateFailed."""
    s = settings or get_settings()
    data = Path(data_dir)
    lock = Path(lock_path) if lock_path is not None else default_lock_path(data)
    try:
        load_config(config_path)
        _check_lock(lock)
        uri = tracking.configure(tracking_uri)
        tracking.check_reachable(uri)
        folder, read_from = fetch_dir(source, s), read_dirs(source, s)
        weather = plan_weather(data, read_from)
    except Exception as exc:
        raise UpdateFailed(exc, {}) from exc
    if progress:
        progress("fetch", 0, 1)
    dl = downloader or Downloader(timeout=s.fetch_timeout_s, retries=s.fetch_retries)
    try:
        fetches = fetch_all(folder, read_from, weather, s, dl)
    finally:
        if downloader is None:
            dl.close()
    try:
        _write(fetches)
        arrivals = default_arrivals_file(*read_from)
        weather_path = weather.path or default_weather_file(
            *read_from, name=file_name(weather.station or DEFAULT_STATION)
        )
        log.info("retraining on %s and %s", arrivals, weather_path)
        outcome = retrain(config_path, arrivals, weather_path, data, uri, lock, progress=progress)
    except Exception as exc:
        raise UpdateFailed(exc, report(fetches)) from exc
    return UpdateResult(fetches, outcome, arrivals, weather_path)


__all__ = [
    "DEFAULT_STATION",
    "UpdateFailed",
    "UpdateResult",
    "WeatherPlan",
    "fetch_all",
    "plan_weather",
    "report",
    "update",
]
