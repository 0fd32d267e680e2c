"""Which folders the published source files are fetched into and read from.

- Fetches write to `--source DIR` when given; else to ``$CROSSINGS_SOURCE_DIR`` when it is
  set explicitly and writable; else to ``$CROSSINGS_FETCH_DIR`` (default ``data/sources``,
  git-ignored). The shared data folder (the default source dir, read-only) is never written.
- Ingest, retrain and update read from `--source DIR` alone when given; else from the fetch
  folder and the source dir together, newest publication first (see
  `forecasting.settings.default_arrivals_file` and `default_weather_file`). With an empty
  fetch folder that is the source dir, as before.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from forecasting.errors import ConfigError
from forecasting.settings import Settings, get_settings

# The folders under a source folder, by publisher.
ARRIVALS_SUBDIR = "home-office"
WEATHER_SUBDIR = "knmi"


def is_writable(folder: Path) -> bool:
    """Whether files can be created in `folder` (when it does not exist yet: in its nearest
    existing parent). A folder whose mode has no write bit counts as read-only even for
    root, so a shared folder marked read-only is never written."""
    p = Path(os.path.abspath(folder))
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir():
        return False
    checks = [p, *(p / sub for sub in (ARRIVALS_SUBDIR, WEATHER_SUBDIR) if (p / sub).is_dir())]
    return all(
        os.stat(c).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        and os.access(c, os.W_OK | os.X_OK)
        for c in checks
    )


def fetch_dir(source: Path | None = None, settings: Settings | None = None) -> Path:
    """The folder fetched files go to (see the module doc). Raises ConfigError when
    `source` is given but read-only."""
    s = settings or get_settings()
    if source is not None:
        if not is_writable(source):
            raise ConfigError(f"{source} is not writable: fetched files cannot go there")
        return source
    if "source_dir" in s.model_fields_set and is_writable(s.source_dir):
        return s.source_dir
    return s.fetch_dir


def read_dirs(source: Path | None = None, settings: Settings | None = None) -> list[Path]:
    """The folders source files are read from, the fetch folder first (it wins a tie)."""
    s = settings or get_settings()
    if source is not None:
        return [source]
    out: list[Path] = []
    for d in (fetch_dir(None, s), s.source_dir):
        if all(os.path.abspath(d) != os.path.abspath(o) for o in out):
            out.append(d)
    return out


__all__ = ["ARRIVALS_SUBDIR", "WEATHER_SUBDIR", "fetch_dir", "is_writable", "read_dirs"]
