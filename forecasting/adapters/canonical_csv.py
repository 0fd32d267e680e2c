"""Canonical tables as CSV, with an optional header of `# key: value` lines naming the source.

A canonical CSV is the table itself (fixed column names, SI units), so a user can write one by
hand. Lines before the column names that read `# key: value` describe it; the keys this
project reads are `source`, `location` (``51.45N 4.34E``), `latitude` and `longitude`
(degrees), so a table fetched for a point keeps its source and point through `crossings
ingest` into the model trained on it. Other keys (an attribution, say) are kept as text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pandas as pd

from forecasting import schema
from forecasting.errors import InputError

_META_LINE: Final = re.compile(r"^#\s*([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_COORDINATES: Final = {schema.ATTR_LATITUDE: 90.0, schema.ATTR_LONGITUDE: 180.0}


def location_label(lat: float, lon: float) -> str:
    """A point as the adapters label it: ``51.45N 4.34E``."""
    return f"{abs(lat):.2f}{'N' if lat >= 0 else 'S'} {abs(lon):.2f}{'E' if lon >= 0 else 'W'}"


def first_row(text: str) -> str:
    """The first line of a CSV that is not a `#` header line ('' when there is none)."""
    return next((ln for ln in text.splitlines() if not ln.startswith("#")), "")


def read_header(text: str, path: object = None) -> tuple[dict[str, Any], int]:
    """The `# key: value` lines at the top of `text` as attrs, and how many lines they take.

    Coordinates become floats, checked to lie on the globe (an InputError names the key)."""
    meta: dict[str, Any] = {}
    lines = text.splitlines()
    n = 0
    while n < len(lines) and lines[n].startswith("#"):
        m = _META_LINE.match(lines[n])
        if m:
            meta[m.group(1).lower()] = m.group(2)
        n += 1
    for key, limit in _COORDINATES.items():
        if key not in meta:
            continue
        try:
            value = float(meta[key])
        except ValueError:
            value = float("nan")
        if not -limit <= value <= limit:
            raise InputError(
                f"header '# {key}: {meta[key]}' is not a {key} in [-{limit:g}, {limit:g}]",
                path=path,
                row=n,
                hint="Write the point in decimal degrees",
            )
        meta[key] = value
    return meta, n


def read_csv(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A canonical CSV's rows (as read, unvalidated) and its header attrs."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"could not be read ({exc})", path=path) from exc
    meta, skip = read_header(text, path)
    try:
        frame = pd.read_csv(io.StringIO(text), skiprows=skip)
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"is not a readable CSV ({exc})", path=path) from exc
    return frame, meta


def to_csv_bytes(frame: pd.DataFrame, meta: Mapping[str, object]) -> bytes:
    """`frame` as CSV (dates as YYYY-MM-DD) under a `# key: value` header from `meta`."""
    header = "".join(f"# {k}: {v}\n" for k, v in meta.items() if v is not None)
    body = frame.to_csv(index=False, date_format="%Y-%m-%d", float_format="%.6g")
    return (header + body).encode("utf-8")
