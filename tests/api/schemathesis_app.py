"""The app the schemathesis tests run against: its schema read at import with harmless
settings, then served with fitted champions, real data and a temporary archive."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import get_registry
from api.main import create_app
from api.settings import ApiSettings, get_settings
from tests.api.conftest import FakeRegistry, make_champion


def app_and_schema(prefix: str) -> tuple[FastAPI, Any]:
    """A fresh app and its OpenAPI schema. Reading the schema runs the app's lifespan, so it
    gets harmless settings (a temporary folder, no registry, no archive, no provider)."""
    app = create_app()
    harmless = ApiSettings(
        data_dir=Path(tempfile.mkdtemp(prefix=prefix)),
        archive_url="",
        open_meteo_url="",
        poll_seconds=0,
    )
    app.dependency_overrides[get_settings] = lambda: harmless
    app.dependency_overrides[get_registry] = lambda *_: FakeRegistry()
    return app, schemathesis.openapi.from_asgi("/openapi.json", app)


@contextmanager
def serving(
    app: FastAPI, fitted: Any, data_dir: Path, tmp: Path, n_samples: int, scenario_samples: int
) -> Iterator[None]:
    """Serve `app` with the fitted champions, the data in `data_dir` and an archive in `tmp`."""
    registry = FakeRegistry()
    for model in fitted.values():
        registry.add(make_champion(model, "1"))
    settings_ = ApiSettings(
        data_dir=data_dir,
        archive_url=f"sqlite:///{tmp / 'archive.db'}",
        admin_token="schemathesis-token",
        open_meteo_url="",
        poll_seconds=0,
        n_samples=n_samples,
        scenario_samples=scenario_samples,
    )
    app.dependency_overrides[get_settings] = lambda: settings_
    app.dependency_overrides[get_registry] = lambda *_: registry
    try:
        with TestClient(app):
            yield
    finally:
        app.dependency_overrides.clear()
