"""Serving refuses to start on a registry that cannot hold its models, naming what it tried.

- A `sqlite:///` MLFLOW_TRACKING_URI whose file does not exist (a typo) is refused by
  serving and `crossings reissue`, and no empty store is created.
- A registry that answers that a registered model does not exist stops the start-up with
  the URI (password hidden), the missing names and the fix.
- A model that is registered without a champion alias yet, or a registry out of reach, only
  warns: the service starts and answers 503 until a champion loads.

The registries are real: MLflow SQLite stores, and for the remote case a small HTTP server on
127.0.0.1 answering MLflow's REST error for a missing model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from typer.testing import CliRunner

from api.deps import ModelNotRegistered
from api.main import create_app
from api.settings import ApiSettings, get_settings
from crossings.app import app as cli_app
from forecasting.tracking.store import TrackingUnavailable, sqlite_file
from tests.lifecycle import free_port, fresh_store, make_store_template

PEOPLE, BOATS = "channel-crossings-people", "channel-crossings-boats"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty migrated MLflow store to copy (migrating takes seconds, a copy does not)."""
    return make_store_template(tmp_path_factory.mktemp("store"))


def _app(settings: ApiSettings, uri: str) -> FastAPI:
    """The real app on registry `uri`: only the settings are injected, not the registry."""
    app = create_app()
    served = settings.model_copy(update={"mlflow_tracking_uri": uri})
    app.dependency_overrides[get_settings] = lambda: served
    return app


def test_a_missing_sqlite_file_is_refused_and_not_created(
    settings: ApiSettings, tmp_path: Path
) -> None:
    typo = tmp_path / "mlrun.db"  # the store is mlruns.db
    with pytest.raises(TrackingUnavailable) as err, TestClient(_app(settings, f"sqlite:///{typo}")):
        pass
    message = str(err.value)
    assert str(typo) in message and "does not exist" in message
    assert "MLFLOW_TRACKING_URI" in message and "crossings train" in message
    assert not typo.exists()


def test_reissue_refuses_a_missing_sqlite_file(tmp_path: Path, data_dir: Path) -> None:
    typo = tmp_path / "mlrun.db"
    days = ["--from", "2023-03-01", "--to", "2023-03-02"]
    archive = f"sqlite:///{tmp_path / 'archive.db'}"
    result = CliRunner().invoke(
        cli_app,
        ["reissue", *days, "--data", str(data_dir), "--archive-url", archive],
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{typo}", "COLUMNS": "300"},
    )
    assert result.exit_code == 4, result.output
    assert "mlrun.db" in result.output and "does not exist" in result.output
    assert not typo.exists()


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("sqlite:///mlruns.db", "mlruns.db"),
        ("sqlite:////srv/mlflow/mlruns.db", "/srv/mlflow/mlruns.db"),
        ("sqlite:///mlruns.db?timeout=5", "mlruns.db"),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("http://127.0.0.1:5000", None),
        ("postgresql://u:p@127.0.0.1/mlflow", None),
    ],
)
def test_the_sqlite_file_of_a_uri(uri: str, path: str | None) -> None:
    assert sqlite_file(uri) == (Path(path) if path else None)


def test_a_registry_without_the_registered_models_is_refused(
    settings: ApiSettings, template: Path, tmp_path: Path
) -> None:
    uri = fresh_store(template, tmp_path / "store")
    MlflowClient(tracking_uri=uri, registry_uri=uri).create_registered_model(PEOPLE)
    with pytest.raises(ModelNotRegistered) as err, TestClient(_app(settings, uri)):
        pass
    message = str(err.value)
    assert uri in message and BOATS in message and PEOPLE not in message
    assert "crossings train" in message and "MLFLOW_TRACKING_URI" in message


def test_registered_models_without_a_champion_start_and_answer_503(
    settings: ApiSettings, template: Path, tmp_path: Path
) -> None:
    uri = fresh_store(template, tmp_path / "store")
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    for name in (PEOPLE, BOATS):
        client.create_registered_model(name)
    with TestClient(_app(settings, uri)) as c:
        ready = c.get("/readyz")
        forecast = c.get("/v1/forecast")
    assert ready.status_code == 503 and ready.json()["status"] == "not ready"
    assert forecast.status_code == 503


class _MissingModels(BaseHTTPRequestHandler):
    """An MLflow tracking server with no registered models: every call is MLflow's 404."""

    def do_GET(self) -> None:
        body = json.dumps(
            {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Registered Model not found"}
        ).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow HTTP calls without retries and with a short timeout meanwhile."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")


@pytest.fixture
def empty_server(no_retries: None) -> Iterator[int]:
    """The port of a local MLflow-speaking server without models."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MissingModels)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_the_refusal_names_a_remote_registry_without_its_password(
    settings: ApiSettings, empty_server: int
) -> None:
    uri = f"http://reader:s3cret@127.0.0.1:{empty_server}"
    with pytest.raises(ModelNotRegistered) as err, TestClient(_app(settings, uri)):
        pass
    message = str(err.value)
    assert f"http://reader:***@127.0.0.1:{empty_server}" in message
    assert "s3cret" not in message and PEOPLE in message and BOATS in message


def test_an_unreachable_registry_only_warns(settings: ApiSettings, no_retries: None) -> None:
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens: not a proof of absence
    with TestClient(_app(settings, uri)) as c:
        ready = c.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["targets"]["people"]["registry_error"] == "model registry unreachable"
