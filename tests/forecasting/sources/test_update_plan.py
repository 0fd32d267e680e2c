"""The update's plan: which weather it fetches (the last ingest's KNMI station; weather from
another source is reused, not fetched) and fetching everything before writing anything, so a
source that fails leaves every folder as it was (synthetic files, local stand-ins)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecasting.settings import Settings
from forecasting.sources.http import Downloader, SourceUnavailable
from forecasting.sources.update import UpdateFailed, WeatherPlan, fetch_all, plan_weather
from tests.conftest import knmi_text, sb01_frame, sb02_frame, write_ods
from tests.support.govuk import publish
from tests.support.knmi import serve_station
from tests.support.standin import StandIn


def _manifest(data: Path, source: str, path: str) -> None:
    data.mkdir(parents=True, exist_ok=True)
    weather = {"source": source, "path": path}
    (data / "manifest.json").write_text(json.dumps({"sources": {"weather": weather}}))


def test_the_weather_plan_follows_the_last_ingest(tmp_path: Path) -> None:
    data, src = tmp_path / "processed", tmp_path / "src"
    assert plan_weather(data, [src]) == WeatherPlan(340)  # nothing anywhere: station 340
    (src / "knmi").mkdir(parents=True)
    (src / "knmi" / "etmgeg_310.txt").write_text(knmi_text(5).replace("340,", "310,"))
    assert plan_weather(data, [src]) == WeatherPlan(310)  # the file in use
    _manifest(data, "KNMI etmgeg station 330 Hoek van Holland", "/x/etmgeg_330.txt")
    assert plan_weather(data, [src]) == WeatherPlan(330)  # the last ingest's
    _manifest(data, "open-meteo-archive", "data/raw/strait.csv")
    plan = plan_weather(data, [src])
    assert plan.station is None and plan.path == Path("data/raw/strait.csv")
    assert plan.note is not None and "open-meteo-archive) is not KNMI etmgeg" in plan.note


def _ods(tmp_path: Path) -> bytes:
    daily = sb01_frame(40)
    path = write_ods(tmp_path / "x.ods", {"SB_01": daily, "SB_02": sb02_frame(daily)})
    return path.read_bytes()


def test_nothing_is_written_when_a_later_source_fails(tmp_path: Path) -> None:
    folder = tmp_path / "sources"
    with StandIn() as page, StandIn() as assets, StandIn() as knmi:
        asset = publish(page, assets, _ods(tmp_path))
        template = serve_station(knmi, knmi_text(40).encode(), status=404)
        settings = Settings(govuk_url=page.base_url, knmi_url=template)
        dl = Downloader(timeout=0.5, retries=2, backoff=0.01)
        with dl, pytest.raises(UpdateFailed) as err:
            fetch_all(folder, [folder], WeatherPlan(340), settings, dl)
        assert assets.requests[asset] == 1  # the arrivals were fetched and checked...
    assert isinstance(err.value.cause, SourceUnavailable)
    assert "etmgeg_340.zip answered HTTP 404" in str(err.value)
    assert err.value.fetch["arrivals"]["status"] == "new"
    assert err.value.fetch["weather"]["status"] == "failed"
    assert not folder.exists()  # ...but nothing was written


def test_a_failing_first_source_skips_the_rest_and_other_weather_is_reused(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "sources"
    with StandIn() as page, StandIn() as knmi:
        settings = Settings(govuk_url=page.base_url, knmi_url=knmi.base_url)
        dl = Downloader(timeout=0.5, retries=2, backoff=0.01)
        with dl, pytest.raises(UpdateFailed) as err:
            fetch_all(folder, [folder], WeatherPlan(340), settings, dl)
        assert sum(knmi.requests.values()) == 0
    assert err.value.fetch["arrivals"]["status"] == "failed"
    assert err.value.fetch["weather"] == {
        "status": "skipped",
        "path": None,
        "publication": None,
        "last_day": None,
        "url": None,
        "note": "not fetched: arrivals failed",
    }
    with StandIn() as page, StandIn() as assets:
        publish(page, assets, _ods(tmp_path))
        settings = Settings(govuk_url=page.base_url)
        plan = WeatherPlan(None, Path("data/raw/strait.csv"), "reused")
        with Downloader(timeout=0.5, retries=2) as dl:
            done = fetch_all(folder, [folder], plan, settings, dl)
    assert [(f.source, f.status) for f in done] == [("arrivals", "new"), ("weather", "skipped")]
    assert done[1].path == Path("data/raw/strait.csv") and done[1].note == "reused"
