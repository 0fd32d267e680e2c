"""Ingest: validate the official files and write canonical Parquet tables plus a manifest."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting import schema
from forecasting.adapters import read_arrivals, read_weather

log = logging.getLogger(__name__)

ARRIVALS_FILE = "arrivals.parquet"
WEATHER_FILE = "weather.parquet"
MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class IngestResult:
    """What an ingest run produced and whether it changed anything on disk."""

    out_dir: Path
    manifest: dict[str, Any]
    changed: bool
    arrivals: pd.DataFrame
    weather: pd.DataFrame


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
    return buf.getvalue()


def _span(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "first_date": frame[schema.DATE].iloc[0].date().isoformat(),
        "last_date": frame[schema.DATE].iloc[-1].date().isoformat(),
        "rows": len(frame),
    }


def _point(weather: pd.DataFrame) -> dict[str, float]:
    """The weather's coordinates when its source names them exactly (an Open-Meteo point)."""
    lat, lon = weather.attrs.get(schema.ATTR_LATITUDE), weather.attrs.get(schema.ATTR_LONGITUDE)
    if lat is None or lon is None:
        return {}
    return {schema.ATTR_LATITUDE: float(lat), schema.ATTR_LONGITUDE: float(lon)}


def build_manifest(
    arrivals_path: Path,
    weather_path: Path,
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    outputs: dict[str, bytes],
) -> dict[str, Any]:
    """The manifest: per source its path, sha256, vintage and span (the weather's source and
    location too, and its latitude/longitude when the source names its point); per output its
    sha256."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "sources": {
            "arrivals": {
                "path": str(arrivals_path),
                "sha256": sha256_file(arrivals_path),
                "format": arrivals.attrs.get("format", "parquet"),
                "vintage": arrivals.attrs.get("vintage"),
                **_span(arrivals),
                "revised_days": int(arrivals[schema.REVISED].sum()),
            },
            "weather": {
                "path": str(weather_path),
                "sha256": sha256_file(weather_path),
                "source": weather.attrs.get(schema.ATTR_SOURCE),
                "location": weather.attrs.get(schema.ATTR_LOCATION),
                **_point(weather),
                "vintage": weather[schema.DATE].iloc[-1].date().isoformat(),
                **_span(weather),
            },
        },
        "outputs": {
            name: {"sha256": hashlib.sha256(data).hexdigest()} for name, data in outputs.items()
        },
    }


def atomic_write(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file in the same folder and a rename, so
    a reader sees the old file or the new one, never part of one."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ingest(
    arrivals_path: str | Path, weather_path: str | Path, out_dir: str | Path
) -> IngestResult:
    """Validate both inputs, then write the tables and manifest to `out_dir` atomically.

    Every input is read and validated before anything is written, so bad input leaves
    `out_dir` untouched. When the outputs would be byte-identical, nothing is rewritten.
    """
    arrivals_path, weather_path, out = Path(arrivals_path), Path(weather_path), Path(out_dir)
    arrivals = read_arrivals(arrivals_path)
    weather = read_weather(weather_path)
    weather_out = weather.copy()
    weather_out.attrs = {}
    outputs = {ARRIVALS_FILE: _parquet_bytes(arrivals), WEATHER_FILE: _parquet_bytes(weather_out)}
    manifest = build_manifest(arrivals_path, weather_path, arrivals, weather, outputs)
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()

    files = {**outputs, MANIFEST_FILE: manifest_bytes}
    unchanged = all((out / n).is_file() and (out / n).read_bytes() == b for n, b in files.items())
    if not unchanged:
        out.mkdir(parents=True, exist_ok=True)
        # Tables first, manifest last: a reader trusting the manifest never sees a mix.
        for name in (ARRIVALS_FILE, WEATHER_FILE, MANIFEST_FILE):
            atomic_write(out / name, files[name])
        log.info("wrote %s", ", ".join(str(out / n) for n in files))
    return IngestResult(out, manifest, not unchanged, arrivals, weather)


def load_processed(data_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read the tables and manifest that `ingest` wrote; weather attrs come from the manifest."""
    from forecasting.errors import InputError

    d = Path(data_dir)
    missing = [n for n in (ARRIVALS_FILE, WEATHER_FILE, MANIFEST_FILE) if not (d / n).is_file()]
    if missing:
        raise InputError(
            f"missing {', '.join(missing)}",
            path=d,
            hint="Run `crossings ingest` first (or pass --data to the folder it wrote)",
        )
    manifest = json.loads((d / MANIFEST_FILE).read_text())
    arrivals = schema.validate_arrivals(pd.read_parquet(d / ARRIVALS_FILE), path=d / ARRIVALS_FILE)
    weather = schema.validate_weather(pd.read_parquet(d / WEATHER_FILE), path=d / WEATHER_FILE)
    src = manifest["sources"]
    arrivals.attrs = {"vintage": src["arrivals"]["vintage"]}
    weather.attrs = {
        schema.ATTR_SOURCE: src["weather"]["source"],
        schema.ATTR_LOCATION: src["weather"]["location"],
    }
    for key in (schema.ATTR_LATITUDE, schema.ATTR_LONGITUDE):
        if key in src["weather"]:
            weather.attrs[key] = src["weather"][key]
    return arrivals, weather, manifest
