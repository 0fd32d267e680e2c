"""Where the commands read the published source files from."""

from __future__ import annotations

from pathlib import Path

from forecasting.settings import default_arrivals_file, default_weather_file, get_settings


def resolve_sources(
    arrivals: Path | None, weather: Path | None, source: Path | None = None
) -> tuple[Path, Path]:
    """Fill in default source files from --source or the settings' source_dir."""
    src = source or get_settings().source_dir
    return arrivals or default_arrivals_file(src), weather or default_weather_file(src)
