"""`crossings update --json` end to end: local stand-ins for GOV.UK and KNMI serving the real
publications (`integration`), a real local MLflow SQLite store and a small config. The first
run fetches the new vintage and trains on it, the second finds nothing new (no download, no
training); a source that is down, a held lock or a bad config leave every file as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from mlflow import MlflowClient
from typer.testing import CliRunner

from crossings.app import app
from tests.lifecycle import fresh_store, make_store_template, small_config, write_config
from tests.support.govuk import PAGE_PATH, publish
from tests.support.knmi import ZIP_DIR, serve_station
from tests.support.standin import Route, StandIn

pytestmark = pytest.mark.integration
NAME = "small-boats-time-series-2026-05-22.ods"
MODEL = "upd-people"


@pytest.fixture(scope="module")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store_template(tmp_path_factory.mktemp("store"))


@pytest.fixture
def job(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: Callable[..., None],
    readonly_source: Path,
    store_template: Path,
    page: StandIn,
    assets: StandIn,
    knmi_host: StandIn,
    real_ods: Path,
    real_knmi: Path,
) -> dict[str, Any]:
    """A working folder with the stand-ins publishing a new vintage (22 May, the shared
    file's rows) and KNMI's current file; fetches go to data/sources (the default)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CROSSINGS_ARTIFACT_ROOT", str(tmp_path / "mlartifacts"))
    asset = publish(page, assets, real_ods.read_bytes(), "2026-05-22T09:30:00.000+01:00")
    template = serve_station(knmi_host, real_knmi.read_bytes())
    env(source_dir=str(readonly_source), govuk_url=page.base_url, knmi_url=template)
    uri = fresh_store(store_template, tmp_path)
    config = write_config(tmp_path / "experiments", small_config("upd", "upd"))
    args = ["update", "--json", "--config", str(config), "--tracking-uri", uri]
    args += ["--reissue-weeks", "0"]  # the backfill is tests/integration/test_weekly_cycle.py
    return {
        "args": [*args, "--data", str(tmp_path / "data" / "processed")],
        "uri": uri,
        "asset": asset,
    }


def _update(args: list[str]) -> tuple[int, dict[str, Any], str]:
    res = CliRunner().invoke(app, args)
    return res.exit_code, json.loads(res.stdout.strip().splitlines()[-1]), res.output


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and modification time, but the lock file (an OS lock's file)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "retrain.lock"
    }


def test_update_fetches_trains_then_finds_nothing_new(
    job: dict[str, Any],
    tmp_path: Path,
    readonly_source: Path,
    page: StandIn,
    assets: StandIn,
    knmi_host: StandIn,
) -> None:
    code, first, output = _update(job["args"])
    assert code == 0, output
    fetched = Path("data/sources/home-office") / NAME
    assert first["status"] == "completed" and first["exit_code"] == 0
    assert first["fetch"]["arrivals"] | {"url": None} == {
        "status": "new",
        "path": str(fetched),
        "publication": "2026-05-22",
        "last_day": "2026-05-14",
        "url": None,
    }
    weather = first["fetch"]["weather"]
    assert weather["status"] == "unchanged" and weather["last_day"] == "2026-06-25"
    assert weather["path"] == str(readonly_source / "knmi" / "etmgeg_340.txt")
    # It trained on the fetched vintage: the publication date comes from its file name.
    assert first["data"]["arrivals"]["vintage"] == "2026-05-22"
    assert first["data"]["arrivals"]["last_date"] == "2026-05-14"
    manifest = json.loads((tmp_path / "data/processed/manifest.json").read_text())
    assert manifest["sources"]["arrivals"]["path"] == str(fetched)
    assert first["promoted"] == [MODEL] and first["run_id"]
    assert first["track_record"] == {"status": "skipped", "weeks": 0}
    processed = _snapshot(tmp_path / "data" / "processed")

    code, second, output = _update(job["args"])
    assert code == 0, output
    assert second["status"] == "skipped" and second["targets"] == {} and second["run_id"] is None
    assert second["fetch"]["arrivals"]["status"] == "unchanged"
    assert second["fetch"]["weather"]["status"] == "unchanged"
    assert "unchanged since the last training" in second["reason"]
    assert assets.requests[job["asset"]] == 1  # the publication was downloaded once
    assert page.requests[PAGE_PATH] == 2 and knmi_host.requests[f"{ZIP_DIR}/etmgeg_340.zip"] == 2
    assert _snapshot(tmp_path / "data" / "processed") == processed
    versions = MlflowClient(job["uri"], job["uri"]).search_model_versions(f"name='{MODEL}'")
    assert len(versions) == 1


@pytest.mark.parametrize("down", ["govuk", "knmi"])
def test_a_source_down_leaves_everything_as_it_was(
    job: dict[str, Any],
    tmp_path: Path,
    readonly_source: Path,
    page: StandIn,
    knmi_host: StandIn,
    down: str,
) -> None:
    data = tmp_path / "data" / "processed"
    res = CliRunner().invoke(app, ["ingest", "--source", str(readonly_source), "--out", str(data)])
    assert res.exit_code == 0, res.output
    before, shared = _snapshot(tmp_path / "data"), _snapshot(readonly_source)
    if down == "govuk":
        page.routes[PAGE_PATH] = Route(fail_first=99)
    else:
        knmi_host.routes.clear()
    code, out, output = _update(job["args"])
    assert code == 4, output
    assert out["status"] == "failed" and out["exit_code"] == 4
    assert out["error"].startswith("SourceUnavailable: http://127.0.0.1:")
    expected = {"govuk": ("failed", "skipped"), "knmi": ("new", "failed")}[down]
    assert (out["fetch"]["arrivals"]["status"], out["fetch"]["weather"]["status"]) == expected
    assert _snapshot(tmp_path / "data") == before  # nothing fetched, ingested or trained
    assert not (tmp_path / "data" / "sources").exists() and _snapshot(readonly_source) == shared
    assert MlflowClient(job["uri"], job["uri"]).search_registered_models() == []


def test_a_held_lock_or_a_bad_config_fails_before_fetching(
    job: dict[str, Any], tmp_path: Path, page: StandIn
) -> None:
    lock = FileLock(str(tmp_path / "data" / "retrain.lock"))
    (tmp_path / "data").mkdir()
    with lock:
        code, out, output = _update(job["args"])
    assert code == 3, output
    assert out["status"] == "failed" and "lock" in out["error"] and out["fetch"] == {}
    args = list(job["args"])
    args[args.index("--config") + 1] = "experiments/nope.yaml"
    code, out, output = _update(args)
    assert code == 2 and "no such config file" in out["error"], output
    assert sum(page.requests.values()) == 0
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["retrain.lock"]
