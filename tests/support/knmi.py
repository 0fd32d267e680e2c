"""A stand-in for KNMI's daily-data download: ``etmgeg_<station>.zip``, a zip holding one
file ``etmgeg_<station>.txt``, built in the test from an etmgeg text."""

from __future__ import annotations

import io
import zipfile

from tests.support.standin import Route, StandIn

ZIP_DIR = "/knmi/map/page/klimatologie/gegevens/daggegevens"


def etmgeg_zip(text: bytes, member: str = "etmgeg_340.txt") -> bytes:
    """A zip like KNMI's: one deflated member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, text)
    return buf.getvalue()


def serve_station(
    server: StandIn,
    text: bytes,
    station: int = 340,
    *,
    status: int = 200,
    body: bytes | None = None,
) -> str:
    """Serve station `station`'s zip of `text` (or raw `body`); returns the URL template
    with {station}, as CROSSINGS_KNMI_URL takes it."""
    data = etmgeg_zip(text, f"etmgeg_{station}.txt") if body is None else body
    server.routes[f"{ZIP_DIR}/etmgeg_{station}.zip"] = Route(data, "application/zip", status)
    return server.base_url + ZIP_DIR + "/etmgeg_{station}.zip"


__all__ = ["ZIP_DIR", "etmgeg_zip", "serve_station"]
