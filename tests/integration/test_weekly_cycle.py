"""The weekly cycle end to end, offline: local stand-ins for GOV.UK and KNMI speaking the real
formats, a real MLflow SQLite registry, and a bare `crossings serve` in its own process.

`crossings update` fetches the shared publication, trains and backfills the track record; a
server started then serves it. The second update finds nothing new. Then a newer publication
appears (the shared one plus a week): the third update trains on it and promotes or keeps the
champion by the gate, and the server that kept running serves the new data and the champion
the registry now names, without a restart."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from crossings.app import app
from tests.lifecycle import (
    env_with_venv,
    free_port,
    fresh_store,
    make_store_template,
    small_config,
    start,
    stop,
    wait_for,
    wait_http,
)
from tests.support.govuk import publish
from tests.support.knmi import serve_station
from tests.support.publications import newer_publication
from tests.support.standin import StandIn

pytestmark = [pytest.mark.integration, pytest.mark.slow]
MODEL = "cyc-people"


def _update(args: list[str]) -> dict[str, Any]:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture
def cycle(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: Callable[..., None],
    readonly_source: Path,
    page: StandIn,
    assets: StandIn,
    knmi_host: StandIn,
    real_ods: Path,
    real_knmi: Path,
) -> dict[str, Any]:
    """The shared publication published on 22 May, KNMI's current file, a small config that
    registers `cyc-people`, and the service settings a deployment would set."""
    monkeypatch.chdir(tmp_path)
    uri = fresh_store(make_store_template(tmp_path), tmp_path / "state")
    service_env = {
        "MLFLOW_TRACKING_URI": uri,
        "CROSSINGS_ARTIFACT_ROOT": str(tmp_path / "mlartifacts"),
        "CROSSINGS_DATA_DIR": str(tmp_path / "data" / "processed"),
        "CROSSINGS_MODEL_NAME_PREFIX": "cyc",
        "CROSSINGS_TARGETS": '["people"]',
        "CROSSINGS_ARCHIVE_URL": f"sqlite:///{tmp_path / 'state' / 'archive.db'}",
        "CROSSINGS_ARCHIVE_OUTBOX": str(tmp_path / "state" / "outbox.db"),
    }
    for key, value in service_env.items():
        monkeypatch.setenv(key, value)
    publish(page, assets, real_ods.read_bytes(), "2026-05-22T09:30:00.000+01:00")
    template = serve_station(knmi_host, real_knmi.read_bytes())
    env(source_dir=str(readonly_source), govuk_url=page.base_url, knmi_url=template)
    config = tmp_path / "experiments" / "cyc.yaml"
    config.parent.mkdir()
    config.write_text(json.dumps(small_config("cyc", "cyc")))
    args = ["update", "--json", "--config", str(config), "--reissue-weeks", "1"]
    return {"args": args, "uri": uri, "env": service_env}


@pytest.fixture
def server(tmp_path: Path, cycle: dict[str, Any]) -> Iterator[Callable[[], str]]:
    """`start()` runs a bare `crossings serve` (no provider setting) polling the registry
    every second; returns its base URL."""
    procs = []

    def _start() -> str:
        port, log = free_port(), tmp_path / "serve.log"
        extra = {**cycle["env"], "CROSSINGS_POLL_SECONDS": "1"}
        cmd = ["crossings", "serve", "--host", "127.0.0.1", "--port", str(port)]
        procs.append(start(cmd, log, env_with_venv(**extra), cwd=tmp_path))
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/readyz", 60, procs[-1], log)
        return base

    yield _start
    for proc in procs:
        stop(proc)


def _served(base: str) -> dict[str, Any]:
    res = httpx.get(f"{base}/v1/forecast", params={"target": "people"}, timeout=30)
    assert res.status_code == 200, res.text
    return res.json()


def _champion(uri: str) -> str:
    return str(MlflowClient(uri, uri).get_model_version_by_alias(MODEL, "champion").version)


def test_the_weekly_cycle_runs_itself(
    cycle: dict[str, Any],
    server: Callable[[], str],
    tmp_path: Path,
    page: StandIn,
    assets: StandIn,
    real_ods: Path,
) -> None:
    first = _update(cycle["args"])
    assert first["status"] == "completed" and first["promoted"] == [MODEL]
    assert first["data"]["arrivals"]["last_date"] == "2026-05-14"
    assert first["track_record"]["status"] == "done", first["track_record"]
    assert first["track_record"]["people"]["issued"] == 7  # one week of issue dates

    base = server()
    served = _served(base)
    assert served["data_as_of"] == "2026-05-14"
    assert served["model"]["version"].startswith(_champion(cycle["uri"]))
    verification = httpx.get(f"{base}/v1/verification", params={"target": "people"}, timeout=30)
    assert verification.status_code == 200 and verification.json()["n_forecasts"] > 0

    second = _update(cycle["args"])
    assert second["status"] == "skipped" and second["run_id"] is None
    assert second["fetch"]["arrivals"]["status"] == "unchanged"
    assert second["track_record"]["people"] == {"issued": 0, "skipped": 7}

    newer, last_day = newer_publication(real_ods, tmp_path / "newer.ods")
    publish(page, assets, newer.read_bytes(), "2026-05-29T09:30:00.000+01:00")
    third = _update(cycle["args"])
    assert third["fetch"]["arrivals"]["status"] == "new"
    assert third["fetch"]["arrivals"]["publication"] == "2026-05-29"
    assert third["status"] == "completed" and third["data"]["arrivals"]["vintage"] == "2026-05-29"
    assert third["track_record"]["people"]["issued"] == 7  # the week that arrived, scored anew

    client = MlflowClient(cycle["uri"], cycle["uri"])
    versions = client.search_model_versions(f"name='{MODEL}'")
    newest = max(versions, key=lambda v: int(v.version))
    newest_version = str(newest.version)
    assert len(versions) == 2
    assert "2026-05-29" in newest.tags["data.vintage"], newest.tags["data.vintage"]
    champion = _champion(cycle["uri"])
    # The gate decides: promoted means the newest version is the champion, kept means not.
    assert (champion == newest_version) == (third["promoted"] == [MODEL])

    # The running server picks up the new arrivals and the registry's champion by itself.
    wait_for(lambda: _served(base)["data_as_of"] == last_day.isoformat(), 60, "new data served")
    served = _served(base)
    assert served["model"]["version"].startswith(champion)
