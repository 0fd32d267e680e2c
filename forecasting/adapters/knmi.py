"""Adapter for KNMI daily station data in the `etmgeg` format (values mostly in tenths)."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.errors import InputError

log = logging.getLogger(__name__)

HEADER_PREFIX = "# STN,YYYYMMDD"

# KNMI field -> (canonical column, scale to SI units).
_FIELDS: dict[str, tuple[str, float]] = {
    "FG": ("wind_mean_ms", 0.1),
    "FHX": ("wind_max_hourly_ms", 0.1),
    "FXX": ("gust_max_ms", 0.1),
    "DDVEC": ("wind_dir_deg", 1.0),
    "RH": ("precip_mm", 0.1),
    "TG": ("temp_mean_c", 0.1),
    "PG": ("pressure_hpa", 0.1),
    "VVN": ("visibility_min_m", 1.0),  # a code, decoded below
    "NG": ("cloud_octas", 1.0),
}

# Stations whose files lack the coordinates block (name, latitude, longitude).
_KNOWN_STATIONS = {
    340: ("Woensdrecht", 51.449, 4.342),
    310: ("Vlissingen", 51.442, 3.596),
    330: ("Hoek van Holland", 51.991, 4.122),
}
_STATION_LINE = re.compile(
    r"^#?\s*(\d{3}):?\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(.+?)\s*$"
)


def decode_visibility(code: pd.Series) -> pd.Series:
    """KNMI visibility code -> metres (the lower bound of each class; 0 means under 100 m)."""
    c = code.astype("float64")
    metres = np.select(
        [c <= 50, (c >= 56) & (c <= 80), (c > 80) & (c < 89), c >= 89],
        [c * 100.0, (c - 50.0) * 1000.0, 30_000.0 + (c - 80.0) * 5000.0, 70_000.0],
        default=np.nan,
    )
    return pd.Series(np.where(c.isna(), np.nan, metres), index=code.index)


def is_etmgeg(text: str) -> bool:
    """True when the text looks like a KNMI etmgeg file."""
    return any(line.startswith(HEADER_PREFIX) for line in text.splitlines()[:200])


def _station_meta(header: str, stn: int) -> tuple[str, float, float] | None:
    for line in header.splitlines():
        m = _STATION_LINE.match(line)
        if m and int(m.group(1)) == stn:
            return m.group(5), float(m.group(3)), float(m.group(2))  # KNMI lists LON before LAT
    return _KNOWN_STATIONS.get(stn)


def read_etmgeg(path: str | Path) -> pd.DataFrame:
    """Read a KNMI etmgeg file into the canonical weather table (SI units, one row per day).

    Leading and trailing days with no observations at all are dropped; days in between with a
    missing field keep NaN there. `attrs` records `source` and `location`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="latin-1")
    except FileNotFoundError as exc:
        raise InputError("does not exist", path=path, hint="Check the path") from exc
    lines = text.splitlines()
    raw, h = _raw_rows(lines, path)
    dates = pd.to_datetime(raw["YYYYMMDD"].str.strip(), format="%Y%m%d", errors="coerce")
    if dates.isna().any():
        row = dates.index[dates.isna()][0]
        raise InputError(
            f"'{raw.loc[row, 'YYYYMMDD']}' is not a date", path=path, row=row, column="YYYYMMDD"
        )
    stations = raw["STN"].str.strip().unique()
    if len(stations) != 1:
        raise InputError(
            f"holds several stations ({', '.join(stations)})",
            path=path,
            column="STN",
            hint="Download one station per file",
        )
    out = _si_values(raw, dates, path)
    stn = int(stations[0])
    meta = _station_meta("\n".join(lines[:h]), stn)
    out.attrs = {
        schema.ATTR_SOURCE: f"KNMI etmgeg station {stn}" + (f" {meta[0]}" if meta else ""),
        schema.ATTR_LOCATION: f"{meta[1]:.2f}N {meta[2]:.2f}E" if meta else "unknown",
    }
    result = schema.validate_weather(out, path=path)
    log.info("read %d daily weather rows from %s", len(result), path)
    return result


def _raw_rows(lines: list[str], path: Path) -> tuple[pd.DataFrame, int]:
    """The data rows as strings, indexed by file line number, and the header's line index."""
    try:
        h = next(i for i, line in enumerate(lines) if line.startswith(HEADER_PREFIX))
    except StopIteration as exc:
        raise InputError(
            f"unknown weather file layout: no line starting '{HEADER_PREFIX}'",
            path=path,
            hint="Expected KNMI etmgeg daily data",
        ) from exc
    names = [c.strip() for c in lines[h].lstrip("#").split(",")]
    missing = [f for f in ("STN", "YYYYMMDD", "FG") if f not in names]
    if missing:
        raise InputError(f"the header lacks field {missing[0]}", path=path, column=missing[0])
    body = "\n".join(line for line in lines[h + 1 :] if line.strip())
    try:
        raw = pd.read_csv(
            io.StringIO(body), header=None, names=names, skipinitialspace=True, dtype=str
        )
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed data rows ({exc})", path=path) from exc
    raw.index = raw.index + h + 2  # file line numbers
    return raw, h


def _si_values(raw: pd.DataFrame, dates: pd.Series, path: Path) -> pd.DataFrame:
    """The canonical columns in SI units, trimmed to the days that have any observation."""
    out = pd.DataFrame({schema.DATE: dates})
    for field, (canon, scale) in _FIELDS.items():
        if field not in raw.columns:
            continue
        vals = pd.to_numeric(raw[field].str.strip().replace("", np.nan), errors="coerce")
        bad = raw[field].notna() & raw[field].str.strip().ne("") & vals.isna()
        if bad.any():
            row = bad.index[bad.to_numpy()][0]
            raise InputError(
                f"'{raw.loc[row, field]}' is not a number", path=path, row=row, column=field
            )
        if field == "RH":
            vals = vals.where(vals != -1, 0.0)  # -1 means under 0.05 mm
        if field == "VVN":
            out[canon] = decode_visibility(vals)
        else:
            out[canon] = vals * scale
    value_cols = [c for c in out.columns if c != schema.DATE]
    has_data = out[value_cols].notna().any(axis=1).to_numpy()
    if not has_data.any():
        raise InputError("holds no observations", path=path)
    first, last = np.flatnonzero(has_data)[[0, -1]]
    return out.iloc[first : last + 1]
