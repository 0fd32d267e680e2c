"""Typed settings read from CROSSINGS_* environment variables (pydantic-settings).

`Settings` holds where data lives and is the base of the API's settings
(`api.settings.ApiSettings`), so each CROSSINGS_* variable is declared once.

Where source files are read from: `default_arrivals_file` and `default_weather_file` pick the
newest publication across the folders they are given (the folder fetches write to, see
`forecasting.sources.folders`, and `source_dir`); with one folder they behave as before.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GOVUK_URL = "https://www.gov.uk"
KNMI_URL = (
    "https://cdn.knmi.nl/knmi/map/page/klimatologie/gegevens/daggegevens/etmgeg_{station}.zip"
)
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_ETMGEG_DAY = re.compile(r"^\s*\d+\s*,\s*(\d{8})\s*,")


class Settings(BaseSettings):
    """Where data lives. Every field can be set as CROSSINGS_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="CROSSINGS_", extra="ignore")

    source_dir: Path = Field(
        default=Path("../shared/data"), description="Raw source files read by ingest."
    )
    data_dir: Path = Field(default=Path("data/processed"), description="Tables written by ingest.")
    fetch_dir: Path = Field(
        default=Path("data/sources"),
        description="Where `fetch-arrivals`, `fetch-weather --provider knmi` and `update` write "
        "when CROSSINGS_SOURCE_DIR is unset or read-only (git-ignored).",
    )
    govuk_url: str = Field(
        default=GOVUK_URL, description="GOV.UK's base URL (its Content API is under /api/content)."
    )
    knmi_url: str = Field(
        default=KNMI_URL,
        description="KNMI's daily station zip: a URL template with {station}, or a base URL to "
        "which /etmgeg_<station>.zip is appended.",
    )
    fetch_timeout_s: float = Field(
        default=10.0, gt=0, description="Seconds per download attempt (connection and body)."
    )
    fetch_retries: int = Field(
        default=3, ge=1, le=5, description="Attempts per download (timeouts, 5xx, 429 retried)."
    )
    weather_lag_warn_days: int = Field(
        default=14,
        ge=0,
        description="Warn (retrain, serve, /readyz) when the weather ends more than this many "
        "days before the arrivals.",
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


def _dated(path: Path) -> tuple[str, str]:
    """Sort key: the publication date in the file name ('' if none), then the name."""
    m = _DATE_IN_NAME.search(path.name)
    return (m.group(1) if m else "", path.name)


def _found(folder: Path, sub: str, pattern: str) -> list[Path]:
    return sorted((folder / sub).glob(pattern)) or sorted(folder.glob(pattern))


def default_arrivals_file(source_dir: Path, *more_dirs: Path) -> Path:
    """The newest Home Office time-series file (ODS, else CSV) under the folders given
    (each folder's home-office/, else the folder itself).

    Newest means the latest publication date in the file name (YYYY-MM-DD), then the name;
    on a tie the first folder given wins. A CSV is used only when no folder has an ODS."""
    folders = (source_dir, *more_dirs)
    for pattern in ("*.ods", "*.csv"):
        found = [p for d in folders for p in _found(d, "home-office", pattern)]
        if found:
            # max() keeps the first of equal keys, so the earlier folder wins a tie.
            return max(found, key=_dated)
    return source_dir / "home-office" / "small-boats-time-series.ods"


def etmgeg_last_day(path: Path) -> str:
    """The date (YYYYMMDD) of an etmgeg file's last data row, read from its tail ('' when
    there is none)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 4096))
            tail = fh.read().decode("latin-1")
    except OSError:
        return ""
    for line in reversed(tail.splitlines()):
        m = _ETMGEG_DAY.match(line)
        if m:
            return m.group(1)
    return ""


def default_weather_file(source_dir: Path, *more_dirs: Path, name: str | None = None) -> Path:
    """The KNMI etmgeg file under the folders given (each folder's knmi/, else the folder).

    The station is `name`'s (e.g. etmgeg_340.txt), else the first file name in sort order
    (etmgeg_340.txt when it is the only one); among the folders' files of that name, the one
    whose last data row is the latest date wins, and on a tie the first folder given (so a
    fetched copy that reaches as far is preferred, an older one is not)."""
    folders = (source_dir, *more_dirs)
    found = [p for d in folders for p in _found(d, "knmi", name or "etmgeg_*.txt")]
    if not found:
        return source_dir / "knmi" / (name or "etmgeg_340.txt")
    name = min(p.name for p in found)
    same = [p for p in found if p.name == name]
    return max(same, key=etmgeg_last_day)
