"""A stand-in for GOV.UK: the Content API page of the Home Office publication "Migrants
detected crossing the English Channel in small boats", in the layout of the real
``publication`` content item, and the asset host serving its attachments."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tests.support.standin import Route, StandIn

PAGE_PATH = (
    "/api/content/government/publications/"
    "migrants-detected-crossing-the-english-channel-in-small-boats"
)
ODS = "application/vnd.oasis.opendocument.spreadsheet"
TIME_SERIES_TITLE = "Migrants detected crossing the English Channel in small boats – time series"


def _attachment(title: str, filename: str, url: str, content_type: str, size: int) -> dict:
    return {
        "accessible": False,
        "alternative_format_contact_email": "migrationstatsenquiries@homeoffice.gov.uk",
        "attachment_type": "file",
        "command_paper_number": "",
        "content_type": content_type,
        "file_size": size,
        "filename": filename,
        "hoc_paper_number": "",
        "id": f"{abs(hash(filename)) % 10_000_000}",
        "isbn": "",
        "title": title,
        "unique_reference": "",
        "unnumbered_command_paper": False,
        "unnumbered_hoc_paper": False,
        "url": url,
    }


def content_item(published: str, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    """A Content API ``publication`` item published (last updated) at `published`."""
    day = datetime.fromisoformat(published).strftime("%-d %B %Y")
    return {
        "base_path": PAGE_PATH.removeprefix("/api/content"),
        "content_id": "5f9a4b2e-7c1d-4e8a-9b3f-2d6c8e1a0f47",
        "description": "Data on migrants detected crossing the English Channel in small boats.",
        "details": {
            "attachments": attachments,
            "body": "<p>Daily and weekly figures, updated weekly.</p>",
            "change_history": [
                {"note": f"Time series updated to {day}.", "public_timestamp": published},
                {"note": "First published.", "public_timestamp": "2022-06-01T09:30:00.000+01:00"},
            ],
            "documents": [
                f'<section class="attachment">{a["title"]}</section>' for a in attachments
            ],
            "first_public_at": "2022-06-01T09:30:00.000+01:00",
            "political": False,
        },
        "document_type": "official_statistics",
        "first_published_at": "2022-06-01T09:30:00.000+01:00",
        "locale": "en",
        "public_updated_at": published,
        "publishing_app": "whitehall",
        "schema_name": "publication",
        "title": "Migrants detected crossing the English Channel in small boats",
        "updated_at": published,
    }


def publish(
    page: StandIn,
    assets: StandIn,
    ods: bytes,
    published: str = "2026-05-22T09:30:00.000+01:00",
    *,
    content_type: str = ODS,
    asset_status: int = 200,
    asset_delay: float = 0.0,
) -> str:
    """Serve a publication: the page on `page`, the time series (`ods`, as its bytes) and a
    second, unrelated ODS and an HTML attachment on `assets`. Returns the time series'
    asset path (count its downloads with ``assets.requests[path]``)."""
    stamp = datetime.fromisoformat(published).strftime("%d%m%y")
    name = f"small-boats-time-series-{stamp}.ods"
    path = f"/media/6650a1b2c3d4e5f6a7b8c9d0/{name}"
    other = "/media/6650a1b2c3d4e5f6a7b8c9d1/irregular-migration-detailed-dataset.ods"
    attachments = [
        _attachment(
            "Irregular migration to the UK detailed dataset",
            other.rsplit("/", 1)[1],
            assets.url(other),
            ODS,
            52_000,
        ),
        _attachment(TIME_SERIES_TITLE, name, assets.url(path), content_type, len(ods)),
        _attachment(
            "Accessibility statement",
            "accessibility.html",
            assets.url("/a.html"),
            "text/html",
            2_000,
        ),
    ]
    body = json.dumps(content_item(published, attachments)).encode()
    page.routes[PAGE_PATH] = Route(body, "application/json; charset=utf-8")
    assets.routes[path] = Route(ods, content_type, asset_status, asset_delay)
    assets.routes[other] = Route(b"PK\x03\x04 not the time series", ODS)
    return path


__all__ = ["ODS", "PAGE_PATH", "TIME_SERIES_TITLE", "content_item", "publish"]
