"""`pg_url`: a throwaway database on the local PostgreSQL server (127.0.0.1:5432, trust auth,
user postgres), dropped afterwards. It skips when no server answers, unless
CROSSINGS_REQUIRE_POSTGRES=1 (as in .ci/run), which makes it fail instead."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh database, dropped (with its connections) after the test."""
    try:
        import psycopg

        admin = psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres",
            autocommit=True,
            connect_timeout=3,
        )
    except Exception as exc:
        if os.environ.get("CROSSINGS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({exc})")
    name = f"crossings_archive_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


__all__ = ["pg_url"]
