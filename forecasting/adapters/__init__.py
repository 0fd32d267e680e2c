"""Data adapters: each knows one file format and returns a canonical table."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting import schema
from forecasting.adapters import canonical_csv, home_office, knmi
from forecasting.errors import InputError


def read_arrivals(path: str | Path) -> pd.DataFrame:
    """Canonical daily arrivals from the Home Office ODS/CSV or an ingested Parquet table."""
    path = Path(path)
    if path.suffix == ".parquet":
        return _read_parquet(path, schema.validate_arrivals)
    return home_office.read_daily(path)


def read_weather(path: str | Path) -> pd.DataFrame:
    """Canonical daily weather, sniffing the layout: KNMI etmgeg, Open-Meteo JSON,
    an ingested Parquet table or a canonical CSV."""
    path = Path(path)
    if not path.is_file():
        raise InputError("does not exist or is not a file", path=path, hint="Check the path")
    if path.suffix == ".parquet":
        return _read_parquet(path, schema.validate_weather)
    head = path.read_bytes()[:65536].decode("latin-1")
    if knmi.is_etmgeg(head):
        return knmi.read_etmgeg(path)
    if head.lstrip().startswith("{"):
        from forecasting.adapters import open_meteo

        return open_meteo.load_open_meteo_json(path)
    if canonical_csv.first_row(head).split(",")[0].strip().lower() == schema.DATE:
        frame, meta = canonical_csv.read_csv(path)
        frame.attrs = _csv_attrs(meta, path)
        return schema.validate_weather(frame, path=path)
    raise InputError(
        "unknown weather file layout",
        path=path,
        hint=(
            "Expected KNMI etmgeg (a line starting '# STN,YYYYMMDD'), Open-Meteo JSON, "
            "or a CSV whose first column is 'date' with canonical weather columns"
        ),
    )


def read_issued(path: str | Path) -> pd.DataFrame:
    """Canonical issued weather forecasts (`issue_date, valid_date, lead` and weather columns)
    from the Parquet or CSV file `crossings fetch-weather` writes, or one made by hand."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "does not exist or is not a file",
            path=path,
            hint="Fetch archived forecasts with `crossings fetch-weather --provider "
            "open-meteo-previous-runs`",
        )
    if path.suffix == ".parquet":
        return _read_parquet(path, schema.validate_issued)
    frame, meta = canonical_csv.read_csv(path)
    frame.attrs = _csv_attrs(meta, path)
    return schema.validate_issued(frame, path=path)


def _csv_attrs(meta: dict[str, Any], path: Path) -> dict[str, Any]:
    """Where a canonical CSV's table came from: its header, else the file name."""
    attrs: dict[str, Any] = {
        schema.ATTR_SOURCE: meta.get(schema.ATTR_SOURCE) or f"csv {path.name}",
        schema.ATTR_LOCATION: meta.get(schema.ATTR_LOCATION) or "unknown",
    }
    lat, lon = meta.get(schema.ATTR_LATITUDE), meta.get(schema.ATTR_LONGITUDE)
    if lat is not None and lon is not None:
        attrs[schema.ATTR_LATITUDE], attrs[schema.ATTR_LONGITUDE] = lat, lon
        if attrs[schema.ATTR_LOCATION] == "unknown":
            attrs[schema.ATTR_LOCATION] = canonical_csv.location_label(lat, lon)
    return attrs


def _read_parquet(path: Path, validate: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several error types for damaged files
        raise InputError(f"could not be read as Parquet ({exc})", path=path) from exc
    attrs = dict(frame.attrs)
    out = validate(frame, path=path)
    out.attrs = attrs
    return out


def sniff_json(path: Path) -> dict:
    """Load a JSON object from a file, with an InputError naming the file on failure."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"is not valid JSON ({exc})", path=path) from exc
    if not isinstance(data, dict):
        raise InputError("is not a JSON object", path=path)
    return data
