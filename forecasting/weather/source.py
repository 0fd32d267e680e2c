"""Where weather comes from: the provider family and the point, so a model is served with the
weather source and place it learned from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

# Provider families: a model trained on one family's weather may be served with the live
# forecast of the same family at the same point.
ProviderFamily = Literal["knmi", "open-meteo", "unknown"]
KNMI: Final[ProviderFamily] = "knmi"
OPEN_METEO: Final[ProviderFamily] = "open-meteo"
UNKNOWN: Final[ProviderFamily] = "unknown"
# Two points closer than this (degrees) are the same place (grid cells are ~0.1° apart).
SAME_PLACE_DEG: Final = 0.06

_LOCATION = re.compile(r"^\s*([\d.]+)\s*([NS])\s+([\d.]+)\s*([EW])\s*$")


def provider_family(source: str | None) -> ProviderFamily:
    """The provider family of a source label (``KNMI etmgeg station 340 …`` → ``knmi``,
    ``open-meteo-archive`` → ``open-meteo``)."""
    text = (source or "").strip().lower()
    if text.startswith("knmi"):
        return KNMI
    if text.startswith("open-meteo"):
        return OPEN_METEO
    return UNKNOWN


def parse_location(text: str | None) -> tuple[float, float] | None:
    """Latitude and longitude from ``51.45N 4.34E``; None when it is not in that form."""
    m = _LOCATION.match(text or "")
    if not m:
        return None
    lat = float(m.group(1)) * (1 if m.group(2) == "N" else -1)
    lon = float(m.group(3)) * (1 if m.group(4) == "E" else -1)
    return lat, lon


def format_location(lat: float, lon: float) -> str:
    """``51.45N 4.34E`` (the form the adapters write)."""
    return f"{abs(lat):.2f}{'N' if lat >= 0 else 'S'} {abs(lon):.2f}{'E' if lon >= 0 else 'W'}"


@dataclass(frozen=True)
class WeatherSource:
    """A weather source: its label, provider family and point (when known)."""

    source: str
    location: str
    lat: float | None = None
    lon: float | None = None

    @property
    def provider(self) -> ProviderFamily:
        """The provider family (knmi, open-meteo or unknown)."""
        return provider_family(self.source)

    @classmethod
    def from_labels(cls, source: str | None, location: str | None) -> WeatherSource:
        """From the labels the adapters and the ingest manifest record."""
        point = parse_location(location)
        lat, lon = point if point is not None else (None, None)
        return cls(str(source or "unknown"), str(location or "unknown"), lat, lon)

    @classmethod
    def from_metadata(cls, meta: Mapping[str, Any]) -> WeatherSource:
        """From a registered model's metadata (`weather_source`, `weather_location`, and
        `weather_lat`/`weather_lon` where recorded)."""
        found = cls.from_labels(meta.get("weather_source"), meta.get("weather_location"))
        lat, lon = meta.get("weather_lat"), meta.get("weather_lon")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            return cls(found.source, found.location, float(lat), float(lon))
        return found

    @property
    def place(self) -> str:
        """The source as a planner would name it: the station and its point for KNMI
        ("KNMI Woensdrecht, 51.45N 4.34E"), the provider and point for Open-Meteo."""
        where = (
            format_location(self.lat, self.lon)
            if self.lat is not None and self.lon is not None
            else None
        )
        if where is None and self.location != "unknown":
            where = self.location
        if self.provider == KNMI:
            station = self.source.rsplit(" ", 1)[-1].title() if "station" in self.source else ""
            name = f"KNMI {station}".strip()
        elif self.provider == OPEN_METEO:
            name = "Open-Meteo"
        else:
            name = self.source if self.source != "unknown" else ""
        parts = [name] if name else []
        if where and where != name:
            parts.append(where)
        return ", ".join(parts) or "unknown"

    def metadata(self) -> dict[str, Any]:
        """The keys a registered model records about its weather."""
        return {
            "weather_source": self.source,
            "weather_location": self.location,
            "weather_provider": self.provider,
            "weather_lat": self.lat,
            "weather_lon": self.lon,
        }

    def same_place(self, lat: float, lon: float) -> bool:
        """Whether (lat, lon) is this source's point."""
        if self.lat is None or self.lon is None:
            return False
        return abs(self.lat - lat) <= SAME_PLACE_DEG and abs(self.lon - lon) <= SAME_PLACE_DEG

    def live_mismatch(self, live_provider: ProviderFamily) -> str | None:
        """Why a live forecast from `live_provider` (a family) cannot serve a model that
        learned on this source, or None when it can."""
        if self.provider == live_provider and self.lat is not None:
            return None
        where = self.location if self.lat is not None else "an unknown point"
        return (
            f"it learned on {self.source} weather at {where}, but the live provider is "
            f"{live_provider}"
        )
