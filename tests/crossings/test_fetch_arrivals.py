"""`crossings fetch-arrivals` against local stand-ins for GOV.UK's Content API and asset host
serving the real publication (../shared/data, so `integration`): new then unchanged with
one download, a file that fails the check never written (exit 2), a source down, missing or
slow (exit 4) with nothing written, and a read-only --source refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from crossings.app import app
from crossings.sources import resolve_sources
from tests.support.govuk import PAGE_PATH, publish
from tests.support.standin import Route, StandIn

pytestmark = pytest.mark.integration
runner = CliRunner()
PUBLISHED = "2026-05-22T09:30:00.000+01:00"  # a later vintage than the shared copy
NAME = "small-boats-time-series-2026-05-22.ods"


def _run(*args: str) -> tuple[Result, dict[str, Any] | None]:
    res = runner.invoke(app, ["fetch-arrivals", *args])
    lines = res.stdout.strip().splitlines()
    payload = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    return res, payload


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def fetched(tmp_path: Path, readonly_source: Path, env: Callable[..., None], page: StandIn) -> Path:
    out = tmp_path / "data" / "sources"
    env(source_dir=str(readonly_source), fetch_dir=str(out), govuk_url=page.base_url)
    return out


def test_new_then_unchanged_downloads_once(
    fetched: Path, readonly_source: Path, page: StandIn, assets: StandIn, real_ods: Path
) -> None:
    before = _files(readonly_source)
    asset = publish(page, assets, real_ods.read_bytes(), PUBLISHED)
    res, first = _run("--json")
    assert res.exit_code == 0, res.output
    target = fetched / "home-office" / NAME
    assert first == {
        "source": "arrivals",
        "status": "new",
        "exit_code": 0,
        "path": str(target),
        "publication": "2026-05-22",
        "last_day": "2026-05-14",
        "url": assets.url(asset),
    }
    assert target.read_bytes() == real_ods.read_bytes()
    assert _files(fetched) == [f"home-office/{NAME}"]  # no temporary file left
    assert resolve_sources(None, None)[0] == target  # ingest now reads the newest vintage

    res, second = _run("--json")
    assert res.exit_code == 0 and second is not None
    assert second["status"] == "unchanged" and second["path"] == str(target)
    assert assets.requests[asset] == 1 and page.requests[PAGE_PATH] == 2
    res, _ = _run()
    assert res.exit_code == 0 and "Unchanged: Home Office time series published 2026-05-22" in (
        " ".join(res.output.split())
    )
    assert _files(readonly_source) == before  # the shared folder is never written


def test_the_publication_already_in_the_shared_folder_is_not_downloaded(
    fetched: Path, readonly_source: Path, page: StandIn, assets: StandIn, real_ods: Path
) -> None:
    asset = publish(page, assets, real_ods.read_bytes(), "2026-05-15T09:30:00.000+01:00")
    res, out = _run("--json")
    assert res.exit_code == 0, res.output
    assert out is not None and out["status"] == "unchanged"
    assert out["path"] == str(readonly_source / "home-office" / real_ods.name)
    assert assets.requests[asset] == 0 and not fetched.exists()


@pytest.mark.parametrize(
    ("damage", "content_type", "message"),
    [
        (lambda b: b[: len(b) // 2], None, "is truncated or not a valid ODS file"),
        (lambda b: b"<html><body>Service error</body></html>", "text/html", "no zip signature"),
    ],
)
def test_a_file_that_fails_the_check_is_never_written(
    fetched: Path,
    page: StandIn,
    assets: StandIn,
    real_ods: Path,
    damage: Callable[[bytes], bytes],
    content_type: str | None,
    message: str,
) -> None:
    asset = publish(page, assets, damage(real_ods.read_bytes()), PUBLISHED)
    if content_type:
        assets.routes[asset].content_type = content_type
    res, out = _run("--json")
    assert res.exit_code == 2, res.output
    assert out is not None and out["status"] == "failed" and out["exit_code"] == 2
    assert "is not a usable time series" in out["error"] and message in out["error"]
    assert f"{NAME}: " in out["error"]  # names the file as it would have been stored
    assert not fetched.exists()


def test_a_page_without_the_time_series_exits_2(fetched: Path, page: StandIn) -> None:
    body = json.dumps({"public_updated_at": PUBLISHED, "details": {"attachments": []}})
    page.routes[PAGE_PATH] = Route(body.encode(), "application/json")
    res, _ = _run()
    assert res.exit_code == 2
    assert "has no ODS attachment named 'time series' among 0 attachment(s)" in res.output
    assert not fetched.exists()


@pytest.mark.parametrize(
    ("where", "route", "message", "requests"),
    [
        ("page", None, "answered HTTP 404; nothing was fetched", 1),
        ("asset", Route(status=404), "answered HTTP 404; nothing was fetched", 1),
        ("page", Route(fail_first=99), "failed after 2 attempts: HTTP 503", 2),
        ("asset", Route(b"late", delay=5.0), "did not answer within 0.5s after 2 attempts", 2),
        ("page", Route(b"{}", delay=5.0), "did not answer within 0.5s after 2 attempts", 2),
    ],
)
def test_a_source_down_missing_or_slow_exits_4_and_writes_nothing(
    fetched: Path,
    page: StandIn,
    assets: StandIn,
    real_ods: Path,
    where: str,
    route: Route | None,
    message: str,
    requests: int,
) -> None:
    asset = publish(page, assets, real_ods.read_bytes(), PUBLISHED)
    server, path = (page, PAGE_PATH) if where == "page" else (assets, asset)
    if route is None:
        del server.routes[path]
    else:
        server.routes[path] = route
    res, out = _run("--json")
    assert res.exit_code == 4, res.output
    assert out is not None and out["status"] == "failed" and message in out["error"]
    assert server.requests[path] == requests
    assert not fetched.exists()


def test_a_closed_port_exits_4(tmp_path: Path, env: Callable[..., None]) -> None:
    with StandIn() as gone:
        url = gone.base_url
    env(source_dir=str(tmp_path / "src"), govuk_url=url)
    res, _ = _run()
    assert res.exit_code == 4 and "is unreachable after 2 attempts" in res.output
    assert not (tmp_path / "src").exists()


def test_a_read_only_source_is_refused(
    fetched: Path, readonly_source: Path, page: StandIn, assets: StandIn, real_ods: Path
) -> None:
    publish(page, assets, real_ods.read_bytes(), PUBLISHED)
    before = _files(readonly_source)
    res, out = _run("--source", str(readonly_source), "--json")
    assert res.exit_code == 2
    assert out is not None and f"--source {readonly_source} is not writable" in out["error"]
    assert sum(page.requests.values()) == 0 and _files(readonly_source) == before
