"""The full schemathesis run the issue asks for (slow): 300 examples per operation, every
built-in check, nothing answers 5xx, no error body leaks a host, URL or path, and a request
the OpenAPI schema allows is never refused with a 4xx.

The exceptions, checked here in place of schemathesis's positive_data_acceptance, are the
refusals that depend on the data and the model being served, which no static schema can
state: a day (`start`, `as_of`, `until`, a scenario day's `date`) outside what today's data
can serve; `weather_mode=observed` where the observed weather ends; a scenario day without
a variable the served model needs; and one day given twice with different weather (JSON
Schema cannot say "unique by date"; identical repeats are accepted). Every other rule is in
the schema (levels and thresholds by `pattern`; `from` after `to` is an empty range).

Run it with ``.venv/bin/pytest -q -m slow tests/api/test_schemathesis_full.py``;
``SCHEMATHESIS_EXAMPLES`` changes the number of examples per operation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.conftest import SCHEMATHESIS_CASES
from tests.api.leaks import assert_no_leak
from tests.api.schemathesis_app import app_and_schema, serving

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "300"))

APP, schema = app_and_schema("schemathesis-full-")


@pytest.fixture(scope="module", autouse=True)
def _serving(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, fitted: Any
) -> Iterator[None]:
    with serving(APP, fitted, data_dir, tmp_path_factory.mktemp("schemathesis-full"), 100, 50):
        yield


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_openapi_contract_full(case: Any) -> None:
    label = case.operation.label
    SCHEMATHESIS_CASES[label] = SCHEMATHESIS_CASES.get(label, 0) + 1
    response = case.call_and_validate(
        excluded_checks=[schemathesis.checks.positive_data_acceptance]
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_no_leak(response.text)
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assert response.status_code < 400 or _data_window(response), (
            f"schema-valid request rejected: {case.query} {response.status_code} "
            f"{response.text[:300]}"
        )


_DAY_FIELDS = {"start", "as_of", "until", "date", "weather_mode"}


def _data_window(response: Any) -> bool:
    """True for the allowed refusals: credentials (401/403), or a 422 naming only days."""
    if response.status_code in (401, 403):
        return True
    if response.status_code != 422:
        return False
    detail = response.json().get("detail")
    if not isinstance(detail, list):
        return False
    if all("twice; give each day once" in e["msg"] for e in detail):
        return True
    return all(
        str(e["loc"][-1]) in _DAY_FIELDS or (e["type"] == "missing" and "weather" in e["loc"])
        for e in detail
    )
