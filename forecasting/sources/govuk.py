"""The Home Office time series from GOV.UK: its Content API page, the ODS attachment, checked
with the same adapter ingest uses before it is written.

The page (``<base>/api/content/government/publications/migrants-detected-crossing-the-
english-channel-in-small-boats``) is a ``publication`` content item: ``public_updated_at``
(else ``first_published_at``) dates the publication, and ``details.attachments`` lists the
files, each with ``title``, ``filename``, ``content_type`` and an absolute ``url`` on
assets.publishing.service.gov.uk. The time series is the ODS attachment whose title or file
name says "time series". It is stored as
``home-office/small-boats-time-series-<publication date>.ods``, so each publication is
downloaded once: when that file exists already, the asset is not downloaded again.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin

from forecasting import schema
from forecasting.adapters.home_office import read_daily
from forecasting.errors import InputError
from forecasting.sources.fetched import Fetched
from forecasting.sources.folders import ARRIVALS_SUBDIR
from forecasting.sources.http import Downloader

log = logging.getLogger(__name__)

PUBLICATION_PATH: Final = (
    "/api/content/government/publications/"
    "migrants-detected-crossing-the-english-channel-in-small-boats"
)
ODS_CONTENT_TYPE: Final = "application/vnd.oasis.opendocument.spreadsheet"
_TIME_SERIES = re.compile(r"time[\s_-]*series", re.IGNORECASE)


@dataclass(frozen=True)
class Publication:
    """The dated publication and its time-series attachment."""

    page_url: str
    published: date
    title: str
    filename: str
    url: str

    @property
    def file_name(self) -> str:
        """The name it is stored under: small-boats-time-series-<publication date>.ods."""
        return f"small-boats-time-series-{self.published.isoformat()}.ods"


def page_url(base_url: str) -> str:
    """The Content API URL of the publication page under GOV.UK's `base_url`."""
    return base_url.rstrip("/") + PUBLICATION_PATH


def _published(payload: dict[str, Any], url: str) -> date:
    for key in ("public_updated_at", "first_published_at"):
        text = payload.get(key)
        if not text:
            continue
        try:
            return datetime.fromisoformat(str(text).replace("Z", "+00:00")).date()
        except ValueError as exc:
            raise InputError(f"'{text}' is not an ISO timestamp", path=url, column=key) from exc
    raise InputError(
        "has neither public_updated_at nor first_published_at",
        path=url,
        hint="Is this a GOV.UK Content API publication page?",
    )


def _is_time_series(att: dict[str, Any]) -> bool:
    named = _TIME_SERIES.search(str(att.get("title", ""))) or _TIME_SERIES.search(
        str(att.get("filename", ""))
    )
    ods = att.get("content_type") == ODS_CONTENT_TYPE or str(att.get("filename", "")).endswith(
        ".ods"
    )
    return bool(named and ods and att.get("url"))


def parse_publication(payload: object, url: str) -> Publication:
    """The publication date and the time-series ODS attachment of a Content API page;
    InputError naming what is missing."""
    if not isinstance(payload, dict):
        raise InputError("is not a Content API item (expected a JSON object)", path=url)
    details = payload.get("details")
    attachments = details.get("attachments") if isinstance(details, dict) else None
    if not isinstance(attachments, list):
        raise InputError("has no details.attachments list", path=url, hint="Has the page moved?")
    found = [a for a in attachments if isinstance(a, dict) and _is_time_series(a)]
    if not found:
        titles = "; ".join(str(a.get("title")) for a in attachments if isinstance(a, dict))
        raise InputError(
            f"has no ODS attachment named 'time series' among {len(attachments)} "
            f"attachment(s): {titles or 'none'}",
            path=url,
        )
    att = found[0]
    return Publication(
        page_url=url,
        published=_published(payload, url),
        title=str(att.get("title", "")),
        filename=str(att.get("filename", "")),
        url=urljoin(url, str(att["url"])),
    )


def check_arrivals(data: bytes, pub: Publication) -> str:
    """Read the downloaded bytes with the ingest adapter (in a temporary file under the name
    it will be stored as) and return the last day with data; InputError naming the URL."""
    with tempfile.TemporaryDirectory(prefix="crossings-fetch-") as tmp:
        path = Path(tmp) / pub.file_name
        path.write_bytes(data)
        try:
            table = read_daily(path)
        except InputError as exc:
            raise InputError(
                f"is not a usable time series: {str(exc).replace(str(path), pub.file_name)}",
                path=pub.url,
                hint="Nothing was written",
            ) from exc
    last = table[schema.DATE].iloc[-1].date()
    if last > pub.published:
        raise InputError(
            f"has data up to {last}, after its publication date {pub.published}",
            path=pub.url,
            hint="Nothing was written",
        )
    return last.isoformat()


def _existing(name: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        for p in (folder / ARRIVALS_SUBDIR / name, folder / name):
            if p.is_file():
                return p
    return None


def fetch_arrivals(
    folder: Path, read_from: list[Path], base_url: str, downloader: Downloader
) -> Fetched:
    """Look up the newest publication; unless a file for its date exists in `folder` or
    `read_from`, download and check it. Returns a Fetched ready to `write()`; raises
    SourceUnavailable (down, 404, slow) or InputError (bad page or file)."""
    url = page_url(base_url)
    pub = parse_publication(downloader.json(url), url)
    log.info("GOV.UK publication of %s: %s (%s)", pub.published, pub.title, pub.url)
    have = _existing(pub.file_name, [folder, *read_from])
    if have is not None:
        last = read_daily(have)[schema.DATE].iloc[-1].date().isoformat()
        log.info("publication %s is already in %s", pub.published, have)
        return Fetched("arrivals", "unchanged", have, pub.published.isoformat(), last, pub.url)
    data = downloader.get(pub.url).content
    last = check_arrivals(data, pub)
    target = folder / ARRIVALS_SUBDIR / pub.file_name
    return Fetched("arrivals", "new", target, pub.published.isoformat(), last, pub.url, data=data)


__all__ = [
    "ODS_CONTENT_TYPE",
    "PUBLICATION_PATH",
    "Publication",
    "check_arrivals",
    "fetch_arrivals",
    "page_url",
    "parse_publication",
]
