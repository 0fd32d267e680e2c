"""Property-based checks of every operation against the OpenAPI schema (schemathesis):
no 500s, responses match the schema, status codes are documented, a schema-valid request is
never refused (days outside the served data's window get their documented 422 first, then
are moved into it: see tests/api/schemathesis_app.py). The number of cases is bounded
(MAX_EXAMPLES per operation) and reported in pytest's closing summary; the full run is
tests/api/test_schemathesis_full.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.api.schemathesis_app import DataWindow, app_and_schema, run_case, serving

MAX_EXAMPLES = 40

APP, schema = app_and_schema("schemathesis-import-")


@pytest.fixture(scope="module")
def window(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, fitted: Any
) -> Iterator[DataWindow]:
    with serving(APP, fitted, data_dir, tmp_path_factory.mktemp("schemathesis"), 200) as w:
        yield w


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_openapi_contract(case: Any, window: DataWindow) -> None:
    run_case(case, window)
