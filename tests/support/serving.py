"""A real `crossings serve` process on a freshly trained tiny MLflow registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from forecasting.ingest import ingest
from forecasting.training.config import parse_config
from forecasting.training.job import train
from tests.lifecycle import (
    VENV_BIN,
    env_with_venv,
    free_port,
    fresh_store,
    make_store_template,
    small_config,
    start,
    stop,
    wait_http,
    write_sources,
)


@contextmanager
def serve_trained(
    root: Path, prefix: str, workers: int = 2, **env: str
) -> Iterator[tuple[str, str]]:
    """`crossings serve --workers <workers>` on a freshly trained tiny registry (people only, a
    SQLite archive, no alias polling, no live provider) in `root`; yields (URL, tracking URI).
    `env` adds or overrides CROSSINGS_* settings."""
    uri = fresh_store(make_store_template(root), root / "mlruns")
    ingest(*write_sources(root / "src"), root / "data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.chdir(root)
        train(parse_config(small_config(prefix, prefix)), root / "data")
    defaults = {
        "MLFLOW_TRACKING_URI": uri,
        "CROSSINGS_DATA_DIR": str(root / "data"),
        "CROSSINGS_ARCHIVE_URL": f"sqlite:///{root / 'archive.db'}",
        "CROSSINGS_MODEL_NAME_PREFIX": prefix,
        "CROSSINGS_TARGETS": '["people"]',
        "CROSSINGS_POLL_SECONDS": "0",
        "CROSSINGS_OPEN_METEO_URL": "",  # no live provider: the model learned synthetic weather
    }
    full_env = env_with_venv(**{**defaults, **env})
    full_env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # serve must make its own
    port, log = free_port(), root / "serve.log"
    cmd = [str(VENV_BIN / "crossings"), "serve", "--port", str(port), "--workers", str(workers)]
    proc = start(cmd, log, full_env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/readyz", 180, proc, log)
        yield base, uri
    finally:
        stop(proc)
