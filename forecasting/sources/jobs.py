"""One fetch, start to end, for the commands `crossings fetch-arrivals` and `crossings
fetch-weather --provider knmi`: pick the folders, fetch and check, write if new."""

from __future__ import annotations

from pathlib import Path

from forecasting.settings import Settings, get_settings
from forecasting.sources.fetched import Fetched
from forecasting.sources.folders import fetch_dir, read_dirs
from forecasting.sources.govuk import fetch_arrivals
from forecasting.sources.http import Downloader
from forecasting.sources.knmi import fetch_knmi


def _downloader(settings: Settings) -> Downloader:
    return Downloader(timeout=settings.fetch_timeout_s, retries=settings.fetch_retries)


def arrivals_job(
    source: Path | None = None,
    settings: Settings | None = None,
    downloader: Downloader | None = None,
) -> Fetched:
    """Fetch the newest Home Office publication into `source` (else the fetch folder) and
    write it when new. Raises SourceUnavailable, InputError or ConfigError; a failure
    writes nothing."""
    s = settings or get_settings()
    folder, read_from = fetch_dir(source, s), read_dirs(source, s)
    dl = downloader or _downloader(s)
    try:
        fetched = fetch_arrivals(folder, read_from, s.govuk_url, dl)
    finally:
        if downloader is None:
            dl.close()
    fetched.write()
    return fetched


def knmi_job(
    station: int,
    source: Path | None = None,
    url: str | None = None,
    settings: Settings | None = None,
    downloader: Downloader | None = None,
) -> Fetched:
    """Fetch KNMI station `station` into `source` (else the fetch folder) from `url` (a
    template or base, default the settings' knmi_url) and write it when new."""
    s = settings or get_settings()
    folder, read_from = fetch_dir(source, s), read_dirs(source, s)
    dl = downloader or _downloader(s)
    try:
        fetched = fetch_knmi(folder, read_from, url or s.knmi_url, station, dl)
    finally:
        if downloader is None:
            dl.close()
    fetched.write()
    return fetched


__all__ = ["arrivals_job", "knmi_job"]
