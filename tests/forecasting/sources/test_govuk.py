"""Reading GOV.UK's Content API page: the time-series ODS among the attachments, the
publication date in the page's own offset, and clear errors for pages that changed shape;
the downloaded file is checked with the ingest adapter (synthetic ODS here)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from forecasting.errors import InputError
from forecasting.sources.govuk import (
    Publication,
    check_arrivals,
    page_url,
    parse_publication,
)
from tests.conftest import sb01_frame, sb02_frame, write_ods
from tests.support.govuk import ODS, PAGE_PATH, TIME_SERIES_TITLE, content_item

URL = "https://www.gov.uk" + PAGE_PATH


def _att(title: str, filename: str, url: str, content_type: str = ODS) -> dict:
    return {"title": title, "filename": filename, "url": url, "content_type": content_type}


def test_picks_the_time_series_and_dates_it_in_the_pages_offset() -> None:
    atts = [
        _att("Irregular migration detailed dataset", "detailed.ods", "https://a/x/detailed.ods"),
        _att("Time series (HTML)", "ts.html", "https://a/x/ts.html", "text/html"),
        _att(TIME_SERIES_TITLE, "small-boats-ts.ods", "https://assets.example/m/1/ts.ods"),
    ]
    # 00:30 in London on 22 May is 21 May in UTC: the publication date is the page's.
    pub = parse_publication(content_item("2026-05-22T00:30:00.000+01:00", atts), URL)
    assert pub.published == date(2026, 5, 22)
    assert pub.url == "https://assets.example/m/1/ts.ods"
    assert pub.file_name == "small-boats-time-series-2026-05-22.ods"
    assert page_url("https://www.gov.uk/") == URL


def test_filename_alone_names_it_and_relative_urls_are_joined() -> None:
    item = content_item(
        "2026-05-22T09:30:00Z", [_att("Data", "small-boats-time-series.ods", "/m/ts.ods")]
    )
    del item["public_updated_at"]
    pub = parse_publication(item, URL)
    assert pub.published == date(2022, 6, 1)  # first_published_at when not updated
    assert pub.url == "https://www.gov.uk/m/ts.ods"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda i: i["details"].pop("attachments"), "has no details.attachments list"),
        (
            lambda i: i["details"].update(attachments=[_att("Other data", "other.ods", "/o.ods")]),
            "has no ODS attachment named 'time series' among 1 attachment(s): Other data",
        ),
        (
            lambda i: (i.pop("public_updated_at"), i.pop("first_published_at")),
            "has neither public_updated_at nor first_published_at",
        ),
        (lambda i: i.update(public_updated_at="last Friday"), "'last Friday' is not an ISO"),
    ],
)
def test_a_page_that_changed_shape_is_a_clear_input_error(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    item = content_item("2026-05-22T09:30:00Z", [_att(TIME_SERIES_TITLE, "ts.ods", "/ts.ods")])
    change(item)
    with pytest.raises(InputError, match="^" + re.escape(URL)) as err:
        parse_publication(item, URL)
    assert message in str(err.value)
    with pytest.raises(InputError, match="not a Content API item"):
        parse_publication([], URL)


def test_the_download_is_checked_with_the_ingest_adapter(tmp_path: Path) -> None:
    daily = sb01_frame(40, start="2024-01-01")  # to 2024-02-09
    ods = write_ods(tmp_path / "x.ods", {"SB_01": daily, "SB_02": sb02_frame(daily)}).read_bytes()
    pub = Publication(URL, date(2024, 2, 16), "t", "ts.ods", "https://assets.example/ts.ods")
    assert check_arrivals(ods, pub) == "2024-02-09"
    early = Publication(URL, date(2024, 2, 1), "t", "ts.ods", pub.url)
    with pytest.raises(InputError, match="has data up to 2024-02-09, after its publication"):
        check_arrivals(ods, early)
    with pytest.raises(InputError) as err:
        check_arrivals(ods[: len(ods) // 2], pub)
    text = str(err.value)
    assert text.startswith("https://assets.example/ts.ods: is not a usable time series: ")
    assert "small-boats-time-series-2024-02-16.ods: is truncated" in text
    assert str(tmp_path) not in text and "/tmp" not in text  # no temporary path in messages
