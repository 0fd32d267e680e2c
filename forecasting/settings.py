"""Typed settings read from CROSSINGS_* environment variables (pydantic-settings).

`Settings` holds where data lives and is the base of the API's settings
(`api.settings.ApiSettings`), so each CROSSINGS_* variable is declared once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where data lives. Every field can be set as CROSSINGS_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="CROSSINGS_", extra="ignore")

    source_dir: Path = Field(
        default=Path("../shared/data"), description="Raw source files read by ingest."
    )
    data_dir: Path = Field(default=Path("data/processed"), description="Tables written by ingest.")
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


def default_arrivals_file(source_dir: Path) -> Path:
    """The newest Home Office time-series file (ODS, else CSV) under `source_dir`."""
    for pattern in ("*.ods", "*.csv"):
        found = sorted((source_dir / "home-office").glob(pattern)) or sorted(
            source_dir.glob(pattern)
        )
        if found:
            return found[-1]
    return source_dir / "home-office" / "small-boats-time-series.ods"


def default_weather_file(source_dir: Path) -> Path:
    """The KNMI etmgeg file under `source_dir` (station 340 by default)."""
    found = sorted((source_dir / "knmi").glob("etmgeg_*.txt")) or sorted(
        source_dir.glob("etmgeg_*.txt")
    )
    return found[0] if found else source_dir / "knmi" / "etmgeg_340.txt"
