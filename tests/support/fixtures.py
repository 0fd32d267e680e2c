"""Fixtures over the stand-ins, imported by the conftest.py of the test folders that use them
(pytest registers fixtures a conftest imports)."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from forecasting.settings import get_settings
from tests.support.settings import set_env
from tests.support.standin import StandIn


@pytest.fixture
def page() -> Iterator[StandIn]:
    """GOV.UK's www host (the Content API)."""
    with StandIn() as server:
        yield server


@pytest.fixture
def assets() -> Iterator[StandIn]:
    """GOV.UK's asset host (assets.publishing.service.gov.uk)."""
    with StandIn() as server:
        yield server


@pytest.fixture
def knmi_host() -> Iterator[StandIn]:
    """KNMI's download host."""
    with StandIn() as server:
        yield server


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """`env(source_dir=..., govuk_url=...)` sets CROSSINGS_* for the test (and the short
    fetch timeouts); the settings cache is cleared after the test."""
    yield lambda **values: set_env(monkeypatch, **values)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the sources at a closed local port unless a test sets them: a fetch a test did
    not mean to make fails at once instead of reaching GOV.UK or KNMI."""
    monkeypatch.setenv("CROSSINGS_GOVUK_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CROSSINGS_KNMI_URL", "http://127.0.0.1:9/etmgeg_{station}.zip")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def make_read_only(folder: Path) -> None:
    """Mark `folder` and its sub-folders read-only (r-x), as the shared data folder is."""
    for d in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        d.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)


def make_writable(folder: Path) -> None:
    """Undo `make_read_only` (so pytest can remove the folder)."""
    for d in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        os.chmod(d, stat.S_IRWXU)


@pytest.fixture
def readonly_source(tmp_path: Path, shared_data: Path) -> Iterator[Path]:
    """A read-only copy of the shared data folder (never the folder itself, so no test can
    write it, whatever its permissions on this machine)."""
    copy = tmp_path / "shared"
    shutil.copytree(shared_data, copy)
    make_read_only(copy)
    try:
        yield copy
    finally:
        make_writable(copy)


__all__ = [
    "assets",
    "env",
    "knmi_host",
    "make_read_only",
    "make_writable",
    "no_internet",
    "page",
    "readonly_source",
]
