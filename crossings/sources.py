"""Where the commands read the published source files from."""

from __future__ import annotations

from pathlib import Path

from forecasting.settings import default_arrivals_file, default_weather_file
from forecasting.sources.folders import read_dirs


def resolve_sources(
    arrivals: Path | None, weather: Path | None, source: Path | None = None
) -> tuple[Path, Path]:
    """Fill in default source files: from --source alone when given, else the newest
    publication across the fetch folder (data/sources) and the settings' source_dir (see
    `forecasting.sources.folders`); with nothing fetched that is source_dir's, as before."""
    dirs = read_dirs(source)
    return arrivals or default_arrivals_file(*dirs), weather or default_weather_file(*dirs)
