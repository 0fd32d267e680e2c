"""KNMI's daily station data: the zip of one station's etmgeg file, checked with the ingest
adapter (`forecasting.adapters.knmi.read_etmgeg`) before it is written as
``knmi/etmgeg_<station>.txt``.

KNMI republishes the whole file (from the station's first day) as it grows, undated, so a
fetch is "unchanged" when the file's bytes equal a copy already there.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import zipfile
from pathlib import Path

from forecasting import schema
from forecasting.adapters.knmi import read_etmgeg
from forecasting.errors import ConfigError, InputError
from forecasting.sources.fetched import Fetched, same_bytes
from forecasting.sources.folders import WEATHER_SUBDIR
from forecasting.sources.http import Downloader

log = logging.getLogger(__name__)

_STATION_IN_SOURCE = re.compile(r"station (\d+)")
STATION_FILE = re.compile(r"^etmgeg_(\d+)\.txt$")


def station_url(template: str, station: int) -> str:
    """The zip's URL: `template` with {station} filled in, or, without {station}, the base
    URL followed by /etmgeg_<station>.zip."""
    if station <= 0:
        raise ConfigError(f"station must be a positive KNMI station number, got {station}")
    if "{station}" in template:
        return template.replace("{station}", str(station))
    return f"{template.rstrip('/')}/etmgeg_{station}.zip"


def file_name(station: int) -> str:
    """The etmgeg file of a station, as KNMI names it inside the zip."""
    return f"etmgeg_{station}.txt"


def unzip_etmgeg(data: bytes, station: int, url: str) -> bytes:
    """The etmgeg_<station>.txt member of KNMI's zip; InputError naming what is wrong."""
    want = file_name(station)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            member = next((n for n in names if Path(n).name.lower() == want), None)
            if member is None:
                raise InputError(
                    f"the zip holds no {want} (it holds: {', '.join(names) or 'nothing'})",
                    path=url,
                    hint="Check --station",
                )
            return zf.read(member)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise InputError(
            f"is not a valid zip archive ({exc})", path=url, hint="Nothing was written"
        ) from exc


def check_weather(text: bytes, station: int, url: str) -> str:
    """Read the etmgeg bytes with the ingest adapter (in a temporary file) and return its
    last day; InputError when it is unreadable or another station's."""
    with tempfile.TemporaryDirectory(prefix="crossings-fetch-") as tmp:
        path = Path(tmp) / file_name(station)
        path.write_bytes(text)
        try:
            table = read_etmgeg(path)
        except InputError as exc:
            raise InputError(
                f"is not a usable etmgeg file: {str(exc).replace(str(path), path.name)}",
                path=url,
                hint="Nothing was written",
            ) from exc
    m = _STATION_IN_SOURCE.search(str(table.attrs.get(schema.ATTR_SOURCE, "")))
    if m is None or int(m.group(1)) != station:
        found = m.group(1) if m else "unknown"
        raise InputError(f"holds station {found}, not {station}", path=url)
    return table[schema.DATE].iloc[-1].date().isoformat()


def fetch_knmi(
    folder: Path, read_from: list[Path], url_template: str, station: int, downloader: Downloader
) -> Fetched:
    """Download station `station`'s zip and check its etmgeg file. "unchanged" when a copy
    with the same bytes is in `folder` or `read_from` (nothing to write), else "new" with the
    bytes for `folder`/knmi/. Raises SourceUnavailable or InputError."""
    url = station_url(url_template, station)
    text = unzip_etmgeg(downloader.get(url).content, station, url)
    last = check_weather(text, station, url)
    name = file_name(station)
    target = folder / WEATHER_SUBDIR / name
    candidates = [target, *(p for d in read_from for p in (d / WEATHER_SUBDIR / name, d / name))]
    have = same_bytes(text, candidates)
    if have is not None:
        log.info("KNMI station %d unchanged (same bytes as %s)", station, have)
        return Fetched("weather", "unchanged", have, None, last, url)
    return Fetched("weather", "new", target, None, last, url, data=text)


__all__ = [
    "STATION_FILE",
    "check_weather",
    "fetch_knmi",
    "file_name",
    "station_url",
    "unzip_etmgeg",
]
