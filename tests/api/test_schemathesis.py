"""Property-based checks of every operation against the OpenAPI schema (schemathesis):
no 500s, responses match the schema, status codes are documented. The number of cases is
bounded (MAX_EXAMPLES per operation) and reported in pytest's closing summary."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from api.deps import get_registry
from api.main import create_app
from api.settings import ApiSettings, get_settings
from tests.api.conftest import SCHEMATHESIS_CASES, FakeRegistry, make_champion

MAX_EXAMPLES = 40

# The schema is read from the app at import, which runs the app's lifespan: give it harmless
# settings (a temporary folder, no registry) so nothing touches the working directory. The
# real lifespan (champions, data, archive) runs in the module fixture below.
APP = create_app()
_IMPORT_DIR = tempfile.mkdtemp(prefix="schemathesis-import-")
_IMPORT_SETTINGS = ApiSettings(
    data_dir=Path(_IMPORT_DIR),
    archive_url="",
    open_meteo_url="",
    poll_seconds=0,
)
APP.dependency_overrides[get_settings] = lambda: _IMPORT_SETTINGS
APP.dependency_overrides[get_registry] = lambda *_: FakeRegistry()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _serving(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, fitted: Any
) -> Iterator[None]:
    registry = FakeRegistry()
    for model in fitted.values():
        registry.add(make_champion(model, "1"))
    tmp = tmp_path_factory.mktemp("schemathesis")
    settings_ = ApiSettings(
        data_dir=data_dir,
        archive_url=f"sqlite:///{tmp / 'archive.db'}",
        admin_token="schemathesis-token",
        open_meteo_url="",
        poll_seconds=0,
        n_samples=200,
        scenario_samples=100,
    )
    APP.dependency_overrides[get_settings] = lambda: settings_
    APP.dependency_overrides[get_registry] = lambda *_: registry
    with TestClient(APP):
        yield
    APP.dependency_overrides.clear()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_openapi_contract(case: Any) -> None:
    label = case.operation.label
    SCHEMATHESIS_CASES[label] = SCHEMATHESIS_CASES.get(label, 0) + 1
    # positive_data_acceptance is off: a schema-valid `start` the champion cannot reach, or
    # levels outside (0, 100) written as a string, are 422 by design (runtime facts the
    # schema cannot express). Every other built-in check runs, negative data included.
    response = case.call_and_validate(
        excluded_checks=[schemathesis.checks.positive_data_acceptance]
    )
    assert response.status_code < 500, response.text
